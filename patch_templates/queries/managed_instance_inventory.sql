-- Every managed instance: platform, SSM Agent version and status.
SELECT accountid AS account_id,
       region,
       resourceid AS instance_id,
       computername AS computer_name,
       platformtype AS platform_type,
       platformname AS platform_name,
       platformversion AS platform_version,
       agentversion AS agent_version,
       instancestatus AS instance_status,
       instanceresourcetype AS resource_type
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_instanceinformation"
ORDER BY account_id, region, instance_id
