"""The registry: output file name -> builder, in deployment order.

Each builder is pure (no I/O) and returns a troposphere Template. Adding a stack is adding a
module here and one line below.
"""

from . import collector, resource_data_sync, stackset

TEMPLATES = {
    "resourcedatasync_s3bucket_bucketpolicy.yml": collector.build,
    "resource_data_sync.yml": resource_data_sync.build,
    "patch_management_stackset.yml": stackset.build,
}
