-- Missing and failed patches of active nodes, one row per node, patch and CVE id (null when none).
SELECT account_id, region, node_id, computer_name, patch_group, patch_id, title, classification,
       severity, patch_state, cve_id
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_patch_exposure"
ORDER BY account_id, region, node_id, patch_id, cve_id
