"""DuckDB holding the analytics stack's tables over the sample sync data (the compacted tables of
queries/compaction.py among them) and the reports stack's views (sample_data.loaded); the daily
statements run in their order on a given day, and the SQL of queries/ filled in as the templates fill it."""

import re

from sample_data import STACKS, loaded, on_duckdb

from patch_templates.queries import compaction
from patch_templates.stacks import compliance_reports as reports

# Distinct SLA days per severity, none a default: a swapped severity changes an answer.
SLA_DAYS = {"pSlaCriticalDays": 2, "pSlaHighDays": 4, "pSlaMediumDays": 3, "pSlaLowDays": 5}


def names(stack: str) -> dict:
    """Every ${name} the SQL of queries/ takes, as the stack of STACKS[stack] fills it."""
    given = STACKS[stack]
    return {
        "pCFNDatabaseName": given.get("pCFNDatabaseName", "patching-database"),
        "pCFNTablePrefixName": given.get("pCFNTablePrefixName", "patching"),
        "pStaleScanDays": 7,
        **SLA_DAYS,
    }


def sql(path: str, values: dict) -> str:
    """queries/<path>.sql as a template holds it (reports.report_sql), its ${names} filled in."""
    folder, _, name = path.rpartition("/")
    text = reports.report_sql(name, compaction.QUERIES / folder)
    return re.sub(r"\$\{(\w+)\}", lambda match: str(values[match.group(1)]), text)


def table(values: dict, name: str) -> str:
    return f'"{values["pCFNDatabaseName"]}"."{values["pCFNTablePrefixName"]}_{name}"'


def compacted(stack: str):
    """(values, db): the sample data, the analytics stack's tables (its compacted tables empty) and the
    reports stack's views loaded for STACKS[stack]."""
    values = names(stack)
    _, db = loaded(STACKS[stack])
    return values, db


def run_daily(db, values: dict, day: str) -> None:
    """The daily statements in their order, as the schedule would run them on `day` (UTC)."""
    for path in compaction.DAILY_STATEMENTS:
        db.execute(on_duckdb(sql(path, values), now=f"{day} 04:00:00+00"))
