"""Collector account, optional (step 6): QuickSight over the analytics stack's Athena workgroup:
the service role's read access, a data source, SPICE data sets with their refresh schedules.

The analytics stack (stacks/analytics.py, step 4) and the reports stack
(stacks/compliance_reports.py, step 5) are each named by one parameter and their exports are
imported: the database, workgroup and results bucket from the first, the snapshot table from the
second; the time-to-patch data set reads the second's episodes view, with that stack's SLA days.
CloudFormation creates this stack only after both have published their exports, so after the crawler
initializer has answered and the snapshot table and the views exist, and refuses to delete either
while this one uses them. What the analytics stack does not export (table prefix, sync bucket, KMS
key) comes through parameters with the same names and defaults as its own.
"""

import hashlib
import json
from typing import NamedTuple

from awacs import kms, s3 as s3_actions
from awacs.aws import Allow, Statement
from troposphere import Equals, GetAtt, If, NoValue, Ref, Sub, Template, cloudwatch, encode_to_dict, iam, quicksight

from ..parts import alerts, catalog, dashboard_definition, parameters as p, policies
from ..parts.common import imported, sub
from ..queries import compaction
from . import analytics, compliance_reports as reports
from .record import Record

# Athena (Glue) column types -> QuickSight input column types, as the AWS SDK for pandas maps
# them (awswrangler _data_types.athena2quicksight).
QUICKSIGHT_TYPES = {
    "string": "STRING",
    "int": "INTEGER",
    "bigint": "INTEGER",
    "double": "DECIMAL",
    "boolean": "BOOLEAN",
    "timestamp": "DATETIME",
    "date": "DATETIME",
}
# The daily snapshot table of the reports stack: its Glue columns, then its partition key.
SNAPSHOT_COLUMNS = {**compaction.COMPLIANCE_SNAPSHOT.columns, "snapshot_date": "date"}
# Added by the data set's SQL: a node's compliance as 0 or 100, so that the AVERAGE of any group of
# nodes is its compliance %, and 1 on the rows of the newest snapshot (the "now" visuals).
DERIVED_COLUMNS = {"compliance_percent": "INTEGER", "latest_snapshot": "INTEGER"}
SNAPSHOT_SQL = (
    "SELECT "
    + ", ".join(SNAPSHOT_COLUMNS)
    + ", CASE WHEN compliant THEN 100 ELSE 0 END AS compliance_percent"
    + ", CASE WHEN snapshot_date = max(snapshot_date) OVER () THEN 1 ELSE 0 END AS latest_snapshot"
    + ' FROM "${pCFNDatabaseName}"."${ComplianceSnapshotTable}"'
)
# queries/compacted/patch_exposure.sql: one row per active node and missing or failed patch, from the
# newest day of the exposure snapshot.
EXPOSURE_REPORT = "patch_exposure"
EXPOSURE_COLUMNS = [
    "account_id",
    "region",
    "node_id",
    "computer_name",
    "patch_group",
    "patch_id",
    "title",
    "classification",
    "severity",
    "patch_state",
    "cve_id",
]

# Time to patch: the reports stack's episodes view (queries/views/patch_episodes.sql), which reads only
# the compacted daily tables and holds each episode's SLA days from that stack's pSla*Days parameters,
# so the dashboard and the reports judge against the same days. Its fixed and open episodes (not those
# of nodes that left the snapshots), marked 1 in `fixed` or, when open longer than the SLA, `overdue_now`.
SLA_COLUMNS = {
    **dict.fromkeys(["account_id", "region", "node_id", "patch_id", "severity"], "STRING"),
    "fixed_date": "DATETIME",
    "days_open": "INTEGER",
    "sla_days": "INTEGER",
    "fixed": "INTEGER",
    "overdue_now": "INTEGER",
}
SLA_SQL = (
    "SELECT "
    + ", ".join(list(SLA_COLUMNS)[:-2])
    + ", CASE status WHEN 'fixed' THEN 1 ELSE 0 END AS fixed"
    + ", CASE WHEN status = 'open' AND overdue THEN 1 ELSE 0 END AS overdue_now"
    + ' FROM "${pCFNDatabaseName}"."${pCFNTablePrefixName}_patch_episodes"'
    + " WHERE status <> 'unreported'"
)


class DataSet(NamedTuple):
    logical_id: str
    schedule_logical_id: str  # of its refresh schedule
    name: str
    sql: str  # with ${pCFNDatabaseName}, ${pCFNTablePrefixName} or ${ComplianceSnapshotTable}
    columns: dict[str, str]  # what the SQL returns: name -> QuickSight type


# Data set key (its identifier in the Definition, its id suffix) -> the data set.
DATA_SETS = {
    "snapshot": DataSet(
        "QuickSightComplianceDataSet",
        "QuickSightRefreshSchedule",
        "Patch compliance history",
        SNAPSHOT_SQL,
        {**{name: QUICKSIGHT_TYPES[kind] for name, kind in SNAPSHOT_COLUMNS.items()}, **DERIVED_COLUMNS},
    ),
    "exposure": DataSet(
        "QuickSightExposureDataSet",
        "QuickSightExposureRefreshSchedule",
        "Patch exposure",
        reports.report_sql(EXPOSURE_REPORT, reports.REPORT_FOLDER),
        dict.fromkeys(EXPOSURE_COLUMNS, "STRING"),
    ),
    "sla": DataSet("QuickSightSlaDataSet", "QuickSightSlaRefreshSchedule", "Time to patch", SLA_SQL, SLA_COLUMNS),
}

# Owner permissions for the principal: the actions QuickSight grants the owner of each resource.
DATA_SOURCE_ACTIONS = [
    "quicksight:DeleteDataSource",
    "quicksight:DescribeDataSource",
    "quicksight:DescribeDataSourcePermissions",
    "quicksight:PassDataSource",
    "quicksight:UpdateDataSource",
    "quicksight:UpdateDataSourcePermissions",
]
DATA_SET_ACTIONS = [
    "quicksight:CancelIngestion",
    "quicksight:CreateIngestion",
    "quicksight:DeleteDataSet",
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
    "quicksight:PassDataSet",
    "quicksight:UpdateDataSet",
    "quicksight:UpdateDataSetPermissions",
]
ANALYSIS_ACTIONS = [
    "quicksight:DeleteAnalysis",
    "quicksight:DescribeAnalysis",
    "quicksight:DescribeAnalysisPermissions",
    "quicksight:QueryAnalysis",
    "quicksight:RestoreAnalysis",
    "quicksight:UpdateAnalysis",
    "quicksight:UpdateAnalysisPermissions",
]
DASHBOARD_ACTIONS = [
    "quicksight:DeleteDashboard",
    "quicksight:DescribeDashboard",
    "quicksight:DescribeDashboardPermissions",
    "quicksight:ListDashboardVersions",
    "quicksight:QueryDashboard",
    "quicksight:UpdateDashboard",
    "quicksight:UpdateDashboardPermissions",
    "quicksight:UpdateDashboardPublishedVersion",
]

SOURCE_GROUP = "Analytics and reports stacks (steps 4 and 5)"
QUICKSIGHT_GROUP = "QuickSight"
REFRESH_GROUP = "SPICE refresh"

QUICKSIGHT_PRINCIPAL_ARN = dict(
    Type="String",
    AllowedPattern=p.arn_pattern("quicksight", r"(user|group)/[a-zA-Z0-9_.@+=,-]+/[a-zA-Z0-9_.@+=,/-]+"),
    ConstraintDescription=(
        "must be a QuickSight user or group ARN such as arn:aws:quicksight:us-east-1:111122223333:user/default/NAME"
    ),
)
TIME_OF_DAY = dict(
    Type="String",
    AllowedPattern=r"^([01]\d|2[0-3]):[0-5]\d$",
    ConstraintDescription="must be a 24-hour time HH:MM, such as 06:30",
)
DAYS_OF_WEEK = ["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"]


def build() -> Template:
    t = Template(
        Description=(
            "Collector account, optional: read access for QuickSight's service role and, with a "
            "QuickSight principal, an Athena data source, SPICE data sets of the daily compliance "
            "snapshot, the patch exposure and time to patch with refresh schedules, and an analysis and dashboard "
            "defined as code."
        )
    )

    source = catalog.add_source(
        t, SOURCE_GROUP, analytics.FILE, "QuickSight decrypts the synced data and the Athena results with it."
    )
    p.add(
        t,
        "pReportsStackName",
        SOURCE_GROUP,
        "Reports stack name",
        Default=reports.RECORD.stack,
        Description=f"Name of the stack of {reports.RECORD.file}; its exported compliance snapshot table "
        "is read, so this stack is created after it.",
        **p.STACK_NAME,
    )
    principal = p.add(
        t,
        "pQuickSightPrincipalArn",
        QUICKSIGHT_GROUP,
        "QuickSight user or group ARN",
        Default="",
        Description="Owner of the QuickSight data source and data sets. Empty: only the "
        "service role's read access. QuickSight must be subscribed in this account.",
        **p.optional(QUICKSIGHT_PRINCIPAL_ARN),
    )
    quicksight_role = p.add(
        t,
        "pQuickSightServiceRoleName",
        QUICKSIGHT_GROUP,
        "QuickSight service role",
        Default="aws-quicksight-service-role-v0",
        Description="IAM role QuickSight uses for AWS data; it is given read access "
        "to the sync bucket and read/write access to the Athena results.",
        **p.IAM_ROLE_NAME,
    )
    interval = p.add(
        t,
        "pRefreshInterval",
        REFRESH_GROUP,
        "SPICE refresh repeats",
        Default="DAILY",
        Description="How often the SPICE data sets are refreshed.",
        Type="String",
        AllowedValues=["DAILY", "WEEKLY", "MONTHLY"],
        ConstraintDescription="must be DAILY, WEEKLY or MONTHLY",
    )
    time_of_day = p.add(
        t,
        "pRefreshTimeOfDay",
        REFRESH_GROUP,
        "SPICE refresh at (HH:MM)",
        Default="06:00",
        Description="Time of day the refresh starts, 24-hour HH:MM.",
        **TIME_OF_DAY,
    )
    timezone = p.add(
        t,
        "pRefreshTimezone",
        REFRESH_GROUP,
        "SPICE refresh time zone",
        Default="UTC",
        Description="Time zone of the refresh time (IANA name).",
        **p.TIMEZONE,
    )
    day_of_week = p.add(
        t,
        "pRefreshDayOfWeek",
        REFRESH_GROUP,
        "Weekly: day of the week",
        Default="MONDAY",
        Description="Day of a WEEKLY refresh.",
        Type="String",
        AllowedValues=DAYS_OF_WEEK,
        ConstraintDescription="must be a day of the week in capitals, such as MONDAY",
    )
    day_of_month = p.add(
        t,
        "pRefreshDayOfMonth",
        REFRESH_GROUP,
        "Monthly: day of the month",
        Default="1",
        Description="Day of a MONTHLY refresh: 1-28 or LAST_DAY_OF_MONTH.",
        Type="String",
        AllowedValues=[str(day) for day in range(1, 29)] + ["LAST_DAY_OF_MONTH"],
        ConstraintDescription="must be a day from 1 to 28 or LAST_DAY_OF_MONTH",
    )

    has_kms_key = p.has_value(t, source.kms_key)
    has_quicksight = p.has_value(t, principal)
    weekly = t.add_condition("RefreshWeekly", Equals(Ref(interval), "WEEKLY"))
    monthly = t.add_condition("RefreshMonthly", Equals(Ref(interval), "MONTHLY"))
    results_bucket = source.export("AthenaResultsBucketName")
    # ${name} in the data sets' SQL -> the export that fills it
    sql_names = {
        catalog.DATABASE: source.export("GlueDatabaseName"),
        "ComplianceSnapshotTable": imported("pReportsStackName", "ComplianceSnapshotTableName"),
    }
    # every QuickSight resource: only with a principal, in this account
    owned = {"Condition": has_quicksight, "AwsAccountId": Ref("AWS::AccountId")}

    # A customer managed policy attached to QuickSight's service role (QuickSight user guide,
    # "Attaching additional policies"); QuickSight's console keeps its own policies separate.
    t.add_resource(
        iam.ManagedPolicy(
            "QuickSightDataAccessPolicy",
            Description="QuickSight reads the synced inventory and uses the Athena results bucket",
            Roles=[Ref(quicksight_role)],
            PolicyDocument=policies.document(
                *policies.sync_read_statements(source.bucket_and_prefix),
                # Reads the results bucket (Athena's results and the daily snapshot); writes only where the
                # workgroup puts query results, which it enforces.
                Statement(
                    Sid="AthenaResults",
                    Effect=Allow,
                    Action=[s3_actions.GetObject],
                    Resource=[policies.s3_arn(results_bucket, "/*")],
                ),
                Statement(
                    Sid="WriteAthenaResults",
                    Effect=Allow,
                    Action=[
                        s3_actions.PutObject,
                        s3_actions.AbortMultipartUpload,
                        s3_actions.ListMultipartUploadParts,
                    ],
                    Resource=[policies.s3_arn(results_bucket, "/" + catalog.RESULTS_FOLDER + "*")],
                ),
                Statement(
                    Sid="AthenaResultsBucket",
                    Effect=Allow,
                    Action=[s3_actions.ListBucket, s3_actions.GetBucketLocation, s3_actions.ListBucketMultipartUploads],
                    Resource=[policies.s3_arn(results_bucket)],
                ),
                If(has_kms_key, policies.decrypt_statement(source.kms_key, kms.Decrypt, kms.GenerateDataKey), NoValue),
            ),
        )
    )
    data_source = t.add_resource(
        quicksight.DataSource(
            "QuickSightDataSource",
            **owned,
            DataSourceId=Sub("${AWS::StackName}-athena"),
            Name="Patch compliance (Athena)",
            Type="ATHENA",
            DataSourceParameters=quicksight.DataSourceParameters(
                AthenaParameters=quicksight.AthenaParameters(WorkGroup=source.export("AthenaWorkGroupName"))
            ),
            SslProperties=quicksight.SslProperties(DisableSsl=False),
            Permissions=[quicksight.ResourcePermission(Principal=Ref(principal), Actions=DATA_SOURCE_ACTIONS)],
            DependsOn=["QuickSightDataAccessPolicy"],
        )
    )
    data_sets = {}
    for key, spec in DATA_SETS.items():
        table = quicksight.CustomSql(
            Name=spec.name,
            DataSourceArn=GetAtt(data_source, "Arn"),
            SqlQuery=sub(spec.sql, sql_names),
            Columns=[quicksight.InputColumn(Name=column, Type=kind) for column, kind in spec.columns.items()],
        )
        data_sets[key] = t.add_resource(
            quicksight.DataSet(
                spec.logical_id,
                **owned,
                DataSetId=Sub("${AWS::StackName}-" + key),
                Name=spec.name,
                ImportMode="SPICE",
                # The first SPICE ingestion runs after the stack is created instead of holding it for
                # up to 36 hours (AWS::QuickSight::DataSet IngestionWaitPolicy).
                IngestionWaitPolicy=quicksight.IngestionWaitPolicy(WaitForSpiceIngestion=False),
                PhysicalTableMap={key: quicksight.PhysicalTable(CustomSql=table)},
                Permissions=[quicksight.ResourcePermission(Principal=Ref(principal), Actions=DATA_SET_ACTIONS)],
            )
        )
        # QuickSight sends no event for a failed refresh; it counts failed ingestions per data set in
        # CloudWatch (QuickSight user guide, "Monitoring data in Amazon QuickSight using CloudWatch":
        # IngestionErrorCount, dimension DatasetId).
        alerts.add_alarm(
            t,
            f"{spec.logical_id}IngestionAlarm",
            f"{key}-refresh-failed",
            Sub(
                f"The SPICE refresh of the data set {spec.name} (${{AWS::StackName}}-{key}) failed: the dashboard "
                "shows older data. QuickSight > Datasets > the data set > Refresh > History gives the error.",
            ),
            Namespace="AWS/QuickSight",
            MetricName="IngestionErrorCount",
            Dimensions=[cloudwatch.MetricDimension(Name="DatasetId", Value=Sub("${AWS::StackName}-" + key))],
            Statistic="Sum",
            Period=3600,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            Condition=has_quicksight,
        )
        t.add_resource(
            quicksight.RefreshSchedule(
                spec.schedule_logical_id,
                **owned,
                DataSetId=Sub("${AWS::StackName}-" + key),
                DependsOn=[spec.logical_id],
                Schedule=quicksight.RefreshScheduleMap(
                    ScheduleId=f"{key}-refresh",
                    RefreshType="FULL_REFRESH",
                    ScheduleFrequency=quicksight.ScheduleFrequency(
                        Interval=Ref(interval),
                        TimeOfTheDay=Ref(time_of_day),
                        TimeZone=Ref(timezone),
                        RefreshOnDay=If(
                            weekly,
                            quicksight.RefreshOnDay(DayOfWeek=Ref(day_of_week)),
                            If(monthly, quicksight.RefreshOnDay(DayOfMonth=Ref(day_of_month)), NoValue),
                        ),
                    ),
                ),
            )
        )

    layout = dashboard_definition.definition(
        {key: GetAtt(data_set, "Arn") for key, data_set in data_sets.items()},
        {key: spec.columns for key, spec in DATA_SETS.items()},
    )
    analysis = t.add_resource(
        quicksight.Analysis(
            "QuickSightAnalysis",
            **owned,
            AnalysisId=Sub("${AWS::StackName}-analysis"),
            Name="Patch compliance",
            Definition=quicksight.AnalysisDefinition.from_dict("Definition", layout),
            Permissions=[quicksight.ResourcePermission(Principal=Ref(principal), Actions=ANALYSIS_ACTIONS)],
        )
    )
    # The dashboard is published from the analysis through a QuickSight template, as the console's
    # "Publish" does, so the Definition is in the template once (twice would not fit the size
    # limit). CloudFormation updates a resource only when a property changes: the version
    # description carries the Definition's hash, so a changed Definition republishes both.
    version = (
        "Definition " + hashlib.sha256(json.dumps(encode_to_dict(layout), sort_keys=True).encode()).hexdigest()[:16]
    )
    references = [
        DataSetReference(DataSetPlaceholder=key, DataSetArn=GetAtt(data_set, "Arn"))
        for key, data_set in data_sets.items()
    ]
    template = t.add_resource(
        quicksight.Template(
            "QuickSightTemplate",
            **owned,
            TemplateId=Sub("${AWS::StackName}-template"),
            Name="Patch compliance",
            VersionDescription=version,
            SourceEntity=quicksight.TemplateSourceEntity(
                SourceAnalysis=quicksight.TemplateSourceAnalysis(
                    Arn=GetAtt(analysis, "Arn"), DataSetReferences=references
                )
            ),
        )
    )
    t.add_resource(
        quicksight.Dashboard(
            "QuickSightDashboard",
            **owned,
            DashboardId=Sub("${AWS::StackName}-dashboard"),
            Name="Patch compliance",
            VersionDescription=version,
            SourceEntity=quicksight.DashboardSourceEntity(
                SourceTemplate=quicksight.DashboardSourceTemplate(
                    Arn=GetAtt(template, "Arn"), DataSetReferences=references
                )
            ),
            Permissions=[quicksight.ResourcePermission(Principal=Ref(principal), Actions=DASHBOARD_ACTIONS)],
            DashboardPublishOptions=quicksight.DashboardPublishOptions(
                AdHocFilteringOption=quicksight.AdHocFilteringOption(AvailabilityStatus="ENABLED"),
                ExportToCSVOption=quicksight.ExportToCSVOption(AvailabilityStatus="ENABLED"),
                SheetControlsOption=quicksight.SheetControlsOption(VisibilityState="EXPANDED"),
            ),
        )
    )
    return t


class DataSetReference(quicksight.DataSetReference):
    """The template and dashboard DataSetReference (DataSetPlaceholder, DataSetArn): troposphere
    4.11 gives that class name to TopicV2's reference (DataSetArn, DataSetName)."""

    props = {"DataSetArn": (object, True), "DataSetPlaceholder": (str, True)}


RECORD = Record(
    "quicksight_dashboard.yaml",
    build,
    step=6,
    account="collector",
    does="QuickSight data sets, analysis and dashboard (optional)",
    takes=((reports.RECORD, "compliance snapshot table, by export"),),
    examples={
        "pBucketName": analytics.EXAMPLE_BUCKET_AND_PREFIX,
        "pQuickSightPrincipalArn": "arn:aws:quicksight:us-east-1:111122223333:user/default/patch-admin",
    },
)
