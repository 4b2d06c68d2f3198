"""The registry: the record of every output template, in deployment order (stacks/record.py).

Each stack module builds its template(s) with a pure function (no I/O) and exports their record(s).
Adding a template is adding its module and its record here.
"""

from . import (
    analytics,
    central_alerts,
    collector,
    compliance_reports,
    default_host_management,
    patch_baseline,
    patch_now_administration,
    patch_operations,
    patching,
    quicksight_dashboard,
    resource_data_sync,
    stackset,
)
from .record import Record

# The analytics stack names the two stacks that read its exports; they import its module.
ANALYTICS = analytics.record(compliance_reports.RECORD, quicksight_dashboard.RECORD)

RECORDS: tuple[Record, ...] = (
    collector.RECORD,
    central_alerts.RECORD,
    # One standalone patching template per operating system (baselines.OPERATING_SYSTEMS).
    *patching.RECORDS.values(),
    # StackSet members: one baseline per operating system, one set of operations, the sync, DHMC.
    *patch_baseline.RECORDS.values(),
    patch_operations.RECORD,
    resource_data_sync.RECORD,
    default_host_management.RECORD,
    stackset.RECORD,
    patch_now_administration.RECORD,
    ANALYTICS,
    compliance_reports.RECORD,
    quicksight_dashboard.RECORD,
)
