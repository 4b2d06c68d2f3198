-- Exposure, defined once (Glue view <prefix>_patch_exposure): one row per active node, patch in
-- state Missing or Failed (a failed install is still an exposure) and CVE id (null when none).
SELECT n.account_id,
       n.region,
       n.node_id,
       n.computer_name,
       n.instance_status,
       n.patch_group,
       c.id AS patch_id,
       c.title,
       c.classification,
       c.severity,
       c.patchstate AS patch_state,
       nullif(trim(cve.cve_id), '') AS cve_id,
       nullif(c.executiontime, '') AS scan_time
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_nodes" AS n
JOIN "${pCFNDatabaseName}"."${pCFNTablePrefixName}_complianceitem" AS c
    ON c.accountid = n.account_id AND c.region = n.region AND c.resourceid = n.node_id
-- CVEIds is a comma-separated list; an empty one gives one row with a null cve_id
CROSS JOIN UNNEST(split(coalesce(c.cveids, ''), ',')) AS cve (cve_id)
WHERE c.compliancetype = 'Patch' AND c.patchstate IN ('Missing', 'Failed')
