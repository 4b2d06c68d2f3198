"""Time to patch against an SLA: the daily statements run on six days over the sample data changed
between runs, then the episodes view (queries/views/patch_episodes.sql) and the three SLA reports
(queries/compacted/) are compared with rows worked out by hand."""

from datetime import date

import pytest
from compacted_tables import SLA_DAYS, compacted, run_daily, sql, table
from sample_data import A, B, on_duckdb

from patch_templates.queries import compaction

# The snapshot days. Nothing ran on 2025-06-01: the history has a gap. The reports run on 2025-06-05.
D1, D2, D3, D4, D5, D6 = "2025-05-29", "2025-05-30", "2025-05-31", "2025-06-02", "2025-06-03", "2025-06-04"
NOW = "2025-06-05 09:00:00+00"
A2, A4, B1, B2 = "i-0a0000000000000a2", "i-0a0000000000000a4", "i-0b0000000000000b1", "i-0b0000000000000b2"
# Two patches of node i-..b2 (db-01, account B, eu-west-1), installed on the sample's day.
NEW_ITEMS = [("USN-6990-1", "libxml2", "MEDIUM"), ("USN-7000-1", "openssl", "CRITICAL")]


def set_state(db, values, state: str, node: str, *patches: str) -> None:
    db.execute(
        f"UPDATE {table(values, 'complianceitem')} SET patchstate = ? "
        f"WHERE resourceid = ? AND id IN ({', '.join('?' * len(patches))})",
        [state, node, *patches],
    )


def six_days(db, values, *, skip_exposure_on: str | None = None) -> None:
    """Run the daily statements on D1..D6, changing the sample data before each day as commented.
    skip_exposure_on: that day, the exposure statement does not write (it failed)."""
    items = table(values, "complianceitem")
    for patch, title, severity in NEW_ITEMS:
        db.execute(
            f"INSERT INTO {items} (compliancetype, id, title, severity, classification, patchstate, executiontime, "
            "resourceid, accountid, region, resourcetype) VALUES ('Patch', ?, ?, ?, 'Security', 'Installed', "
            f"'2025-05-28T03:00:00Z', '{B2}', '{B}', 'eu-west-1', 'ManagedInstanceInventory')",
            [patch, title, severity],
        )
    changes = {
        # missing: a2 ALAS-2025-001 (CRITICAL), ALAS-2025-002 (HIGH), bash (MEDIUM); a4 ALAS-2025-010
        # (MEDIUM, Failed); b1 KB5000001 (CRITICAL), KB5000002 (HIGH, Failed), KB5000003 (CRITICAL)
        D1: [],
        D2: [("Installed", A2, "bash-5.2.15-1"), ("Missing", A4, "ALAS-2025-009")],  # curl, LOW
        D3: [("Installed", A2, "ALAS-2025-001")],
        D4: [("Missing", A2, "bash-5.2.15-1"), ("Missing", A4, "ALAS-2025-010"), ("Missing", B2, "USN-6990-1")],
        D5: [("Installed", A4, "ALAS-2025-010"), ("Installed", B2, "USN-6990-1"), ("Missing", B2, "USN-7000-1")],
        D6: [("Installed", A2, "bash-5.2.15-1")],
    }
    for day, states in changes.items():
        for state, node, patch in states:
            set_state(db, values, state, node, patch)
        if day == D5:  # b1 is terminated: it leaves the nodes view, and the snapshots
            db.execute(
                f"UPDATE {table(values, 'instanceinformation')} SET instancestatus = 'Terminated' "
                f"WHERE resourceid = '{B1}'"
            )
        if day == skip_exposure_on:
            db.execute(on_duckdb(sql("compliance_snapshot", values), now=f"{day} 04:00:00+00"))
        else:
            run_daily(db, values, day)


def episodes_view(db, values) -> str:
    name = table(values, "patch_episodes")
    # replaces the template's view (rendered with the default SLA days) by one with SLA_DAYS
    db.execute(f"CREATE OR REPLACE VIEW {name} AS {on_duckdb(sql('views/patch_episodes', values), now=NOW)}")
    return name


@pytest.fixture(scope="module")
def history():
    values, db = compacted("renamed")
    six_days(db, values)
    view = episodes_view(db, values)
    yield values, db, view
    db.close()


def test_the_view_returns_exactly_its_declared_columns_and_types(history):
    _, db, view = history
    kinds = {"array(varchar)": "VARCHAR[]"}
    assert [(row[0], row[1]) for row in db.execute(f"DESCRIBE {view}").fetchall()] == [
        (column, kinds.get(kind, kind.upper())) for column, kind in compaction.EPISODES_VIEW.items()
    ]


# SLA days in these tests (compacted_tables.SLA_DAYS): CRITICAL 2, HIGH 4, MEDIUM 3, LOW 5.
def test_episodes_worked_out_by_hand(history):
    _, db, view = history
    found = db.execute(
        f"SELECT node_id, patch_id, severity, first_seen, last_seen, fixed_date, status, days_open, sla_days, overdue "
        f"FROM {view} ORDER BY node_id, patch_id, first_seen"
    ).fetchall()
    day = date.fromisoformat
    assert found == [
        # fixed on day 3: missing D1 and D2, installed before D3: 05-29 to 05-31, 2 days, not over 2
        (A2, "ALAS-2025-001", "CRITICAL", day(D1), day(D2), day(D3), "fixed", 2, 2, False),
        # still open: missing every day; 05-29 to today (06-05) is 7 days, over HIGH's 4
        (A2, "ALAS-2025-002", "HIGH", day(D1), day(D6), None, "open", 7, 4, True),
        # reappears: missing D1, installed D2 (1 day); missing again D4 and D5 across the gap, installed
        # D6: a second episode, 06-02 to 06-04, 2 days
        (A2, "bash-5.2.15-1", "MEDIUM", day(D1), day(D1), day(D2), "fixed", 1, 3, False),
        (A2, "bash-5.2.15-1", "MEDIUM", day(D4), day(D5), day(D6), "fixed", 2, 3, False),
        # missing from D2 on: 05-30 to today, 6 days, over LOW's 5
        (A4, "ALAS-2025-009", "LOW", day(D2), day(D6), None, "open", 6, 5, True),
        # Failed D1 to D3, Missing D4 (a change of state, and the day without snapshots, neither
        # break it), installed before D5: 05-29 to 06-03, 5 days, over MEDIUM's 3
        (A4, "ALAS-2025-010", "MEDIUM", day(D1), day(D4), day(D5), "fixed", 5, 3, True),
        # b1 left the snapshots from D5 (terminated): not fixed, not open; 05-29 to 06-02 seen, 4 days
        (B1, "KB5000001", "CRITICAL", day(D1), day(D4), None, "unreported", 4, 2, True),
        (B1, "KB5000002", "HIGH", day(D1), day(D4), None, "unreported", 4, 4, False),
        (B1, "KB5000003", "CRITICAL", day(D1), day(D4), None, "unreported", 4, 2, True),
        # missing D4 only: 06-02 to 06-03, 1 day
        (B2, "USN-6990-1", "MEDIUM", day(D4), day(D4), day(D5), "fixed", 1, 3, False),
        # open since D5: 06-03 to today, 2 days, exactly CRITICAL's 2: not over
        (B2, "USN-7000-1", "CRITICAL", day(D5), day(D6), None, "open", 2, 2, False),
    ]


def report(history, name: str) -> list[tuple]:
    values, db, _ = history
    return db.execute(on_duckdb(sql(f"compacted/{name}", values), now=NOW)).fetchall()


def test_median_and_90th_percentile_days_to_patch_per_severity_and_month(history):
    found = [(str(month)[:10], *rest) for month, *rest in report(history, "time_to_patch")]
    assert [tuple(float(v) if k == 5 else v for k, v in enumerate(row)) for row in found] == [
        # May: ALAS-2025-001 fixed 05-31 in 2 days (SLA 2: within)
        ("2025-05-01", "CRITICAL", 1, 2, 2, 100.0),
        # May: bash's first episode, fixed 05-30 in 1 day
        ("2025-05-01", "MEDIUM", 1, 1, 1, 100.0),
        # June: USN-6990-1 in 1 day, bash's second episode in 2, ALAS-2025-010 in 5: sorted 1, 2, 5.
        # Median: rank ceil(0.5 x 3) = 2 -> 2 days; 90th percentile: rank ceil(0.9 x 3) = 3 -> 5 days.
        # Within MEDIUM's 3 days: 2 of 3 = 66.7 %
        ("2025-06-01", "MEDIUM", 3, 2, 5, 66.7),
    ]


def test_node_patches_open_longer_than_the_sla_per_account(history):
    assert report(history, "sla_by_account") == [
        # account, severity, SLA days, open, overdue, oldest open: b1's unreported patches count nowhere
        (A, "HIGH", 4, 1, 1, 7),  # a2 ALAS-2025-002, 7 days
        (A, "LOW", 5, 1, 1, 6),  # a4 ALAS-2025-009, 6 days
        (B, "CRITICAL", 2, 1, 0, 2),  # b2 USN-7000-1, 2 days: not over
    ]


def test_overdue_now_lists_open_patches_over_their_sla_most_overdue_first(history):
    assert report(history, "overdue_patches") == [
        # 7 days open - 4 = 3 over; its CVE ids from the exposure snapshot
        (A, "us-east-1", A2, "web-01", "ALAS-2025-002", "openssl", "Security", "HIGH", "Missing", "CVE-2025-0002")
        + (date(2025, 5, 29), 7, 4, 3),
        # 6 days open - 5 = 1 over; curl has no CVE ids
        (A, "eu-west-1", A4, "app-02", "ALAS-2025-009", "curl", "Bugfix", "LOW", "Missing", None)
        + (date(2025, 5, 30), 6, 5, 1),
    ]


def test_the_sla_placeholders_are_the_sla_parameters():
    text = (compaction.QUERIES / "views" / "patch_episodes.sql").read_text()
    assert {sla.parameter for sla in compaction.SLAS} == set(SLA_DAYS)
    for sla in compaction.SLAS:
        assert text.count("${" + sla.parameter + "}") == 1, sla.parameter
        assert sla.severity == "LOW" or f"WHEN '{sla.severity}' THEN ${{{sla.parameter}}}" in text
    # PCI DSS v4.0 requirement 6.3.3: critical security patches within one month of release
    assert [(sla.severity, sla.default) for sla in compaction.SLAS] == [
        ("CRITICAL", 30),
        ("HIGH", 30),
        ("MEDIUM", 90),
        ("LOW", 180),
    ]


def test_a_compliance_snapshot_without_the_days_exposure_snapshot_would_fake_fixes():
    """Why the compliance snapshot runs only after the exposure snapshot of the day has succeeded
    (compaction.DAILY_STATEMENTS): had it run on D3 when the exposure statement failed, every patch
    would look fixed on D3 and open again on D4. (A day on which neither ran, 06-01, breaks nothing.)"""
    values, db = compacted("defaults")
    six_days(db, values, skip_exposure_on=D3)
    view = episodes_view(db, values)
    assert db.execute(
        f"SELECT first_seen, fixed_date, status FROM {view} WHERE node_id = '{A2}' AND patch_id = 'ALAS-2025-002' ORDER BY first_seen"
    ).fetchall() == [(date(2025, 5, 29), date(2025, 5, 31), "fixed"), (date(2025, 6, 2), None, "open")]
    db.close()
    assert compaction.DAILY_STATEMENTS.index("daily/exposure_snapshot") < compaction.DAILY_STATEMENTS.index(
        "compliance_snapshot"
    )
