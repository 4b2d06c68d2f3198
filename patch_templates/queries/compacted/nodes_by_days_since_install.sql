-- Active nodes of the newest daily compliance snapshot by days since their last successful patch
-- install (the newest InstalledTime of an installed patch), longest first; nodes with none known
-- come first.
SELECT account_id,
       region,
       node_id AS instance_id,
       computer_name,
       instance_status,
       last_install_time,
       date_diff('day', last_install_time, current_timestamp) AS days_since_install
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot"
WHERE snapshot_date IN (SELECT max(snapshot_date) FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot")
ORDER BY days_since_install DESC NULLS FIRST, account_id, region, instance_id
