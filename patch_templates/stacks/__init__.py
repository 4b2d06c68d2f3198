"""The registry: output file name -> builder, in deployment order.

Each builder is pure (no I/O) and returns a troposphere Template. Adding a stack is adding a
module here and one line below.
"""

from functools import partial

from . import analytics, collector, patching, quicksight_dashboard, resource_data_sync, stackset

TEMPLATES = {
    "resourcedatasync_s3bucket_bucketpolicy.yml": collector.build,
    # One source-account patching template per operating system, from patching.OPERATING_SYSTEMS.
    **{patching.file_name(os_key): partial(patching.build, os_key) for os_key in patching.OPERATING_SYSTEMS},
    "resource_data_sync.yml": resource_data_sync.build,
    "patch_management_stackset.yml": stackset.build,
    analytics.FILE: analytics.build,
    quicksight_dashboard.FILE: quicksight_dashboard.build,
}
