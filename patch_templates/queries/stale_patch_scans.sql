-- Instances (not terminated) whose last patch scan or install ended more than
-- ${pStaleScanDays} days ago, or that never reported one (or an unreadable time).
SELECT account_id,
       region,
       instance_id,
       computer_name,
       last_operation_end,
       date_diff('day', last_scan, current_timestamp) AS days_since_scan
FROM (
    SELECT i.accountid AS account_id,
           i.region,
           i.resourceid AS instance_id,
           i.computername AS computer_name,
           p.operationendtime AS last_operation_end,
           try(from_iso8601_timestamp(p.operationendtime)) AS last_scan
    FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_instanceinformation" AS i
    LEFT JOIN "${pCFNDatabaseName}"."${pCFNTablePrefixName}_patchsummary" AS p
        ON p.accountid = i.accountid AND p.region = i.region AND p.resourceid = i.resourceid
    WHERE coalesce(i.instancestatus, '') <> 'Terminated'
) AS instances
WHERE last_scan IS NULL
   OR last_scan < current_timestamp - interval '${pStaleScanDays}' day
ORDER BY account_id, region, instance_id
