-- Overdue now: each missing or failed patch of an active node open longer than its compliance
-- severity's SLA (the <prefix>_patch_episodes view), with its details from the newest exposure
-- snapshot, most overdue first.
SELECT e.account_id,
       e.region,
       e.node_id AS instance_id,
       x.computer_name,
       e.patch_id,
       x.title,
       x.classification,
       e.severity,
       x.patch_state,
       array_join(x.cve_ids, ', ') AS cve_ids,
       e.first_seen,
       e.days_open,
       e.sla_days,
       e.days_open - e.sla_days AS days_overdue
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_patch_episodes" AS e
JOIN "${pCFNDatabaseName}"."${pCFNTablePrefixName}_exposure_snapshot" AS x
    ON x.account_id = e.account_id AND x.region = e.region AND x.node_id = e.node_id AND x.patch_id = e.patch_id
   AND x.snapshot_date = e.last_seen
-- open: last seen on the newest compliance snapshot, the one exposure day to read
WHERE x.snapshot_date IN (SELECT max(snapshot_date) FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot")
  AND e.status = 'open' AND e.overdue
ORDER BY days_overdue DESC, account_id, region, instance_id, patch_id
