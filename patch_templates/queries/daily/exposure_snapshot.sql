-- Today's missing and failed patches into the exposure snapshot: one row per active node and patch
-- from the patch_exposure view, its CVE ids gathered into an array (null when none). Run once a day,
-- before the compliance snapshot; a second run on the same day adds nothing. Compliance items carry
-- no release date, so release_date stays null. Times are UTC.
INSERT INTO "${pCFNDatabaseName}"."${pCFNTablePrefixName}_exposure_snapshot"
SELECT account_id, region, node_id, computer_name, instance_status, patch_group, patch_id, title, classification,
       severity, patch_state,
       array_agg(cve_id ORDER BY cve_id) FILTER (WHERE cve_id IS NOT NULL) AS cve_ids,
       CAST(try(from_iso8601_timestamp(scan_time)) AS timestamp) AS scan_time,
       CAST(NULL AS date) AS release_date,
       current_date AS snapshot_date
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_patch_exposure"
WHERE NOT EXISTS (SELECT 1 FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_exposure_snapshot"
                  WHERE snapshot_date = current_date)
GROUP BY account_id, region, node_id, computer_name, instance_status, patch_group, patch_id, title, classification,
         severity, patch_state, scan_time
