"""Collector account: Glue database and tables over the synced inventory, a crawler that keeps
their partitions current (started at deploy by a custom resource), an Athena workgroup with the
report queries (design step 4; QuickSight is quicksight_dashboard.py, step 5)."""

import json
from pathlib import Path

from awacs import athena as athena_actions, glue as glue_actions, kms, logs as logs_actions, s3 as s3_actions
from awacs.aws import Allow, Condition, PolicyDocument, Principal, Statement, StringEquals
from awacs.sts import AssumeRole
from troposphere import (
    AWSObject, Base64, Export, GetAtt, If, Join, NoValue, Output, Ref, Sub, Template,
    athena, awslambda, glue, iam, logs, s3, scheduler,
)

from .. import parameters as p, policies
from ..common import checkov_skip, inline_code, private_bucket

FILE = "consolidated_billing_s3_glue_crawler_athena.yaml"
PACKAGE = Path(__file__).resolve().parent.parent
INITIALIZER = PACKAGE / "lambdas" / "consolidated_billing_crawler_initializer.py"
QUERIES = PACKAGE / "queries"

# Inventory types the reports need -> their fields (Systems Manager user guide, "Metadata
# collected by inventory"). Every record also has resourceId, captureTime and schemaVersion.
# Inventory values are string maps (PutInventory Content), so every column is a string and the
# SQL casts counts. Glue keeps column names in lower case; the JSON SerDe matches keys ignoring case.
INVENTORY_TYPES = {
    "InstanceInformation": ["AgentType", "AgentVersion", "ComputerName", "InstanceId", "IpAddress",
                            "PlatformName", "PlatformType", "PlatformVersion", "InstanceStatus"],
    "PatchSummary": ["PatchGroup", "BaselineId", "SnapshotId", "OwnerInformation", "InstalledCount",
                     "InstalledPendingRebootCount", "InstalledOtherCount", "InstalledRejectedCount",
                     "NotApplicableCount", "UnreportedNotApplicableCount", "MissingCount", "FailedCount",
                     "OperationType", "OperationStartTime", "OperationEndTime", "RebootOption",
                     "LastNoRebootInstallOperationTime", "CriticalNonCompliantCount",
                     "SecurityNonCompliantCount", "OtherNonCompliantCount"],
    "ComplianceItem": ["ComplianceType", "ExecutionId", "ExecutionType", "ExecutionTime", "Id", "Title",
                       "Status", "Severity", "DocumentName", "DocumentVersion", "Classification",
                       "PatchBaselineId", "PatchSeverity", "PatchState", "PatchGroup", "InstalledTime",
                       "CVEIds"],
    "ComplianceSummary": ["ComplianceType", "PatchGroup", "PatchBaselineId", "Status", "OverallSeverity",
                          *(f"{state}{level}Count" for state in ("Compliant", "NonCompliant")
                            for level in ("Critical", "High", "Medium", "Low", "Informational",
                                          "Unspecified"))],
    "Tag": ["Key", "Value"],
    "Application": ["Name", "ApplicationType", "Publisher", "Version", "InstalledTime", "Architecture",
                    "URL", "Summary", "PackageId", "Release", "Epoch"],
}
COMMON_FIELDS = ["resourceId", "captureTime", "schemaVersion"]
PARTITION_KEYS = ["accountid", "region", "resourcetype"]
# InstanceInformation records carry a ResourceType field (EC2Instance, ManagedInstance) that
# collides with the resourcetype partition key, the column that breaks crawler-made tables.
# The SerDe maps it to a column of another name instead.
RENAMED_FIELDS = {"InstanceInformation": {"instanceresourcetype": "resourcetype"}}
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"

# Report file (queries/<name>.sql) -> description of its named query.
REPORTS = {
    "compliance_summary": "Patch compliance per account and Region",
    "noncompliant_instances": "Non-compliant instances with missing, failed and pending-reboot counts",
    "missing_critical_security_patches": "Missing or failed critical and security patches by instance",
    "stale_patch_scans": "Instances whose last patch scan is older than pStaleScanDays days",
    "compliance_by_patch_group": "Compliance by patch group and patch baseline",
    "managed_instance_inventory": "Managed instance inventory: platform, agent version, status",
    "patch_exposure": "Missing and failed patches by instance, patch and CVE",
    "patches_by_cve": "Missing and failed patches by CVE: severity, nodes, accounts, days exposed",
    "nodes_by_days_since_install": "Instances by days since their last successful patch install",
    "compliance_trend": "Compliance % per day per account and for the organization",
}
# queries/<name>.sql that the daily schedule runs (the schedule holds it, no named query)
SNAPSHOT_REPORT = "compliance_snapshot"
# The fleet and its exposure, each defined once as a Glue view (queries/views/<name>.sql) that
# every report reads: view -> its columns with their Athena (Trino) types, which must be exactly
# what the SQL returns or Athena calls the view stale.
VIEWS = {
    "nodes": {**dict.fromkeys(["account_id", "region", "node_id", "computer_name", "platform_name",
                               "platform_type", "instance_status", "patch_group", "baseline_id"], "varchar"),
              "reported": "boolean",
              **dict.fromkeys(["missing_count", "failed_count", "installed_pending_reboot_count",
                               "critical_noncompliant_count", "security_noncompliant_count"], "integer"),
              "last_scan_time": "varchar", "last_install_time": "varchar", "compliant": "boolean"},
    "patch_exposure": dict.fromkeys(["account_id", "region", "node_id", "computer_name", "instance_status",
                                     "patch_group", "patch_id", "title", "classification", "severity",
                                     "patch_state", "cve_id", "scan_time"], "varchar"),
}
HIVE_TYPES = {"varchar": "string", "integer": "int", "boolean": "boolean"}
# The daily compliance snapshot (Parquet, one partition per day): its columns and Hive types.
SNAPSHOT_COLUMNS = {
    **dict.fromkeys(["account_id", "region", "node_id", "computer_name", "platform_name", "platform_type",
                     "instance_status", "patch_group", "baseline_id"], "string"),
    "compliant": "boolean",
    **dict.fromkeys(["missing_count", "failed_count", "installed_pending_reboot_count",
                     "critical_noncompliant_count", "security_noncompliant_count"], "int"),
    "last_scan_time": "timestamp", "last_install_time": "timestamp",
}
SNAPSHOT_FOLDER = "compliance-snapshot/"
RESULTS_FOLDER = "results/"
PARQUET = "org.apache.hadoop.hive.ql.io.parquet."
NAMES_GROUP = "Glue database, tables and crawler"
ATHENA_GROUP = "Athena"

def table_name(type_name: str) -> str:
    """Glue table name of an inventory type, as the SQL spells it: <prefix>_<type in lower case>."""
    return "${pCFNTablePrefixName}_" + type_name.lower()


def report_sql(name: str, folder: Path = QUERIES) -> str:
    """A query as the template holds it (a template holds at most 51,200 bytes): without its
    comment lines and indentation; the file documents it."""
    lines = (line.strip() for line in (folder / f"{name}.sql").read_text().splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("--")) + "\n"


def glue_view(t: Template, database, name: str) -> glue.Table:
    """An Athena view as a Glue table: Athena keeps a view's SQL and column types base64-encoded
    in ViewOriginalText (the layout iconara/terraform-aws-athena-view writes)."""
    columns = VIEWS[name]
    # a view's SQL is stored, not read: one line (Trino's SQL has no significant white space)
    sql = " ".join(report_sql(name, QUERIES / "views").split())
    assert "--" not in sql, f"views/{name}.sql: a comment after code would swallow the rest of the line"
    presto_view = json.dumps({"originalSql": sql, "catalog": "awsdatacatalog",
                              "schema": "${pCFNDatabaseName}",
                              "columns": [{"name": c, "type": kind} for c, kind in columns.items()]},
                             separators=(",", ":"))
    return catalog_table(
        t, f"View{camel(name)}", database, name, f"Athena view from queries/views/{name}.sql",
        TableType="VIRTUAL_VIEW",
        Parameters={"presto_view": "true", "comment": "Presto View"},
        ViewOriginalText=Join("", ["/* Presto View: ", Base64(Sub(presto_view)), " */"]),
        ViewExpandedText="/* Presto View */",
        StorageDescriptor=glue.StorageDescriptor(
            Columns=[glue.Column(Name=c, Type=HIVE_TYPES[kind]) for c, kind in columns.items()],
            SerdeInfo=glue.SerdeInfo()),
    )


def catalog_table(t: Template, title: str, database, name: str, description: str, **table_input) -> glue.Table:
    """A table (or view) <prefix>_<name> of the stack's Glue database."""
    return t.add_resource(glue.Table(
        title,
        CatalogId=Ref("AWS::AccountId"),
        DatabaseName=Ref(database),
        TableInput=glue.TableInput(Name=Sub(table_name(name)), Description=description, **table_input),
    ))


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def glue_table(t: Template, database, type_name: str) -> glue.Table:
    renamed = RENAMED_FIELDS.get(type_name, {})
    columns = [*(field.lower() for field in INVENTORY_TYPES[type_name] + COMMON_FIELDS), *renamed]
    assert not set(columns) & set(PARTITION_KEYS), type_name
    return catalog_table(
        t, f"Table{type_name}", database, type_name, f"AWS:{type_name} inventory from resource data sync",
        TableType="EXTERNAL_TABLE",
        Parameters={"classification": "json", "EXTERNAL": "TRUE"},
        PartitionKeys=[glue.Column(Name=key, Type="string") for key in PARTITION_KEYS],
        StorageDescriptor=glue.StorageDescriptor(
            Columns=[glue.Column(Name=column, Type="string") for column in columns],
            Location=Sub(f"s3://${{pBucketName}}/AWS:{type_name}/"),
            InputFormat="org.apache.hadoop.mapred.TextInputFormat",
            OutputFormat="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            SerdeInfo=glue.SerdeInfo(
                SerializationLibrary=JSON_SERDE,
                Parameters={f"mapping.{column}": key for column, key in renamed.items()} or NoValue,
            ),
        ),
    )


def build() -> Template:
    t = Template(Description=(
        "Collector account: Glue database, tables and crawler over the resource data sync bucket, a "
        "custom resource that starts the crawler, an Athena workgroup with patch compliance report "
        "queries."))

    crawler_name = p.add(t, "pCFNCrawlerName", NAMES_GROUP, "Crawler name", Default="patching-crawler",
                         Description="Name of the Glue crawler that adds new partitions to the tables.",
                         **p.GLUE_CRAWLER_NAME)
    database_name = p.add(t, "pCFNDatabaseName", NAMES_GROUP, "Database name", Default="patching-database",
                          Description="Name of the Glue (Athena) database.", **p.GLUE_DATABASE_NAME)
    p.add(t, "pCFNTablePrefixName", NAMES_GROUP, "Table name prefix", Default="patching",
          Description="Prefix of the table names: <prefix>_patchsummary, <prefix>_instanceinformation, ...",
          **p.GLUE_TABLE_PREFIX)
    bucket_and_prefix = p.add(t, "pBucketName", NAMES_GROUP, "Bucket name with folder name",
                              Description="The resource data sync bucket and prefix, as <bucketname>/<foldername> "
                                          "(the collector stack's pResourceDataSyncBucketName and pBucketPrefix).",
                              **p.BUCKET_AND_PREFIX)
    schedule = p.add(t, "pCrawlerSchedule", NAMES_GROUP, "Crawler schedule", Default="cron(0 2 * * ? *)",
                     Description="When the crawler looks for new partitions (new accounts and Regions), "
                                 "as a cron expression in UTC.",
                     **p.CRON_SCHEDULE)
    kms_key = p.add(t, "pKMSKeyArn", NAMES_GROUP, "KMS key ARN (optional)", Default="",
                    Description="The KMS key of the sync bucket, if any: the crawler and QuickSight may "
                                "decrypt with it, and Athena encrypts its results with it.",
                    **p.optional(p.KMS_KEY_ARN))
    workgroup_name = p.add(t, "pAthenaWorkGroupName", ATHENA_GROUP, "Workgroup name", Default="patching",
                           Description="Name of the Athena workgroup for the reports.", **p.ATHENA_WORKGROUP_NAME)
    # Athena API reference, BytesScannedCutoffValue: at least 10,000,000 bytes.
    cutoff = p.add(t, "pBytesScannedCutoffPerQuery", ATHENA_GROUP, "Bytes scanned limit per query",
                   Default=1073741824, Type="Number", MinValue=10000000, MaxValue=1099511627776,
                   Description="Athena cancels a query of this workgroup that scans more bytes than this.",
                   ConstraintDescription="must be a whole number of bytes from 10000000 (10 MB) to "
                                         "1099511627776 (1 TiB)")
    results_days = p.add(t, "pAthenaResultsExpirationDays", ATHENA_GROUP, "Days to keep query results",
                         Default=30, Description="Days after which Athena query results are deleted.",
                         **p.days())
    log_bucket = p.add(t, "pAccessLogBucketName", ATHENA_GROUP, "Access log bucket (optional)", Default="",
                       Description="Existing bucket for S3 server access logs of the results bucket; "
                                   "empty for none.",
                       **p.optional(p.BUCKET_NAME))
    p.add(t, "pStaleScanDays", ATHENA_GROUP, "Days after which a scan is stale", Default=7,
          Description="The stale scan report lists instances whose last patch scan is older than this.",
          **p.days(1, 365))
    snapshot_schedule = p.add(t, "pSnapshotSchedule", ATHENA_GROUP, "Daily compliance snapshot at",
                              Default="cron(0 4 * * ? *)",
                              Description="When Athena writes the day's compliance snapshot, as a cron "
                                          "expression in UTC (after the crawler's run).",
                              **p.CRON_SCHEDULE)
    retention_days = p.add(t, "pSnapshotRetentionDays", ATHENA_GROUP, "Days to keep compliance snapshots",
                           Default=730, Description="Days after which a daily compliance snapshot is deleted.",
                           **p.days())
    has_kms_key = p.has_value(t, kms_key)

    def decrypt_statement(*actions, sid="DecryptWithSyncKey"):
        return If(has_kms_key, policies.decrypt_statement(kms_key, *actions, sid=sid), NoValue)

    # Glue Data Catalog -----------------------------------------------------------------------
    database = t.add_resource(glue.Database(
        "GlueDatabase",
        CatalogId=Ref("AWS::AccountId"),
        DatabaseInput=glue.DatabaseInput(Name=Ref(database_name),
                                         Description="Systems Manager inventory and patch compliance"),
    ))
    tables = [glue_table(t, database, type_name) for type_name in INVENTORY_TYPES]
    for view in VIEWS:
        glue_view(t, database, view)

    glue_arn = "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:"

    def glue_resources(tables: str) -> list:
        """The catalog, the database, and its tables named `tables` (a Glue ARN pattern)."""
        return [Sub(glue_arn + "catalog"), Sub(glue_arn + "database/${pCFNDatabaseName}"),
                Sub(glue_arn + "table/${pCFNDatabaseName}/" + tables)]

    # Who reads the synced inventory: the crawler, and Athena queries run by the snapshot schedule.
    read_sync_data = t.add_resource(iam.ManagedPolicy(
        "SyncDataReadPolicy",
        Description="Read the resource data sync objects under the stack's bucket prefix",
        PolicyDocument=policies.document(*policies.sync_read_statements(bucket_and_prefix), decrypt_statement(kms.Decrypt)),
    ))
    crawler_role = t.add_resource(iam.Role(
        "CrawlerRole",
        AssumeRolePolicyDocument=policies.service_assume_role("glue.amazonaws.com"),
        ManagedPolicyArns=[Ref(read_sync_data)],
        Policies=[iam.Policy(PolicyName="crawl-sync-bucket", PolicyDocument=policies.document(
            Statement(Sid="UpdatePartitions", Effect=Allow,
                      Action=[glue_actions.GetDatabase, glue_actions.GetTable, glue_actions.GetTables,
                              glue_actions.UpdateTable, glue_actions.GetPartition, glue_actions.GetPartitions,
                              glue_actions.BatchGetPartition, glue_actions.CreatePartition,
                              glue_actions.BatchCreatePartition, glue_actions.UpdatePartition,
                              glue_actions.BatchUpdatePartition],
                      Resource=glue_resources("${pCFNTablePrefixName}_*")),
            Statement(Sid="CrawlerLogs", Effect=Allow,
                      Action=[logs_actions.CreateLogGroup, logs_actions.CreateLogStream, logs_actions.PutLogEvents],
                      Resource=[Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:"
                                    "log-group:/aws-glue/crawlers:*")]),
        ))],
    ))
    crawler = t.add_resource(glue.Crawler(
        "Crawler",
        Metadata=checkov_skip(CKV_AWS_195="A security configuration encrypts job output, bookmarks and "
                                          "logs; this crawler writes only partitions to the catalog, and "
                                          "KMS-encrypted crawler logs would need a CloudWatch Logs grant in "
                                          "the key policy."),
        Name=Ref(crawler_name),
        Description="Adds new account, Region and resource type partitions to the inventory tables",
        Role=GetAtt(crawler_role, "Arn"),
        Schedule=glue.Schedule(ScheduleExpression=Ref(schedule)),
        # A catalog target never creates tables or changes their columns; it only adds partitions.
        # The sync's probe files (AWS:InstanceInformation/accountid=*/test.json) lie above the
        # partition depth, so they become neither a partition nor a column, and Athena reads only
        # partition folders.
        Targets=glue.Targets(CatalogTargets=[glue.CatalogTarget(
            DatabaseName=Ref(database), Tables=[Ref(table) for table in tables])]),
        SchemaChangePolicy=glue.SchemaChangePolicy(UpdateBehavior="LOG", DeleteBehavior="LOG"),
        Configuration='{"Version":1.0,"CrawlerOutput":{"Partitions":{"AddOrUpdateBehavior":"InheritFromTable"}}}',
    ))

    # Crawler initializer ----------------------------------------------------------------------
    initializer_logs = t.add_resource(logs.LogGroup(
        "CrawlerInitializerLogGroup",
        DeletionPolicy="Delete",  # start/answer lines of a helper, not report data
        UpdateReplacePolicy="Delete",
        Metadata=checkov_skip(CKV_AWS_158="Encrypted with pKMSKeyArn when one is given (its key policy must let "
                                          "CloudWatch Logs use it), else with an AWS owned key; checkov "
                                          "cannot evaluate the Fn::If that chooses."),
        LogGroupName=Sub("/aws/lambda/${AWS::StackName}-crawler-initializer"),
        KmsKeyId=If(has_kms_key, Ref(kms_key), NoValue),
        RetentionInDays=365,
    ))
    initializer_role = t.add_resource(iam.Role(
        "CrawlerInitializerRole",
        AssumeRolePolicyDocument=policies.service_assume_role("lambda.amazonaws.com"),
        Policies=[iam.Policy(PolicyName="start-crawler", PolicyDocument=PolicyDocument(
            Version=policies.POLICY_VERSION,
            Statement=[
                Statement(Sid="StartCrawler", Effect=Allow, Action=[glue_actions.StartCrawler],
                          Resource=[Sub(glue_arn + "crawler/${Crawler}")]),
                Statement(Sid="WriteLogs", Effect=Allow,
                          Action=[logs_actions.CreateLogStream, logs_actions.PutLogEvents],
                          Resource=[GetAtt(initializer_logs, "Arn")]),
            ]))],
    ))
    initializer = t.add_resource(awslambda.Function(
        "CrawlerInitializerFunction",
        Metadata=checkov_skip(
            CKV_AWS_115="Runs once per stack operation; reserving concurrency fails in accounts whose "
                        "unreserved concurrency is at its minimum.",
            CKV_AWS_116="Invoked synchronously by CloudFormation, which gets every error in the answer.",
            CKV_AWS_117="Calls only the Glue API; a VPC would need NAT or endpoints for no benefit.",
        ),
        Description="Starts the Glue crawler when the stack is created or updated",
        Runtime="python3.13",
        Handler="index.handler",
        Timeout=120,
        MemorySize=128,
        Role=GetAtt(initializer_role, "Arn"),
        LoggingConfig=awslambda.LoggingConfig(LogGroup=Ref(initializer_logs)),
        Code=awslambda.Code(ZipFile=inline_code(INITIALIZER)),
    ))
    # CloudFormation sends Update only when a property changes: naming the tables and the data
    # location here makes a change of either start the crawler again.
    t.add_resource(CustomResource(
        "CrawlerInitializer",
        ServiceToken=GetAtt(initializer, "Arn"),
        CrawlerName=Ref(crawler),
        Tables=[Ref(table) for table in tables],
        DataLocation=Sub("s3://${pBucketName}/"),
    ))

    # Athena ---------------------------------------------------------------------------------
    # Query results expire after pAthenaResultsExpirationDays, snapshots after their retention.
    results_bucket = private_bucket(t, "AthenaResultsBucket", kms_key, log_bucket, "athena-results/", [
        expiry_rule("ExpireQueryResults", RESULTS_FOLDER, Ref(results_days)),
        expiry_rule("ExpireComplianceSnapshots", SNAPSHOT_FOLDER, Ref(retention_days)),
    ], noncurrent_days=1, abort_upload_days=1)
    t.add_resource(s3.BucketPolicy(
        "AthenaResultsBucketPolicy",
        Bucket=Ref(results_bucket),
        PolicyDocument=policies.document(policies.deny_insecure_transport(GetAtt(results_bucket, "Arn"))),
    ))
    workgroup = t.add_resource(athena.WorkGroup(
        "AthenaWorkGroup",
        Name=Ref(workgroup_name),
        Description="Patch compliance reports",
        State="ENABLED",
        RecursiveDeleteOption=True,
        WorkGroupConfiguration=athena.WorkGroupConfiguration(
            EnforceWorkGroupConfiguration=True,
            PublishCloudWatchMetricsEnabled=True,
            BytesScannedCutoffPerQuery=Ref(cutoff),
            ResultConfiguration=athena.ResultConfiguration(
                OutputLocation=Sub("s3://${AthenaResultsBucket}/" + RESULTS_FOLDER),
                EncryptionConfiguration=athena.EncryptionConfiguration(
                    EncryptionOption=If(has_kms_key, "SSE_KMS", "SSE_S3"),
                    KmsKey=If(has_kms_key, Ref(kms_key), NoValue)),
            ),
        ),
    ))
    for name, description in REPORTS.items():
        t.add_resource(athena.NamedQuery(
            f"Query{camel(name)}",
            Name=description,
            Description=f"Patch report from queries/{name}.sql",
            Database=Ref(database),
            WorkGroup=Ref(workgroup),
            QueryString=Sub(report_sql(name)),
        ))

    # Daily compliance snapshot: Athena itself writes it (INSERT INTO a Parquet table, one partition
    # per day), started by EventBridge Scheduler's universal target, no Lambda. Athena INSERT INTO
    # writes Parquet and adds the new partition to the catalog (Athena user guide, "INSERT INTO").
    snapshot_table = catalog_table(
        t, "TableComplianceSnapshot", database, "compliance_snapshot",
        "Daily per-node patch compliance, written by the snapshot schedule",
        TableType="EXTERNAL_TABLE",
        Parameters={"classification": "parquet", "parquet.compression": "SNAPPY", "EXTERNAL": "TRUE"},
        PartitionKeys=[glue.Column(Name="snapshot_date", Type="date")],
        StorageDescriptor=glue.StorageDescriptor(
            Columns=[glue.Column(Name=c, Type=kind) for c, kind in SNAPSHOT_COLUMNS.items()],
            Location=Sub("s3://${AthenaResultsBucket}/" + SNAPSHOT_FOLDER),
            InputFormat=PARQUET + "MapredParquetInputFormat",
            OutputFormat=PARQUET + "MapredParquetOutputFormat",
            SerdeInfo=glue.SerdeInfo(SerializationLibrary=PARQUET + "serde.ParquetHiveSerDe"),
        ),
    )
    # Athena runs the query with the caller's permissions: this role's.
    snapshot_role = t.add_resource(iam.Role(
        "SnapshotSchedulerRole",
        ManagedPolicyArns=[Ref(read_sync_data)],
        AssumeRolePolicyDocument=PolicyDocument(Version=policies.POLICY_VERSION, Statement=[Statement(
            Effect=Allow, Principal=Principal("Service", "scheduler.amazonaws.com"), Action=[AssumeRole],
            Condition=Condition(StringEquals({"aws:SourceAccount": Ref("AWS::AccountId")})))]),
        Policies=[iam.Policy(PolicyName="write-compliance-snapshot", PolicyDocument=policies.document(
            Statement(Sid="StartSnapshotQuery", Effect=Allow, Action=[athena_actions.StartQueryExecution],
                      Resource=[Sub("arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:"
                                    "workgroup/${AthenaWorkGroup}")]),
            Statement(Sid="ReadCatalog", Effect=Allow,
                      Action=[glue_actions.GetDatabase, glue_actions.GetTable, glue_actions.GetPartition,
                              glue_actions.GetPartitions],
                      Resource=glue_resources("${pCFNTablePrefixName}_*")),
            Statement(Sid="AddSnapshotPartition", Effect=Allow,
                      Action=[glue_actions.CreatePartition, glue_actions.BatchCreatePartition],
                      Resource=glue_resources(table_name("compliance_snapshot"))),
            Statement(Sid="WriteResultsAndSnapshot", Effect=Allow,
                      Action=[s3_actions.GetObject, s3_actions.PutObject, s3_actions.AbortMultipartUpload,
                              s3_actions.ListMultipartUploadParts],
                      Resource=[policies.s3_arn(Ref(results_bucket), "/" + folder + "*")
                                for folder in (RESULTS_FOLDER, SNAPSHOT_FOLDER)]),
            Statement(Sid="ListResultsBucket", Effect=Allow,
                      Action=[s3_actions.ListBucket, s3_actions.GetBucketLocation],
                      Resource=[policies.s3_arn(Ref(results_bucket))]),
            decrypt_statement(kms.GenerateDataKey, sid="EncryptResultsWithKey"),
        ))],
    ))
    snapshot_request = {"QueryString": report_sql(SNAPSHOT_REPORT), "WorkGroup": "${AthenaWorkGroup}",
                        "QueryExecutionContext": {"Database": "${GlueDatabase}"}}
    t.add_resource(scheduler.Schedule(
        "ComplianceSnapshotSchedule",
        DependsOn=[snapshot_table.title],
        Description="Writes the day's patch compliance snapshot with Athena",
        ScheduleExpression=Ref(snapshot_schedule),
        ScheduleExpressionTimezone="UTC",
        FlexibleTimeWindow=scheduler.FlexibleTimeWindow(Mode="OFF"),
        State="ENABLED",
        Target=scheduler.Target(
            # universal target (EventBridge Scheduler user guide, "Using universal targets")
            Arn=Sub("arn:${AWS::Partition}:scheduler:::aws-sdk:athena:startQueryExecution"),
            RoleArn=GetAtt(snapshot_role, "Arn"),
            Input=Sub(json.dumps(snapshot_request)),
            RetryPolicy=scheduler.RetryPolicy(MaximumRetryAttempts=3, MaximumEventAgeInSeconds=3600),
        ),
    ))

    for name, description, value in [
        ("GlueDatabaseName", "Glue database of the inventory tables", Ref(database)),
        ("CrawlerName", "Glue crawler that adds partitions", Ref(crawler)),
        ("AthenaWorkGroupName", "Athena workgroup of the reports", Ref(workgroup)),
        ("AthenaResultsBucketName", "Bucket of the Athena query results", Ref(results_bucket)),
    ]:
        t.add_output(Output(name, Description=description, Value=value,
                            Export=Export(Sub("${AWS::StackName}-" + name))))
    return t


def expiry_rule(rule_id: str, folder: str, days) -> dict:
    """A lifecycle rule that expires the current objects under one folder after `days`."""
    return dict(Id=rule_id, Prefix=folder, ExpirationInDays=days)


class CustomResource(AWSObject):
    """The crawler initializer custom resource (Custom::CrawlerInitializer)."""
    resource_type = "Custom::CrawlerInitializer"
    props = {"ServiceToken": (object, True), "CrawlerName": (object, True), "Tables": (list, False),
             "DataLocation": (object, False)}
