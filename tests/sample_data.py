"""The sample inventory of tests/data/inventory, laid out as the resource data sync writes it, on
DuckDB: the analytics stack's tables and the reports stack's views and snapshot table created from
their rendered templates and loaded the way Athena reads them, and Athena's SQL in DuckDB's dialect.
Shared by the tests of the stacks (tests/stacks) and of the queries (tests/queries)."""

import base64
import json
from pathlib import Path

import duckdb
import sqlglot
from conftest import render
from sqlglot import exp

from patch_templates.queries import compaction
from patch_templates.stacks import ANALYTICS, compliance_reports

DATA = Path(__file__).parent / "data" / "inventory"
# The SQL's current_timestamp is frozen here so "older than N days" has one answer.
NOW = "2025-06-30 00:00:00+00"
A, B = "111111111111", "222222222222"
# cloud-radar substitutes a Number parameter's default as an int, which its Fn::Sub refuses: given as text
# Numbers the SQL takes through Fn::Sub as text: cloud-radar substitutes only strings.
BASE = {
    "pBucketName": "sync-bucket/inventory",
    "pStaleScanDays": "7",
    **{sla.parameter: str(sla.default) for sla in compaction.SLAS},
}
RESULTS = "analytics-athenaresultsbucket-1a2b3c"
# Defaults and non-default names: tables and SQL must follow the stacks' parameters either way.
STACKS = {
    "defaults": {},
    "renamed": {"pCFNDatabaseName": "ssm-inventory", "pCFNTablePrefixName": "org_patch"},
}


def resources(tpl: dict, kind: str) -> dict:
    return {name: r for name, r in tpl["Resources"].items() if r["Type"] == kind}


DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "array<string>": "VARCHAR[]",
}


def database_name(stack: dict, table: dict) -> str:
    """The name of a rendered Glue table's database: the stack's own (cloud-radar renders its Ref as
    the logical id), or the name imported from the analytics stack."""
    name = table["Properties"]["DatabaseName"]
    own = stack["Resources"].get(name)
    return own["Properties"]["DatabaseInput"]["Name"] if own else name


def load_tables(db, stack: dict) -> None:
    """Create the stack's tables and views in DuckDB (and their database) and load the sample files
    the way Athena reads them: JSON lines under the table location's partition folders, keys matched
    ignoring case, SerDe key mappings applied, partition values taken from the folder names. A
    view is created from the SQL Athena would read: the base64 JSON in its ViewOriginalText."""
    found = resources(stack, "AWS::Glue::Table").values()
    databases = {database_name(stack, table) for table in found}
    assert len(databases) == 1, databases
    (database,) = databases
    db.execute(f'CREATE SCHEMA IF NOT EXISTS "{database}"')
    tables = [t["Properties"]["TableInput"] for t in found]
    for spec in tables:
        if spec["TableType"] == "VIRTUAL_VIEW":
            continue
        storage = spec["StorageDescriptor"]
        columns = [c["Name"] for c in storage["Columns"]]
        keys = [k["Name"] for k in spec["PartitionKeys"]]
        mapping = {
            name.removeprefix("mapping."): key for name, key in storage["SerdeInfo"].get("Parameters", {}).items()
        }
        db.execute(
            f'CREATE TABLE "{database}"."{spec["Name"]}" ('
            + ", ".join(f'"{c["Name"]}" {DUCKDB_TYPES[c["Type"]]}' for c in storage["Columns"] + spec["PartitionKeys"])
            + ")"
        )
        if not storage["Location"].startswith("s3://sync-bucket/inventory/"):
            continue  # a compacted table: written by the daily statements
        folder = DATA / storage["Location"].removeprefix("s3://sync-bucket/inventory/")
        rows = []
        for path in sorted(folder.glob("accountid=*/region=*/resourcetype=*/*.json")):
            partition = dict(part.split("=", 1) for part in path.relative_to(folder).parts[:3])
            for line in path.read_text().splitlines():
                record = {key.lower(): value for key, value in json.loads(line).items()}
                rows.append([record.get(mapping.get(c, c)) for c in columns] + [partition[k] for k in keys])
        db.executemany(
            f'INSERT INTO "{database}"."{spec["Name"]}" VALUES (' + ", ".join("?" * (len(columns) + len(keys))) + ")",
            rows,
        )
    # views in dependency order: nodes before the exposure that reads it
    for view in sorted(
        (spec for spec in tables if spec["TableType"] == "VIRTUAL_VIEW"),
        key=lambda spec: spec["Name"].endswith("patch_exposure"),
    ):
        presto = presto_view(view)
        assert presto["schema"] == database and presto["catalog"] == "awsdatacatalog"
        db.execute(f'CREATE VIEW "{database}"."{view["Name"]}" AS {on_duckdb(presto["originalSql"])}')


def presto_view(spec: dict) -> dict:
    text = spec["ViewOriginalText"]
    assert text.startswith("/* Presto View: ") and text.endswith(" */")
    return json.loads(base64.b64decode(text.removeprefix("/* Presto View: ").removesuffix(" */")))


def on_duckdb(athena_sql: str, now: str = NOW) -> str:
    """Athena (Trino) SQL in DuckDB's dialect, with current_timestamp and current_date frozen at
    `now`. Trino's date_diff counts whole units elapsed, DuckDB's counts boundaries crossed:
    DuckDB's date_sub is Trino's date_diff."""
    tree = sqlglot.parse_one(athena_sql, read="athena").transform(
        lambda node: (
            exp.cast(exp.Literal.string(now), "TIMESTAMPTZ")
            if isinstance(node, exp.CurrentTimestamp)
            else exp.cast(exp.Literal.string(now[:10]), "DATE")
            if isinstance(node, exp.CurrentDate)
            else node
        )
    )
    return tree.sql(dialect="duckdb").replace("DATE_DIFF(", "DATE_SUB(")


def exports(database: str = "patching-database", stack: str = ANALYTICS.stack) -> dict:
    """What the analytics stack named `stack` exports, its database named `database`."""
    return {
        f"{stack}-GlueDatabaseName": database,
        f"{stack}-AthenaWorkGroupName": "patch-reports",
        f"{stack}-AthenaDailyWorkGroupName": "patch-daily",
        f"{stack}-AthenaResultsBucketName": RESULTS,
    }


def render_reports(params: dict, database: str = "patching-database", stack: str = ANALYTICS.stack) -> dict:
    return render(
        compliance_reports.RECORD, {**BASE, "pAnalyticsStackName": stack, **params}, imports=exports(database, stack)
    )


def loaded(names: dict) -> tuple[dict, duckdb.DuckDBPyConnection]:
    """This stack rendered with the analytics stack's names, and DuckDB holding the analytics
    stack's tables over the sample data with this stack's views and snapshot table."""
    database = names.get("pCFNDatabaseName", "patching-database")
    source = render(ANALYTICS, {"pBucketName": BASE["pBucketName"], **names})
    stack = render_reports({k: v for k, v in names.items() if k != "pCFNDatabaseName"}, database=database)
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    load_tables(db, source)
    load_tables(db, stack)
    return stack, db


def daily_job(stack: dict) -> list[dict]:
    """The state machine's Athena requests, in the order it runs them."""
    definition = json.loads(stack["Resources"]["DailyCompactionStateMachine"]["Properties"]["DefinitionString"])
    states, name, found = definition["States"], definition["StartAt"], []
    while name:
        state = states[name]
        assert state["Resource"] == "arn:aws:states:::athena:startQueryExecution.sync", name
        found.append(state["Parameters"])
        name = state.get("Next")
    return found


def run_daily_job(stack: dict, db, day: str) -> None:
    for request in daily_job(stack):
        db.execute(on_duckdb(request["QueryString"], now=f"{day} 04:00:00+00"))
