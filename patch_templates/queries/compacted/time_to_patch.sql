-- Days to patch per month of the fix and compliance severity, from the daily history (the
-- <prefix>_patch_episodes view): the node-patches fixed, the median and 90th percentile of their days
-- from first seen missing to fixed (nearest rank: the smallest value with at least half, or nine
-- tenths, of them at or below it), and the percentage fixed within the severity's SLA.
SELECT month,
       severity,
       count(*) AS fixed_node_patches,
       min(CASE WHEN ordinal >= 0.5 * fixed THEN days_open END) AS median_days,
       min(CASE WHEN ordinal >= 0.9 * fixed THEN days_open END) AS p90_days,
       round(100.0 * count_if(NOT overdue) / count(*), 1) AS within_sla_percent
FROM (
    SELECT date_trunc('month', fixed_date) AS month,
           severity,
           days_open,
           overdue,
           row_number() OVER (PARTITION BY date_trunc('month', fixed_date), severity ORDER BY days_open) AS ordinal,
           count(*) OVER (PARTITION BY date_trunc('month', fixed_date), severity) AS fixed
    FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_patch_episodes"
    WHERE status = 'fixed'
) AS fixes
GROUP BY month, severity
ORDER BY month, severity
