-- Missing and failed patches by CVE: the highest severity reported for it, the active nodes and
-- accounts exposed, the patch states, and the days since the earliest scan still reporting it
-- (the sync keeps each node's last scan only, so this is a lower bound of the exposure's age).
SELECT cve_id,
       min_by(severity, CASE upper(severity) WHEN 'CRITICAL' THEN 1 WHEN 'HIGH' THEN 2 WHEN 'IMPORTANT' THEN 2
                                             WHEN 'MEDIUM' THEN 3 WHEN 'MODERATE' THEN 3 WHEN 'LOW' THEN 4
                                             ELSE 5 END) AS severity,
       count(DISTINCT node_id) AS affected_nodes,
       count(DISTINCT account_id) AS affected_accounts,
       count(DISTINCT CASE WHEN patch_state = 'Failed' THEN node_id END) AS failed_nodes,
       array_join(array_sort(array_distinct(array_agg(patch_id))), ', ') AS patches,
       min(scan_time) AS earliest_scan,
       date_diff('day', min(try(from_iso8601_timestamp(scan_time))), current_timestamp) AS days_exposed
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_patch_exposure"
WHERE cve_id IS NOT NULL
GROUP BY cve_id
ORDER BY affected_nodes DESC, cve_id
