"""What the daily job and each report read, how long they take and what Athena would charge, before
(today's SQL: the fleet views over the synced JSON) and after (queries/daily/ writes compacted Parquet
tables once a day; queries/compacted/ reads them), on DuckDB (not a test: it measures).

It writes a synthetic organization in the resource data sync's layout to a temporary folder
(--accounts x --regions x --nodes nodes; per node one AWS:InstanceInformation, AWS:PatchSummary and
AWS:ComplianceItem object, the last with --items compliance items of about 630 bytes, --missing of
them Missing and one Failed), runs today's snapshot statement and the daily statements on one day,
writes the daily tables as Parquet (one folder per day, Snappy, as the Glue tables declare), derives
--days - 1 earlier days from that day (a node-patch is missing on a day or not by a weekly hash, so
that episodes open and close), and runs every report before and after.

Bytes read are counted as Athena bills them, from DuckDB's profile of each query: for a JSON table
scan, every object of that table (JSON cannot skip columns); for a Parquet scan, the compressed
column chunks of the columns it reads, in the files (days) it reads, from the Parquet metadata; a
scan of the partition key alone reads no column chunk. Athena cost: $5 per TB scanned, at least
10 MB per query (Amazon Athena pricing), in decimal units. Wall time is DuckDB's on this machine,
median of --runs, not Athena's. The default organization is 2,000 nodes; the figures for 20,000
nodes are the measured bytes times 10, linear in nodes (--scale-to sets the target).

    .venv/bin/python benchmarks/compaction_cost.py [--accounts 100] [--regions 4] [--nodes 5] [--items 200]
        [--missing 10] [--days 730] [--runs 3] [--scale-to 20000]
"""

import argparse
import json
import random
import re
import tempfile
import time
from pathlib import Path

import duckdb
import sqlglot
from snapshot_speed import median_seconds

from patch_templates.parts import catalog
from patch_templates.queries import compaction
from patch_templates.stacks import analytics, compliance_reports as reports, quicksight_dashboard

DATABASE, PREFIX = "patching-database", "patching"
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "eu-central-1"]
DAY = "2025-06-30"
# Every ${name} of the SQL: the stack's names, and the SLA parameters at their defaults.
VALUES = {
    "pCFNDatabaseName": DATABASE,
    "pCFNTablePrefixName": PREFIX,
    "pStaleScanDays": 7,
    "ComplianceSnapshotTable": f"{PREFIX}_compliance_snapshot",
    **{sla.parameter: sla.default for sla in compaction.SLAS},
}
# Hive types of the daily tables in DuckDB
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int": "INTEGER",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "array<string>": "VARCHAR[]",
}
STATES = ["Installed"] * 12 + ["InstalledOther", "NotApplicable", "NotApplicable", "InstalledPendingReboot"]
SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW"]
# The reports over the views that queries/compacted/ rewrites (queries/<name>.sql, the "before")
REWRITTEN = [name for name in reports.REPORTS if (compaction.QUERIES / f"{name}.sql").is_file()]
ATHENA_DOLLARS_PER_BYTE = 5 / 1e12
# A statement measured: bytes read, scans by what was read, seconds.
Measured = tuple[int, dict[str, int], float]
ATHENA_MINIMUM_BYTES = 10_000_000


def on_duckdb(text: str) -> str:
    """Athena SQL with its ${names} filled in, run on DAY at 06:00 UTC, in DuckDB's dialect (DuckDB's
    date_sub is Trino's date_diff: whole units elapsed)."""
    text = re.sub(r"\$\{(\w+)\}", lambda match: str(VALUES[match.group(1)]), text)
    text = re.sub(r"\bcurrent_date\b", f"DATE '{DAY}'", text)
    text = re.sub(r"\bcurrent_timestamp\b", f"TIMESTAMP WITH TIME ZONE '{DAY} 06:00:00+00'", text)
    return sqlglot.transpile(text, read="athena", write="duckdb")[0].replace("DATE_DIFF(", "DATE_SUB(")


def query(path: str) -> str:
    """queries/<path>.sql as a template holds it."""
    folder, _, name = path.rpartition("/")
    return reports.report_sql(name, compaction.QUERIES / folder)


def write_sync(root: Path, accounts: int, regions: int, nodes: int, items: int, missing: int) -> None:
    rng = random.Random(17)
    for a in range(accounts):
        account = f"{100000000000 + a:012d}"
        for r, region in enumerate(REGIONS[:regions]):
            for n in range(nodes):
                node = f"i-{a:08x}{r:02x}{n:07x}"
                common = {"resourceId": node, "captureTime": "2025-06-29T12:00:00Z", "schemaVersion": "1.0"}
                scan = f"2025-06-{rng.randint(20, 29)}T03:{rng.randint(10, 59)}:00Z"
                status = rng.choices(["Active", "Stopped", "ConnectionLost", "Terminated"], [94, 2, 1, 3])[0]
                compliance = [
                    {
                        "ComplianceType": "Patch",
                        "ExecutionId": "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
                        "ExecutionType": "Command",
                        "ExecutionTime": scan,
                        "Id": f"ALAS-2025-{i:04d}",
                        "Title": f"package-{i}",
                        "Status": "NON_COMPLIANT" if i <= missing else "COMPLIANT",
                        "Severity": SEVERITIES[i % 4],
                        "DocumentName": "AWS-RunPatchBaseline",
                        "DocumentVersion": "1",
                        "Classification": "Security" if i % 3 else "Bugfix",
                        "PatchBaselineId": "pb-0a1b2c3d4e5f60001",
                        "PatchSeverity": ["Critical", "Important", "Medium", "Low"][i % 4],
                        "PatchState": "Failed" if i == 0 else "Missing" if i <= missing else rng.choice(STATES),
                        "PatchGroup": "Production",
                        "InstalledTime": "" if i <= missing else "2025-06-10T02:15:00Z",
                        **(
                            {"CVEIds": ", ".join(f"CVE-2025-{i * 7 + k:05d}" for k in range(i % 3 + 1))}
                            if i % 2
                            else {}
                        ),
                    }
                    for i in range(items)
                ]
                records = {
                    "InstanceInformation": [
                        {
                            "AgentType": "amazon-ssm-agent",
                            "AgentVersion": "3.3.987.0",
                            "ComputerName": f"ip-10-{a % 256}-{r}-{n}.ec2.internal",
                            "InstanceId": node,
                            "IpAddress": f"10.{a % 256}.{r}.{n}",
                            "PlatformName": "Amazon Linux",
                            "PlatformType": "Linux",
                            "PlatformVersion": "2023",
                            "ResourceType": "EC2Instance",
                            "InstanceStatus": status,
                        }
                    ],
                    "PatchSummary": [
                        {
                            "PatchGroup": "Production",
                            "BaselineId": "pb-0a1b2c3d4e5f60001",
                            "SnapshotId": "5f2b1c7e-0000-4000-8000-000000000000",
                            "InstalledCount": str(items - missing - 1),
                            "InstalledPendingRebootCount": "0",
                            "MissingCount": str(missing),
                            "FailedCount": "1",
                            "OperationType": "Scan",
                            "OperationStartTime": scan,
                            "OperationEndTime": scan,
                            "RebootOption": "RebootIfNeeded",
                        }
                    ],
                    "ComplianceItem": compliance,
                }
                for kind, lines in records.items():
                    folder = (
                        root / f"AWS:{kind}" / f"accountid={account}" / f"region={region}"
                        / "resourcetype=ManagedInstanceInventory"
                    )  # fmt: skip
                    folder.mkdir(parents=True, exist_ok=True)
                    (folder / f"{node}.json").write_text("".join(json.dumps({**r, **common}) + "\n" for r in lines))
        # the sync's probe object, which no table reads
        (root / "AWS:InstanceInformation" / f"accountid={account}" / "test.json").write_text('{"test": "probe"}\n')


def define_sync_tables(db, root: Path) -> None:
    """The analytics stack's tables over the JSON objects (its columns, SerDe renames and partition
    keys) and the fleet views of the reports stack."""
    db.execute(f'CREATE SCHEMA "{DATABASE}"')
    for kind in ("InstanceInformation", "PatchSummary", "ComplianceItem"):
        fields = {f.lower(): f for f in catalog.INVENTORY_TYPES[kind] + catalog.COMMON_FIELDS}
        fields |= analytics.RENAMED_FIELDS.get(kind, {})
        keys = {key.lower(): key for key in fields.values()}
        columns = "{" + ", ".join(f"'{key}': 'VARCHAR'" for key in keys.values()) + "}"
        select = ", ".join(f'"{key}" AS {column}' for column, key in fields.items())
        db.execute(
            f'CREATE VIEW "{DATABASE}"."{PREFIX}_{kind.lower()}" AS SELECT {select}, accountid, region, resourcetype '
            f"FROM read_json('{root}/AWS:{kind}/*/*/*/*.json', columns={columns}, format='newline_delimited', "
            "hive_partitioning=true, hive_types_autocast=false)"
        )
    for view in [view for view in reports.VIEWS if view != "patch_episodes"]:  # episodes: after the daily tables
        db.execute(f'CREATE VIEW "{DATABASE}"."{PREFIX}_{view}" AS {on_duckdb(query("views/" + view))}')


def daily_tables() -> dict[str, dict[str, str]]:
    """Every daily table -> its Hive columns, the partition key last."""
    return {
        t.name: {**t.columns, compaction.PARTITION_KEY[0]: compaction.PARTITION_KEY[1]}
        for t in compaction.COMPACTED_TABLES
    }


def table(name: str) -> str:
    return f'"{DATABASE}"."{PREFIX}_{name}"'


def write_history(db, folder: Path, days: int) -> None:
    """The daily tables as Parquet, one folder per day: DAY as the daily statements wrote it, and
    days - 1 earlier days derived from it (a node-patch is missing on an earlier day or not by a
    weekly hash; every node is in every day's snapshots). Then read back as the Glue tables are."""
    for name in daily_tables():
        churn = "WHERE ago = 0 OR hash(node_id, patch_id, ago // 7) % 5 <> 0"
        db.execute(
            f"COPY (SELECT daily.* REPLACE (DATE '{DAY}' - CAST(ago AS INTEGER) AS snapshot_date) "
            f"FROM {table(name)} AS daily, range({days}) AS days (ago) {churn if name == 'exposure_snapshot' else ''}) "
            f"TO '{folder / name}' (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (snapshot_date))"
        )
        db.execute(f"DROP TABLE {table(name)}")
        db.execute(
            f"CREATE VIEW {table(name)} AS SELECT * FROM read_parquet('{folder / name}/*/*.parquet', "
            "hive_partitioning=true, hive_types={'snapshot_date': 'DATE'})"
        )
    db.execute(f"CREATE VIEW {table('patch_episodes')} AS {on_duckdb(query('views/patch_episodes'))}")


class Meter:
    """What a query reads, as Athena would bill it, from DuckDB's profile of its table scans."""

    def __init__(self, db, root: Path, folder: Path):
        self.db, self.root, self.folder = db, root, folder
        self.profile = folder.parent / "profile.json"
        db.execute("PRAGMA enable_profiling = 'json'")
        db.execute(f"PRAGMA profiling_output = '{self.profile}'")
        db.execute("PRAGMA disable_profiling")
        self.json_bytes = {
            kind: sum(f.stat().st_size for f in (root / f"AWS:{kind}").glob("*/*/*/*.json"))
            for kind in ("InstanceInformation", "PatchSummary", "ComplianceItem")
        }
        self.chunks: dict[str, dict[str, int]] = {}  # Parquet file -> {column: compressed bytes of its chunks}

    def read_parquet_metadata(self) -> None:
        for path in self.folder.rglob("*.parquet"):
            sizes = self.chunks.setdefault(str(path), {})
            for column, size in self.db.execute(
                f"SELECT path_in_schema, total_compressed_size FROM parquet_metadata('{path}')"
            ).fetchall():
                top = column.split(",")[0].strip()  # a list column's chunks are under its name
                sizes[top] = sizes.get(top, 0) + size

    def run(self, sql: str) -> tuple[int, dict[str, int], list, float]:
        """Run once with the profile: bytes billed, the scans per table, the rows and the seconds."""
        self.db.execute("PRAGMA enable_profiling = 'json'")
        started = time.perf_counter()
        rows = self.db.execute(sql).fetchall()
        elapsed = time.perf_counter() - started
        self.db.execute("PRAGMA disable_profiling")
        scans: dict[str, int] = {}
        total, nodes = 0, json.loads(self.profile.read_text())["operator"]
        while nodes:
            node = nodes.pop()
            nodes.extend(node.get("children", []))
            if node.get("type") != "TABLE_SCAN" or node["extra_info"].get("Function") not in (
                "READ_JSON",
                "READ_PARQUET",
            ):
                continue
            info = node["extra_info"]
            files, read = info["Filename(s)"], int(info["Total Files Read"])
            if info["Function"] == "READ_JSON":  # a whole JSON type folder: every object
                kind = files.split("/AWS:")[1].split("/")[0]
                assert read == len(list((self.root / f"AWS:{kind}").glob("*/*/*/*.json"))), info
                total += self.json_bytes[kind]
                name = f"{kind} JSON"
            else:  # the chunks of the columns read, in the days read (known, never guessed)
                listed = [name for name in files.split(", ") if name != "..."]
                paths = [p for p in self.chunks if any(Path(p).match(name) for name in listed)]
                assert len(paths) == read and ("*" in files or "..." not in listed), info
                columns = info.get("Projections", [])
                columns = [columns] if isinstance(columns, str) else columns
                total += sum(self.chunks[path].get(column, 0) for path in paths for column in columns)
                name = f"{Path(paths[0]).parent.parent.name} {read} day{'s' * (read > 1)}"
            scans[name] = scans.get(name, 0) + 1
        return total, scans, rows, elapsed


def dollars(byte_count: float) -> float:
    """Athena's charge for one query: whole megabytes, at least 10 MB."""
    return max(-(-byte_count // 1e6) * 1e6, ATHENA_MINIMUM_BYTES) * ATHENA_DOLLARS_PER_BYTE


def size(byte_count: float) -> str:
    return f"{byte_count / 1e9:.2f} GB" if byte_count >= 1e9 else f"{byte_count / 1e6:.2f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--regions", type=int, default=4)
    parser.add_argument("--nodes", type=int, default=5, help="per account and Region")
    parser.add_argument("--items", type=int, default=200, help="compliance items per node")
    parser.add_argument("--missing", type=int, default=10, help="of them Missing (and one Failed)")
    parser.add_argument("--days", type=int, default=730, help="days of history in the daily tables")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale-to", type=int, default=20000, help="nodes the bytes are scaled to")
    args = parser.parse_args()
    nodes = args.accounts * args.regions * args.nodes
    scale = args.scale_to / nodes
    with tempfile.TemporaryDirectory() as tmp:
        root, folder = Path(tmp) / "inventory", Path(tmp) / "daily"
        folder.mkdir()
        started = time.perf_counter()
        write_sync(root, args.accounts, args.regions, args.nodes, args.items, args.missing)
        db = duckdb.connect()
        db.execute("SET TimeZone = 'UTC'")
        define_sync_tables(db, root)
        for name, columns in daily_tables().items():
            db.execute(
                f"CREATE TABLE {table(name)} ("
                + ", ".join(f'"{column}" {DUCKDB_TYPES[kind]}' for column, kind in columns.items())
                + ")"
            )
        meter = Meter(db, root, folder)
        item_bytes = meter.json_bytes["ComplianceItem"] / (nodes * args.items)
        print(
            f"{nodes} nodes x {args.items} compliance items ({args.missing + 1} missing or failed) written in "
            f"{time.perf_counter() - started:.0f} s: JSON {size(sum(meter.json_bytes.values()))}, "
            f"{item_bytes:.0f} bytes per compliance item; bytes below x {scale:g} = {args.scale_to} nodes"
        )
        # (what, before: (bytes, scans, seconds) or None, after: (bytes, scans, seconds) or None)
        lines: list[tuple[str, Measured | None, Measured | None]] = []
        bytes_, scans, _, wall = meter.run(on_duckdb(query("compliance_snapshot")))
        lines.append(("daily job: compliance_snapshot (today's only statement)", (bytes_, scans, wall), None))
        db.execute(f"DELETE FROM {table('compliance_snapshot')}")
        for path in compaction.DAILY_STATEMENTS:
            bytes_, scans, _, wall = meter.run(on_duckdb(query(path)))
            lines.append((f"daily job: {path}", None, (bytes_, scans, wall)))
        daily_bytes = [after[0] for _, _, after in lines[1:] if after]
        answers = {}
        for name in REWRITTEN:
            sql = on_duckdb(query(name))
            bytes_, scans, answers[name], _ = meter.run(sql)
            lines.append((name, (bytes_, scans, median_seconds(db, sql, args.runs)), None))

        started = time.perf_counter()
        write_history(db, folder, args.days)
        meter.read_parquet_metadata()
        print(f"daily tables as Parquet with {args.days} days written in {time.perf_counter() - started:.0f} s")
        for index, (name, before, _) in enumerate(lines):
            if name in REWRITTEN:
                sql = on_duckdb(query(f"compacted/{name}"))
                bytes_, scans, rows, _ = meter.run(sql)
                assert len(rows) == len(answers[name]), name  # the tests prove the same answers
                lines[index] = (name, before, (bytes_, scans, median_seconds(db, sql, args.runs)))
        # unchanged, over the history: the trend and the dashboard's data set; then the new reports
        history = {
            "compliance_trend": query("compacted/compliance_trend"),
            "dashboard data set: compliance history": quicksight_dashboard.SNAPSHOT_SQL,
            **{name: query(f"compacted/{name}") for name in compaction.SLA_REPORTS},
        }
        for name, text in history.items():
            sql = on_duckdb(text)
            bytes_, scans, _, _ = meter.run(sql)
            lines.append((name, None, (bytes_, scans, median_seconds(db, sql, args.runs))))

        print(f"\n{'':62} {'before':>26} {'after':>26} {'read':>7}")
        for name, before, after_ in lines:
            cells = [
                f"{size(measured[0] * scale):>9} {dollars(measured[0] * scale):>8.4f} $ {measured[2]:>6.2f} s"
                if measured
                else f"{'':26}"
                for measured in (before, after_)
            ]
            ratio = f"{before[0] / after_[0]:>6.0f}x" if before and after_ and after_[0] else ""
            print(f"{name:62} {cells[0]} {cells[1]} {ratio}")
            for measured in (before, after_):
                if measured:
                    print(f"{'':4}scans: " + ", ".join(f"{count} x {what}" for what, count in measured[1].items()))
        least, name = min(
            (before[0] / after_[0], name) for name, before, after_ in lines if name in REWRITTEN and before and after_
        )
        print(f"\nrewritten reports read at least {least:.0f}x fewer bytes than today's ({name})")
        largest = max(daily_bytes) * scale
        limit = compaction.SCAN_LIMIT_BYTES_PER_NODE_ITEM * args.scale_to * args.items
        print(
            f"daily job at {args.scale_to} nodes: {size(sum(daily_bytes) * scale)} a day "
            f"({sum(dollars(byte_count * scale) for byte_count in daily_bytes):.4f} $), the largest statement {size(largest)} "
            f"({largest / (args.scale_to * args.items):.0f} bytes per node-item); proposed scan limit per statement "
            f"{compaction.SCAN_LIMIT_BYTES_PER_NODE_ITEM} bytes x {args.scale_to} nodes x {args.items} items = "
            f"{size(limit)}: {limit / largest:.1f}x headroom"
        )


if __name__ == "__main__":
    main()
