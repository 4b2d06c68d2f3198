"""Collector account (step 4): Glue database and tables over the synced inventory, a crawler that
keeps their partitions current (started at deploy by a custom resource), an Athena workgroup and
its results bucket. The reports, views and daily snapshot over these tables are
compliance_reports.py (step 5), QuickSight is quicksight_dashboard.py (step 6); both read this
stack through its exports and catalog.add_source()."""

from functools import partial
from pathlib import Path

from awacs import glue as glue_actions, kms, logs as logs_actions
from awacs.aws import Allow, PolicyDocument, Statement
from troposphere import AWSObject, Condition, GetAtt, If, Not, NoValue, Ref, Sub, Template, athena, glue, iam, logs, s3

from ..parts import catalog, parameters as p, policies
from ..parts.common import (
    add_exported_outputs,
    checkov_skip,
    custom_resource_settings,
    inline_function,
    private_bucket,
)
from ..queries import compaction
from . import collector
from .record import Record

FILE = "consolidated_billing_s3_glue_crawler_athena.yaml"
PACKAGE = Path(__file__).resolve().parent.parent
INITIALIZER = PACKAGE / "lambdas" / "consolidated_billing_crawler_initializer.py"
# The resource data sync bucket and prefix of the collector's example values.
EXAMPLE_BUCKET_AND_PREFIX = f"{collector.EXAMPLE_BUCKET}/inventory"

# InstanceInformation records carry a ResourceType field (EC2Instance, ManagedInstance) that
# collides with the resourcetype partition key, the column that breaks crawler-made tables.
# The SerDe maps it to a column of another name instead.
RENAMED_FIELDS = {"InstanceInformation": {"instanceresourcetype": "resourcetype"}}
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
PARQUET = "org.apache.hadoop.hive.ql.io.parquet."

NAMES_GROUP = "Glue database, tables and crawler"
# The compacted history is the only record of past compliance: time to patch needs months of it.
SNAPSHOT_RETENTION_FLOOR_DAYS = 90
NONCURRENT_VERSION_DAYS = 30
ATHENA_GROUP = "Athena"


def glue_table(t: Template, database, bucket_and_prefix, type_name: str) -> glue.Table:
    renamed = RENAMED_FIELDS.get(type_name, {})
    columns = [*(field.lower() for field in catalog.INVENTORY_TYPES[type_name] + catalog.COMMON_FIELDS), *renamed]
    assert not set(columns) & set(catalog.PARTITION_KEYS), type_name
    return catalog.catalog_table(
        t,
        f"Table{type_name}",
        Ref(database),
        type_name,
        f"AWS:{type_name} inventory from resource data sync",
        TableType="EXTERNAL_TABLE",
        Parameters={"classification": "json", "EXTERNAL": "TRUE"},
        PartitionKeys=[glue.Column(Name=key, Type="string") for key in catalog.PARTITION_KEYS],
        StorageDescriptor=glue.StorageDescriptor(
            Columns=[glue.Column(Name=column, Type="string") for column in columns],
            Location=Sub(f"s3://${{{bucket_and_prefix.title}}}/AWS:{type_name}/"),
            InputFormat="org.apache.hadoop.mapred.TextInputFormat",
            OutputFormat="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            SerdeInfo=glue.SerdeInfo(
                SerializationLibrary=JSON_SERDE,
                Parameters={f"mapping.{column}": key for column, key in renamed.items()} or NoValue,
            ),
        ),
    )


def build(reports: Record) -> Template:
    """This stack; its texts name the reports stack, which writes the daily snapshot into its bucket."""
    t = Template(
        Description=(
            "Collector account: Glue database, tables and crawler over the resource data sync bucket, a "
            "custom resource that starts the crawler, an Athena workgroup and its results bucket (the "
            f"reports are {reports.file})."
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
        catalog.DATABASE,
        NAMES_GROUP,
        "Database name",
        Default="patching-database",
        Description="Name of the Glue (Athena) database.",
        **p.GLUE_DATABASE_NAME,
    )
    catalog.add_table_prefix(
        t, NAMES_GROUP, "Prefix of the table names: <prefix>_patchsummary, <prefix>_instanceinformation, ..."
    )
    bucket_and_prefix = catalog.add_bucket_and_prefix(
        t,
        NAMES_GROUP,
        "The resource data sync bucket and prefix, as <bucketname>/<foldername> "
        "(the collector stack's pResourceDataSyncBucketName and pBucketPrefix).",
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
    kms_key = p.add_kms_key(
        t,
        NAMES_GROUP,
        "The KMS key of the sync bucket, if any: the crawler and QuickSight may "
        "decrypt with it, and Athena encrypts its results with it; {no_key} for no key.",
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
    daily_workgroup_name = p.add(
        t,
        "pAthenaDailyWorkGroupName",
        ATHENA_GROUP,
        "Daily compaction workgroup name",
        Default="patching-daily",
        Description="Name of the Athena workgroup of the daily compaction, the only queries that read the synced JSON.",
        **p.ATHENA_WORKGROUP_NAME,
    )
    # The rule of thumb of queries/compaction.py: SCAN_LIMIT_BYTES_PER_NODE_ITEM per node and compliance item.
    rule = compaction.SCAN_LIMIT_BYTES_PER_NODE_ITEM
    daily_cutoff = p.add(
        t,
        "pDailyBytesScannedCutoff",
        ATHENA_GROUP,
        "Bytes scanned limit of a daily statement",
        Default=rule * 20_000 * 200,
        Type="Number",
        MinValue=10000000,
        MaxValue=1099511627776,
        Description=f"Athena cancels a daily compaction statement that scans more. Rule of thumb: {rule:,} bytes "
        "per node and compliance item (the default: 20,000 nodes with 200 items each).",
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
        Description=f"Days after which a day of the compacted daily tables (written by {reports.file}) is "
        "deleted; at least 90, the history that time to patch and the trend read.",
        **p.days(SNAPSHOT_RETENTION_FLOOR_DAYS),
    )
    existing_results_bucket = p.add(
        t,
        "pExistingResultsBucketName",
        ATHENA_GROUP,
        "Existing results bucket (optional)",
        Default="",
        Description="Empty to create the results bucket. After a teardown, the results bucket "
        "(AthenaResultsBucketName of the stack before, retained) holds the compliance history: give its name "
        "to keep that history, its lifecycle rules and its encryption.",
        **p.optional(p.BUCKET_NAME),
    )
    has_kms_key = p.has_value(t, kms_key)
    reuse_results_bucket = p.has_value(t, existing_results_bucket)

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
    tables = [glue_table(t, database, bucket_and_prefix, type_name) for type_name in catalog.INVENTORY_TYPES]

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
            # Glue is not documented to send aws:SourceAccount for a crawler's role (see service_assume_role).
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
                            Resource=[Sub(arn) for arn in catalog.glue_arns(catalog.table_name("*"))],
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
            # A Lambda execution role: Lambda is not documented to send aws:SourceAccount (see service_assume_role).
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
                                Resource=[Sub(catalog.GLUE_ARN + "crawler/${Crawler}")],
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
            DataLocation=Sub(f"s3://${{{bucket_and_prefix.title}}}/"),
        )
    )

    # Athena ---------------------------------------------------------------------------------
    # Query results expire after pAthenaResultsExpirationDays, snapshots after their retention; an
    # existing results bucket keeps the rules it was created with.
    create_results_bucket = t.add_condition("CreateResultsBucket", Not(Condition(reuse_results_bucket)))
    results_bucket = private_bucket(
        t,
        "AthenaResultsBucket",
        kms_key,
        log_bucket,
        "athena-results/",
        [
            expiry_rule("ExpireQueryResults", catalog.RESULTS_FOLDER, Ref(results_days)),
            expiry_rule("ExpireComplianceSnapshots", catalog.SNAPSHOT_FOLDER, Ref(retention_days)),
            *(
                expiry_rule(f"Expire{daily.title}", daily.folder, Ref(retention_days))
                for daily in compaction.DAILY_TABLES
            ),
        ],
        # an overwritten or deleted day of the daily tables can be restored for this long
        noncurrent_days=NONCURRENT_VERSION_DAYS,
        abort_upload_days=1,
        Condition=create_results_bucket,
    )
    results_bucket_name = If(reuse_results_bucket, Ref(existing_results_bucket), Ref(results_bucket))
    t.add_resource(
        s3.BucketPolicy(
            "AthenaResultsBucketPolicy",
            Condition=create_results_bucket,
            Bucket=Ref(results_bucket),
            PolicyDocument=policies.document(policies.deny_insecure_transport(GetAtt(results_bucket, "Arn"))),
        )
    )

    def workgroup(title: str, name, description: str, cutoff_bytes) -> athena.WorkGroup:
        return t.add_resource(
            athena.WorkGroup(
                title,
                Name=Ref(name),
                Description=description,
                State="ENABLED",
                RecursiveDeleteOption=True,
                WorkGroupConfiguration=athena.WorkGroupConfiguration(
                    EnforceWorkGroupConfiguration=True,
                    PublishCloudWatchMetricsEnabled=True,
                    BytesScannedCutoffPerQuery=Ref(cutoff_bytes),
                    ResultConfiguration=athena.ResultConfiguration(
                        OutputLocation=Sub("s3://${Bucket}/" + catalog.RESULTS_FOLDER, Bucket=results_bucket_name),
                        EncryptionConfiguration=athena.EncryptionConfiguration(
                            EncryptionOption=If(has_kms_key, "SSE_KMS", "SSE_S3"),
                            KmsKey=If(has_kms_key, Ref(kms_key), NoValue),
                        ),
                    ),
                ),
            )
        )

    reports_workgroup = workgroup("AthenaWorkGroup", workgroup_name, "Patch compliance reports", cutoff)
    daily_workgroup = workgroup(
        "AthenaDailyWorkGroup", daily_workgroup_name, "Daily compaction of the synced JSON", daily_cutoff
    )
    for daily in compaction.COMPACTED_TABLES:
        compacted_table(t, database, daily, results_bucket_name)
    add_exported_outputs(
        t,
        [
            ("GlueDatabaseName", "Glue database of the inventory tables", Ref(database)),
            ("CrawlerName", "Glue crawler that adds partitions", Ref(crawler)),
            ("AthenaWorkGroupName", "Athena workgroup of the reports", Ref(reports_workgroup)),
            ("AthenaDailyWorkGroupName", "Athena workgroup of the daily compaction", Ref(daily_workgroup)),
            ("AthenaResultsBucketName", "Bucket of the Athena query results", results_bucket_name),
        ],
    )
    return t


def compacted_table(t: Template, database: glue.Database, daily: compaction.DailyTable, bucket) -> glue.Table:
    """A compacted table of the reports stack's daily job: Parquet, one partition per day, in its folder
    of the results bucket. The compacted history exists nowhere else, so the table outlives this stack
    and a replacement (Retain): a redeployed stack on the same bucket finds every day again."""
    table = catalog.catalog_table(
        t,
        f"Table{daily.title}",
        Ref(database),
        daily.name,
        daily.description,
        TableType="EXTERNAL_TABLE",
        Parameters={"classification": "parquet", "parquet.compression": "SNAPPY", "EXTERNAL": "TRUE"},
        PartitionKeys=[glue.Column(Name=compaction.PARTITION_KEY[0], Type=compaction.PARTITION_KEY[1])],
        StorageDescriptor=glue.StorageDescriptor(
            Columns=[glue.Column(Name=column, Type=kind) for column, kind in daily.columns.items()],
            Location=Sub("s3://${Bucket}/" + daily.folder, Bucket=bucket),
            InputFormat=PARQUET + "MapredParquetInputFormat",
            OutputFormat=PARQUET + "MapredParquetOutputFormat",
            SerdeInfo=glue.SerdeInfo(SerializationLibrary=PARQUET + "serde.ParquetHiveSerDe"),
        ),
    )
    table.DeletionPolicy = table.UpdateReplacePolicy = "Retain"
    return table


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


def record(reports: Record, dashboard: Record) -> Record:
    """This stack's record. It names the reports and dashboard stacks, which are deployed after it and
    import this module, so the registry passes their records in."""
    return Record(
        FILE,
        partial(build, reports),
        step=4,
        account="collector",
        does="Glue database, tables and crawler, Athena workgroup and results bucket",
        takes=((collector.RECORD, "Glue crawler reads the JSON"),),
        feeds=(
            (reports, "Glue database, tables and Athena workgroup, by export"),
            (dashboard, "Athena workgroup and results bucket, by export"),
        ),
        examples={"pBucketName": EXAMPLE_BUCKET_AND_PREFIX},
    )
