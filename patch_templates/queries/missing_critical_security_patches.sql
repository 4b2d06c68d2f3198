-- Missing patches that are critical (compliance severity CRITICAL) or security updates
-- (classification SecurityUpdates on Windows, Security on Linux), per instance.
SELECT accountid AS account_id,
       region,
       resourceid AS instance_id,
       count_if(upper(severity) = 'CRITICAL') AS missing_critical,
       count_if(classification IN ('SecurityUpdates', 'Security')) AS missing_security,
       array_join(array_agg(id ORDER BY id), ', ') AS patches
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_complianceitem"
WHERE compliancetype = 'Patch'
  AND patchstate = 'Missing'
  AND (upper(severity) = 'CRITICAL' OR classification IN ('SecurityUpdates', 'Security'))
GROUP BY accountid, region, resourceid
ORDER BY account_id, region, instance_id
