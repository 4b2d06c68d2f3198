-- Missing and failed patches of active nodes on the newest day of the daily exposure snapshot, one
-- row per node, patch and CVE id (null when none).
SELECT account_id, region, node_id, computer_name, patch_group, patch_id, title, classification,
       severity, patch_state, cve.cve_id
FROM (
    SELECT *
    FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_exposure_snapshot"
    WHERE snapshot_date IN (SELECT max(snapshot_date) FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_exposure_snapshot")
) AS newest
LEFT JOIN UNNEST(cve_ids) AS cve (cve_id) ON true
ORDER BY account_id, region, node_id, patch_id, cve_id
