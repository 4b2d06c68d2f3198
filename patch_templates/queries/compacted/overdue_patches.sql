-- Overdue now: each missing or failed patch of an active node open longer than its compliance
-- severity's SLA (the <prefix>_patch_episodes view), most overdue first.
SELECT account_id,
       region,
       node_id AS instance_id,
       computer_name,
       patch_id,
       title,
       classification,
       severity,
       patch_state,
       array_join(cve_ids, ', ') AS cve_ids,
       first_seen,
       days_open,
       sla_days,
       days_open - sla_days AS days_overdue
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_patch_episodes"
WHERE status = 'open' AND overdue
ORDER BY days_overdue DESC, account_id, region, instance_id, patch_id
