-- Time to patch, defined once (Glue view <prefix>_patch_episodes): one row per episode of a node and
-- patch in the daily history. The patch is missing on a day when that day's exposure snapshot lists
-- it (Missing or Failed, as the patch_exposure view defines). Only the days on which the node is in
-- the compliance snapshot count: a day without snapshots, or without the node, neither ends nor
-- breaks an episode. A patch missing again after a fix opens a new episode.
-- * first_seen: the first day of the episode, a lower bound of the exposure (compliance items carry
--   no release date); last_seen: the last day it was missing.
-- * fixed_date: the node's next snapshot without the patch.
-- * status: fixed; open (missing on the newest snapshot); unreported (the node left the snapshots,
--   terminated or no longer synced: not fixed).
-- * days_open: from first_seen to fixed_date, to today when open, to last_seen when unreported.
-- * severity: the compliance severity on last_seen; sla_days: its SLA (LOW's also for INFORMATIONAL
--   and UNSPECIFIED); overdue: open or fixed after more days than that.
-- It reads the keys and severity of the history only: the patch's other columns are in the exposure
-- snapshot of last_seen.
SELECT account_id, region, node_id, patch_id, severity, first_seen, last_seen, fixed_date, status, days_open,
       sla_days, days_open > sla_days AS overdue
FROM (
    SELECT account_id, region, node_id, patch_id, severity, first_seen, last_seen, fixed_date, status,
           date_diff('day', first_seen, CASE status WHEN 'fixed' THEN fixed_date
                                                    WHEN 'open' THEN current_date
                                                    ELSE last_seen END) AS days_open,
           CASE upper(severity) WHEN 'CRITICAL' THEN ${pSlaCriticalDays} WHEN 'HIGH' THEN ${pSlaHighDays}
                                WHEN 'MEDIUM' THEN ${pSlaMediumDays} ELSE ${pSlaLowDays} END AS sla_days
    FROM (
        -- the last day of each episode, with the node's next snapshot after it
        SELECT *,
               next_day AS fixed_date,
               CAST(CASE WHEN next_day IS NOT NULL THEN 'fixed'
                         WHEN last_seen = (SELECT max(snapshot_date)
                                           FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot")
                         THEN 'open'
                         ELSE 'unreported' END AS varchar) AS status
        FROM (
            SELECT *,
                   min(snapshot_date) OVER (PARTITION BY account_id, region, node_id, patch_id, episode) AS first_seen,
                   max(snapshot_date) OVER (PARTITION BY account_id, region, node_id, patch_id, episode) AS last_seen
            FROM (
                -- a day starts an episode unless the patch was missing on the node's previous snapshot
                SELECT *,
                       sum(CASE WHEN previous_missing = previous_day THEN 0 ELSE 1 END)
                           OVER (PARTITION BY account_id, region, node_id, patch_id ORDER BY snapshot_date
                                 ROWS UNBOUNDED PRECEDING) AS episode
                FROM (
                    SELECT e.account_id, e.region, e.node_id, e.patch_id, e.severity, e.snapshot_date,
                           d.previous_day, d.next_day,
                           lag(e.snapshot_date) OVER (PARTITION BY e.account_id, e.region, e.node_id, e.patch_id
                                                      ORDER BY e.snapshot_date) AS previous_missing
                    FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_exposure_snapshot" AS e
                    JOIN (
                        SELECT account_id, region, node_id, snapshot_date,
                               lag(snapshot_date) OVER (PARTITION BY account_id, region, node_id
                                                        ORDER BY snapshot_date) AS previous_day,
                               lead(snapshot_date) OVER (PARTITION BY account_id, region, node_id
                                                         ORDER BY snapshot_date) AS next_day
                        FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_compliance_snapshot"
                    ) AS d
                        ON d.account_id = e.account_id AND d.region = e.region AND d.node_id = e.node_id
                       AND d.snapshot_date = e.snapshot_date
                ) AS missing
            ) AS numbered
        ) AS episodes
        WHERE snapshot_date = last_seen
    ) AS last_days
) AS scored
