-- Active nodes of the newest daily compliance snapshot that patching does not reach, per account:
-- never scanned (no patch scan or install time on record) or in no patch group (untargeted: a
-- maintenance window that targets patch groups, the members' default, never installs on it).
SELECT account_id,
       region,
       node_id AS instance_id,
       computer_name,
       platform_name,
       instance_status,
       CASE WHEN last_scan_time IS NULL THEN 'never scanned' ELSE 'no patch group' END AS reason
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot"
WHERE snapshot_date IN (SELECT max(snapshot_date) FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot")
  AND (last_scan_time IS NULL OR coalesce(patch_group, '') = '')
ORDER BY account_id, region, instance_id
