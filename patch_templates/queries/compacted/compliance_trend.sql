-- Compliance % per day from the daily snapshots: per account, and for the organization
-- (account_id 'organization').
SELECT snapshot_date,
       coalesce(account_id, 'organization') AS account_id,
       count(*) AS instances,
       count_if(compliant) AS compliant_instances,
       round(100.0 * count_if(compliant) / count(*), 1) AS compliance_percent
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot"
GROUP BY GROUPING SETS ((snapshot_date, account_id), (snapshot_date))
ORDER BY snapshot_date, account_id
