-- Every managed instance the sync reported, Terminated ones too, on the newest day of the daily
-- inventory snapshot: platform, SSM Agent version and status.
SELECT account_id,
       region,
       node_id AS instance_id,
       computer_name,
       platform_type,
       platform_name,
       platform_version,
       agent_version,
       instance_status,
       resource_type
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_inventory_snapshot"
WHERE snapshot_date IN (SELECT max(snapshot_date) FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_inventory_snapshot")
ORDER BY account_id, region, instance_id
