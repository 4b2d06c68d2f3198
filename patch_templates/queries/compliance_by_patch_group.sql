-- Compliance by patch group and patch baseline, across all accounts and Regions.
SELECT coalesce(nullif(patchgroup, ''), '(none)') AS patch_group,
       baselineid AS baseline_id,
       count(*) AS instances,
       count_if(missing = 0 AND failed = 0 AND pending_reboot = 0) AS compliant_instances,
       sum(missing) AS missing_patches,
       sum(failed) AS failed_patches,
       sum(pending_reboot) AS pending_reboot_patches
FROM (
    SELECT patchgroup,
           baselineid,
           coalesce(try_cast(missingcount AS integer), 0) AS missing,
           coalesce(try_cast(failedcount AS integer), 0) AS failed,
           coalesce(try_cast(installedpendingrebootcount AS integer), 0) AS pending_reboot
    FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_patchsummary"
) AS nodes
GROUP BY 1, baselineid
ORDER BY patch_group, baseline_id
