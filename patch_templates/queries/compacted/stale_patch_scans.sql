-- Active nodes of the newest daily compliance snapshot whose last patch scan or install ended more
-- than ${pStaleScanDays} days ago, or that never reported one (or an unreadable time).
SELECT account_id,
       region,
       node_id AS instance_id,
       computer_name,
       last_scan_time AS last_operation_end,
       date_diff('day', last_scan_time, current_timestamp) AS days_since_scan
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot"
WHERE snapshot_date IN (SELECT max(snapshot_date) FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot")
  AND (last_scan_time IS NULL OR last_scan_time < current_timestamp - interval '${pStaleScanDays}' day)
ORDER BY account_id, region, instance_id
