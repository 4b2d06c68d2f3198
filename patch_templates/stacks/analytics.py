"""Collector account: Glue database and tables over the synced inventory, a crawler that keeps
their partitions current (started at deploy by a custom resource), an Athena workgroup with the
report queries, and optionally QuickSight (design step 4 and its QuickSight section)."""

import json
from pathlib import Path

from awacs import athena as athena_actions, glue as glue_actions, kms, logs as logs_actions, s3 as s3_actions
from awacs.aws import Allow, Condition, PolicyDocument, Principal, Statement, StringEquals, StringLike
from awacs.sts import AssumeRole
from troposphere import (
    AWSObject, Base64, Equals, Export, GetAtt, If, Join, NoValue, Output, Ref, Select, Split, Sub, Template,
    athena, awslambda, glue, iam, logs, quicksight, s3, scheduler,
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
# The QuickSight data set: the compliance report, with the columns its SQL returns.
QUICKSIGHT_REPORT = "compliance_summary"
QUICKSIGHT_COLUMNS = {"account_id": "STRING", "region": "STRING", "instances": "INTEGER",
                      "compliant_instances": "INTEGER", "noncompliant_instances": "INTEGER",
                      "compliance_percent": "DECIMAL", "flagged_instances": "INTEGER"}
# Owner permissions for the principal: the actions QuickSight grants the owner of a data
# source and of a data set.
DATA_SOURCE_ACTIONS = ["quicksight:DeleteDataSource", "quicksight:DescribeDataSource",
                       "quicksight:DescribeDataSourcePermissions", "quicksight:PassDataSource",
                       "quicksight:UpdateDataSource", "quicksight:UpdateDataSourcePermissions"]
DATA_SET_ACTIONS = ["quicksight:CancelIngestion", "quicksight:CreateIngestion", "quicksight:DeleteDataSet",
                    "quicksight:DescribeDataSet", "quicksight:DescribeDataSetPermissions",
                    "quicksight:DescribeIngestion", "quicksight:ListIngestions", "quicksight:PassDataSet",
                    "quicksight:UpdateDataSet", "quicksight:UpdateDataSetPermissions"]

NAMES_GROUP = "Glue database, tables and crawler"
ATHENA_GROUP = "Athena"
QUICKSIGHT_GROUP = "QuickSight (optional)"

# bucket/prefix as the design's pBucketName takes it: the S3 bucket naming rules, then a folder.
BUCKET_AND_PREFIX = dict(
    Type="String",
    AllowedPattern=(r"^(?!xn--|sthree-|amzn-s3-demo-)(?![^/]*\.\.)(?!\d{1,3}(\.\d{1,3}){3}/)"
                    r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?<!-s3alias)(?<!--ol-s3)(?<!--x-s3)"
                    r"/[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*$"),
    MaxLength=128,
    ConstraintDescription=("must be BUCKET/PREFIX: an S3 bucket name, a slash, and the folder the syncs "
                           "write to (letters, digits and !_.*'()- separated by single slashes), at "
                           "most 128 characters"),
)
QUICKSIGHT_PRINCIPAL_ARN = dict(
    Type="String",
    AllowedPattern=(r"^arn:aws[a-z-]*:quicksight:[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}:\d{12}:"
                    r"(user|group)/[a-zA-Z0-9_.@+=,-]+/[a-zA-Z0-9_.@+=,/-]+$"),
    ConstraintDescription=("must be a QuickSight user or group ARN such as "
                           "arn:aws:quicksight:us-east-1:111122223333:user/default/NAME"),
)
TIME_OF_DAY = dict(Type="String", AllowedPattern=r"^([01]\d|2[0-3]):[0-5]\d$",
                   ConstraintDescription="must be a 24-hour time HH:MM, such as 06:30")
DAYS_OF_WEEK = ["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"]


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
        "queries, and optionally a QuickSight data source, SPICE data set and refresh schedule."))

    crawler_name = p.add(t, "pCFNCrawlerName", NAMES_GROUP, "Crawler name", Default="patching-crawler",
                         Description="Name of the Glue crawler that adds new partitions to the tables.",
                         **p.GLUE_CRAWLER_NAME)
    database_name = p.add(t, "pCFNDatabaseName", NAMES_GROUP, "Database name", Default="patching-database",
                          Description="Name of the Glue (Athena) database.", **p.GLUE_DATABASE_NAME)
    p.add(t, "pCFNTablePrefixName", NAMES_GROUP, "Table name prefix", Default="patching",
          Description="Prefix of the table names: <prefix>_patchsummary, <prefix>_instanceinformation, ...",
          Type="String", AllowedPattern=r"^[a-z][a-z0-9_]{0,63}$",
          ConstraintDescription="must be 1-64 lower-case letters, digits or underscores, starting with a letter")
    p.add(t, "pBucketName", NAMES_GROUP, "Bucket name with folder name",
          Description="The resource data sync bucket and prefix, as <bucketname>/<foldername> (the "
                      "collector stack's pResourceDataSyncBucketName and pBucketPrefix).",
          **BUCKET_AND_PREFIX)
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
    principal = p.add(t, "pQuickSightPrincipalArn", QUICKSIGHT_GROUP, "QuickSight user or group ARN",
                      Default="",
                      Description="Owner of the QuickSight data source and data set. Empty: no QuickSight "
                                  "resources. QuickSight must be subscribed in this account first.",
                      **p.optional(QUICKSIGHT_PRINCIPAL_ARN))
    quicksight_role = p.add(t, "pQuickSightServiceRoleName", QUICKSIGHT_GROUP, "QuickSight service role",
                            Default="aws-quicksight-service-role-v0",
                            Description="IAM role QuickSight uses for AWS data; it is given read access "
                                        "to the sync bucket and read/write access to the Athena results.",
                            **p.IAM_ROLE_NAME)
    interval = p.add(t, "pRefreshInterval", QUICKSIGHT_GROUP, "SPICE refresh repeats", Default="DAILY",
                     Description="How often the SPICE data set is refreshed.", Type="String",
                     AllowedValues=["DAILY", "WEEKLY", "MONTHLY"],
                     ConstraintDescription="must be DAILY, WEEKLY or MONTHLY")
    time_of_day = p.add(t, "pRefreshTimeOfDay", QUICKSIGHT_GROUP, "SPICE refresh at (HH:MM)", Default="06:00",
                        Description="Time of day the refresh starts, 24-hour HH:MM.", **TIME_OF_DAY)
    timezone = p.add(t, "pRefreshTimezone", QUICKSIGHT_GROUP, "SPICE refresh time zone", Default="UTC",
                     Description="Time zone of the refresh time (IANA name).", **p.TIMEZONE)
    day_of_week = p.add(t, "pRefreshDayOfWeek", QUICKSIGHT_GROUP, "Weekly: day of the week", Default="MONDAY",
                        Description="Day of a WEEKLY refresh.", Type="String", AllowedValues=DAYS_OF_WEEK,
                        ConstraintDescription="must be a day of the week in capitals, such as MONDAY")
    day_of_month = p.add(t, "pRefreshDayOfMonth", QUICKSIGHT_GROUP, "Monthly: day of the month", Default="1",
                         Description="Day of a MONTHLY refresh: 1-28 or LAST_DAY_OF_MONTH.", Type="String",
                         AllowedValues=[str(day) for day in range(1, 29)] + ["LAST_DAY_OF_MONTH"],
                         ConstraintDescription="must be a day from 1 to 28 or LAST_DAY_OF_MONTH")

    has_kms_key = p.has_value(t, kms_key)
    has_quicksight = p.has_value(t, principal)
    t.add_condition("RefreshWeekly", Equals(Ref(interval), "WEEKLY"))
    t.add_condition("RefreshMonthly", Equals(Ref(interval), "MONTHLY"))

    bucket = Select(0, Split("/", Ref("pBucketName")))
    # Fn::Split takes only a literal delimiter, so listing is scoped to the prefix's first folder.
    folder = Select(1, Split("/", Ref("pBucketName")))
    data_objects = Sub("arn:${AWS::Partition}:s3:::${pBucketName}/*")

    def read_data_statements():
        """Read the synced objects and list the bucket under the sync's folder only."""
        return [
            Statement(Sid="ReadSyncedInventory", Effect=Allow, Action=[s3_actions.GetObject],
                      Resource=[data_objects]),
            Statement(Sid="ListSyncedInventory", Effect=Allow, Action=[s3_actions.ListBucket],
                      Resource=[policies.s3_arn(bucket)],
                      Condition=Condition(StringLike({"s3:prefix": [folder, Sub("${Folder}/*", Folder=folder)]}))),
            # GetBucketLocation requests carry no s3:prefix, so it cannot share the condition.
            Statement(Sid="LocateSyncBucket", Effect=Allow, Action=[s3_actions.GetBucketLocation],
                      Resource=[policies.s3_arn(bucket)]),
        ]

    def decrypt_statement(*actions, sid="DecryptWithSyncKey"):
        return If(has_kms_key, Statement(Sid=sid, Effect=Allow, Action=list(actions),
                                         Resource=[Ref(kms_key)]), NoValue)

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
        PolicyDocument=policies.document(*read_data_statements(), decrypt_statement(kms.Decrypt)),
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

    # QuickSight (only with a principal) -------------------------------------------------------
    # A customer managed policy attached to QuickSight's service role (QuickSight user guide,
    # "Attaching additional policies"); QuickSight's console keeps its own policies separate.
    t.add_resource(iam.ManagedPolicy(
        "QuickSightDataAccessPolicy",
        Condition=has_quicksight,
        Description="QuickSight reads the synced inventory and uses the Athena results bucket",
        Roles=[Ref(quicksight_role)],
        PolicyDocument=policies.document(
            *read_data_statements(),
            Statement(Sid="AthenaResults", Effect=Allow,
                      Action=[s3_actions.GetObject, s3_actions.PutObject, s3_actions.AbortMultipartUpload,
                              s3_actions.ListMultipartUploadParts],
                      Resource=[policies.s3_arn(Ref(results_bucket), "/*")]),
            Statement(Sid="AthenaResultsBucket", Effect=Allow,
                      Action=[s3_actions.ListBucket, s3_actions.GetBucketLocation,
                              s3_actions.ListBucketMultipartUploads],
                      Resource=[policies.s3_arn(Ref(results_bucket))]),
            decrypt_statement(kms.Decrypt, kms.GenerateDataKey),
        ),
    ))
    data_source = t.add_resource(quicksight.DataSource(
        "QuickSightDataSource",
        Condition=has_quicksight,
        AwsAccountId=Ref("AWS::AccountId"),
        DataSourceId=Sub("${AWS::StackName}-athena"),
        Name=Sub("${AWS::StackName} patch compliance (Athena)"),
        Type="ATHENA",
        DataSourceParameters=quicksight.DataSourceParameters(
            AthenaParameters=quicksight.AthenaParameters(WorkGroup=Ref(workgroup))),
        SslProperties=quicksight.SslProperties(DisableSsl=False),
        Permissions=[quicksight.ResourcePermission(Principal=Ref(principal), Actions=DATA_SOURCE_ACTIONS)],
        DependsOn=["QuickSightDataAccessPolicy"],
    ))
    data_set_id = Sub("${AWS::StackName}-compliance")
    data_set = t.add_resource(quicksight.DataSet(
        "QuickSightComplianceDataSet",
        Condition=has_quicksight,
        AwsAccountId=Ref("AWS::AccountId"),
        DataSetId=data_set_id,
        Name=Sub("${AWS::StackName} patch compliance"),
        ImportMode="SPICE",
        PhysicalTableMap={"compliance": quicksight.PhysicalTable(CustomSql=quicksight.CustomSql(
            DataSourceArn=GetAtt(data_source, "Arn"),
            Name=REPORTS[QUICKSIGHT_REPORT],
            SqlQuery=Sub(report_sql(QUICKSIGHT_REPORT)),
            Columns=[quicksight.InputColumn(Name=column, Type=kind) for column, kind in QUICKSIGHT_COLUMNS.items()],
        ))},
        Permissions=[quicksight.ResourcePermission(Principal=Ref(principal), Actions=DATA_SET_ACTIONS)],
    ))
    t.add_resource(quicksight.RefreshSchedule(
        "QuickSightRefreshSchedule",
        Condition=has_quicksight,
        AwsAccountId=Ref("AWS::AccountId"),
        DataSetId=data_set_id,
        DependsOn=[data_set.title],
        Schedule=quicksight.RefreshScheduleMap(
            ScheduleId="patch-compliance-refresh",
            RefreshType="FULL_REFRESH",
            ScheduleFrequency=quicksight.ScheduleFrequency(
                Interval=Ref(interval),
                TimeOfTheDay=Ref(time_of_day),
                TimeZone=Ref(timezone),
                RefreshOnDay=If("RefreshWeekly", quicksight.RefreshOnDay(DayOfWeek=Ref(day_of_week)),
                                If("RefreshMonthly", quicksight.RefreshOnDay(DayOfMonth=Ref(day_of_month)),
                                   NoValue)),
            ),
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
