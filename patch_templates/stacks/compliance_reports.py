"""Collector account (step 5): the patch compliance reports over the analytics stack's tables: the
Glue views that define the fleet once, one Athena named query per report, and the daily compliance
snapshot (its Parquet table, the EventBridge Scheduler schedule that writes it, and its role).

The analytics stack (stacks/analytics.py, step 4) is named by one parameter and its exports are
imported, as the dashboard (stacks/quicksight_dashboard.py) does: CloudFormation creates
this stack only after that stack has published its exports, and refuses to delete it while this
one uses them. What it does not export (table prefix, sync bucket, KMS key) comes through
parameters with the same names and defaults as the analytics stack's. This stack exports the
snapshot table, which the dashboard (step 6) imports.
"""

import json
from pathlib import Path

from awacs import athena as athena_actions, glue as glue_actions, kms, s3 as s3_actions
from awacs.aws import Allow, Condition, PolicyDocument, Principal, Statement, StringEquals
from awacs.sts import AssumeRole
from troposphere import Base64, GetAtt, If, Join, NoValue, Ref, Sub, Template, athena, glue, iam, scheduler

from ..parts import catalog, parameters as p, policies
from ..parts.common import add_exported_outputs, sub
from . import analytics
from .record import Record

QUERIES = Path(__file__).resolve().parent.parent / "queries"

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
    "unscanned_untargeted_nodes": "Nodes never scanned, or in no patch group (no window installs on them)",
}
# queries/<name>.sql that the daily schedule runs (the schedule holds it, no named query)
SNAPSHOT_REPORT = "compliance_snapshot"
# The fleet and its exposure, each defined once as a Glue view (queries/views/<name>.sql) that
# every report reads: view -> its columns with their Athena (Trino) types, which must be exactly
# what the SQL returns or Athena calls the view stale.
VIEWS = {
    "nodes": {
        **dict.fromkeys(
            [
                "account_id",
                "region",
                "node_id",
                "computer_name",
                "platform_name",
                "platform_type",
                "instance_status",
                "patch_group",
                "baseline_id",
            ],
            "varchar",
        ),
        "reported": "boolean",
        **dict.fromkeys(
            [
                "missing_count",
                "failed_count",
                "installed_pending_reboot_count",
                "critical_noncompliant_count",
                "security_noncompliant_count",
            ],
            "integer",
        ),
        "last_scan_time": "varchar",
        "last_install_time": "varchar",
        "compliant": "boolean",
    },
    "patch_exposure": dict.fromkeys(
        [
            "account_id",
            "region",
            "node_id",
            "computer_name",
            "instance_status",
            "patch_group",
            "patch_id",
            "title",
            "classification",
            "severity",
            "patch_state",
            "cve_id",
            "scan_time",
        ],
        "varchar",
    ),
}
HIVE_TYPES = {"varchar": "string", "integer": "int", "boolean": "boolean"}
# The daily compliance snapshot (Parquet, one partition per day): its columns and Hive types.
SNAPSHOT_COLUMNS = {
    **dict.fromkeys(
        [
            "account_id",
            "region",
            "node_id",
            "computer_name",
            "platform_name",
            "platform_type",
            "instance_status",
            "patch_group",
            "baseline_id",
        ],
        "string",
    ),
    "compliant": "boolean",
    **dict.fromkeys(
        [
            "missing_count",
            "failed_count",
            "installed_pending_reboot_count",
            "critical_noncompliant_count",
            "security_noncompliant_count",
        ],
        "int",
    ),
    "last_scan_time": "timestamp",
    "last_install_time": "timestamp",
}
PARQUET = "org.apache.hadoop.hive.ql.io.parquet."
SOURCE_GROUP = "Analytics stack (step 4)"
REPORTS_GROUP = "Reports and daily snapshot"


def imports(source: catalog.Source) -> dict:
    """${name} in the SQL and ARNs of this stack -> the analytics stack's export that fills it."""
    return {
        catalog.DATABASE: source.export("GlueDatabaseName"),
        "AthenaWorkGroup": source.export("AthenaWorkGroupName"),
        "AthenaResultsBucket": source.export("AthenaResultsBucketName"),
    }


def report_sql(name: str, folder: Path = QUERIES) -> str:
    """A query as the template holds it (a template holds at most 51,200 bytes): without its
    comment lines and indentation; the file documents it."""
    lines = (line.strip() for line in (folder / f"{name}.sql").read_text().splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("--")) + "\n"


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def glue_view(t: Template, name: str, imports: dict) -> glue.Table:
    """An Athena view as a Glue table: Athena keeps a view's SQL and column types base64-encoded
    in ViewOriginalText (the layout iconara/terraform-aws-athena-view writes)."""
    columns = VIEWS[name]
    # a view's SQL is stored, not read: one line (Trino's SQL has no significant white space)
    sql = " ".join(report_sql(name, QUERIES / "views").split())
    assert "--" not in sql, f"views/{name}.sql: a comment after code would swallow the rest of the line"
    presto_view = json.dumps(
        {
            "originalSql": sql,
            "catalog": "awsdatacatalog",
            "schema": f"${{{catalog.DATABASE}}}",
            "columns": [{"name": c, "type": kind} for c, kind in columns.items()],
        },
        separators=(",", ":"),
    )
    return catalog.catalog_table(
        t,
        f"View{camel(name)}",
        imports[catalog.DATABASE],
        name,
        f"Athena view from queries/views/{name}.sql",
        TableType="VIRTUAL_VIEW",
        Parameters={"presto_view": "true", "comment": "Presto View"},
        ViewOriginalText=Join("", ["/* Presto View: ", Base64(sub(presto_view, imports)), " */"]),
        ViewExpandedText="/* Presto View */",
        StorageDescriptor=glue.StorageDescriptor(
            Columns=[glue.Column(Name=c, Type=HIVE_TYPES[kind]) for c, kind in columns.items()],
            SerdeInfo=glue.SerdeInfo(),
        ),
    )


def build() -> Template:
    t = Template(
        Description=(
            "Collector account: patch compliance reports over the analytics stack's Glue tables: the "
            "fleet views, Athena named queries, and a daily compliance snapshot written by Athena on an "
            "EventBridge Scheduler schedule."
        )
    )

    source = catalog.add_source(
        t,
        SOURCE_GROUP,
        analytics.FILE,
        "the snapshot's Athena queries decrypt the synced data and encrypt results with it.",
    )
    imports_ = imports(source)
    p.add(
        t,
        "pStaleScanDays",
        REPORTS_GROUP,
        "Days after which a scan is stale",
        Default=7,
        Description="The stale scan report lists instances whose last patch scan is older than this.",
        **p.days(1, 365),
    )
    snapshot_schedule = p.add(
        t,
        "pSnapshotSchedule",
        REPORTS_GROUP,
        "Daily compliance snapshot at",
        Default="cron(0 4 * * ? *)",
        Description="When Athena writes the day's compliance snapshot, as a cron "
        "expression in UTC (after the analytics stack's crawler run).",
        **p.CRON_SCHEDULE,
    )
    has_kms_key = p.has_value(t, source.kms_key)
    database = imports_[catalog.DATABASE]
    results_bucket = imports_["AthenaResultsBucket"]

    for view in VIEWS:
        glue_view(t, view, imports_)
    for name, description in REPORTS.items():
        t.add_resource(
            athena.NamedQuery(
                f"Query{camel(name)}",
                Name=description,
                Description=f"Patch report from queries/{name}.sql",
                Database=database,
                WorkGroup=imports_["AthenaWorkGroup"],
                QueryString=sub(report_sql(name), imports_),
            )
        )

    # Daily compliance snapshot: Athena itself writes it (INSERT INTO a Parquet table, one partition
    # per day), started by EventBridge Scheduler's universal target, no Lambda. Athena INSERT INTO
    # writes Parquet and adds the new partition to the catalog (Athena user guide, "INSERT INTO").
    # It lives in the analytics stack's results bucket, whose lifecycle keeps pSnapshotRetentionDays.
    snapshot_table = catalog.catalog_table(
        t,
        "TableComplianceSnapshot",
        database,
        "compliance_snapshot",
        "Daily per-node patch compliance, written by the snapshot schedule",
        TableType="EXTERNAL_TABLE",
        Parameters={"classification": "parquet", "parquet.compression": "SNAPPY", "EXTERNAL": "TRUE"},
        PartitionKeys=[glue.Column(Name="snapshot_date", Type="date")],
        StorageDescriptor=glue.StorageDescriptor(
            Columns=[glue.Column(Name=c, Type=kind) for c, kind in SNAPSHOT_COLUMNS.items()],
            Location=sub("s3://${AthenaResultsBucket}/" + catalog.SNAPSHOT_FOLDER, imports_),
            InputFormat=PARQUET + "MapredParquetInputFormat",
            OutputFormat=PARQUET + "MapredParquetOutputFormat",
            SerdeInfo=glue.SerdeInfo(SerializationLibrary=PARQUET + "serde.ParquetHiveSerDe"),
        ),
    )
    # Athena runs the query with the caller's permissions: this role's.
    snapshot_role = t.add_resource(
        iam.Role(
            "SnapshotSchedulerRole",
            AssumeRolePolicyDocument=PolicyDocument(
                Version=policies.POLICY_VERSION,
                Statement=[
                    Statement(
                        Effect=Allow,
                        Principal=Principal("Service", "scheduler.amazonaws.com"),
                        Action=[AssumeRole],
                        Condition=Condition(StringEquals({"aws:SourceAccount": Ref("AWS::AccountId")})),
                    )
                ],
            ),
            Policies=[
                iam.Policy(
                    PolicyName="write-compliance-snapshot",
                    PolicyDocument=policies.document(
                        *policies.sync_read_statements(source.bucket_and_prefix),
                        If(has_kms_key, policies.decrypt_statement(source.kms_key, kms.Decrypt), NoValue),
                        Statement(
                            Sid="StartSnapshotQuery",
                            Effect=Allow,
                            Action=[athena_actions.StartQueryExecution],
                            Resource=[
                                sub(
                                    "arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:"
                                    "workgroup/${AthenaWorkGroup}",
                                    imports_,
                                )
                            ],
                        ),
                        Statement(
                            Sid="ReadCatalog",
                            Effect=Allow,
                            Action=[
                                glue_actions.GetDatabase,
                                glue_actions.GetTable,
                                glue_actions.GetPartition,
                                glue_actions.GetPartitions,
                            ],
                            Resource=[sub(arn, imports_) for arn in catalog.glue_arns(catalog.table_name("*"))],
                        ),
                        Statement(
                            Sid="AddSnapshotPartition",
                            Effect=Allow,
                            Action=[glue_actions.CreatePartition, glue_actions.BatchCreatePartition],
                            Resource=[
                                sub(arn, imports_)
                                for arn in catalog.glue_arns(catalog.table_name("compliance_snapshot"))
                            ],
                        ),
                        Statement(
                            Sid="WriteResultsAndSnapshot",
                            Effect=Allow,
                            Action=[
                                s3_actions.GetObject,
                                s3_actions.PutObject,
                                s3_actions.AbortMultipartUpload,
                                s3_actions.ListMultipartUploadParts,
                            ],
                            Resource=[
                                policies.s3_arn(results_bucket, "/" + folder + "*")
                                for folder in (catalog.RESULTS_FOLDER, catalog.SNAPSHOT_FOLDER)
                            ],
                        ),
                        Statement(
                            Sid="ListResultsBucket",
                            Effect=Allow,
                            Action=[s3_actions.ListBucket, s3_actions.GetBucketLocation],
                            Resource=[policies.s3_arn(results_bucket)],
                        ),
                        If(
                            has_kms_key,
                            policies.decrypt_statement(
                                source.kms_key, kms.GenerateDataKey, sid="EncryptResultsWithKey"
                            ),
                            NoValue,
                        ),
                    ),
                )
            ],
        )
    )
    snapshot_request = {
        "QueryString": report_sql(SNAPSHOT_REPORT),
        "WorkGroup": "${AthenaWorkGroup}",
        "QueryExecutionContext": {"Database": f"${{{catalog.DATABASE}}}"},
    }
    t.add_resource(
        scheduler.Schedule(
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
                Input=sub(json.dumps(snapshot_request), imports_),
                RetryPolicy=scheduler.RetryPolicy(MaximumRetryAttempts=3, MaximumEventAgeInSeconds=3600),
            ),
        )
    )
    add_exported_outputs(
        t,
        [
            ("ComplianceSnapshotTableName", "Glue table of the daily compliance snapshot", Ref(snapshot_table)),
        ],
    )
    return t


RECORD = Record(
    "compliance_reports.yaml",
    build,
    step=5,
    account="collector",
    does="fleet views, Athena reports and the daily compliance snapshot",
    examples={"pBucketName": analytics.EXAMPLE_BUCKET_AND_PREFIX},
)
