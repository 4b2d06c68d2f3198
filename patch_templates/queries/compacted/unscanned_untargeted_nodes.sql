-- Active nodes of the newest daily compliance snapshot that patching does not reach, per account:
-- never scanned (no patch scan or install time on record), or not an EC2 instance (a hybrid node, mi-:
-- the members' default window target, every EC2 instance, never installs on it; see
-- queries/unscanned_untargeted_nodes.sql).
SELECT account_id,
       region,
       node_id AS instance_id,
       computer_name,
       platform_name,
       instance_status,
       CASE WHEN last_scan_time IS NULL THEN 'never scanned' ELSE 'not an EC2 instance' END AS reason
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot"
WHERE snapshot_date IN (SELECT max(snapshot_date) FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot")
  AND (last_scan_time IS NULL OR node_id NOT LIKE 'i-%')
ORDER BY account_id, region, instance_id
