"""queries/daily/: the statements that copy the day's exposure and inventory into Parquet tables write
exactly the columns compaction.py declares, once a day, with the rows worked out by hand from the
sample data."""

from datetime import datetime

import pytest
import sqlglot
from compacted_tables import compacted, run_daily, sql, table
from sample_data import DUCKDB_TYPES, STACKS, A, B, on_duckdb

from patch_templates.queries import compaction

DAY = "2025-06-30"


@pytest.fixture(scope="module", params=STACKS)
def daily(request):
    values, db = compacted(request.param)
    run_daily(db, values, DAY)
    yield values, db
    db.close()


@pytest.mark.parametrize("spec", compaction.DAILY_TABLES, ids=lambda spec: spec.name)
def test_each_statement_selects_the_declared_columns_and_types(daily, spec):
    values, db = daily
    insert = sqlglot.parse_one(sql(f"daily/{spec.name}", values), read="athena")
    assert insert.this.name == f"{values['pCFNTablePrefixName']}_{spec.name}"
    selected = db.execute(f"DESCRIBE {on_duckdb(insert.expression.sql(dialect='athena'))}").fetchall()
    types = {**DUCKDB_TYPES, "array<string>": "VARCHAR[]"}
    declared = {**spec.columns, compaction.PARTITION_KEY[0]: compaction.PARTITION_KEY[1]}
    assert [(row[0], row[1]) for row in selected] == [(column, types[kind]) for column, kind in declared.items()]
    assert spec.statement.is_file() and spec.folder == spec.name.replace("_", "-") + "/"


def test_a_second_run_on_the_same_day_adds_nothing(daily):
    values, db = daily
    counted = {
        name: db.execute(f"SELECT count(*) FROM {table(values, name)}").fetchone()[0]
        for name in ("compliance_snapshot", *(spec.name for spec in compaction.DAILY_TABLES))
    }
    run_daily(db, values, DAY)
    assert {
        name: db.execute(f"SELECT count(*) FROM {table(values, name)}").fetchone()[0] for name in counted
    } == counted
    # 7 active nodes, 7 node-patches missing or failed, 8 nodes the sync reported
    assert counted == {"compliance_snapshot": 7, "exposure_snapshot": 7, "inventory_snapshot": 8}


def test_the_exposure_snapshot_holds_one_row_per_node_and_patch_with_its_cve_ids(daily):
    values, db = daily
    found = db.execute(
        "SELECT account_id, node_id, patch_id, severity, patch_state, cve_ids, scan_time "
        f"FROM {table(values, 'exposure_snapshot')} ORDER BY node_id, patch_id"
    ).fetchall()
    a2_scan, b1_scan = datetime(2025, 6, 28, 15, 20), datetime(2025, 5, 1, 9, 10)
    assert found == [
        # i-..a2: kernel lists "CVE-2025-0001, CVE-2025-0002" (a space after the comma); bash lists none
        (A, "i-0a0000000000000a2", "ALAS-2025-001", "CRITICAL", "Missing", ["CVE-2025-0001", "CVE-2025-0002"], a2_scan),
        (A, "i-0a0000000000000a2", "ALAS-2025-002", "HIGH", "Missing", ["CVE-2025-0002"], a2_scan),
        (A, "i-0a0000000000000a2", "bash-5.2.15-1", "MEDIUM", "Missing", None, a2_scan),
        # i-..a4's failed install is an exposure too
        (
            A,
            "i-0a0000000000000a4",
            "ALAS-2025-010",
            "MEDIUM",
            "Failed",
            ["CVE-2025-0001"],
            datetime(2025, 6, 29, 7, 45),
        ),
        # i-..b1 is Stopped: still an active node
        (B, "i-0b0000000000000b1", "KB5000001", "CRITICAL", "Missing", ["CVE-2025-0002", "CVE-2025-1001"], b1_scan),
        (B, "i-0b0000000000000b1", "KB5000002", "HIGH", "Failed", None, b1_scan),
        (B, "i-0b0000000000000b1", "KB5000003", "CRITICAL", "Missing", None, b1_scan),
        # i-..b4 (Terminated, kernel missing) is not an active node: not here
    ]
    # compliance items carry no release date
    assert db.execute(
        f"SELECT DISTINCT release_date, CAST(snapshot_date AS VARCHAR) FROM {table(values, 'exposure_snapshot')}"
    ).fetchall() == [(None, DAY)]


def test_the_inventory_snapshot_keeps_terminated_nodes(daily):
    values, db = daily
    found = db.execute(
        f"SELECT node_id, instance_status, resource_type FROM {table(values, 'inventory_snapshot')} "
        "WHERE instance_status <> 'Active' ORDER BY node_id"
    ).fetchall()
    assert found == [
        ("i-0b0000000000000b1", "Stopped", "EC2Instance"),
        ("i-0b0000000000000b4", "Terminated", "EC2Instance"),
        ("mi-0b0000000000000b3", "ConnectionLost", "ManagedInstance"),
    ]
