"""The dashboard's Time to patch sheet over the hand-worked history of test_time_to_patch.py: the
SLA data set's SQL (stacks/quicksight_dashboard.py, rendered) runs on DuckDB over the episodes view
as the reports stack (rendered with its SLA parameters) creates it, and each visual's figure is
computed the way the Definition asks QuickSight for it: its filters, its groups, its aggregation."""

import re

import pytest
import sqlglot
from compacted_tables import SLA_DAYS, compacted
from conftest import render
from sample_data import A, B, exports, on_duckdb, presto_view, render_reports, resources
from sqlglot import exp
from test_time_to_patch import A2, A4, B1, B2, NOW, six_days

from patch_templates.queries import compaction
from patch_templates.stacks import compliance_reports as reports, quicksight_dashboard as dashboard

# SLA days none of which equals another set's: CRITICAL 1 day, the others 10
OTHER_SLA_DAYS = {"pSlaCriticalDays": 1, "pSlaHighDays": 10, "pSlaMediumDays": 10, "pSlaLowDays": 10}


def episodes_from_the_reports_stack(db, values: dict, sla_days: dict) -> str:
    """The episodes view, replaced by the one the reports stack creates with these pSla*Days."""
    stack = render_reports(
        {"pCFNTablePrefixName": values["pCFNTablePrefixName"], **{k: str(v) for k, v in sla_days.items()}},
        database=values["pCFNDatabaseName"],
    )
    (view,) = [
        r["Properties"]["TableInput"]
        for r in resources(stack, "AWS::Glue::Table").values()
        if r["Properties"]["TableInput"]["Name"].endswith("_patch_episodes")
    ]
    sql = presto_view(view)["originalSql"]
    db.execute(f'CREATE OR REPLACE VIEW "{values["pCFNDatabaseName"]}"."{view["Name"]}" AS {on_duckdb(sql, now=NOW)}')
    return sql


def dashboard_stack(values: dict) -> dict:
    database = values["pCFNDatabaseName"]
    return render(
        dashboard.RECORD,
        {
            "pBucketName": "sync-bucket/inventory",
            "pQuickSightPrincipalArn": "arn:aws:quicksight:us-east-1:111122223333:user/default/patch-admin",
            "pCFNTablePrefixName": values["pCFNTablePrefixName"],
        },
        imports={
            **exports(database),
            f"{reports.RECORD.stack}-ComplianceSnapshotTableName": f"{values['pCFNTablePrefixName']}_compliance_snapshot",
        },
    )["Resources"]


@pytest.fixture(scope="module")
def sheet():
    """(db, values, data set SQL on DuckDB, the Definition, the view's Athena SQL) after six days."""
    values, db = compacted("renamed")
    six_days(db, values)
    view_sql = episodes_from_the_reports_stack(db, values, SLA_DAYS)
    stack = dashboard_stack(values)
    (table,) = stack["QuickSightSlaDataSet"]["Properties"]["PhysicalTableMap"].values()
    definition = stack["QuickSightAnalysis"]["Properties"]["Definition"]
    yield db, values, on_duckdb(table["CustomSql"]["SqlQuery"], now=NOW), definition, view_sql, table
    db.close()


def visual(definition: dict, visual_id: str) -> dict:
    (found,) = [
        body for s in definition["Sheets"] for v in s["Visuals"] for body in v.values() if body["VisualId"] == visual_id
    ]
    return found


def where(definition: dict, visual_id: str) -> str:
    """The SQL condition of the filters the Definition puts on this one visual."""
    conditions = []
    for group in definition["FilterGroups"]:
        for scope in group["ScopeConfiguration"]["SelectedSheets"]["SheetVisualScopingConfigurations"]:
            if visual_id in scope.get("VisualIds", []):
                for item in group["Filters"]:
                    spec = item["NumericEqualityFilter"]
                    conditions.append(f'"{spec["Column"]["ColumnName"]}" = {spec["Value"]}')
    assert conditions
    return " AND ".join(conditions)


def percentile(definition: dict, name: str) -> str:
    """A calculated percentileDisc field in DuckDB: quantile_disc, the same discrete percentile."""
    (field,) = [f for f in definition["CalculatedFields"] if f["Name"] == name]
    column, rank = re.fullmatch(r"percentileDisc\(\{(\w+)\}, (\d+)\)", field["Expression"]).groups()
    return f'quantile_disc("{column}", {int(rank) / 100})'


def test_median_and_90th_percentile_days_to_patch_per_month_and_severity(sheet):
    db, values, sql, definition, *_ = sheet
    chart = visual(definition, "days-to-patch")["ChartConfiguration"]["FieldWells"]["LineChartAggregatedFieldWells"]
    ((_, month),) = chart["Category"][0].items()
    ((_, panel),) = chart["SmallMultiples"][0].items()
    values_ = [field["NumericalMeasureField"]["Column"]["ColumnName"] for field in chart["Values"]]
    assert month["DateGranularity"] == "MONTH"
    found = [
        (str(first_day)[:10], *rest)
        for first_day, *rest in db.execute(
            f'SELECT date_trunc(\'month\', "{month["Column"]["ColumnName"]}"), "{panel["Column"]["ColumnName"]}", '
            + ", ".join(percentile(definition, name) for name in values_)
            + f" FROM ({sql}) WHERE {where(definition, 'days-to-patch')} GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    ]
    assert found == [
        ("2025-05-01", "CRITICAL", 2, 2),  # ALAS-2025-001 on a2, fixed on day 3 in 2 days
        ("2025-05-01", "MEDIUM", 1, 1),  # bash on a2, first episode, 1 day
        # June: USN-6990-1 1 day, bash's second episode (it reappeared) 2 days, ALAS-2025-010 5 days
        ("2025-06-01", "MEDIUM", 2, 5),
    ]
    # the figures of the report queries/compacted/time_to_patch.sql
    report = db.execute(
        on_duckdb(
            re.sub(
                r"\$\{(\w+)\}",
                lambda m: str(values[m.group(1)]),
                reports.report_sql("time_to_patch", reports.REPORT_FOLDER),
            ),
            now=NOW,
        )
    ).fetchall()
    assert [(str(month)[:10], severity, median, p90) for month, severity, _, median, p90, _ in report] == found


def overdue_per_account(db, sql: str, definition: dict) -> list[tuple]:
    chart = visual(definition, "overdue-by-account")["ChartConfiguration"]["FieldWells"]["BarChartAggregatedFieldWells"]
    ((_, account),) = chart["Category"][0].items()
    ((_, colour),) = chart["Colors"][0].items()
    ((kind, measure),) = chart["Values"][0].items()
    assert (kind, measure["AggregationFunction"]) == ("CategoricalMeasureField", "COUNT")
    return db.execute(
        f'SELECT "{account["Column"]["ColumnName"]}", "{colour["Column"]["ColumnName"]}", '
        f'count("{measure["Column"]["ColumnName"]}") FROM ({sql}) '
        f"WHERE {where(definition, 'overdue-by-account')} GROUP BY ALL ORDER BY ALL"
    ).fetchall()


def test_node_patches_open_longer_than_their_sla_per_account(sheet):
    db, _, sql, definition, *_ = sheet
    # a2's HIGH patch open 7 days (SLA 4), a4's LOW one 6 days (SLA 5); b2's CRITICAL one 2 days is
    # exactly its SLA (not over), b1's patches are unreported (the node left): neither counts
    assert overdue_per_account(db, sql, definition) == [(A, "HIGH", 1), (A, "LOW", 1)]


def test_overdue_now_lists_account_region_node_patch_severity_days_open_and_sla_days(sheet):
    db, _, sql, definition, *_ = sheet
    wells = visual(definition, "overdue")["ChartConfiguration"]["FieldWells"]["TableUnaggregatedFieldWells"]
    columns = [field["Column"]["ColumnName"] for field in wells["Values"]]
    assert columns == ["account_id", "region", "node_id", "patch_id", "severity", "days_open", "sla_days"]
    found = db.execute(
        f"SELECT {', '.join(columns)} FROM ({sql}) WHERE {where(definition, 'overdue')} ORDER BY days_open DESC"
    ).fetchall()
    assert found == [
        (A, "us-east-1", A2, "ALAS-2025-002", "HIGH", 7, 4),
        (A, "eu-west-1", A4, "ALAS-2025-009", "LOW", 6, 5),
    ]


def test_the_data_set_holds_fixed_and_open_episodes_not_those_of_nodes_that_left(sheet):
    db, _, sql, *_ = sheet
    rows = db.execute(f"SELECT node_id, fixed, overdue_now, fixed_date IS NOT NULL FROM ({sql})").fetchall()
    assert len(rows) == 8  # the 11 episodes less b1's three unreported ones
    assert B1 not in {node for node, *_ in rows}
    assert {(fixed, overdue, has_date) for _, fixed, overdue, has_date in rows} == {
        (1, 0, True),
        (0, 1, False),
        (0, 0, False),
    }
    assert (B2, 0, 0, False) in rows  # open, within its SLA


def test_the_sla_days_reach_the_data_set_from_the_reports_stack_parameters(sheet):
    db, values, sql, definition, *_ = sheet
    try:
        episodes_from_the_reports_stack(db, values, OTHER_SLA_DAYS)
        # now only b2's CRITICAL patch, open 2 days, is over its SLA (1 day)
        assert overdue_per_account(db, sql, definition) == [(B, "CRITICAL", 1)]
        assert db.execute(f"SELECT DISTINCT severity, sla_days FROM ({sql}) ORDER BY 1").fetchall() == [
            ("CRITICAL", 1),
            ("HIGH", 10),
            ("LOW", 10),
            ("MEDIUM", 10),
        ]
    finally:
        episodes_from_the_reports_stack(db, values, SLA_DAYS)
    assert overdue_per_account(db, sql, definition) == [(A, "HIGH", 1), (A, "LOW", 1)]


def tables(sql: str) -> set[str]:
    return {table.name for table in sqlglot.parse_one(sql, read="athena").find_all(exp.Table)}


def test_the_data_set_reads_only_the_episodes_view_which_reads_only_compacted_tables(sheet):
    _, values, _, _, view_sql, table = sheet
    prefix = values["pCFNTablePrefixName"]
    assert tables(table["CustomSql"]["SqlQuery"]) == {f"{prefix}_patch_episodes"}
    compacted_tables = {f"{prefix}_{t.name}" for t in compaction.COMPACTED_TABLES}
    assert tables(view_sql) == {f"{prefix}_exposure_snapshot", f"{prefix}_compliance_snapshot"} <= compacted_tables
