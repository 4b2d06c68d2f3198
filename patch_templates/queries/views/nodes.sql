-- The fleet, defined once (Glue view <prefix>_nodes), read by every report, data set and the daily
-- snapshot. One row per active node:
-- * active: every node the sync reported (AWS:InstanceInformation) except InstanceStatus Terminated,
--   whose files the sync keeps. Stopped and ConnectionLost nodes stay in (a stopped node is exposed
--   again when it starts); instance_status flags them.
-- * compliant: the node reported a patch summary with MissingCount = 0, FailedCount = 0 and
--   InstalledPendingRebootCount = 0. A node that never reported one is not compliant.
-- Inventory values are strings; times stay ISO 8601 text.
SELECT *,
       reported AND missing_count = 0 AND failed_count = 0 AND installed_pending_reboot_count = 0 AS compliant
FROM (
    SELECT i.accountid AS account_id,
           i.region,
           i.resourceid AS node_id,
           i.computername AS computer_name,
           i.platformname AS platform_name,
           i.platformtype AS platform_type,
           i.instancestatus AS instance_status,
           p.patchgroup AS patch_group,
           p.baselineid AS baseline_id,
           p.resourceid IS NOT NULL AS reported,
           coalesce(try_cast(p.missingcount AS integer), 0) AS missing_count,
           coalesce(try_cast(p.failedcount AS integer), 0) AS failed_count,
           coalesce(try_cast(p.installedpendingrebootcount AS integer), 0) AS installed_pending_reboot_count,
           coalesce(try_cast(p.criticalnoncompliantcount AS integer), 0) AS critical_noncompliant_count,
           coalesce(try_cast(p.securitynoncompliantcount AS integer), 0) AS security_noncompliant_count,
           nullif(p.operationendtime, '') AS last_scan_time,
           c.last_install_time
    FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_instanceinformation" AS i
    LEFT JOIN "${pCFNDatabaseName}"."${pCFNTablePrefixName}_patchsummary" AS p
        ON p.accountid = i.accountid AND p.region = i.region AND p.resourceid = i.resourceid
    -- last successful install: the newest InstalledTime of a patch in an installed state
    LEFT JOIN (
        SELECT accountid, region, resourceid, max(installedtime) AS last_install_time
        FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_complianceitem"
        WHERE compliancetype = 'Patch' AND installedtime <> ''
          AND patchstate IN ('Installed', 'InstalledOther', 'InstalledPendingReboot')
        GROUP BY accountid, region, resourceid
    ) AS c
        ON c.accountid = i.accountid AND c.region = i.region AND c.resourceid = i.resourceid
    WHERE coalesce(i.instancestatus, '') <> 'Terminated'
) AS nodes
