"""The dashboard stack (stacks/quicksight_dashboard.py): parameters, what the analytics and reports stacks give it, the service role's
access, the data sets (their SQL run on DuckDB over the sample sync data), and the analysis and
dashboard Definition read back against dashboard_definition.SHEETS."""

import json
import re
from decimal import Decimal

import pytest
from cloud_radar.cf.unit import Template as RadarTemplate
from conftest import check_constraint, statements as deployed_statements, template_dict
from sample_data import loaded, on_duckdb, run_daily_job
from test_compliance_reports import EXPECTED

from patch_templates.parts import dashboard_definition
from patch_templates.stacks import ANALYTICS, compliance_reports as reports, quicksight_dashboard as dashboard

NAME = dashboard.RECORD
QUICKSIGHT_USER = "arn:aws:quicksight:us-east-1:111122223333:user/default/patch-admin"
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BASE = {"pBucketName": "sync-bucket/inventory"}
WITH_OWNER = {**BASE, "pQuickSightPrincipalArn": QUICKSIGHT_USER}
# What the analytics stack exports, as the stack named pAnalyticsStackName publishes it.
EXPORTS = {
    "GlueDatabaseName": "ssm-inventory",
    "AthenaWorkGroupName": "patch-reports",
    "AthenaResultsBucketName": "analytics-athenaresultsbucket-1a2b3c",
}
# What the reports stack exports, as the stack named pReportsStackName publishes it.
REPORTS_EXPORTS = {"ComplianceSnapshotTableName": "org_patch_compliance_snapshot"}
QUICKSIGHT_RESOURCES = {
    "QuickSightDataSource",
    "QuickSightComplianceDataSet",
    "QuickSightExposureDataSet",
    "QuickSightRefreshSchedule",
    "QuickSightExposureRefreshSchedule",
    "QuickSightSlaDataSet",
    "QuickSightSlaRefreshSchedule",
    "QuickSightAnalysis",
    "QuickSightTemplate",
    "QuickSightDashboard",
}


def render(
    params: dict,
    analytics_stack: str = "patch-analytics",
    stack_name: str = "patch-dashboard",
    reports_stack: str = "patch-reports",
    exports: dict = EXPORTS,
    reports_exports: dict = REPORTS_EXPORTS,
) -> dict:
    """The stack with these parameter values, importing `exports` from the analytics stack and
    `reports_exports` from the reports stack."""
    radar = RadarTemplate(
        json.loads(json.dumps(template_dict(NAME))),
        imports={
            **{f"{analytics_stack}-{key}": value for key, value in exports.items()},
            **{f"{reports_stack}-{key}": value for key, value in reports_exports.items()},
        },
    )
    radar.StackName = stack_name
    return radar.render(
        {"pAnalyticsStackName": analytics_stack, "pReportsStackName": reports_stack, **params}, region="us-east-1"
    )


# Parameters ---------------------------------------------------------------------------------

GOOD_AND_BAD = {
    "pAnalyticsStackName": (
        ["consolidated-billing-s3-glue-crawler-athena", "a", "A" * 128],
        ["", "1stack", "-stack", "stack_name", "stack.name", "A" * 129],
    ),
    "pReportsStackName": (
        ["compliance-reports", "b", "B" * 128],
        ["", "2reports", "-reports", "reports_stack", "reports.stack", "B" * 129],
    ),
    "pCFNTablePrefixName": (
        ["patching", "p", "ssm_inventory2"],
        ["", "Patching", "2patch", "patch-ing", "_p", "x" * 65],
    ),
    "pBucketName": (
        ["my.bucket/inventory", "abc/a/b/c"],
        ["", "bucket-only", "bucket/", "/prefix", "Bucket/prefix", "bucket//prefix"],
    ),
    "pKMSKeyArn": (["", KEY], ["alias/aws/s3", "arn:aws:kms:us-east-1:111122223333:alias/my-key"]),
    "pQuickSightPrincipalArn": (
        ["", QUICKSIGHT_USER, "arn:aws:quicksight:eu-west-1:111122223333:group/default/admins"],
        [
            "patch-admin",
            "arn:aws:iam::111122223333:user/patch-admin",
            "arn:aws:quicksight:us-east-1:1111:user/default/x",
            "arn:aws:quicksight:us-east-1:111122223333:dashboard/abc",
        ],
    ),
    "pQuickSightServiceRoleName": (
        ["aws-quicksight-service-role-v0", "QuickSight+Role@x"],
        ["", "role/with/path", "x" * 65, "has space"],
    ),
    "pRefreshInterval": (["DAILY", "WEEKLY", "MONTHLY"], ["daily", "HOURLY", "YEARLY", ""]),
    "pRefreshTimeOfDay": (["00:00", "06:30", "23:59"], ["24:00", "6:30", "12:60", "0630", "noon"]),
    "pRefreshTimezone": (
        ["UTC", "America/New_York", "America/Argentina/Buenos_Aires", "Etc/GMT+5"],
        ["", "utc", "EST5EDT-", "America/", "New York"],
    ),
    "pRefreshDayOfWeek": (["MONDAY", "SUNDAY"], ["Monday", "MON", ""]),
    "pRefreshDayOfMonth": (["1", "28", "LAST_DAY_OF_MONTH"], ["0", "29", "31", "last", "01"]),
}


def test_every_parameter_refuses_bad_values():
    tried = sum(check_constraint(NAME, name, good, bad) for name, (good, bad) in GOOD_AND_BAD.items())
    assert set(GOOD_AND_BAD) == set(template_dict(NAME)["Parameters"])
    assert tried == sum(len(bad) for _, bad in GOOD_AND_BAD.values())


# The parameters it shares with the analytics stack: test_compliance_reports.py.


def imports(node, stack_parameter: str) -> set[str]:
    """The output names this template imports as ${<stack_parameter>}-<name>."""
    if isinstance(node, dict):
        if "Fn::ImportValue" in node:
            name = node["Fn::ImportValue"]["Fn::Sub"]
            assert name.startswith(("${pAnalyticsStackName}-", "${pReportsStackName}-")), name
            prefix = f"${{{stack_parameter}}}-"
            return {name.removeprefix(prefix)} if name.startswith(prefix) else set()
        return set().union(*(imports(value, stack_parameter) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(imports(value, stack_parameter) for value in node))
    return set()


def test_what_it_imports_the_analytics_and_reports_stacks_export_under_their_default_names():
    for source, parameter, names in [
        (ANALYTICS, "pAnalyticsStackName", EXPORTS),
        (reports.RECORD, "pReportsStackName", REPORTS_EXPORTS),
    ]:
        outputs = template_dict(source)["Outputs"]
        imported = imports(template_dict(NAME)["Resources"], parameter)
        assert imported == set(names)
        for name in imported:
            assert outputs[name]["Export"]["Name"] == {"Fn::Sub": "${AWS::StackName}-" + name}
        # the stack name the generated deploy command gives the template
        assert template_dict(NAME)["Parameters"][parameter]["Default"] == source.stack
    # the reports stack is step 5, this one step 6: created after the snapshot table it imports
    assert reports.RECORD.step == NAME.step - 1


# The service role's access ----------------------------------------------------------------------


def statements(document: dict) -> dict:
    return {s["Sid"]: s for s in deployed_statements(document)}


def test_without_a_principal_only_the_service_role_access():
    assert set(render(BASE)["Resources"]) == {"QuickSightDataAccessPolicy"}


def test_service_role_reads_the_sync_prefix_and_the_imported_results_bucket():
    stack = render({**BASE, "pQuickSightServiceRoleName": "qs-role", "pKMSKeyArn": KEY})["Resources"]
    policy = stack["QuickSightDataAccessPolicy"]["Properties"]
    assert policy["Roles"] == ["qs-role"]
    found = statements(policy["PolicyDocument"])
    assert found["ReadSyncedInventory"]["Resource"] == ["arn:aws:s3:::sync-bucket/inventory/*"]
    assert found["ListSyncedInventory"]["Condition"] == {"StringLike": {"s3:prefix": ["inventory", "inventory/*"]}}
    # the results bucket holds Athena's results and the daily snapshot (Parquet)
    results = EXPORTS["AthenaResultsBucketName"]
    assert found["AthenaResultsBucket"]["Resource"] == [f"arn:aws:s3:::{results}"]
    assert found["AthenaResults"]["Resource"] == [f"arn:aws:s3:::{results}/*"]
    assert found["AthenaResults"]["Action"] == ["s3:GetObject"]
    assert found["DecryptWithSyncKey"] == {
        "Sid": "DecryptWithSyncKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": [KEY],
    }
    without_key = render(BASE)["Resources"]["QuickSightDataAccessPolicy"]["Properties"]["PolicyDocument"]
    assert "DecryptWithSyncKey" not in statements(without_key)


# QuickSight resources -------------------------------------------------------------------------

OWNER_ACTIONS = {
    "QuickSightDataSource": dashboard.DATA_SOURCE_ACTIONS,
    "QuickSightComplianceDataSet": dashboard.DATA_SET_ACTIONS,
    "QuickSightExposureDataSet": dashboard.DATA_SET_ACTIONS,
    "QuickSightSlaDataSet": dashboard.DATA_SET_ACTIONS,
    "QuickSightAnalysis": dashboard.ANALYSIS_ACTIONS,
    "QuickSightDashboard": dashboard.DASHBOARD_ACTIONS,
}


def test_with_a_principal_it_owns_the_data_source_data_sets_analysis_and_dashboard():
    stack = render({**WITH_OWNER, "pCFNTablePrefixName": "org_patch"})["Resources"]
    assert set(stack) == QUICKSIGHT_RESOURCES | {"QuickSightDataAccessPolicy"} | {
        f"{spec.logical_id}IngestionAlarm" for spec in dashboard.DATA_SETS.values()
    }
    for name, actions in OWNER_ACTIONS.items():
        (permission,) = stack[name]["Properties"]["Permissions"]
        assert permission == {"Principal": QUICKSIGHT_USER, "Actions": actions}, name
    assert "quicksight:QueryDashboard" in dashboard.DASHBOARD_ACTIONS  # the owner can open it
    source = stack["QuickSightDataSource"]["Properties"]
    assert source["DataSourceParameters"] == {"AthenaParameters": {"WorkGroup": EXPORTS["AthenaWorkGroupName"]}}
    assert stack["QuickSightDataSource"]["DependsOn"] == ["QuickSightDataAccessPolicy"]
    for name in (spec.logical_id for spec in dashboard.DATA_SETS.values()):
        data_set = stack[name]["Properties"]
        assert data_set["ImportMode"] == "SPICE"
        # no waiting up to 36 hours for the first SPICE ingestion
        assert data_set["IngestionWaitPolicy"] == {"WaitForSpiceIngestion": False}
        (table,) = data_set["PhysicalTableMap"].values()
        sql = table["CustomSql"]["SqlQuery"]
        assert table["CustomSql"]["DataSourceArn"] == "QuickSightDataSource.Arn"
        assert '"ssm-inventory"."org_patch_' in sql and "${" not in sql


@pytest.mark.parametrize(
    "interval, on_day",
    [("DAILY", None), ("WEEKLY", {"DayOfWeek": "FRIDAY"}), ("MONTHLY", {"DayOfMonth": "LAST_DAY_OF_MONTH"})],
)
def test_each_data_set_has_a_refresh_schedule_that_follows_the_interval(interval, on_day):
    stack = render(
        {
            **WITH_OWNER,
            "pRefreshInterval": interval,
            "pRefreshDayOfWeek": "FRIDAY",
            "pRefreshDayOfMonth": "LAST_DAY_OF_MONTH",
            "pRefreshTimeOfDay": "05:45",
            "pRefreshTimezone": "Europe/Berlin",
        },
        stack_name="qs",
    )["Resources"]
    assert len(dashboard.DATA_SETS) == 3
    for schedule_name, data_set in [
        (spec.schedule_logical_id, spec.logical_id) for spec in dashboard.DATA_SETS.values()
    ]:
        resource = stack[schedule_name]
        assert resource["DependsOn"] == [data_set]
        assert resource["Properties"]["DataSetId"] == stack[data_set]["Properties"]["DataSetId"]
        schedule = resource["Properties"]["Schedule"]
        frequency = schedule["ScheduleFrequency"]
        assert (schedule["RefreshType"], frequency["Interval"]) == ("FULL_REFRESH", interval)
        assert (frequency["TimeOfTheDay"], frequency["TimeZone"]) == ("05:45", "Europe/Berlin")
        assert frequency.get("RefreshOnDay") == on_day


def test_names_and_ids_fit_for_the_longest_stack_name():
    """Names at most 128 characters (data source and data set Name), ids at most 512 of [\\w-]
    (the resource schemas), whatever the stack name (at most 128 characters)."""
    stack = render(WITH_OWNER, stack_name="S" + "-x" * 63 + "z")["Resources"]
    ids = {"DataSourceId", "DataSetId", "AnalysisId", "TemplateId", "DashboardId"}
    found = 0
    for resource in stack.values():
        properties = resource["Properties"]
        if "Name" in properties:
            assert 1 <= len(properties["Name"]) <= 128, properties["Name"]
            found += 1
        for key in ids & set(properties):
            assert re.fullmatch(r"[\w-]{1,512}", properties[key]) and len(properties[key]) > 128
    assert found == 7


# The Definition ------------------------------------------------------------------------------


def rendered_definition() -> tuple[dict, dict]:
    stack = render(WITH_OWNER)["Resources"]
    return stack, stack["QuickSightAnalysis"]["Properties"]["Definition"]


def test_the_definition_renders_with_the_sheets_visuals_and_positions_of_the_data():
    stack, definition = rendered_definition()
    titles = {
        group["FilterGroupId"]: group["Filters"][0]["CategoryFilter"]["DefaultFilterControlConfiguration"]["Title"]
        for group in definition["FilterGroups"]
        if group["CrossDataset"] == "ALL_DATASETS"
    }
    declared = {d["Identifier"]: d["DataSetArn"] for d in definition["DataSetIdentifierDeclarations"]}
    assert declared == {key: f"{spec.logical_id}.Arn" for key, spec in dashboard.DATA_SETS.items()}
    shown = []
    for sheet in definition["Sheets"]:
        elements = {e["ElementId"]: e for e in sheet["Layouts"][0]["Configuration"]["GridLayout"]["Elements"]}
        for visual in sheet["Visuals"]:
            ((kind, body),) = visual.items()
            element = elements[body["VisualId"]]
            shown.append(
                (
                    sheet["SheetId"],
                    sheet["Name"],
                    kind,
                    body["Title"]["FormatText"]["PlainText"],
                    (element["ColumnIndex"], element["RowIndex"], element["ColumnSpan"], element["RowSpan"]),
                )
            )
            assert element["ColumnIndex"] + element["ColumnSpan"] <= dashboard_definition.GRID_COLUMNS
        assert [titles[c["CrossSheet"]["SourceFilterId"]] for c in sheet["FilterControls"]] == (
            ["Account", "Region"] if sheet["SheetId"] == "sla" else ["Account", "Region", "Patch group"]
        )
    assert shown == [
        (s.id, s.name, dashboard_definition.KINDS[v.kind], v.title, v.grid)
        for s in dashboard_definition.SHEETS
        for v in s.visuals
    ]
    titles = [title for *_, title, _ in shown]
    for must in (
        "Organization compliance %",
        "Compliance % by account and Region",
        "Compliance % per day",
        "Non-compliant nodes and their patch counts",
        "Missing and failed patches by severity and classification",
        "Top CVEs by nodes exposed",
        "Overdue now",
    ):
        assert must in titles


# The aggregation each measure must have: (visual, column) -> function. Compliance % is an average
# over nodes; a node counts once however many rows it has (the snapshot has one per node and day, the
# exposure data set one per node, patch and CVE), and so does a node-patch pair with two CVEs. An
# overdue node-patch is one row (its open episode). None: a calculated field that aggregates itself.
AGGREGATIONS = {
    ("compliance", "compliance_percent"): "AVERAGE",
    ("noncompliant", "node_id"): "DISTINCT_COUNT",
    ("unreached", "node_id"): "DISTINCT_COUNT",
    ("trend", "compliance_percent"): "AVERAGE",
    ("by-account", "compliance_percent"): "AVERAGE",
    ("by-severity", "node_patch"): "DISTINCT_COUNT",
    ("top-cves", "node_id"): "DISTINCT_COUNT",
    ("days-to-patch", "median_days"): None,
    ("days-to-patch", "p90_days"): None,
    ("overdue-by-account", "patch_id"): "COUNT",
}


def measures(node, visual: str, found: dict) -> dict:
    """(visual, column) -> aggregation of every measure field under node."""
    if isinstance(node, dict):
        for kind, field in node.items():
            if kind in ("NumericalMeasureField", "CategoricalMeasureField"):
                function = field.get("AggregationFunction")
                key = (visual, field["Column"]["ColumnName"])
                found[key] = function["SimpleNumericalAggregation"] if isinstance(function, dict) else function
            else:
                measures(field, visual, found)
    elif isinstance(node, list):
        for item in node:
            measures(item, visual, found)
    return found


def test_every_measure_has_its_intended_aggregation_and_the_top_cves_rank_by_theirs():
    _, definition = rendered_definition()
    visuals = {body["VisualId"]: body for s in definition["Sheets"] for v in s["Visuals"] for body in v.values()}
    found = {}
    for visual_id, body in visuals.items():
        measures(body, visual_id, found)
    assert found == AGGREGATIONS
    top = visuals["top-cves"]
    sort = top["ChartConfiguration"]["SortConfiguration"]
    (value,) = top["ChartConfiguration"]["FieldWells"]["BarChartAggregatedFieldWells"]["Values"]
    assert sort["CategorySort"] == [
        {"FieldSort": {"FieldId": value["CategoricalMeasureField"]["FieldId"], "Direction": "DESC"}}
    ]
    assert sort["CategoryItemsLimit"] == {"ItemsLimit": 10, "OtherCategories": "EXCLUDE"}


def test_the_time_to_patch_sheet_shows_percentiles_per_month_and_severity_and_overdue_node_patches():
    """Its figures, computed over hand-worked days, are in tests/queries/test_sla_sheet.py."""
    _, definition = rendered_definition()
    visuals = {body["VisualId"]: body for s in definition["Sheets"] for v in s["Visuals"] for body in v.values()}
    calculated = {(f["DataSetIdentifier"], f["Name"]): f["Expression"] for f in definition["CalculatedFields"]}
    # the discrete percentile, a value the data holds, as the report time_to_patch takes it
    assert calculated[("sla", "median_days")] == "percentileDisc({days_open}, 50)"
    assert calculated[("sla", "p90_days")] == "percentileDisc({days_open}, 90)"
    line = visuals["days-to-patch"]["ChartConfiguration"]["FieldWells"]["LineChartAggregatedFieldWells"]
    assert [f["DateDimensionField"]["Column"]["ColumnName"] for f in line["Category"]] == ["fixed_date"]
    assert [f["DateDimensionField"]["DateGranularity"] for f in line["Category"]] == ["MONTH"]
    assert [f["CategoricalDimensionField"]["Column"]["ColumnName"] for f in line["SmallMultiples"]] == ["severity"]
    assert [f["NumericalMeasureField"]["Column"] for f in line["Values"]] == [
        {"DataSetIdentifier": "sla", "ColumnName": "median_days"},
        {"DataSetIdentifier": "sla", "ColumnName": "p90_days"},
    ]
    bar = visuals["overdue-by-account"]["ChartConfiguration"]["FieldWells"]["BarChartAggregatedFieldWells"]
    assert [f["CategoricalDimensionField"]["Column"]["ColumnName"] for f in bar["Category"]] == ["account_id"]
    assert [f["CategoricalDimensionField"]["Column"]["ColumnName"] for f in bar["Colors"]] == ["severity"]
    table = visuals["overdue"]["ChartConfiguration"]["FieldWells"]["TableUnaggregatedFieldWells"]["Values"]
    assert [f["Column"]["ColumnName"] for f in table] == [
        "account_id",
        "region",
        "node_id",
        "patch_id",
        "severity",
        "days_open",
        "sla_days",
    ]


def test_visuals_do_not_overlap():
    for sheet in dashboard_definition.SHEETS:
        cells = {}
        for visual in sheet.visuals:
            column, row, width, height = visual.grid
            for cell in ((c, r) for c in range(column, column + width) for r in range(row, row + height)):
                assert cell not in cells, (visual.id, cells.get(cell))
                cells[cell] = visual.id


def column_identifiers(node, found: set) -> set[tuple[str, str]]:
    if isinstance(node, dict):
        if set(node) == {"DataSetIdentifier", "ColumnName"}:
            found.add((node["DataSetIdentifier"], node["ColumnName"]))
        for value in node.values():
            column_identifiers(value, found)
    elif isinstance(node, list):
        for value in node:
            column_identifiers(value, found)
    return found


def columns_used(definition: dict) -> set[tuple[str, str]]:
    """(data set identifier, column) of every column the Definition uses: named by a visual or a
    filter, or read by a calculated field that one of those names."""
    calculated = {(f["DataSetIdentifier"], f["Name"]): f["Expression"] for f in definition.get("CalculatedFields", [])}
    used = set()
    for data_set, column in column_identifiers(definition, set()):
        if (data_set, column) in calculated:
            used |= {(data_set, name) for name in re.findall(r"\{(\w+)\}", calculated[(data_set, column)])}
        else:
            used.add((data_set, column))
    return used


def test_every_column_a_visual_or_filter_uses_is_a_declared_column_of_its_data_set():
    stack, definition = rendered_definition()
    logical_ids = {
        d["Identifier"]: d["DataSetArn"].removesuffix(".Arn") for d in definition["DataSetIdentifierDeclarations"]
    }
    declared = {}
    for key, logical_id in logical_ids.items():
        (table,) = stack[logical_id]["Properties"]["PhysicalTableMap"].values()
        declared[key] = {column["Name"] for column in table["CustomSql"]["Columns"]}
    used = columns_used(definition)
    assert {column for key, column in used if key == "snapshot"} >= {
        "compliance_percent",
        "latest_snapshot",
        "snapshot_date",
        "account_id",
    }
    assert {column for key, column in used if key == "exposure"} >= {
        "severity",
        "classification",
        "cve_id",
        "node_id",
        "patch_id",
    }
    for key, column in used:
        assert column in declared[key], (key, column)
    # every filter in the Definition's filter groups is on a declared column too, and every
    # visual a filter names exists on its sheet
    visual_ids = {s["SheetId"]: {list(v.values())[0]["VisualId"] for v in s["Visuals"]} for s in definition["Sheets"]}
    for group in definition["FilterGroups"]:
        for scope in group["ScopeConfiguration"]["SelectedSheets"]["SheetVisualScopingConfigurations"]:
            assert set(scope.get("VisualIds", [])) <= visual_ids[scope["SheetId"]]


def test_each_control_filters_every_visual_of_every_sheet_whose_data_set_has_its_column():
    stack, definition = rendered_definition()
    groups = {g["FilterGroupId"]: g for g in definition["FilterGroups"]}
    columns = {
        key: {c["Name"] for c in custom_sql({"Resources": stack}, spec.logical_id)["Columns"]}
        for key, spec in dashboard.DATA_SETS.items()
    }
    sheets = {sheet.id: sheet.data_set for sheet in dashboard_definition.SHEETS}
    for column, title in dashboard_definition.CONTROLS.items():
        group = groups[column]
        # one filter for every data set's column of that name, on every sheet that has the column
        assert group["CrossDataset"] == "ALL_DATASETS"
        scopes = group["ScopeConfiguration"]["SelectedSheets"]["SheetVisualScopingConfigurations"]
        having = [sheet_id for sheet_id, data_set in sheets.items() if column in columns[data_set]]
        assert scopes == [{"SheetId": sheet_id, "Scope": "ALL_VISUALS"} for sheet_id in having]
        (category,) = [f["CategoryFilter"] for f in group["Filters"]]
        assert category["Column"]["ColumnName"] == column
        assert category["Configuration"]["FilterListConfiguration"]["SelectAllOptions"] == "FILTER_ALL_VALUES"
        assert category["DefaultFilterControlConfiguration"] == {
            "Title": title,
            "ControlOptions": {"DefaultDropdownOptions": {"Type": "MULTI_SELECT"}},
        }
        for sheet in definition["Sheets"]:
            controls = [c["CrossSheet"]["SourceFilterId"] for c in sheet["FilterControls"]]
            assert (column in controls) == (sheet["SheetId"] in having), (column, sheet["SheetId"])
    # every sheet filters by account and Region; time to patch has no patch group (the episodes have none)
    assert [sheet["SheetId"] for sheet in definition["Sheets"] if len(sheet["FilterControls"]) == 2] == ["sla"]


def test_the_now_visuals_read_the_newest_snapshot_and_the_node_list_only_non_compliant_nodes():
    _, definition = rendered_definition()
    scoped = {}
    for group in definition["FilterGroups"]:
        ((kind, spec),) = group["Filters"][0].items()
        if kind == "NumericEqualityFilter":
            (scope,) = group["ScopeConfiguration"]["SelectedSheets"]["SheetVisualScopingConfigurations"]
            scoped[(spec["Column"]["ColumnName"], spec["Value"])] = set(scope["VisualIds"])
    assert scoped == {
        ("latest_snapshot", 1): {"compliance", "noncompliant", "unreached", "by-account", "nodes"},
        ("compliance_percent", 0): {"noncompliant", "nodes"},
        ("unreached", 1): {"unreached"},
        ("fixed", 1): {"days-to-patch"},
        ("overdue_now", 1): {"overdue-by-account", "overdue"},
    }


def test_the_dashboard_is_published_from_the_analysis_and_republished_when_the_definition_changes(monkeypatch):
    stack, definition = rendered_definition()
    template = stack["QuickSightTemplate"]["Properties"]
    board = stack["QuickSightDashboard"]["Properties"]
    assert template["SourceEntity"]["SourceAnalysis"]["Arn"] == "QuickSightAnalysis.Arn"
    assert board["SourceEntity"]["SourceTemplate"]["Arn"] == "QuickSightTemplate.Arn"
    references = [
        {"DataSetPlaceholder": d["Identifier"], "DataSetArn": d["DataSetArn"]}
        for d in definition["DataSetIdentifierDeclarations"]
    ]
    assert template["SourceEntity"]["SourceAnalysis"]["DataSetReferences"] == references
    assert board["SourceEntity"]["SourceTemplate"]["DataSetReferences"] == references
    assert board["DashboardPublishOptions"]["SheetControlsOption"] == {"VisibilityState": "EXPANDED"}
    version = template["VersionDescription"]
    assert board["VersionDescription"] == version
    sheet = dashboard_definition.SHEETS[0]
    moved = dashboard_definition.Sheet(sheet.id, sheet.name, sheet.data_set, sheet.visuals[::-1])
    monkeypatch.setattr(dashboard_definition, "SHEETS", (moved, *dashboard_definition.SHEETS[1:]))
    assert (
        dashboard.build().to_dict()["Resources"]["QuickSightDashboard"]["Properties"]["VersionDescription"] != version
    )


# The data sets' SQL on DuckDB over the sample sync data ----------------------------------------

SNAPSHOT_DAYS = ["2025-06-29", "2025-06-30"]


@pytest.fixture(
    scope="module",
    params=[{}, {"pCFNDatabaseName": "ssm-inventory", "pCFNTablePrefixName": "org_patch"}],
    ids=["defaults", "renamed"],
)
def database(request):
    """DuckDB with the analytics stack's tables and the reports stack's views over the sample data,
    and two days of snapshots written by the reports stack's daily job; the dashboard
    stack rendered to match, with the snapshot table name the reports stack exports."""
    names = {"pCFNDatabaseName": "patching-database", "pCFNTablePrefixName": "patching", **request.param}
    source, db = loaded(request.param)
    for day in SNAPSHOT_DAYS:
        run_daily_job(source, db, day)
    table = source["Outputs"]["ComplianceSnapshotTableName"]["Value"]
    stack = render(
        {**WITH_OWNER, "pCFNTablePrefixName": names["pCFNTablePrefixName"]},
        exports={**EXPORTS, "GlueDatabaseName": names["pCFNDatabaseName"]},
        reports_exports={"ComplianceSnapshotTableName": table},
    )
    yield source, stack, db
    db.close()


def custom_sql(stack: dict, logical_id: str) -> dict:
    (table,) = stack["Resources"][logical_id]["Properties"]["PhysicalTableMap"].values()
    return table["CustomSql"]


@pytest.mark.parametrize("key", dashboard.DATA_SETS)
def test_declared_columns_are_what_the_sql_returns_and_hold_every_column_a_visual_uses(database, key):
    _, stack, db = database
    sql = custom_sql(stack, dashboard.DATA_SETS[key].logical_id)
    cursor = db.execute(on_duckdb(sql["SqlQuery"]))
    returned = [c[0] for c in cursor.description]
    assert returned == [c["Name"] for c in sql["Columns"]]
    assert cursor.fetchall()
    used = {
        column
        for data_set, column in columns_used(stack["Resources"]["QuickSightAnalysis"]["Properties"]["Definition"])
        if data_set == key
    }
    assert used and used <= set(returned), used - set(returned)


def test_the_exposure_data_set_is_the_patch_exposure_report(database):
    _, stack, db = database
    rows = db.execute(on_duckdb(custom_sql(stack, "QuickSightExposureDataSet")["SqlQuery"])).fetchall()
    assert rows == EXPECTED["patch_exposure"]
    assert [c["Name"] for c in custom_sql(stack, "QuickSightExposureDataSet")["Columns"]] == dashboard.EXPOSURE_COLUMNS


def test_patches_by_severity_count_node_patch_pairs_not_cve_rows(database):
    """An exposure row is a node, a patch and one CVE: the chart counts distinct node-patch pairs."""
    _, stack, db = database
    definition = stack["Resources"]["QuickSightAnalysis"]["Properties"]["Definition"]
    (field,) = [f for f in definition["CalculatedFields"] if f["DataSetIdentifier"] == "exposure"]
    expression = re.sub(r"\{(\w+)\}", r'"\1"', field["Expression"])  # QuickSight's {column} in SQL
    sql = on_duckdb(custom_sql(stack, "QuickSightExposureDataSet")["SqlQuery"])
    counted = db.execute(
        f"SELECT severity, count(DISTINCT {expression}), count(*) FROM ({sql}) GROUP BY severity ORDER BY severity"
    ).fetchall()
    # from EXPECTED["patch_exposure"]: ALAS-2025-001 on a2 and KB5000001 on b1 have two CVEs each
    assert counted == [("CRITICAL", 3, 5), ("HIGH", 2, 2), ("MEDIUM", 2, 2)]


def test_the_unreached_count_is_the_unscanned_untargeted_nodes_report_of_the_newest_day(database):
    """The KPI counts the newest snapshot's nodes whose calculated field is 1: the nodes the report
    unscanned_untargeted_nodes lists (mi-..b3, never scanned; i-..b1, scanned but in no patch group, is reached)."""
    source, stack, db = database
    definition = stack["Resources"]["QuickSightAnalysis"]["Properties"]["Definition"]
    (field,) = [f for f in definition["CalculatedFields"] if f["Name"] == "unreached"]
    # QuickSight's ifelse(c, 1, 0), isNull(x) and {column} in SQL
    condition = re.fullmatch(r"ifelse\((.+), 1, 0\)", field["Expression"]).group(1)
    condition = re.sub(r"isNull\(\{(\w+)\}\)", r'"\1" IS NULL', condition)
    condition = re.sub(r"left\(\{(\w+)\}, (\d+)\)", r'left("\1", \2)', condition)
    condition = re.sub(r"\{(\w+)\}", r'"\1"', condition)
    sql = on_duckdb(custom_sql(stack, "QuickSightComplianceDataSet")["SqlQuery"])
    counted = db.execute(
        f"SELECT list(DISTINCT node_id ORDER BY node_id) FROM ({sql}) WHERE latest_snapshot = 1 AND ({condition})"
    ).fetchone()[0]
    report = source["Resources"]["QueryUnscannedUntargetedNodes"]["Properties"]["QueryString"]
    assert counted == sorted(row[2] for row in db.execute(on_duckdb(report)).fetchall())
    assert counted == ["mi-0b0000000000000b3"]


def test_the_snapshot_data_set_columns_are_the_snapshot_table_columns(database):
    _, stack, _ = database
    table = template_dict(ANALYTICS)["Resources"]["TableComplianceSnapshot"]["Properties"]["TableInput"]
    glue_columns = {
        c["Name"]: dashboard.QUICKSIGHT_TYPES[c["Type"]]
        for c in table["StorageDescriptor"]["Columns"] + table["PartitionKeys"]
    }
    declared = {c["Name"]: c["Type"] for c in custom_sql(stack, "QuickSightComplianceDataSet")["Columns"]}
    assert declared == {**glue_columns, **dashboard.DERIVED_COLUMNS}
    assert list(declared)[: len(glue_columns)] == list(glue_columns)


def test_the_snapshot_data_set_gives_compliance_per_node_per_day_and_marks_the_newest_day(database):
    _, stack, db = database
    sql = on_duckdb(custom_sql(stack, "QuickSightComplianceDataSet")["SqlQuery"])
    rows = db.execute(
        f"SELECT CAST(snapshot_date AS VARCHAR), latest_snapshot, count(*), "
        f"avg(compliance_percent), count_if(compliant) FROM ({sql}) GROUP BY ALL ORDER BY 1"
    ).fetchall()
    # the sample's 7 active nodes (i-..b4 is terminated) on each day; a1 and b2 are compliant
    assert [
        (day, latest, nodes, round(float(Decimal(avg)), 2), compliant) for day, latest, nodes, avg, compliant in rows
    ] == [("2025-06-29", 0, 7, 28.57, 2), ("2025-06-30", 1, 7, 28.57, 2)]
    assert db.execute(
        f"SELECT count(*) FROM ({sql}) WHERE compliance_percent NOT IN (0, 100) "
        f"OR (compliance_percent = 100) <> compliant"
    ).fetchone() == (0,)


# The picture ------------------------------------------------------------------------------------


def test_the_build_draws_each_sheet_with_its_visual_titles_at_their_grid_positions():
    from xml.etree import ElementTree

    from patch_templates.reference import dashboard_picture as picture

    files = picture.files({NAME.file: template_dict(NAME), ANALYTICS.file: template_dict(ANALYTICS)})
    assert sorted(files) == [f"docs/dashboard/quicksight_dashboard-{s.id}.svg" for s in dashboard_definition.SHEETS]
    svg = "{http://www.w3.org/2000/svg}"
    for sheet in dashboard_definition.SHEETS:
        root = ElementTree.fromstring(files[f"docs/dashboard/quicksight_dashboard-{sheet.id}.svg"])
        texts = [t.text for t in root.iter(svg + "text")]
        assert f"Patch compliance: sheet {sheet.name}" in texts
        assert [t for t in texts if t.endswith("▾")] == [
            f"{title} ▾"
            for column, title in dashboard_definition.CONTROLS.items()
            if column in dashboard.DATA_SETS[sheet.data_set].columns
        ]
        boxes = [(int(r.get("x")), int(r.get("y"))) for r in root.iter(svg + "rect") if r.get("rx") == "6"]
        assert boxes == [
            (picture.MARGIN + v.grid[0] * picture.COLUMN_WIDTH, picture.HEADER + v.grid[1] * picture.ROW_HEIGHT)
            for v in sheet.visuals
        ]
        shown = " ".join(texts)
        for visual in sheet.visuals:
            assert " ".join(picture._wrap(visual.title, visual.grid[2] * picture.COLUMN_WIDTH - 26)) in shown
