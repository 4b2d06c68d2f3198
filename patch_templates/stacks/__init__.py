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
    patch_now_administration,
    patching,
    patching_member,
    quicksight_dashboard,
    resource_data_sync,
    shared_member,
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
    # The StackSet's two members (one patching stack per wave, one shared), and the sync and DHMC alone.
    patching_member.RECORD,
    shared_member.RECORD,
    resource_data_sync.RECORD,
    default_host_management.RECORD,
    stackset.RECORD,
    patch_now_administration.RECORD,
    ANALYTICS,
    compliance_reports.RECORD,
    quicksight_dashboard.RECORD,
)
