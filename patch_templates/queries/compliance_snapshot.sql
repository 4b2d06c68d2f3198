-- Today's per-node compliance into the snapshot table (run once a day by the schedule; a second
-- run on the same day adds nothing). Times are UTC.
INSERT INTO "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot"
SELECT account_id, region, node_id, computer_name, platform_name, platform_type, instance_status,
       patch_group, baseline_id, compliant, missing_count, failed_count, installed_pending_reboot_count,
       critical_noncompliant_count, security_noncompliant_count,
       CAST(try(from_iso8601_timestamp(last_scan_time)) AS timestamp) AS last_scan_time,
       CAST(try(from_iso8601_timestamp(last_install_time)) AS timestamp) AS last_install_time,
       current_date AS snapshot_date
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_nodes"
WHERE NOT EXISTS (SELECT 1 FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot"
                  WHERE snapshot_date = current_date)
