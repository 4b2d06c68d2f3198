-- Patch compliance per account and Region. A node is compliant when it has no missing, no
-- failed and no installed-but-pending-reboot patches. Inventory values are strings.
SELECT accountid AS account_id,
       region,
       count(*) AS instances,
       count_if(compliant) AS compliant_instances,
       count_if(NOT compliant) AS noncompliant_instances,
       round(100.0 * count_if(compliant) / count(*), 1) AS compliance_percent
FROM (
    SELECT accountid,
           region,
           coalesce(try_cast(missingcount AS integer), 0) = 0
               AND coalesce(try_cast(failedcount AS integer), 0) = 0
               AND coalesce(try_cast(installedpendingrebootcount AS integer), 0) = 0 AS compliant
    FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_patchsummary"
) AS nodes
GROUP BY accountid, region
ORDER BY accountid, region
