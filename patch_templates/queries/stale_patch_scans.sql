-- Instances (not terminated) whose last patch scan or install ended more than
-- ${pStaleScanDays} days ago, or that never reported one.
SELECT i.accountid AS account_id,
       i.region,
       i.resourceid AS instance_id,
       i.computername AS computer_name,
       p.operationendtime AS last_operation_end,
       date_diff('day', from_iso8601_timestamp(p.operationendtime), current_timestamp) AS days_since_scan
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_instanceinformation" AS i
LEFT JOIN "${pCFNDatabaseName}"."${pCFNTablePrefixName}_patchsummary" AS p
    ON p.accountid = i.accountid AND p.region = i.region AND p.resourceid = i.resourceid
WHERE coalesce(i.instancestatus, '') <> 'Terminated'
  AND (p.operationendtime IS NULL
       OR from_iso8601_timestamp(p.operationendtime) < current_timestamp - interval '${pStaleScanDays}' day)
ORDER BY account_id, region, instance_id
