-- Compliance by patch group and patch baseline, across all accounts and Regions (active nodes of the
-- newest daily compliance snapshot; a node that never reported a patch summary is in '(none)' with
-- no baseline).
SELECT coalesce(nullif(patch_group, ''), '(none)') AS patch_group,
       baseline_id,
       count(*) AS instances,
       count_if(compliant) AS compliant_instances,
       sum(missing_count) AS missing_patches,
       sum(failed_count) AS failed_patches,
       sum(installed_pending_reboot_count) AS pending_reboot_patches
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot"
WHERE snapshot_date IN (SELECT max(snapshot_date) FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot")
GROUP BY 1, baseline_id
ORDER BY patch_group, baseline_id
