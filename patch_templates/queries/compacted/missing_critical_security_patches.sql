-- Missing or failed patches that are critical (compliance severity CRITICAL) or security updates
-- (classification SecurityUpdates on Windows, Security on Linux), per active node, on the newest day
-- of the daily exposure snapshot; each patch is listed with its state.
SELECT account_id,
       region,
       node_id AS instance_id,
       instance_status,
       count_if(upper(severity) = 'CRITICAL') AS critical_patches,
       count_if(classification IN ('SecurityUpdates', 'Security')) AS security_patches,
       count_if(patch_state = 'Failed') AS failed_patches,
       array_join(array_agg(patch_id || ' (' || patch_state || ')' ORDER BY patch_id), ', ') AS patches
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_exposure_snapshot"
WHERE snapshot_date IN (SELECT max(snapshot_date) FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_exposure_snapshot")
  AND (upper(severity) = 'CRITICAL' OR classification IN ('SecurityUpdates', 'Security'))
GROUP BY account_id, region, node_id, instance_status
ORDER BY account_id, region, instance_id
