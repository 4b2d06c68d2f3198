"""The registry: output file name -> builder, in deployment order.

Each builder is pure (no I/O) and returns a troposphere Template. Adding a stack is adding a
module here and one line below.
"""

from functools import partial

from ..parts import baselines
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

TEMPLATES = {
    "resourcedatasync_s3bucket_bucketpolicy.yml": collector.build,
    central_alerts.FILE: central_alerts.build,
    # One standalone patching template per operating system, from baselines.OPERATING_SYSTEMS.
    **{patching.file_name(os_key): partial(patching.build, os_key) for os_key in baselines.OPERATING_SYSTEMS},
    # StackSet members: one baseline per operating system, one set of operations, the sync.
    **{
        patch_baseline.file_name(os_key): partial(patch_baseline.build, os_key)
        for os_key in baselines.OPERATING_SYSTEMS
    },
    patch_operations.FILE: patch_operations.build,
    "resource_data_sync.yml": resource_data_sync.build,
    default_host_management.FILE: default_host_management.build,
    "patch_management_stackset.yml": stackset.build,
    patch_now_administration.FILE: patch_now_administration.build,
    analytics.FILE: analytics.build,
    compliance_reports.FILE: compliance_reports.build,
    quicksight_dashboard.FILE: quicksight_dashboard.build,
}
