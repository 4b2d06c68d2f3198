-- Active nodes that patching does not reach, per account, with the reason:
-- * never scanned: no patch scan or install has ever reported (no AWS:PatchSummary, or no time in it);
-- * not an EC2 instance: a hybrid node (its id starts mi-, not i-). The members' default window target,
--   every EC2 instance of the account-Region (resource-groups:ResourceTypeFilters AWS::EC2::Instance),
--   never installs on it, although the daily scan (InstanceIds *) reports it. With a tag target
--   (pTargetsKey=tag:...) it is patched when it carries the tag; the report cannot see the tags.
SELECT account_id,
       region,
       node_id AS instance_id,
       computer_name,
       platform_name,
       instance_status,
       CASE WHEN last_scan_time IS NULL THEN 'never scanned' ELSE 'not an EC2 instance' END AS reason
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_nodes"
WHERE last_scan_time IS NULL
   OR node_id NOT LIKE 'i-%'
ORDER BY account_id, region, instance_id
