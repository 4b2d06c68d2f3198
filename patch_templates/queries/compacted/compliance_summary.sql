-- Patch compliance per account and Region, over the active nodes of the newest daily compliance
-- snapshot (the <prefix>_nodes view defines active and compliant). flagged_instances: Stopped or
-- ConnectionLost nodes, counted in.
SELECT account_id,
       region,
       count(*) AS instances,
       count_if(compliant) AS compliant_instances,
       count_if(NOT compliant) AS noncompliant_instances,
       round(100.0 * count_if(compliant) / count(*), 1) AS compliance_percent,
       count_if(instance_status IN ('Stopped', 'ConnectionLost')) AS flagged_instances
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot"
WHERE snapshot_date IN (SELECT max(snapshot_date) FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot")
GROUP BY account_id, region
ORDER BY account_id, region
