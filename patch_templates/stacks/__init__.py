"""The registry: output file name -> builder, in deployment order.

Each builder is pure (no I/O) and returns a troposphere Template. Adding a stack is adding a
module here and one line below.
"""

from . import analytics, collector

TEMPLATES = {
    "resourcedatasync_s3bucket_bucketpolicy.yml": collector.build,
    analytics.FILE: analytics.build,
}
