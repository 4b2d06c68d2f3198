"""Collector account (step 5): the patch compliance reports over the analytics stack's tables: the
Glue views that define the fleet once, the daily compaction (queries/compaction.py: its Parquet tables,
a Step Functions state machine that runs its statements in order in the analytics stack's daily
workgroup, the EventBridge Scheduler schedule that starts it, and their roles), and one Athena named
query per report over the compacted tables (queries/compacted/).

The analytics stack (stacks/analytics.py, step 4) is named by one parameter and its exports are
imported, as the dashboard (stacks/quicksight_dashboard.py) does: CloudFormation creates
this stack only after that stack has published its exports, and refuses to delete it while this
one uses them. What it does not export (table prefix, sync bucket, KMS key) comes through
parameters with the same names and defaults as the analytics stack's. This stack exports the
snapshot table, which the dashboard (step 6) imports.
"""

import json
from pathlib import Path

from awacs import (
    athena as athena_actions,
    glue as glue_actions,
    kms,
    s3 as s3_actions,
    sqs as sqs_actions,
    states as states_actions,
)
from awacs.aws import Allow, Condition, PolicyDocument, Principal, Statement, StringEquals
from awacs.sts import AssumeRole
from troposphere import (
    Base64,
    GetAtt,
    If,
    Join,
    NoValue,
    Ref,
    Sub,
    Template,
    athena,
    glue,
    iam,
    scheduler,
    stepfunctions,
)

from ..parts import alerts, catalog, parameters as p, policies
from ..parts.common import add_exported_outputs, checkov_skip, sub
from ..queries import compaction
from . import analytics
from .record import Record

QUERIES = compaction.QUERIES
# Every report reads the compacted daily tables: queries/compacted/<name>.sql. queries/<name>.sql is
# the same report over the fleet views on the synced JSON, kept as the reference the compacted one
# must equal (tests/queries/test_compacted_reports.py) and as the benchmark's "before".
REPORT_FOLDER = QUERIES / "compacted"
# Report -> description of its named query.
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
    "unscanned_untargeted_nodes": "Nodes never scanned, or not EC2 instances (the default window skips them)",
    **compaction.SLA_REPORTS,
}
# The fleet and its exposure, each defined once as a Glue view (queries/views/<name>.sql) that the
# daily compaction reads, and time to patch over the compacted history: view -> its columns with
# their Athena (Trino) types, which must be exactly what the SQL returns or Athena calls the view stale.
VIEWS = {
    "nodes": {
        **dict.fromkeys(compaction.NODE_TEXT_COLUMNS, "varchar"),
        "reported": "boolean",
        **dict.fromkeys(compaction.NODE_COUNT_COLUMNS, "integer"),
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
VIEWS["patch_episodes"] = compaction.EPISODES_VIEW
HIVE_TYPES = {"varchar": "string", "integer": "int", "bigint": "bigint", "boolean": "boolean", "date": "date"}
# The compacted tables (the compliance snapshot and queries/compaction.py's daily tables) and their
# folders, as one Glue and one S3 ARN pattern each (the template holds at most 51,200 bytes).
DAILY_TABLES = "*_snapshot"
DAILY_FOLDERS = "*-snapshot/"
SOURCE_GROUP = "Analytics stack (step 4)"
REPORTS_GROUP = "Reports and daily snapshot"
SLA_GROUP = "Time to patch: days a missing patch may stay open"


def imports(source: catalog.Source) -> dict:
    """${name} in the SQL and ARNs of this stack -> the analytics stack's export that fills it."""
    return {
        catalog.DATABASE: source.export("GlueDatabaseName"),
        "AthenaWorkGroup": source.export("AthenaWorkGroupName"),
        "AthenaDailyWorkGroup": source.export("AthenaDailyWorkGroupName"),
        "AthenaResultsBucket": source.export("AthenaResultsBucketName"),
    }


def report_sql(name: str, folder: Path = QUERIES) -> str:
    """A query as the template holds it (a template holds at most 51,200 bytes): without its
    comment lines and indentation; the file documents it."""
    lines = (line.strip() for line in (folder / f"{name}.sql").read_text().splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("--")) + "\n"


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def glue_view(t: Template, name: str, names: dict) -> glue.Table:
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
        names[catalog.DATABASE],
        name,
        f"Athena view from queries/views/{name}.sql",
        TableType="VIRTUAL_VIEW",
        Parameters={"presto_view": "true", "comment": "Presto View"},
        ViewOriginalText=Join("", ["/* Presto View: ", Base64(sub(presto_view, names)), " */"]),
        ViewExpandedText="/* Presto View */",
        StorageDescriptor=glue.StorageDescriptor(
            Columns=[glue.Column(Name=c, Type=HIVE_TYPES[kind]) for c, kind in columns.items()],
            SerdeInfo=glue.SerdeInfo(),
        ),
    )


def trusted_by(service: str) -> PolicyDocument:
    """A role only `service` acting for this account may assume (aws:SourceAccount)."""
    return PolicyDocument(
        Version=policies.POLICY_VERSION,
        Statement=[
            Statement(
                Effect=Allow,
                Principal=Principal("Service", service),
                Action=[AssumeRole],
                Condition=Condition(StringEquals({"aws:SourceAccount": Ref("AWS::AccountId")})),
            )
        ],
    )


def daily_job(statements=compaction.DAILY_STATEMENTS) -> dict:
    """The state machine that runs the daily statements one after the other, each one Athena query in
    the daily workgroup: ".sync" waits for the query to finish and fails the run when it fails, so a
    statement runs only after the one before it succeeded (Step Functions developer guide, "Run Athena
    queries with Step Functions"). A failed statement is tried twice more, 10 and 20 minutes later (Step Functions doubles the interval by default)
    (each statement adds nothing on a day it already wrote)."""
    steps = [Path(path) for path in statements]
    states = {
        step.name: {
            "Type": "Task",
            "Resource": "arn:${AWS::Partition}:states:::athena:startQueryExecution.sync",
            "Parameters": {
                "QueryString": report_sql(step.name, QUERIES / step.parent),
                "WorkGroup": "${AthenaDailyWorkGroup}",
                "QueryExecutionContext": {"Database": f"${{{catalog.DATABASE}}}"},
            },
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 600, "MaxAttempts": 2}],
            **({"Next": following.name} if following else {"End": True}),
        }
        for step, following in zip(steps, [*steps[1:], None], strict=True)
    }
    return {
        "Comment": "Daily compaction of the synced JSON into the compacted tables (queries/compaction.py)",
        "StartAt": steps[0].name,
        "States": states,
    }


def build() -> Template:
    t = Template(
        Description=(
            "Collector account: patch compliance reports: the fleet views, the daily compaction of the synced "
            "JSON into Parquet tables (a Step Functions state machine running Athena statements in order, started "
            "by EventBridge Scheduler), and Athena named queries over the compacted tables, time to patch included."
        )
    )

    source = catalog.add_source(
        t,
        SOURCE_GROUP,
        analytics.FILE,
        "the compaction's Athena queries decrypt the synced data and encrypt results with it.",
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
        "Daily compaction at",
        Default="cron(0 4 * * ? *)",
        Description="When Athena compacts the day's synced JSON into the daily tables, as a cron "
        "expression in UTC (after the analytics stack's crawler run).",
        **p.CRON_SCHEDULE,
    )
    for sla in compaction.SLAS:
        # ${pSla...Days} in the episodes view's SQL is filled in by Fn::Sub
        p.add(
            t,
            sla.parameter,
            SLA_GROUP,
            f"{sla.severity.capitalize()} (days)",
            Default=sla.default,
            Description=f"Days a missing {sla.severity} patch may stay open before it is overdue. Default: {sla.source}.",
            **p.days(1, 3650),
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
                Description=f"queries/compacted/{name}.sql",
                Database=database,
                WorkGroup=imports_["AthenaWorkGroup"],
                QueryString=sub(report_sql(name, REPORT_FOLDER), imports_),
            )
        )

    # Athena runs each statement with the caller's permissions: this role's.
    compaction_role = t.add_resource(
        iam.Role(
            "DailyCompactionRole",
            AssumeRolePolicyDocument=trusted_by("states.amazonaws.com"),
            Policies=[
                iam.Policy(
                    PolicyName="compact-synced-json",
                    PolicyDocument=policies.document(
                        *policies.sync_read_statements(source.bucket_and_prefix),
                        If(has_kms_key, policies.decrypt_statement(source.kms_key, kms.Decrypt), NoValue),
                        Statement(
                            Sid="RunDailyStatements",
                            Effect=Allow,
                            Action=[
                                athena_actions.StartQueryExecution,
                                athena_actions.GetQueryExecution,
                                athena_actions.StopQueryExecution,
                            ],
                            Resource=[
                                sub(
                                    "arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:"
                                    "workgroup/${AthenaDailyWorkGroup}",
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
                            Sid="AddDailyPartitions",
                            Effect=Allow,
                            Action=[glue_actions.CreatePartition, glue_actions.BatchCreatePartition],
                            Resource=[
                                sub(arn, imports_) for arn in catalog.glue_arns(catalog.table_name(DAILY_TABLES))
                            ],
                        ),
                        Statement(
                            Sid="WriteResultsAndDailyTables",
                            Effect=Allow,
                            Action=[
                                s3_actions.GetObject,
                                s3_actions.PutObject,
                                s3_actions.AbortMultipartUpload,
                                s3_actions.ListMultipartUploadParts,
                            ],
                            Resource=[
                                policies.s3_arn(results_bucket, "/" + folder + "*")
                                for folder in (catalog.RESULTS_FOLDER, DAILY_FOLDERS)
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
    job = t.add_resource(
        stepfunctions.StateMachine(
            "DailyCompactionStateMachine",
            Metadata=checkov_skip(
                CKV_AWS_284="X-Ray would trace three Athena calls a day; a failed run is alerted by its "
                "Step Functions and Athena events (central alerts stack).",
                CKV_AWS_285="Step Functions keeps each run's history (every state's input, output and "
                "error) for 90 days; execution logs would repeat it in CloudWatch Logs.",
            ),
            # the central alerts stack matches its failed runs on the name's end
            StateMachineName=Sub("${AWS::StackName}" + alerts.DAILY_JOB_SUFFIX),
            StateMachineType="STANDARD",
            RoleArn=GetAtt(compaction_role, "Arn"),
            DefinitionString=sub(json.dumps(daily_job(), separators=(",", ":")), imports_),
        )
    )
    # EventBridge Scheduler retries only its own call (StartExecution); when that still fails, the
    # event goes to this queue (EventBridge Scheduler user guide, "Configuring a schedule's dead-letter
    # queue"), and its alarm reaches the central alerts topic.
    dead_letters, _ = alerts.add_dead_letter_queue(
        t,
        "DailyCompactionDeadLetterQueue",
        "daily-compaction-not-started",
        "EventBridge Scheduler could not start the daily compaction (state machine ${Job}): today's reports "
        "and trend will miss a day. The failed start is in SQS queue ${Queue}; run the state machine by hand.",
        Job=Ref(job),
    )
    scheduler_role = t.add_resource(
        iam.Role(
            "SnapshotSchedulerRole",
            AssumeRolePolicyDocument=trusted_by("scheduler.amazonaws.com"),
            Policies=[
                iam.Policy(
                    PolicyName="start-daily-compaction",
                    PolicyDocument=policies.document(
                        Statement(
                            Sid="StartDailyCompaction",
                            Effect=Allow,
                            Action=[states_actions.StartExecution],
                            Resource=[Ref(job)],
                        ),
                        Statement(
                            Sid="SendDeadLetters",
                            Effect=Allow,
                            Action=[sqs_actions.SendMessage],
                            Resource=[GetAtt(dead_letters, "Arn")],
                        ),
                    ),
                )
            ],
        )
    )
    t.add_resource(
        scheduler.Schedule(
            "ComplianceSnapshotSchedule",
            Description="Starts the daily compaction of the synced JSON",
            ScheduleExpression=Ref(snapshot_schedule),
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow=scheduler.FlexibleTimeWindow(Mode="OFF"),
            State="ENABLED",
            Target=scheduler.Target(
                Arn=Ref(job),
                RoleArn=GetAtt(scheduler_role, "Arn"),
                Input="{}",
                RetryPolicy=scheduler.RetryPolicy(MaximumRetryAttempts=3, MaximumEventAgeInSeconds=3600),
                DeadLetterConfig=scheduler.DeadLetterConfig(Arn=GetAtt(dead_letters, "Arn")),
            ),
        )
    )
    add_exported_outputs(
        t,
        [
            # the analytics stack holds the table; the dashboard takes its name from here
            (
                "ComplianceSnapshotTableName",
                "Glue table of the daily compliance snapshot",
                Sub(catalog.table_name(compaction.COMPLIANCE_SNAPSHOT.name)),
            ),
            (
                "DailyCompactionDeadLetterQueueName",
                "Queue of the daily compaction's failed starts",
                GetAtt(dead_letters, "QueueName"),
            ),
        ],
    )
    return t


RECORD = Record(
    "compliance_reports.yaml",
    build,
    step=5,
    account="collector",
    does="fleet views, daily compaction to Parquet, Athena reports and time to patch",
    examples={"pBucketName": analytics.EXAMPLE_BUCKET_AND_PREFIX},
)
