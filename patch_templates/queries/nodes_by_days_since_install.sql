-- Active nodes by days since their last successful patch install (the newest InstalledTime of an
-- installed patch), longest first; nodes with none known come first.
SELECT account_id,
       region,
       node_id AS instance_id,
       computer_name,
       instance_status,
       last_install_time,
       date_diff('day', try(from_iso8601_timestamp(last_install_time)), current_timestamp) AS days_since_install
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_nodes"
ORDER BY days_since_install DESC NULLS FIRST, account_id, region, instance_id
