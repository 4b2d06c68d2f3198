"""queries/unscanned_untargeted_nodes.sql: the nodes patching does not reach, per account, on the sample
data (DuckDB); its compacted twin is held to the same answer by test_compacted_reports.py."""

import pytest
from sample_data import STACKS, A, B, loaded, on_duckdb

from patch_templates.stacks import compliance_reports as reports

REPORT = "unscanned_untargeted_nodes"
# mi-..b3 never reported a patch summary; i-..b1's summary has an empty PatchGroup; i-..b4 (no patch
# group either way) is Terminated, so not in the fleet; every other node has a scan and a group.
EXPECTED = [
    (B, "eu-west-1", "mi-0b0000000000000b3", "onprem-01", "Red Hat Enterprise Linux", "ConnectionLost", "never scanned"),
    (B, "us-east-1", "i-0b0000000000000b1", "WIN-APP-01", "Microsoft Windows Server 2016 Datacenter", "Stopped",
     "no patch group"),
]  # fmt: skip


@pytest.fixture(params=STACKS)
def stack(request):
    stack, db = loaded(STACKS[request.param])
    yield stack, db
    db.close()


def run(stack: dict, db) -> list[tuple]:
    query = stack["Resources"][f"Query{reports.camel(REPORT)}"]["Properties"]["QueryString"]
    return db.execute(on_duckdb(query)).fetchall()


def table(stack: dict, name: str) -> str:
    """A table of the analytics stack, named as the reports stack's snapshot table names its database."""
    snapshot = stack["Resources"]["TableComplianceSnapshot"]["Properties"]
    prefix = snapshot["TableInput"]["Name"].removesuffix("_compliance_snapshot")
    return f'"{snapshot["DatabaseName"]}"."{prefix}_{name}"'


def test_the_named_query_lists_the_unreached_nodes_with_their_reason(stack):
    assert run(*stack) == EXPECTED


def test_a_node_that_loses_its_patch_group_or_its_scan_is_listed_under_its_account(stack):
    stack, db = stack
    db.execute(f"UPDATE {table(stack, 'patchsummary')} SET patchgroup = '' WHERE resourceid = 'i-0b0000000000000b2'")
    db.execute(f"DELETE FROM {table(stack, 'patchsummary')} WHERE resourceid = 'i-0a0000000000000a1'")
    found = [(row[0], row[2], row[-1]) for row in run(stack, db)]
    assert found == [
        (A, "i-0a0000000000000a1", "never scanned"),
        (B, "i-0b0000000000000b2", "no patch group"),
        (B, "mi-0b0000000000000b3", "never scanned"),
        (B, "i-0b0000000000000b1", "no patch group"),
    ]


def test_a_scanned_node_in_a_patch_group_is_not_listed(stack):
    stack, db = stack
    db.execute(
        f"UPDATE {table(stack, 'patchsummary')} SET patchgroup = 'Production' WHERE resourceid = 'i-0b0000000000000b1'"
    )
    assert [row[2] for row in run(stack, db)] == ["mi-0b0000000000000b3"]
