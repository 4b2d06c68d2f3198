"""The reports stack (stacks/compliance_reports.py): parameters, what it takes from the analytics stack, the fleet views,
the daily compaction (state machine, schedule, dead-letter queue, roles) and the named queries; the
state machine's statements and every named query run on DuckDB over the sample sync data, loaded
through the analytics stack's tables."""

import fnmatch
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import check_constraint, example, statements as deployed_statements, template_dict
from sample_data import (
    NOW,
    RESULTS,
    STACKS,
    A,
    B,
    daily_job,
    loaded,
    on_duckdb,
    presto_view,
    render_reports,
    resources,
    run_daily_job,
)

from patch_templates.parts import alerts
from patch_templates.queries import compaction
from patch_templates.stacks import ANALYTICS, compliance_reports as reports, quicksight_dashboard

NAME = reports.RECORD
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROOT = Path(__file__).resolve().parents[2]


# Parameters ---------------------------------------------------------------------------------

GOOD_AND_BAD = {
    "pAnalyticsStackName": (
        ["consolidated-billing-s3-glue-crawler-athena", "a", "A" * 128],
        ["", "1stack", "-stack", "stack_name", "stack.name", "A" * 129],
    ),
    "pCFNTablePrefixName": (
        ["patching", "p", "ssm_inventory2"],
        ["", "Patching", "2patch", "patch-ing", "_p", "x" * 65],
    ),
    "pBucketName": (
        ["patch-inventory-111122223333/inventory", "my.bucket/inventory", "abc/a/b/c"],
        [
            "",
            "bucket-only",
            "bucket/",
            "/prefix",
            "Bucket/prefix",
            "bucket//prefix",
            "bucket/prefix/",
            "a..b/prefix",
            "bucket-s3alias/prefix",
            "b" * 64 + "/prefix",
        ],
    ),
    "pKMSKeyArn": (
        ["", KEY],
        ["alias/aws/s3", "1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:kms:us-east-1:111122223333:alias/my-key"],
    ),
    "pStaleScanDays": (["1", "7", "365"], ["0", "366", "seven"]),
    "pSnapshotSchedule": (
        ["cron(0 4 * * ? *)", "cron(30 23 ? * MON-FRI *)"],
        ["", "rate(1 day)", "cron(0 4 * * ?)", "at(2025-01-01T04:00:00)", "0 4 * * ? *"],
    ),
    **{
        sla.parameter: (["1", str(sla.default), "3650"], ["0", "3651", "-1", "30.5", "a month", ""])
        for sla in compaction.SLAS
    },
}


def test_every_parameter_refuses_bad_values():
    tried = sum(check_constraint(NAME, name, good, bad) for name, (good, bad) in GOOD_AND_BAD.items())
    assert set(GOOD_AND_BAD) == set(template_dict(NAME)["Parameters"])
    assert tried == sum(len(bad) for _, bad in GOOD_AND_BAD.values()) == 57


@pytest.mark.parametrize("reader", [NAME, quicksight_dashboard.RECORD])
def test_parameters_shared_with_the_analytics_stack_are_the_same(reader):
    mine = template_dict(reader)["Parameters"]
    theirs = template_dict(ANALYTICS)["Parameters"]
    for name in ("pCFNTablePrefixName", "pKMSKeyArn", "pBucketName"):
        assert {k: v for k, v in mine[name].items() if k != "Description"} == {
            k: v for k, v in theirs[name].items() if k != "Description"
        }, name


def test_the_moved_parameters_keep_their_defaults():
    mine = template_dict(NAME)["Parameters"]
    assert {name: mine[name]["Default"] for name in ("pStaleScanDays", "pSnapshotSchedule")} == {
        "pStaleScanDays": 7,
        "pSnapshotSchedule": "cron(0 4 * * ? *)",
    }
    assert not {"pStaleScanDays", "pSnapshotSchedule"} & set(template_dict(ANALYTICS)["Parameters"])


def imported(node) -> set[str]:
    """The export names this template imports, as ${stack parameter}-<name>."""
    if isinstance(node, dict):
        if "Fn::ImportValue" in node:
            return {node["Fn::ImportValue"]["Fn::Sub"]}
        return set().union(*(imported(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(imported(value) for value in node))
    return set()


def test_it_imports_what_the_analytics_stack_exports_under_its_default_name():
    outputs = template_dict(ANALYTICS)["Outputs"]
    names = {"GlueDatabaseName", "AthenaWorkGroupName", "AthenaDailyWorkGroupName", "AthenaResultsBucketName"}
    assert imported(template_dict(NAME)["Resources"]) == {"${pAnalyticsStackName}-" + name for name in names}
    for name in names:
        assert outputs[name]["Export"]["Name"] == {"Fn::Sub": "${AWS::StackName}-" + name}
    # the stack name the generated deploy command gives the analytics template
    assert template_dict(NAME)["Parameters"]["pAnalyticsStackName"]["Default"] == ANALYTICS.stack
    # the table is the analytics stack's; the dashboard imports its name from here
    output = render_reports({"pCFNTablePrefixName": "org_patch"})["Outputs"]["ComplianceSnapshotTableName"]
    assert output["Value"] == "org_patch_compliance_snapshot"
    assert template_dict(NAME)["Outputs"]["ComplianceSnapshotTableName"]["Export"] == {
        "Name": {"Fn::Sub": "${AWS::StackName}-ComplianceSnapshotTableName"}
    }


def test_the_analytics_stack_holds_the_data_and_this_stack_what_reads_and_writes_it():
    """The compacted tables (the history, retained) are the analytics stack's with the bucket they live
    in; the views, named queries and the daily job are in this template only, so it can be deleted and
    deployed again without losing a day."""
    theirs = template_dict(ANALYTICS)["Resources"]
    mine = template_dict(NAME)["Resources"]
    assert not resources(template_dict(ANALYTICS), "AWS::Athena::NamedQuery")
    assert not set(theirs) & set(mine)
    assert {kind["Type"] for kind in mine.values()} == {
        "AWS::Glue::Table",
        "AWS::Athena::NamedQuery",
        "AWS::IAM::Role",
        "AWS::Scheduler::Schedule",
        "AWS::StepFunctions::StateMachine",
        "AWS::SQS::Queue",
        "AWS::CloudWatch::Alarm",
    }
    assert all(
        r["Properties"]["TableInput"]["TableType"] == "VIRTUAL_VIEW"
        for r in resources(template_dict(NAME), "AWS::Glue::Table").values()
    )


# Views, named queries and the snapshot table -------------------------------------------------


def test_one_named_query_per_sql_file_on_the_imported_database_and_workgroup():
    stack = render_reports({}, database="ssm-inventory", stack="patch-analytics")
    queries = resources(stack, "AWS::Athena::NamedQuery")
    assert sorted(q["Properties"]["Description"] for q in queries.values()) == sorted(
        f"queries/compacted/{f.name}" for f in reports.REPORT_FOLDER.glob("*.sql")
    )
    for query in queries.values():
        assert query["Properties"]["Database"] == "ssm-inventory"
        assert query["Properties"]["WorkGroup"] == "patch-reports"
    for table in resources(stack, "AWS::Glue::Table").values():
        assert table["Properties"]["DatabaseName"] == "ssm-inventory"


# Worked out by hand from the files under tests/data/inventory. The cases: i-..b4 is Terminated
# with a patch summary (missing 4) and a missing critical patch, so it must be in no report but the
# inventory; i-..a4's only security patch Failed; i-..b1 is Stopped and mi-..b3 ConnectionLost (kept,
# flagged; b3 never reported a patch summary, so it is not compliant); CVE ids on items, some with a
# space after the comma; scan and install times that are not at midnight (a3's scan is 7 days and
# 30 minutes old: stale, 7 days, where a count of day boundaries would say 8).
EXPECTED = {
    "compliance_summary": [
        (A, "eu-west-1", 2, 0, 2, 0.0, 0),  # a3: 2 pending reboot; a4: 1 failed
        (A, "us-east-1", 2, 1, 1, 50.0, 0),  # a1 compliant, a2 missing 3
        (B, "eu-west-1", 2, 1, 1, 50.0, 1),  # b2 compliant, b3 no summary (ConnectionLost), b4 terminated
        (B, "us-east-1", 1, 0, 1, 0.0, 1),  # b1 stopped: missing 1, failed 1
    ],
    "noncompliant_instances": [
        (A, "eu-west-1", "i-0a0000000000000a3", "WIN-TEST-01", "Active", "Test", 0, 0, 2, "2025-06-22T23:30:00Z"),
        (A, "eu-west-1", "i-0a0000000000000a4", "app-02", "Active", "Production", 0, 1, 0, "2025-06-29T07:45:00Z"),
        (A, "us-east-1", "i-0a0000000000000a2", "web-01", "Active", "Production", 3, 0, 0, "2025-06-28T15:20:00Z"),
        (B, "eu-west-1", "mi-0b0000000000000b3", "onprem-01", "ConnectionLost", None, 0, 0, 0, None),
        (B, "us-east-1", "i-0b0000000000000b1", "WIN-APP-01", "Stopped", "", 1, 1, 0, "2025-05-01T09:10:00Z"),
    ],
    "missing_critical_security_patches": [
        (A, "eu-west-1", "i-0a0000000000000a4", "Active", 0, 1, 1, "ALAS-2025-010 (Failed)"),
        # bash (Bugfix, MEDIUM) is neither; ALAS-2024-900 is installed
        (A, "us-east-1", "i-0a0000000000000a2", "Active", 1, 2, 0, "ALAS-2025-001 (Missing), ALAS-2025-002 (Missing)"),
        # KB5000002 failed but is neither critical nor a security update; KB5000003 is critical
        (B, "us-east-1", "i-0b0000000000000b1", "Stopped", 2, 1, 0, "KB5000001 (Missing), KB5000003 (Missing)"),
    ],
    "stale_patch_scans": [  # N = 7 days before 2025-06-30; i-..b4 (scan 2025-04-01) is terminated
        (A, "eu-west-1", "i-0a0000000000000a3", "WIN-TEST-01", "2025-06-22T23:30:00Z", 7),
        (B, "eu-west-1", "mi-0b0000000000000b3", "onprem-01", None, None),
        (B, "us-east-1", "i-0b0000000000000b1", "WIN-APP-01", "2025-05-01T09:10:00Z", 59),
    ],
    "compliance_by_patch_group": [
        ("(none)", "pb-0a1b2c3d4e5f60001", 1, 0, 1, 1, 0),  # b1
        ("(none)", None, 1, 0, 0, 0, 0),  # b3: no patch summary
        ("Production", "pb-0a1b2c3d4e5f60001", 1, 1, 0, 0, 0),  # a1
        ("Production", "pb-0a1b2c3d4e5f60002", 3, 1, 3, 1, 0),  # a2, a4, b2 (not b4)
        ("Test", "pb-0a1b2c3d4e5f60001", 1, 0, 0, 0, 2),  # a3
    ],
    "managed_instance_inventory": [  # the raw inventory: every node, terminated ones too
        (
            A,
            "eu-west-1",
            "i-0a0000000000000a3",
            "WIN-TEST-01",
            "Windows",
            "Microsoft Windows Server 2022 Datacenter",
            "10.0.20348",
            "3.2.582.0",
            "Active",
            "EC2Instance",
        ),
        (
            A,
            "eu-west-1",
            "i-0a0000000000000a4",
            "app-02",
            "Linux",
            "Amazon Linux",
            "2023",
            "3.3.987.0",
            "Active",
            "EC2Instance",
        ),
        (
            A,
            "us-east-1",
            "i-0a0000000000000a1",
            "WIN-WEB-01",
            "Windows",
            "Microsoft Windows Server 2019 Datacenter",
            "10.0.17763",
            "3.3.1142.0",
            "Active",
            "EC2Instance",
        ),
        (
            A,
            "us-east-1",
            "i-0a0000000000000a2",
            "web-01",
            "Linux",
            "Amazon Linux",
            "2023",
            "3.3.987.0",
            "Active",
            "EC2Instance",
        ),
        (
            B,
            "eu-west-1",
            "i-0b0000000000000b2",
            "db-01",
            "Linux",
            "Ubuntu",
            "22.04",
            "3.3.987.0",
            "Active",
            "EC2Instance",
        ),
        (
            B,
            "eu-west-1",
            "i-0b0000000000000b4",
            "old-01",
            "Linux",
            "Amazon Linux",
            "2",
            "3.1.1004.0",
            "Terminated",
            "EC2Instance",
        ),
        (
            B,
            "eu-west-1",
            "mi-0b0000000000000b3",
            "onprem-01",
            "Linux",
            "Red Hat Enterprise Linux",
            "9.2",
            "3.0.1390.0",
            "ConnectionLost",
            "ManagedInstance",
        ),
        (
            B,
            "us-east-1",
            "i-0b0000000000000b1",
            "WIN-APP-01",
            "Windows",
            "Microsoft Windows Server 2016 Datacenter",
            "10.0.14393",
            "3.1.1004.0",
            "Stopped",
            "EC2Instance",
        ),
    ],
    "patch_exposure": [  # b4's missing kernel patch (terminated) and a2's installed ALAS-2024-900 are out
        (
            A,
            "eu-west-1",
            "i-0a0000000000000a4",
            "app-02",
            "Production",
            "ALAS-2025-010",
            "openssh",
            "Security",
            "MEDIUM",
            "Failed",
            "CVE-2025-0001",
        ),
        (
            A,
            "us-east-1",
            "i-0a0000000000000a2",
            "web-01",
            "Production",
            "ALAS-2025-001",
            "kernel",
            "Security",
            "CRITICAL",
            "Missing",
            "CVE-2025-0001",
        ),
        (
            A,
            "us-east-1",
            "i-0a0000000000000a2",
            "web-01",
            "Production",
            "ALAS-2025-001",
            "kernel",
            "Security",
            "CRITICAL",
            "Missing",
            "CVE-2025-0002",
        ),
        (
            A,
            "us-east-1",
            "i-0a0000000000000a2",
            "web-01",
            "Production",
            "ALAS-2025-002",
            "openssl",
            "Security",
            "HIGH",
            "Missing",
            "CVE-2025-0002",
        ),
        (
            A,
            "us-east-1",
            "i-0a0000000000000a2",
            "web-01",
            "Production",
            "bash-5.2.15-1",
            "bash",
            "Bugfix",
            "MEDIUM",
            "Missing",
            None,
        ),
        (
            B,
            "us-east-1",
            "i-0b0000000000000b1",
            "WIN-APP-01",
            "",
            "KB5000001",
            "Cumulative security update",
            "SecurityUpdates",
            "CRITICAL",
            "Missing",
            "CVE-2025-0002",
        ),
        (
            B,
            "us-east-1",
            "i-0b0000000000000b1",
            "WIN-APP-01",
            "",
            "KB5000001",
            "Cumulative security update",
            "SecurityUpdates",
            "CRITICAL",
            "Missing",
            "CVE-2025-1001",
        ),
        (
            B,
            "us-east-1",
            "i-0b0000000000000b1",
            "WIN-APP-01",
            "",
            "KB5000002",
            ".NET update",
            "Updates",
            "HIGH",
            "Failed",
            None,
        ),
        (
            B,
            "us-east-1",
            "i-0b0000000000000b1",
            "WIN-APP-01",
            "",
            "KB5000003",
            "Critical update",
            "CriticalUpdates",
            "CRITICAL",
            "Missing",
            None,
        ),
    ],
    "patches_by_cve": [  # b4's CVEs count nowhere: it is terminated
        # a2 (kernel, critical, missing, scanned 06-28 15:20) and a4 (openssh, medium, failed)
        ("CVE-2025-0001", "CRITICAL", 2, 1, 1, "ALAS-2025-001, ALAS-2025-010", "2025-06-28T15:20:00Z", 1),
        # a2 (account A) and b1 (account B, scanned 05-01 09:10: 59 days and 14 h 50 min ago)
        ("CVE-2025-0002", "CRITICAL", 2, 2, 0, "ALAS-2025-001, ALAS-2025-002, KB5000001", "2025-05-01T09:10:00Z", 59),
        ("CVE-2025-1001", "CRITICAL", 1, 1, 0, "KB5000001", "2025-05-01T09:10:00Z", 59),
    ],
    "nodes_by_days_since_install": [  # newest InstalledTime of an installed patch; none known first
        (A, "eu-west-1", "i-0a0000000000000a3", "WIN-TEST-01", "Active", None, None),
        (B, "eu-west-1", "i-0b0000000000000b2", "db-01", "Active", None, None),
        (B, "eu-west-1", "mi-0b0000000000000b3", "onprem-01", "ConnectionLost", None, None),
        (B, "us-east-1", "i-0b0000000000000b1", "WIN-APP-01", "Stopped", None, None),
        (A, "us-east-1", "i-0a0000000000000a2", "web-01", "Active", "2025-05-20T22:40:00Z", 40),
        (A, "us-east-1", "i-0a0000000000000a1", "WIN-WEB-01", "Active", "2025-06-10T02:15:00Z", 19),
        (A, "eu-west-1", "i-0a0000000000000a4", "app-02", "Active", "2025-06-25T10:05:00Z", 4),
    ],
}


@pytest.fixture(scope="module", params=STACKS)
def stack(request):
    """The sample data, compacted by the deployed state machine on the reports' day."""
    stack, db = loaded(STACKS[request.param])
    run_daily_job(stack, db, NOW[:10])
    yield stack, db
    db.close()


def database_of(stack: dict) -> str:
    return stack["Resources"]["ViewNodes"]["Properties"]["DatabaseName"]


def as_text(value):
    """The compacted tables hold UTC timestamps where the sync has ISO 8601 text."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return float(value) if isinstance(value, Decimal) else value


@pytest.mark.parametrize("report", EXPECTED)
def test_each_named_query_returns_the_hand_worked_result(stack, report):
    stack, db = stack
    query = stack["Resources"][f"Query{reports.camel(report)}"]["Properties"]
    assert f'"{database_of(stack)}".' in query["QueryString"] and "${" not in query["QueryString"]
    result = db.execute(on_duckdb(query["QueryString"])).fetchall()
    assert [tuple(as_text(v) for v in row) for row in result] == EXPECTED[report]


def test_views_return_exactly_their_declared_columns_and_types(stack):
    """Athena calls a view stale when its SQL's columns differ from those it stores."""
    stack, db = stack
    for name, columns in reports.VIEWS.items():
        spec = stack["Resources"][f"View{reports.camel(name)}"]["Properties"]["TableInput"]
        presto = presto_view(spec)
        assert [(c["name"], c["type"]) for c in presto["columns"]] == list(columns.items())
        assert [(c["Name"], c["Type"]) for c in spec["StorageDescriptor"]["Columns"]] == [
            (column, reports.HIVE_TYPES[kind]) for column, kind in columns.items()
        ]
        described = db.execute(f'DESCRIBE "{presto["schema"]}"."{spec["Name"]}"').fetchall()
        assert [(row[0], row[1].lower()) for row in described] == list(columns.items())


# The dashboard reads this table: its names and types are a contract.
SNAPSHOT_CONTRACT = [
    ("account_id", "string"),
    ("region", "string"),
    ("node_id", "string"),
    ("computer_name", "string"),
    ("platform_name", "string"),
    ("platform_type", "string"),
    ("instance_status", "string"),
    ("patch_group", "string"),
    ("baseline_id", "string"),
    ("compliant", "boolean"),
    ("missing_count", "int"),
    ("failed_count", "int"),
    ("installed_pending_reboot_count", "int"),
    ("critical_noncompliant_count", "int"),
    ("security_noncompliant_count", "int"),
    ("last_scan_time", "timestamp"),
    ("last_install_time", "timestamp"),
]


def test_the_snapshot_table_and_the_exposure_query_keep_their_contract(stack):
    stack, db = stack
    query = stack["Resources"]["QueryPatchExposure"]["Properties"]["QueryString"]
    assert [column[0] for column in db.execute(on_duckdb(query)).description] == [
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
    spec = template_dict(ANALYTICS)["Resources"]["TableComplianceSnapshot"]["Properties"]["TableInput"]
    assert spec["Name"] == {"Fn::Sub": "${pCFNTablePrefixName}_compliance_snapshot"}
    assert [(c["Name"], c["Type"]) for c in spec["StorageDescriptor"]["Columns"]] == SNAPSHOT_CONTRACT
    assert spec["PartitionKeys"] == [{"Name": "snapshot_date", "Type": "date"}]
    assert spec["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")


def test_three_days_of_snapshots_give_the_trend():
    """The state machine's statements, run on three days with the data changing in between, and once
    more on the third day (they add nothing), then the trend query."""
    stack, db = loaded(STACKS["renamed"])
    for request in daily_job(stack):
        assert request["QueryExecutionContext"] == {"Database": "ssm-inventory"}  # imported from analytics
        assert request["WorkGroup"] == "patch-daily"  # the daily workgroup, with its own scan limit
    database = database_of(stack)
    summary = f'"{database}"."org_patch_patchsummary"'
    days = [  # (day, change before the snapshot)
        ("2025-06-28", "UPDATE {t} SET missingcount = '2' WHERE resourceid = 'i-0b0000000000000b2'"),
        ("2025-06-29", "UPDATE {t} SET missingcount = '0' WHERE resourceid = 'i-0b0000000000000b2'"),
        (
            "2025-06-30",
            "UPDATE {t} SET installedpendingrebootcount = '0', failedcount = '0' "
            "WHERE resourceid IN ('i-0a0000000000000a3', 'i-0a0000000000000a4')",
        ),
        ("2025-06-30", "SELECT 1 FROM {t}"),
    ]
    for day, change in days:
        db.execute(change.format(t=summary))
        run_daily_job(stack, db, day)
    snapshot = f'"{database}"."org_patch_compliance_snapshot"'
    assert db.execute(
        f"SELECT CAST(snapshot_date AS VARCHAR), count(*) FROM {snapshot} GROUP BY 1 ORDER BY 1"
    ).fetchall() == [("2025-06-28", 7), ("2025-06-29", 7), ("2025-06-30", 7)]
    assert db.execute(
        f"SELECT last_scan_time, last_install_time FROM {snapshot} "
        "WHERE node_id = 'i-0a0000000000000a4' AND snapshot_date = DATE '2025-06-30'"
    ).fetchall() == [(datetime(2025, 6, 29, 7, 45), datetime(2025, 6, 25, 10, 5))]
    trend = stack["Resources"]["QueryComplianceTrend"]["Properties"]["QueryString"]
    rows = db.execute(on_duckdb(trend)).fetchall()
    assert [(str(day), account, n, compliant, float(percent)) for day, account, n, compliant, percent in rows] == [
        ("2025-06-28", A, 4, 1, 25.0),
        ("2025-06-28", B, 3, 0, 0.0),
        ("2025-06-28", "organization", 7, 1, 14.3),
        ("2025-06-29", A, 4, 1, 25.0),
        ("2025-06-29", B, 3, 1, 33.3),
        ("2025-06-29", "organization", 7, 2, 28.6),
        ("2025-06-30", A, 4, 3, 75.0),
        ("2025-06-30", B, 3, 1, 33.3),
        ("2025-06-30", "organization", 7, 4, 57.1),
    ]
    db.close()


def role_statements(stack: dict, role: str) -> dict:
    """A role's statements by Sid, as deployed (each Sid once)."""
    found = [
        s
        for policy in stack["Resources"][role]["Properties"]["Policies"]
        for s in deployed_statements(policy["PolicyDocument"])
    ]
    assert len({s["Sid"] for s in found}) == len(found)
    return {s["Sid"]: s for s in found}


def test_the_schedule_starts_the_daily_job_which_runs_each_statement_after_the_one_before():
    stack = render_reports(
        {"pSnapshotSchedule": "cron(15 5 * * ? *)", "pCFNTablePrefixName": "org_patch", "pKMSKeyArn": KEY},
        database="ssm-inventory",
    )
    schedule = stack["Resources"]["ComplianceSnapshotSchedule"]["Properties"]
    assert schedule["ScheduleExpression"] == "cron(15 5 * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    target = schedule["Target"]
    assert target["Arn"] == "DailyCompactionStateMachine"  # cloud-radar's Ref: the state machine's ARN
    assert target["RoleArn"] == "SnapshotSchedulerRole.Arn"  # cloud-radar's GetAtt
    # Scheduler retries StartExecution only; what still fails lands in the dead-letter queue
    assert target["DeadLetterConfig"] == {"Arn": "DailyCompactionDeadLetterQueue.Arn"}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 3
    queue = stack["Resources"]["DailyCompactionDeadLetterQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    # the statements in compaction.DAILY_STATEMENTS' order: the exposure snapshot before the
    # compliance snapshot of the same day
    requests = daily_job(stack)
    tables = [request["QueryString"].split('"')[3] for request in requests]
    assert tables == ["org_patch_exposure_snapshot", "org_patch_compliance_snapshot", "org_patch_inventory_snapshot"]
    assert [Path(path).name for path in compaction.DAILY_STATEMENTS] == [t.removeprefix("org_patch_") for t in tables]
    machine = stack["Resources"]["DailyCompactionStateMachine"]["Properties"]
    assert machine["RoleArn"] == "DailyCompactionRole.Arn"
    assert machine["StateMachineName"].endswith(alerts.DAILY_JOB_SUFFIX)
    scheduler_role = role_statements(stack, "SnapshotSchedulerRole")
    assert scheduler_role == {
        "StartDailyCompaction": {
            "Sid": "StartDailyCompaction",
            "Effect": "Allow",
            "Action": ["states:StartExecution"],
            "Resource": ["DailyCompactionStateMachine"],
        },
        "SendDeadLetters": {
            "Sid": "SendDeadLetters",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": ["DailyCompactionDeadLetterQueue.Arn"],
        },
    }
    for role, service in (("SnapshotSchedulerRole", "scheduler"), ("DailyCompactionRole", "states")):
        (trust,) = stack["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": f"{service}.amazonaws.com"} and trust["Action"] == ["sts:AssumeRole"]
        assert set(trust["Condition"]["StringEquals"]) == {"aws:SourceAccount"}


def test_the_daily_job_runs_athena_with_a_least_privilege_role():
    stack = render_reports({"pCFNTablePrefixName": "org_patch", "pKMSKeyArn": KEY}, database="ssm-inventory")
    role = stack["Resources"]["DailyCompactionRole"]["Properties"]
    assert "ManagedPolicyArns" not in role
    found = role_statements(stack, "DailyCompactionRole")
    assert found["RunDailyStatements"]["Action"] == [
        "athena:StartQueryExecution",
        "athena:GetQueryExecution",
        "athena:StopQueryExecution",
    ]
    (workgroup,) = found["RunDailyStatements"]["Resource"]
    assert workgroup.startswith("arn:aws:athena:us-east-1:") and workgroup.endswith(":workgroup/patch-daily")
    assert found["ReadCatalog"]["Resource"][2].endswith(":table/ssm-inventory/org_patch_*")
    assert found["AddDailyPartitions"]["Resource"][2].endswith(":table/ssm-inventory/org_patch_*_snapshot")
    assert not any(
        action.startswith("glue:") and ("Create" in action or "Update" in action or "Delete" in action)
        for action in found["ReadCatalog"]["Action"]
    )
    assert [arn.split(":::")[1] for arn in found["WriteResultsAndDailyTables"]["Resource"]] == [
        f"{RESULTS}/results/*",
        f"{RESULTS}/*-snapshot/*",
    ]
    # the pattern covers every compacted table's folder and the synced data of no one
    for daily in compaction.COMPACTED_TABLES:
        assert fnmatch.fnmatch(f"{RESULTS}/{daily.folder}day.parquet", f"{RESULTS}/*-snapshot/*"), daily.name
        assert fnmatch.fnmatch(f"org_patch_{daily.name}", "org_patch_*_snapshot"), daily.name
    assert found["ListResultsBucket"]["Resource"] == [f"arn:aws:s3:::{RESULTS}"]
    assert found["ReadSyncedInventory"]["Resource"] == ["arn:aws:s3:::sync-bucket/inventory/*"]
    assert found["ReadSyncedInventory"]["Action"] == ["s3:GetObject"]
    assert found["ListSyncedInventory"]["Condition"] == {"StringLike": {"s3:prefix": ["inventory", "inventory/*"]}}
    assert found["DecryptWithSyncKey"]["Resource"] == found["EncryptResultsWithKey"]["Resource"] == [KEY]
    assert found["DecryptWithSyncKey"]["Action"] == ["kms:Decrypt"]
    assert found["EncryptResultsWithKey"]["Action"] == ["kms:GenerateDataKey"]
    assert not any("*" == resource for statement in found.values() for resource in statement["Resource"])
    without_key = role_statements(render_reports({}), "DailyCompactionRole")
    assert not {"DecryptWithSyncKey", "EncryptResultsWithKey"} & set(without_key)


def test_the_episodes_view_takes_the_sla_days_of_the_parameters():
    """Four different days: a severity given another's SLA changes the view's text."""
    days = {"pSlaCriticalDays": "11", "pSlaHighDays": "22", "pSlaMediumDays": "33", "pSlaLowDays": "44"}
    stack = render_reports(days)
    sql = presto_view(stack["Resources"]["ViewPatchEpisodes"]["Properties"]["TableInput"])["originalSql"]
    assert (
        "CASE upper(severity) WHEN 'CRITICAL' THEN 11 WHEN 'HIGH' THEN 22 WHEN 'MEDIUM' THEN 33 ELSE 44 END AS sla_days"
        in sql
    )
    defaults = template_dict(NAME)["Parameters"]
    assert [defaults[sla.parameter]["Default"] for sla in compaction.SLAS] == [30, 30, 90, 180]
    assert "PCI DSS v4.0 requirement 6.3.3" in defaults["pSlaCriticalDays"]["Description"]


def test_the_example_bucket_is_the_collector_example():
    """pBucketName is required here too; its example is the analytics stack's."""

    assert "Default" not in template_dict(NAME)["Parameters"]["pBucketName"]
    assert example(NAME)["pBucketName"] == example(ANALYTICS)["pBucketName"]
    assert example(NAME)["pAnalyticsStackName"] == ANALYTICS.stack
