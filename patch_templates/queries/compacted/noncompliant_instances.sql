-- Non-compliant active nodes of the newest daily compliance snapshot with their missing, failed and
-- installed-pending-reboot counts. A node with no last_scan_time never reported a patch summary.
SELECT account_id,
       region,
       node_id AS instance_id,
       computer_name,
       instance_status,
       patch_group,
       missing_count AS missing,
       failed_count AS failed,
       installed_pending_reboot_count AS pending_reboot,
       last_scan_time
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot"
WHERE snapshot_date IN (SELECT max(snapshot_date) FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot")
  AND NOT compliant
ORDER BY account_id, region, instance_id
