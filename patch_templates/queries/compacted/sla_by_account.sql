-- Node-patches missing now, per account and compliance severity (the <prefix>_patch_episodes view):
-- how many, how many are open longer than the severity's SLA, and the oldest in days.
SELECT account_id,
       severity,
       sla_days,
       count(*) AS open_node_patches,
       count_if(overdue) AS overdue_node_patches,
       max(days_open) AS oldest_days_open
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_patch_episodes"
WHERE status = 'open'
GROUP BY account_id, severity, sla_days
ORDER BY overdue_node_patches DESC, account_id, severity
