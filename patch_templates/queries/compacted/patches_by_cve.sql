-- Missing and failed patches by CVE on the newest day of the daily exposure snapshot: the highest
-- severity reported for it, the active nodes and accounts exposed, the patch states, and the days
-- since the earliest scan still reporting it (the sync keeps each node's last scan only, so this is
-- a lower bound of the exposure's age; patch_episodes has the first day seen).
SELECT cve.cve_id,
       min_by(severity, CASE upper(severity) WHEN 'CRITICAL' THEN 1 WHEN 'HIGH' THEN 2 WHEN 'IMPORTANT' THEN 2
                                             WHEN 'MEDIUM' THEN 3 WHEN 'MODERATE' THEN 3 WHEN 'LOW' THEN 4
                                             ELSE 5 END) AS severity,
       count(DISTINCT node_id) AS affected_nodes,
       count(DISTINCT account_id) AS affected_accounts,
       count(DISTINCT CASE WHEN patch_state = 'Failed' THEN node_id END) AS failed_nodes,
       array_join(array_sort(array_distinct(array_agg(patch_id))), ', ') AS patches,
       min(scan_time) AS earliest_scan,
       date_diff('day', min(scan_time), current_timestamp) AS days_exposed
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_exposure_snapshot"
CROSS JOIN UNNEST(cve_ids) AS cve (cve_id)
WHERE snapshot_date IN (SELECT max(snapshot_date) FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_exposure_snapshot")
GROUP BY cve.cve_id
ORDER BY affected_nodes DESC, cve_id
