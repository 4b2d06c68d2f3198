"""How much faster the compliance summary answers from the daily snapshot than from the synced
JSON files, on DuckDB (not a test: it measures).

It writes a synthetic organization in the resource data sync layout to a temporary folder (200
accounts x 2 Regions x 25 nodes = 10,000 nodes; one InstanceInformation, PatchSummary and
ComplianceItem file per node), defines the stack's tables and views over the JSON files, runs
the stack's snapshot statement into a Parquet folder (one partition per day), and times the
stack's compliance summary report (queries/compliance_summary.sql) twice: over the views on
the raw files, and with its nodes view pointing at the snapshot. Median of 5 runs each.

    .venv/bin/python benchmarks/snapshot_speed.py [--accounts 200] [--regions 2] [--nodes 25] [--runs 5]
"""

import argparse
import json
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from patch_templates.parts import catalog
from patch_templates.queries import compaction
from patch_templates.stacks import compliance_reports as reports

DATABASE, PREFIX = "patching-database", "patching"
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "eu-central-1"]
DAY = "2025-06-30"


def sql(text: str) -> str:
    """Stack SQL with its parameters filled in, in DuckDB's dialect, the clock frozen at DAY."""
    text = re.sub(
        r"\$\{(\w+)\}",
        lambda m: {"pCFNDatabaseName": DATABASE, "pCFNTablePrefixName": PREFIX, "pStaleScanDays": "7"}[m.group(1)],
        text,
    )
    tree = sqlglot.parse_one(text, read="athena").transform(
        lambda node: (
            exp.cast(exp.Literal.string(f"{DAY} 04:00:00+00"), "TIMESTAMPTZ")
            if isinstance(node, exp.CurrentTimestamp)
            else exp.cast(exp.Literal.string(DAY), "DATE")
            if isinstance(node, exp.CurrentDate)
            else node
        )
    )
    return tree.sql(dialect="duckdb").replace("DATE_DIFF(", "DATE_SUB(")


def write_organization(root: Path, accounts: int, regions: int, nodes: int) -> int:
    rng = random.Random(10)
    files = 0
    for a in range(accounts):
        account = f"{100000000000 + a:012d}"
        for region in REGIONS[:regions]:
            for n in range(nodes):
                node = f"i-{a:08x}{REGIONS.index(region):02x}{n:07x}"
                common = {"resourceId": node, "captureTime": "2025-06-29T12:00:00Z", "schemaVersion": "1.0"}
                status = rng.choices(["Active", "Stopped", "ConnectionLost", "Terminated"], [94, 2, 1, 3])[0]
                missing, failed = rng.choice([0, 0, 0, 1, 3]), rng.choice([0] * 9 + [1])
                records = {
                    "InstanceInformation": [
                        {
                            "ComputerName": f"host-{n}",
                            "InstanceId": node,
                            "PlatformName": "Amazon Linux",
                            "PlatformType": "Linux",
                            "InstanceStatus": status,
                        }
                    ],
                    "PatchSummary": [
                        {
                            "PatchGroup": "Production",
                            "BaselineId": "pb-0a1b2c3d4e5f60001",
                            "MissingCount": str(missing),
                            "FailedCount": str(failed),
                            "InstalledPendingRebootCount": str(rng.choice([0] * 9 + [2])),
                            "OperationType": "Scan",
                            "OperationEndTime": "2025-06-29T03:17:00Z",
                        }
                    ],
                    "ComplianceItem": [
                        {
                            "ComplianceType": "Patch",
                            "Id": f"ALAS-2025-{i:03d}",
                            "Title": "pkg",
                            "Severity": rng.choice(["CRITICAL", "HIGH", "MEDIUM"]),
                            "Classification": "Security",
                            "PatchState": "Missing" if i < missing else "Installed",
                            "InstalledTime": "" if i < missing else "2025-06-01T10:00:00Z",
                            "ExecutionTime": "2025-06-29T03:17:00Z",
                            "CVEIds": f"CVE-2025-{i:04d}",
                        }
                        for i in range(max(missing, 2))
                    ],
                }
                for kind, lines in records.items():
                    folder = (
                        root
                        / f"AWS:{kind}"
                        / f"accountid={account}"
                        / f"region={region}"
                        / "resourcetype=ManagedInstanceInventory"
                    )
                    folder.mkdir(parents=True, exist_ok=True)
                    (folder / f"{node}.json").write_text("".join(json.dumps({**r, **common}) + "\n" for r in lines))
                    files += 1
    return files


def define_tables(db, root: Path) -> None:
    """The stack's inventory tables as views over the JSON files, and its fleet views."""
    db.execute(f'CREATE SCHEMA "{DATABASE}"')
    for kind in ("InstanceInformation", "PatchSummary", "ComplianceItem"):
        fields = catalog.INVENTORY_TYPES[kind] + catalog.COMMON_FIELDS
        columns = "{" + ", ".join(f"'{f}': 'VARCHAR'" for f in fields) + "}"
        select = ", ".join(f'"{f}" AS {f.lower()}' for f in fields)
        db.execute(
            f'CREATE VIEW "{DATABASE}"."{PREFIX}_{kind.lower()}" AS SELECT {select}, accountid, region '
            f"FROM read_json('{root}/AWS:{kind}/*/*/*/*.json', columns={columns}, "
            "format='newline_delimited', hive_partitioning=true, hive_types_autocast=false)"
        )
    for view in reports.VIEWS:
        db.execute(
            f'CREATE VIEW "{DATABASE}"."{PREFIX}_{view}" AS ' + sql(reports.report_sql(view, reports.QUERIES / "views"))
        )


def median_seconds(db, query: str, runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        db.execute(query).fetchall()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--regions", type=int, default=2)
    parser.add_argument("--nodes", type=int, default=25)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "inventory"
        started = time.perf_counter()
        files = write_organization(root, args.accounts, args.regions, args.nodes)
        print(
            f"wrote {args.accounts * args.regions * args.nodes} nodes, {files} files "
            f"in {time.perf_counter() - started:.1f} s"
        )
        db = duckdb.connect()
        db.execute("SET TimeZone = 'UTC'")
        define_tables(db, root)
        summary = sql(reports.report_sql("compliance_summary"))
        from_raw = db.execute(summary).fetchall()
        raw = median_seconds(db, summary, args.runs)

        # the snapshot: the stack's statement into a table of the Glue table's columns, written as Parquet
        columns = ", ".join(
            f"{name} {reports.HIVE_TYPES.get(kind, kind).replace('string', 'VARCHAR')}"
            for name, kind in compaction.COMPLIANCE_SNAPSHOT.columns.items()
        )
        db.execute(f'CREATE TABLE "{DATABASE}"."{PREFIX}_compliance_snapshot" ({columns}, snapshot_date DATE)')
        db.execute(sql(reports.report_sql(compaction.COMPLIANCE_SNAPSHOT.name)))
        parquet = Path(tmp) / "compliance-snapshot"
        db.execute(
            f'COPY "{DATABASE}"."{PREFIX}_compliance_snapshot" TO \'{parquet}\' '
            "(FORMAT parquet, COMPRESSION snappy, PARTITION_BY (snapshot_date))"
        )
        size = sum(f.stat().st_size for f in parquet.rglob("*.parquet"))
        db.execute(
            f'CREATE OR REPLACE VIEW "{DATABASE}"."{PREFIX}_nodes" AS SELECT * FROM '
            f"read_parquet('{parquet}/*/*.parquet', hive_types={{'snapshot_date': 'DATE'}}) WHERE snapshot_date = DATE '{DAY}'"
        )
        from_snapshot = db.execute(summary).fetchall()
        assert from_snapshot == from_raw, (from_snapshot[:3], from_raw[:3])
        snapshot = median_seconds(db, summary, args.runs)
        print(
            f"compliance summary, median of {args.runs}: raw JSON {raw * 1000:.1f} ms, "
            f"snapshot Parquet ({size / 1e6:.2f} MB) {snapshot * 1000:.1f} ms, {raw / snapshot:.0f}x faster"
        )


if __name__ == "__main__":
    main()
