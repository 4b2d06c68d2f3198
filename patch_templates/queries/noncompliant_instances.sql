-- Non-compliant instances with their missing, failed and installed-pending-reboot counts.
SELECT p.accountid AS account_id,
       p.region,
       p.resourceid AS instance_id,
       i.computername AS computer_name,
       p.patchgroup AS patch_group,
       coalesce(try_cast(p.missingcount AS integer), 0) AS missing,
       coalesce(try_cast(p.failedcount AS integer), 0) AS failed,
       coalesce(try_cast(p.installedpendingrebootcount AS integer), 0) AS pending_reboot
FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_patchsummary" AS p
LEFT JOIN "${pCFNDatabaseName}"."${pCFNTablePrefixName}_instanceinformation" AS i
    ON i.accountid = p.accountid AND i.region = p.region AND i.resourceid = p.resourceid
WHERE coalesce(try_cast(p.missingcount AS integer), 0) > 0
   OR coalesce(try_cast(p.failedcount AS integer), 0) > 0
   OR coalesce(try_cast(p.installedpendingrebootcount AS integer), 0) > 0
ORDER BY account_id, region, instance_id
