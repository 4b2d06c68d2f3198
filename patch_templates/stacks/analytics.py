"""Collector account (step 4): Glue database and tables over the synced inventory, a crawler that
keeps their partitions current (started at deploy by a custom resource), an Athena workgroup and
its results bucket. The reports, views and daily snapshot over these tables are
compliance_reports.py (step 5), QuickSight is quicksight_dashboard.py (step 6); both read this
stack through its exports and add_source_parameters()."""

from pathlib import Path

from awacs import glue as glue_actions, kms, logs as logs_actions
from awacs.aws import Allow, PolicyDocument, Statement
from troposphere import AWSObject, GetAtt, If, NoValue, Ref, Sub, Template, athena, glue, iam, logs, s3

from ..parts import parameters as p, policies
from ..parts.common import (
    add_exported_outputs,
    checkov_skip,
    custom_resource_settings,
    imported,
    inline_function,
    private_bucket,
)

FILE = "consolidated_billing_s3_glue_crawler_athena.yaml"
PACKAGE = Path(__file__).resolve().parent.parent
INITIALIZER = PACKAGE / "lambdas" / "consolidated_billing_crawler_initializer.py"
# The stack name the generated deploy command gives this template: the default of the
# pAnalyticsStackName parameter of the stacks that import its exports.
STACK = "consolidated-billing-s3-glue-crawler-athena"

# Inventory types the reports need -> their fields (Systems Manager user guide, "Metadata
# collected by inventory"). Every record also has resourceId, captureTime and schemaVersion.
# Inventory values are string maps (PutInventory Content), so every column is a string and the
# SQL casts counts. Glue keeps column names in lower case; the JSON SerDe matches keys ignoring case.
INVENTORY_TYPES = {
    "InstanceInformation": [
        "AgentType",
        "AgentVersion",
        "ComputerName",
        "InstanceId",
        "IpAddress",
        "PlatformName",
        "PlatformType",
        "PlatformVersion",
        "InstanceStatus",
    ],
    "PatchSummary": [
        "PatchGroup",
        "BaselineId",
        "SnapshotId",
        "OwnerInformation",
        "InstalledCount",
        "InstalledPendingRebootCount",
        "InstalledOtherCount",
        "InstalledRejectedCount",
        "NotApplicableCount",
        "UnreportedNotApplicableCount",
        "MissingCount",
        "FailedCount",
        "OperationType",
        "OperationStartTime",
        "OperationEndTime",
        "RebootOption",
        "LastNoRebootInstallOperationTime",
        "CriticalNonCompliantCount",
        "SecurityNonCompliantCount",
        "OtherNonCompliantCount",
    ],
    "ComplianceItem": [
        "ComplianceType",
        "ExecutionId",
        "ExecutionType",
        "ExecutionTime",
        "Id",
        "Title",
        "Status",
        "Severity",
        "DocumentName",
        "DocumentVersion",
        "Classification",
        "PatchBaselineId",
        "PatchSeverity",
        "PatchState",
        "PatchGroup",
        "InstalledTime",
        "CVEIds",
    ],
    "ComplianceSummary": [
        "ComplianceType",
        "PatchGroup",
        "PatchBaselineId",
        "Status",
        "OverallSeverity",
        *(
            f"{state}{level}Count"
            for state in ("Compliant", "NonCompliant")
            for level in ("Critical", "High", "Medium", "Low", "Informational", "Unspecified")
        ),
    ],
    "Tag": ["Key", "Value"],
    "Application": [
        "Name",
        "ApplicationType",
        "Publisher",
        "Version",
        "InstalledTime",
        "Architecture",
        "URL",
        "Summary",
        "PackageId",
        "Release",
        "Epoch",
    ],
}
COMMON_FIELDS = ["resourceId", "captureTime", "schemaVersion"]
PARTITION_KEYS = ["accountid", "region", "resourcetype"]
# InstanceInformation records carry a ResourceType field (EC2Instance, ManagedInstance) that
# collides with the resourcetype partition key, the column that breaks crawler-made tables.
# The SerDe maps it to a column of another name instead.
RENAMED_FIELDS = {"InstanceInformation": {"instanceresourcetype": "resourcetype"}}
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"

# Folders of the results bucket: Athena's query results, and the daily compliance snapshot
# that compliance_reports.yaml writes (each expires after its own days).
SNAPSHOT_FOLDER = "compliance-snapshot/"
RESULTS_FOLDER = "results/"
NAMES_GROUP = "Glue database, tables and crawler"
ATHENA_GROUP = "Athena"
GLUE_ARN = "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:"


def table_name(type_name: str) -> str:
    """Glue table name of an inventory type, as the SQL spells it: <prefix>_<type in lower case>."""
    return "${pCFNTablePrefixName}_" + type_name.lower()


def glue_arns(tables: str) -> list[str]:
    """Fn::Sub texts of the catalog, the database ${pCFNDatabaseName}, and its tables named
    `tables` (a Glue ARN pattern)."""
    return [
        GLUE_ARN + "catalog",
        GLUE_ARN + "database/${pCFNDatabaseName}",
        GLUE_ARN + "table/${pCFNDatabaseName}/" + tables,
    ]


def catalog_table(t: Template, title: str, database_name, name: str, description: str, **table_input) -> glue.Table:
    """A table (or view) <prefix>_<name> of the Glue database named `database_name`."""
    return t.add_resource(
        glue.Table(
            title,
            CatalogId=Ref("AWS::AccountId"),
            DatabaseName=database_name,
            TableInput=glue.TableInput(Name=Sub(table_name(name)), Description=description, **table_input),
        )
    )


def glue_table(t: Template, database, type_name: str) -> glue.Table:
    renamed = RENAMED_FIELDS.get(type_name, {})
    columns = [*(field.lower() for field in INVENTORY_TYPES[type_name] + COMMON_FIELDS), *renamed]
    assert not set(columns) & set(PARTITION_KEYS), type_name
    return catalog_table(
        t,
        f"Table{type_name}",
        Ref(database),
        type_name,
        f"AWS:{type_name} inventory from resource data sync",
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
    t = Template(
        Description=(
            "Collector account: Glue database, tables and crawler over the resource data sync bucket, a "
            "custom resource that starts the crawler, an Athena workgroup and its results bucket (the "
            "reports are compliance_reports.yaml)."
        )
    )

    crawler_name = p.add(
        t,
        "pCFNCrawlerName",
        NAMES_GROUP,
        "Crawler name",
        Default="patching-crawler",
        Description="Name of the Glue crawler that adds new partitions to the tables.",
        **p.GLUE_CRAWLER_NAME,
    )
    database_name = p.add(
        t,
        "pCFNDatabaseName",
        NAMES_GROUP,
        "Database name",
        Default="patching-database",
        Description="Name of the Glue (Athena) database.",
        **p.GLUE_DATABASE_NAME,
    )
    p.add(
        t,
        "pCFNTablePrefixName",
        NAMES_GROUP,
        "Table name prefix",
        Default="patching",
        Description="Prefix of the table names: <prefix>_patchsummary, <prefix>_instanceinformation, ...",
        **p.GLUE_TABLE_PREFIX,
    )
    bucket_and_prefix = p.add(
        t,
        "pBucketName",
        NAMES_GROUP,
        "Bucket name with folder name",
        Description="The resource data sync bucket and prefix, as <bucketname>/<foldername> "
        "(the collector stack's pResourceDataSyncBucketName and pBucketPrefix).",
        **p.BUCKET_AND_PREFIX,
    )
    schedule = p.add(
        t,
        "pCrawlerSchedule",
        NAMES_GROUP,
        "Crawler schedule",
        Default="cron(0 2 * * ? *)",
        Description="When the crawler looks for new partitions (new accounts and Regions), "
        "as a cron expression in UTC.",
        **p.CRON_SCHEDULE,
    )
    kms_key = p.add(
        t,
        "pKMSKeyArn",
        NAMES_GROUP,
        "KMS key ARN (optional)",
        Default="",
        Description="The KMS key of the sync bucket, if any: the crawler and QuickSight may "
        "decrypt with it, and Athena encrypts its results with it.",
        **p.optional(p.KMS_KEY_ARN),
    )
    workgroup_name = p.add(
        t,
        "pAthenaWorkGroupName",
        ATHENA_GROUP,
        "Workgroup name",
        Default="patching",
        Description="Name of the Athena workgroup for the reports.",
        **p.ATHENA_WORKGROUP_NAME,
    )
    # Athena API reference, BytesScannedCutoffValue: at least 10,000,000 bytes.
    cutoff = p.add(
        t,
        "pBytesScannedCutoffPerQuery",
        ATHENA_GROUP,
        "Bytes scanned limit per query",
        Default=1073741824,
        Type="Number",
        MinValue=10000000,
        MaxValue=1099511627776,
        Description="Athena cancels a query of this workgroup that scans more bytes than this.",
        ConstraintDescription="must be a whole number of bytes from 10000000 (10 MB) to 1099511627776 (1 TiB)",
    )
    results_days = p.add(
        t,
        "pAthenaResultsExpirationDays",
        ATHENA_GROUP,
        "Days to keep query results",
        Default=30,
        Description="Days after which Athena query results are deleted.",
        **p.days(),
    )
    log_bucket = p.add(
        t,
        "pAccessLogBucketName",
        ATHENA_GROUP,
        "Access log bucket (optional)",
        Default="",
        Description="Existing bucket for S3 server access logs of the results bucket; empty for none.",
        **p.optional(p.BUCKET_NAME),
    )
    retention_days = p.add(
        t,
        "pSnapshotRetentionDays",
        ATHENA_GROUP,
        "Days to keep compliance snapshots",
        Default=730,
        Description="Days after which a daily compliance snapshot (written by compliance_reports.yaml) is deleted.",
        **p.days(),
    )
    has_kms_key = p.has_value(t, kms_key)

    # Glue Data Catalog -----------------------------------------------------------------------
    database = t.add_resource(
        glue.Database(
            "GlueDatabase",
            CatalogId=Ref("AWS::AccountId"),
            DatabaseInput=glue.DatabaseInput(
                Name=Ref(database_name), Description="Systems Manager inventory and patch compliance"
            ),
        )
    )
    tables = [glue_table(t, database, type_name) for type_name in INVENTORY_TYPES]

    # What the crawler reads: the synced inventory.
    read_sync_data = t.add_resource(
        iam.ManagedPolicy(
            "SyncDataReadPolicy",
            Description="Read the resource data sync objects under the stack's bucket prefix",
            PolicyDocument=policies.document(
                *policies.sync_read_statements(bucket_and_prefix),
                If(has_kms_key, policies.decrypt_statement(kms_key, kms.Decrypt), NoValue),
            ),
        )
    )
    crawler_role = t.add_resource(
        iam.Role(
            "CrawlerRole",
            AssumeRolePolicyDocument=policies.service_assume_role("glue.amazonaws.com"),
            ManagedPolicyArns=[Ref(read_sync_data)],
            Policies=[
                iam.Policy(
                    PolicyName="crawl-sync-bucket",
                    PolicyDocument=policies.document(
                        Statement(
                            Sid="UpdatePartitions",
                            Effect=Allow,
                            Action=[
                                glue_actions.GetDatabase,
                                glue_actions.GetTable,
                                glue_actions.GetTables,
                                glue_actions.UpdateTable,
                                glue_actions.GetPartition,
                                glue_actions.GetPartitions,
                                glue_actions.BatchGetPartition,
                                glue_actions.CreatePartition,
                                glue_actions.BatchCreatePartition,
                                glue_actions.UpdatePartition,
                                glue_actions.BatchUpdatePartition,
                            ],
                            Resource=[Sub(arn) for arn in glue_arns("${pCFNTablePrefixName}_*")],
                        ),
                        Statement(
                            Sid="CrawlerLogs",
                            Effect=Allow,
                            Action=[
                                logs_actions.CreateLogGroup,
                                logs_actions.CreateLogStream,
                                logs_actions.PutLogEvents,
                            ],
                            Resource=[
                                Sub(
                                    "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:"
                                    "log-group:/aws-glue/crawlers:*"
                                )
                            ],
                        ),
                    ),
                )
            ],
        )
    )
    crawler = t.add_resource(
        glue.Crawler(
            "Crawler",
            Metadata=checkov_skip(
                CKV_AWS_195="A security configuration encrypts job output, bookmarks and "
                "logs; this crawler writes only partitions to the catalog, and "
                "KMS-encrypted crawler logs would need a CloudWatch Logs grant in "
                "the key policy."
            ),
            Name=Ref(crawler_name),
            Description="Adds new account, Region and resource type partitions to the inventory tables",
            Role=GetAtt(crawler_role, "Arn"),
            Schedule=glue.Schedule(ScheduleExpression=Ref(schedule)),
            # A catalog target never creates tables or changes their columns; it only adds partitions.
            # The sync's probe files (AWS:InstanceInformation/accountid=*/test.json) lie above the
            # partition depth, so they become neither a partition nor a column, and Athena reads only
            # partition folders.
            Targets=glue.Targets(
                CatalogTargets=[glue.CatalogTarget(DatabaseName=Ref(database), Tables=[Ref(table) for table in tables])]
            ),
            SchemaChangePolicy=glue.SchemaChangePolicy(UpdateBehavior="LOG", DeleteBehavior="LOG"),
            Configuration='{"Version":1.0,"CrawlerOutput":{"Partitions":{"AddOrUpdateBehavior":"InheritFromTable"}}}',
        )
    )

    # Crawler initializer ----------------------------------------------------------------------
    initializer_logs = t.add_resource(
        logs.LogGroup(
            "CrawlerInitializerLogGroup",
            DeletionPolicy="Delete",  # start/answer lines of a helper, not report data
            UpdateReplacePolicy="Delete",
            Metadata=checkov_skip(
                CKV_AWS_158="Encrypted with pKMSKeyArn when one is given (its key policy must let "
                "CloudWatch Logs use it), else with an AWS owned key; checkov "
                "cannot evaluate the Fn::If that chooses."
            ),
            LogGroupName=Sub("/aws/lambda/${AWS::StackName}-crawler-initializer"),
            KmsKeyId=If(has_kms_key, Ref(kms_key), NoValue),
            RetentionInDays=365,
        )
    )
    initializer_role = t.add_resource(
        iam.Role(
            "CrawlerInitializerRole",
            AssumeRolePolicyDocument=policies.service_assume_role("lambda.amazonaws.com"),
            Policies=[
                iam.Policy(
                    PolicyName="start-crawler",
                    PolicyDocument=PolicyDocument(
                        Version=policies.POLICY_VERSION,
                        Statement=[
                            Statement(
                                Sid="StartCrawler",
                                Effect=Allow,
                                Action=[glue_actions.StartCrawler],
                                Resource=[Sub(GLUE_ARN + "crawler/${Crawler}")],
                            ),
                            Statement(
                                Sid="WriteLogs",
                                Effect=Allow,
                                Action=[logs_actions.CreateLogStream, logs_actions.PutLogEvents],
                                Resource=[GetAtt(initializer_logs, "Arn")],
                            ),
                        ],
                    ),
                )
            ],
        )
    )
    initializer = inline_function(
        t,
        "CrawlerInitializerFunction",
        code=INITIALIZER,
        role=initializer_role,
        log_group=initializer_logs,
        timeout=120,
        calls="Glue",
        description="Starts the Glue crawler when the stack is created or updated",
    )
    # CloudFormation sends Update only when a property changes: naming the tables and the data
    # location here makes a change of either start the crawler again.
    t.add_resource(
        CustomResource(
            "CrawlerInitializer",
            ServiceToken=GetAtt(initializer, "Arn"),
            **custom_resource_settings(initializer),
            CrawlerName=Ref(crawler),
            Tables=[Ref(table) for table in tables],
            DataLocation=Sub("s3://${pBucketName}/"),
        )
    )

    # Athena ---------------------------------------------------------------------------------
    # Query results expire after pAthenaResultsExpirationDays, snapshots after their retention.
    results_bucket = private_bucket(
        t,
        "AthenaResultsBucket",
        kms_key,
        log_bucket,
        "athena-results/",
        [
            expiry_rule("ExpireQueryResults", RESULTS_FOLDER, Ref(results_days)),
            expiry_rule("ExpireComplianceSnapshots", SNAPSHOT_FOLDER, Ref(retention_days)),
        ],
        noncurrent_days=1,
        abort_upload_days=1,
    )
    t.add_resource(
        s3.BucketPolicy(
            "AthenaResultsBucketPolicy",
            Bucket=Ref(results_bucket),
            PolicyDocument=policies.document(policies.deny_insecure_transport(GetAtt(results_bucket, "Arn"))),
        )
    )
    workgroup = t.add_resource(
        athena.WorkGroup(
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
                        KmsKey=If(has_kms_key, Ref(kms_key), NoValue),
                    ),
                ),
            ),
        )
    )
    add_exported_outputs(
        t,
        [
            ("GlueDatabaseName", "Glue database of the inventory tables", Ref(database)),
            ("CrawlerName", "Glue crawler that adds partitions", Ref(crawler)),
            ("AthenaWorkGroupName", "Athena workgroup of the reports", Ref(workgroup)),
            ("AthenaResultsBucketName", "Bucket of the Athena query results", Ref(results_bucket)),
        ],
    )
    return t


def add_source_parameters(t: Template, group: str, kms_use: str) -> tuple:
    """The parameters of a stack that reads this one (compliance reports, dashboard): this stack's
    name, whose exports it imports, and what this stack does not export, with the same names,
    constraints and defaults as here. Returns (pBucketName, pKMSKeyArn)."""
    p.add(
        t,
        "pAnalyticsStackName",
        group,
        "Analytics stack name",
        Default=STACK,
        Description="Name of the stack of consolidated_billing_s3_glue_crawler_athena.yaml; its exported "
        "database, workgroup and results bucket are used.",
        **p.STACK_NAME,
    )
    p.add(
        t,
        "pCFNTablePrefixName",
        group,
        "Table name prefix",
        Default="patching",
        Description="The analytics stack's pCFNTablePrefixName.",
        **p.GLUE_TABLE_PREFIX,
    )
    bucket_and_prefix = p.add(
        t,
        "pBucketName",
        group,
        "Bucket name with folder name",
        Description="The analytics stack's pBucketName: the resource data sync bucket "
        "and prefix, as <bucketname>/<foldername>.",
        **p.BUCKET_AND_PREFIX,
    )
    kms_key = p.add(
        t,
        "pKMSKeyArn",
        group,
        "KMS key ARN (optional)",
        Default="",
        Description="The analytics stack's pKMSKeyArn: " + kms_use,
        **p.optional(p.KMS_KEY_ARN),
    )
    return bucket_and_prefix, kms_key


def source(name: str):
    """An output this stack exports, imported by a stack with add_source_parameters()."""
    return imported("pAnalyticsStackName", name)


def expiry_rule(rule_id: str, folder: str, days) -> dict:
    """A lifecycle rule that expires the current objects under one folder after `days`."""
    return dict(Id=rule_id, Prefix=folder, ExpirationInDays=days)


class CustomResource(AWSObject):
    """The crawler initializer custom resource (Custom::CrawlerInitializer)."""

    resource_type = "Custom::CrawlerInitializer"
    props = {
        "ServiceToken": (object, True),
        "ServiceTimeout": (int, False),
        "CrawlerName": (object, True),
        "Tables": (list, False),
        "DataLocation": (object, False),
    }
