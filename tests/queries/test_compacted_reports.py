"""queries/compacted/: each report rewritten to read the daily compacted tables (the reports stack's
named queries) returns what the same report over the fleet views on the synced JSON
(queries/<name>.sql) returns on the sample data, reading the newest day only."""

from datetime import datetime
from decimal import Decimal

import pytest
import sqlglot
from compacted_tables import compacted, run_daily, sql, table
from sample_data import STACKS, on_duckdb, render_reports
from sqlglot import exp

from patch_templates.queries import compaction
from patch_templates.stacks import compliance_reports as reports

# The reports that read the nodes, the exposure or the inventory: their new versions read the
# newest day of the daily tables. compliance_trend always read the compliance snapshot; the SLA
# reports are new.
REWRITTEN = [name for name in reports.REPORTS if (compaction.QUERIES / f"{name}.sql").is_file()]
# Time columns: ISO 8601 text in today's reports (the views keep the inventory's strings), UTC
# timestamps in the daily tables.
TIMES = {
    "noncompliant_instances": "last_scan_time",
    "stale_patch_scans": "last_operation_end",
    "nodes_by_days_since_install": "last_install_time",
    "patches_by_cve": "earliest_scan",
}
TODAY, YESTERDAY = "2025-06-30", "2025-06-29"
DAILY = [daily.name for daily in compaction.DAILY_TABLES]


def test_compacted_holds_every_report_of_the_stack():
    found = {path.stem for path in reports.REPORT_FOLDER.glob("*.sql")}
    assert found == set(reports.REPORTS) == set(REWRITTEN) | set(compaction.SLA_REPORTS) | {"compliance_trend"}
    assert len(REWRITTEN) == 10


@pytest.fixture(scope="module", params=STACKS)
def history(request):
    """Two days of the daily tables. Yesterday the terminated node i-..b4 was still Active, so it is
    in yesterday's copies with its missing kernel patch: a report that reads more than the newest
    day counts it, and every other node twice. Today's copies hold the sample data as it is."""
    values, db = compacted(request.param)
    information = table(values, "instanceinformation")
    db.execute(f"UPDATE {information} SET instancestatus = 'Active' WHERE resourceid = 'i-0b0000000000000b4'")
    run_daily(db, values, YESTERDAY)
    db.execute(f"UPDATE {information} SET instancestatus = 'Terminated' WHERE resourceid = 'i-0b0000000000000b4'")
    run_daily(db, values, TODAY)
    yield request.param, values, db
    db.close()


def instant(text: str | None) -> datetime | None:
    """An ISO 8601 time of the sync as the UTC timestamp the daily tables hold."""
    return text and datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def rows(db, query: str, columns_as_instants: set[str] = frozenset()) -> list[tuple]:
    cursor = db.execute(on_duckdb(query))
    names = [column[0] for column in cursor.description]
    return [
        tuple(
            instant(value) if name in columns_as_instants else float(value) if isinstance(value, Decimal) else value
            for name, value in zip(names, row, strict=True)
        )
        for row in cursor.fetchall()
    ]


@pytest.mark.parametrize("report", REWRITTEN)
def test_each_rewritten_report_answers_as_today_reading_only_the_newest_day(history, report):
    stack, values, db = history
    names = {key: value for key, value in STACKS[stack].items() if key != "pCFNDatabaseName"}
    deployed = render_reports(names, database=values["pCFNDatabaseName"])
    old = rows(db, sql(report, values), {TIMES.get(report)})
    new = rows(db, deployed["Resources"][f"Query{reports.camel(report)}"]["Properties"]["QueryString"])
    assert new == rows(db, sql(f"compacted/{report}", values))
    assert old, report  # a report with no rows would prove nothing
    assert new == old
    # the version over the views reads the synced JSON; the named query reads daily tables only
    read = {t.name for t in sqlglot.parse_one(sql(f"compacted/{report}", values), read="athena").find_all(exp.Table)}
    daily = {f"{values['pCFNTablePrefixName']}_{name}" for name in ("compliance_snapshot", *DAILY)}
    assert read and read <= daily, read


def test_time_columns_are_timestamps_where_today_they_are_text(history):
    _, values, db = history
    for report, column in TIMES.items():
        cursor = db.execute(on_duckdb(sql(f"compacted/{report}", values)))
        kind = {name: str(kind) for name, kind, *_ in cursor.description}[column]
        assert kind == "TIMESTAMP", (report, kind)
