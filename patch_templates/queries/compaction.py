"""The compacted daily copies the reports read instead of the synced JSON, for the reports stack
to declare: what each Parquet table holds, the daily statements that fill them and their order, the
episodes view over their history and the SLA parameters it takes.

The synced JSON is read only by the daily statements (queries/daily/ and queries/compliance_snapshot.sql),
once a day; every report reads a copy: the newest day, or the history for the trend and time to patch.
The per-node copy is the existing daily compliance snapshot (table <prefix>_compliance_snapshot).
queries/compacted/<name>.sql is the version of queries/<name>.sql that reads the copies, and the
time-to-patch reports over the episodes view (queries/views/patch_episodes.sql).
"""

from dataclasses import dataclass
from pathlib import Path

QUERIES = Path(__file__).resolve().parent
# Every daily table's partition key: the day the statement ran (UTC).
PARTITION_KEY = ("snapshot_date", "date")


@dataclass(frozen=True)
class DailyTable:
    """A Parquet table <prefix>_<name>, one partition per day, in the folder <name with dashes>/ of
    the analytics stack's results bucket, filled by the INSERT INTO statement queries/daily/<name>.sql."""

    name: str
    description: str
    columns: dict[str, str]  # column -> Hive type, in the order the statement writes them

    @property
    def title(self) -> str:
        """CamelCase, part of logical IDs: Table<title>, Expire<title>."""
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def folder(self) -> str:
        return self.name.replace("_", "-") + "/"

    @property
    def statement(self) -> Path:
        return QUERIES / "daily" / f"{self.name}.sql"


STRING = "string"
EXPOSURE_SNAPSHOT = DailyTable(
    "exposure_snapshot",
    "Daily missing and failed patches: one row per active node and patch, from the patch_exposure view",
    {
        **dict.fromkeys(
            [
                "account_id",
                "region",
                "node_id",
                "computer_name",
                "instance_status",
                "patch_group",
                "patch_id",
                "title",
                "classification",
                "severity",
                "patch_state",
            ],
            STRING,
        ),
        "cve_ids": "array<string>",
        "scan_time": "timestamp",
        # AWS:ComplianceItem has no release date (Systems Manager user guide, "Metadata collected by
        # inventory"; nor has PatchComplianceData): null until the sync carries one.
        "release_date": "date",
    },
)
INVENTORY_SNAPSHOT = DailyTable(
    "inventory_snapshot",
    "Daily managed node inventory: every node the sync reported, Terminated ones too",
    dict.fromkeys(
        [
            "account_id",
            "region",
            "node_id",
            "computer_name",
            "platform_type",
            "platform_name",
            "platform_version",
            "agent_version",
            "instance_status",
            "resource_type",
        ],
        STRING,
    ),
)
DAILY_TABLES = (EXPOSURE_SNAPSHOT, INVENTORY_SNAPSHOT)
# The nodes view's columns (queries/views/nodes.sql) that its daily copy keeps, by kind.
NODE_TEXT_COLUMNS = (
    "account_id",
    "region",
    "node_id",
    "computer_name",
    "platform_name",
    "platform_type",
    "instance_status",
    "patch_group",
    "baseline_id",
)
NODE_COUNT_COLUMNS = (
    "missing_count",
    "failed_count",
    "installed_pending_reboot_count",
    "critical_noncompliant_count",
    "security_noncompliant_count",
)
# The per-node copy, filled by queries/compliance_snapshot.sql (its folder is catalog.SNAPSHOT_FOLDER).
COMPLIANCE_SNAPSHOT = DailyTable(
    "compliance_snapshot",
    "Daily per-node patch compliance: one row per active node, from the nodes view",
    {
        **dict.fromkeys(NODE_TEXT_COLUMNS, "string"),
        "compliant": "boolean",
        **dict.fromkeys(NODE_COUNT_COLUMNS, "int"),
        "last_scan_time": "timestamp",
        "last_install_time": "timestamp",
    },
)
# Every compacted table, as the analytics stack declares them.
COMPACTED_TABLES = (COMPLIANCE_SNAPSHOT, *DAILY_TABLES)

# The daily statements (queries/<path>.sql), in the order they must run, each one Athena query (one
# statement per StartQueryExecution). The episodes count a day only where the node is in that day's
# compliance snapshot, so the compliance snapshot runs only after the exposure snapshot of the same
# day has succeeded: a failed exposure statement then leaves a day without snapshots, never a day on
# which every patch looks fixed. A Step Functions task "athena:startQueryExecution.sync" waits for a
# query to finish (Step Functions developer guide, "Run Athena queries with Step Functions").
DAILY_STATEMENTS = ("daily/exposure_snapshot", "compliance_snapshot", "daily/inventory_snapshot")

# Glue view <prefix>_patch_episodes (queries/views/patch_episodes.sql): its columns with their Athena
# (Trino) types, exactly what its SQL returns.
EPISODES_VIEW = {
    **dict.fromkeys(["account_id", "region", "node_id", "patch_id", "severity"], "varchar"),
    "first_seen": "date",
    "last_seen": "date",
    "fixed_date": "date",
    "status": "varchar",
    "days_open": "bigint",
    "sla_days": "integer",
    "overdue": "boolean",
}

# The time-to-patch reports (queries/compacted/<name>.sql, over the episodes view) -> description of
# their named queries.
SLA_REPORTS = {
    "time_to_patch": "Median and 90th-percentile days to patch per month and severity, and % within the SLA",
    "sla_by_account": "Missing patches open now per account and severity, and how many are over the SLA",
    "overdue_patches": "Overdue now: missing or failed patches open longer than their severity's SLA",
}


@dataclass(frozen=True)
class Sla:
    """Days a missing patch of a compliance severity may stay open: the template parameter that holds
    them (${parameter} in the SQL) and its default, with where that default comes from."""

    parameter: str
    severity: str
    default: int
    source: str


SLAS = (
    Sla(
        "pSlaCriticalDays",
        "CRITICAL",
        30,
        "PCI DSS v4.0 requirement 6.3.3: critical security patches installed within one month of release",
    ),
    Sla("pSlaHighDays", "HIGH", 30, "FedRAMP Continuous Monitoring Strategy Guide: high risks within 30 days"),
    Sla("pSlaMediumDays", "MEDIUM", 90, "FedRAMP Continuous Monitoring Strategy Guide: moderate risks within 90 days"),
    Sla(
        "pSlaLowDays",
        "LOW",
        180,
        "FedRAMP Continuous Monitoring Strategy Guide: low risks within 180 days; also INFORMATIONAL and UNSPECIFIED",
    ),
)

# The daily statements' workgroup cancels a statement that scans more than its limit
# (BytesScannedCutoffPerQuery). The largest is the exposure statement: it reads the compliance items'
# JSON twice (its view joins the nodes view, which reads them for the last install time), plus one
# instance information and patch summary object per node. benchmarks/compaction_cost.py measured
# 1,258 bytes read per node and compliance item (626-byte items); ten times that, rounded up, is the
# rule: 15,000 bytes per node-item, 60 GB for 20,000 nodes x 200 items.
SCAN_LIMIT_BYTES_PER_NODE_ITEM = 15_000
