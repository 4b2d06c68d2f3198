-- Active nodes that patching does not reach, per account, with the reason:
-- * never scanned: no patch scan or install has ever reported (no AWS:PatchSummary, or no time in it);
-- * no patch group: scanned, but in no patch group (no Patch Group tag at its last scan), so a
--   maintenance window that targets patch groups (the members' default target, tag:Patch Group)
--   never installs on it, and it is compared with the default baseline only.
SELECT account_id,
       region,
       node_id AS instance_id,
       computer_name,
       platform_name,
       instance_status,
       CASE WHEN last_scan_time IS NULL THEN 'never scanned' ELSE 'no patch group' END AS reason
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_nodes"
WHERE last_scan_time IS NULL
   OR coalesce(patch_group, '') = ''
ORDER BY account_id, region, instance_id
