-- Active nodes whose last patch scan or install ended more than ${pStaleScanDays} days ago, or
-- that never reported one (or an unreadable time).
SELECT account_id,
       region,
       instance_id,
       computer_name,
       last_operation_end,
       date_diff('day', last_scan, current_timestamp) AS days_since_scan
FROM (
    SELECT account_id,
           region,
           node_id AS instance_id,
           computer_name,
           last_scan_time AS last_operation_end,
           try(from_iso8601_timestamp(last_scan_time)) AS last_scan
    FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_nodes"
) AS nodes
WHERE last_scan IS NULL
   OR last_scan < current_timestamp - interval '${pStaleScanDays}' day
ORDER BY account_id, region, instance_id
