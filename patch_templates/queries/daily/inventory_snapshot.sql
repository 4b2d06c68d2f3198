-- Every node the sync reported today, Terminated ones too (the inventory report lists them), into the
-- inventory snapshot. Run once a day; a second run on the same day adds nothing.
INSERT INTO "${pCFNDatabaseName}"."${pCFNTablePrefixName}_inventory_snapshot"
SELECT accountid AS account_id,
       region,
       resourceid AS node_id,
       computername AS computer_name,
       platformtype AS platform_type,
       platformname AS platform_name,
       platformversion AS platform_version,
       agentversion AS agent_version,
       instancestatus AS instance_status,
       instanceresourcetype AS resource_type,
       current_date AS snapshot_date
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_instanceinformation"
WHERE NOT EXISTS (SELECT 1 FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_inventory_snapshot"
                  WHERE snapshot_date = current_date)
