"""queries/unscanned_untargeted_nodes.sql: the nodes patching does not reach, per account, on the sample
data (DuckDB), through the named query of the reports stack after the daily job; its version over the
fleet views is held to the same answer by test_compacted_reports.py."""

import pytest
from compacted_tables import compacted, run_daily, table
from sample_data import STACKS, A, B, on_duckdb, render_reports

from patch_templates.stacks import compliance_reports as reports

REPORT = "unscanned_untargeted_nodes"
# mi-..b3 (a hybrid node) never reported a patch summary; i-..b4 is Terminated, so not in the fleet; every
# other node is an EC2 instance with a scan (i-..b1's summary has an empty PatchGroup: untagged nodes are
# patched with their OS's default baseline, so that is no reason to list it).
EXPECTED = [
    (B, "eu-west-1", "mi-0b0000000000000b3", "onprem-01", "Red Hat Enterprise Linux", "ConnectionLost", "never scanned"),
]  # fmt: skip


TODAY = "2025-06-30"


@pytest.fixture(params=STACKS)
def synced(request):
    """(values, db): the sample data as synced, before today's daily job."""
    values, db = compacted(request.param)
    yield request.param, values, db
    db.close()


def run(synced) -> list[tuple]:
    """Today's daily job, then the named query as the reports stack deploys it."""
    stack, values, db = synced
    run_daily(db, values, TODAY)
    names = {key: value for key, value in STACKS[stack].items() if key != "pCFNDatabaseName"}
    deployed = render_reports(names, database=values["pCFNDatabaseName"])
    query = deployed["Resources"][f"Query{reports.camel(REPORT)}"]["Properties"]["QueryString"]
    return db.execute(on_duckdb(query)).fetchall()


def test_the_named_query_lists_the_unreached_nodes_with_their_reason(synced):
    assert run(synced) == EXPECTED


def test_a_node_that_loses_its_scan_or_is_a_scanned_hybrid_node_is_listed_under_its_account(synced):
    _, values, db = synced
    summaries = table(values, "patchsummary")
    db.execute(f"DELETE FROM {summaries} WHERE resourceid = 'i-0a0000000000000a1'")
    db.execute(
        f"INSERT INTO {summaries} BY NAME SELECT * REPLACE ('mi-0b0000000000000b3' AS resourceid) "
        f"FROM {summaries} WHERE resourceid = 'i-0b0000000000000b2'"
    )
    found = [(row[0], row[2], row[-1]) for row in run(synced)]
    assert found == [(A, "i-0a0000000000000a1", "never scanned"), (B, "mi-0b0000000000000b3", "not an EC2 instance")]


@pytest.mark.parametrize("group", ["", "Production"])
def test_a_scanned_ec2_instance_is_not_listed_with_or_without_a_patch_group(synced, group):
    _, values, db = synced
    db.execute(f"UPDATE {table(values, 'patchsummary')} SET patchgroup = '{group}' WHERE resourceid LIKE 'i-%'")
    assert [row[2] for row in run(synced)] == ["mi-0b0000000000000b3"]
