"""Source account: the resource data sync that ships this account's inventory into the collector
bucket (step 3).

No clash with the collector's own sync: in the collector account (pCollectorAccountId), in the
bucket's Region, the collector stack already has a sync of the same name, so this stack creates
none there and keeps a placeholder instead (a stack must have a resource). Elsewhere, including the
collector account's other Regions, it creates the sync. The StackSet can therefore target an OU
that contains the collector account without an exclusion list. The StackSet deploys it as part of
its shared member (stacks/shared_member.py); this file is the same sync for one account alone.
"""

from troposphere import And, Condition, Equals, Not, Output, Ref, Template, cloudformation

from ..parts import parameters as p, sync
from . import collector
from .record import Record

DESCRIPTION = (
    "Source account: Systems Manager resource data sync of this account and Region into the "
    "collector's S3 bucket (SyncToDestination), or the Systems Manager Explorer variant "
    "(SyncFromSource); none in the collector account's bucket Region, which has its own."
)


def build() -> Template:
    t = Template(Description=DESCRIPTION)
    add(t)
    return t


def add(t: Template, member: bool = False) -> None:
    """The sync's parameters, conditions, resources and output (also part of stacks/shared_member.py); a member's KMS key
    parameter takes none only, as StackSet members do (parameters.add_kms_key)."""
    bucket_name = p.add(
        t,
        "pResourceDataSyncBucketName",
        sync.GROUP,
        "Bucket name",
        Description="Name of the collector's resource data sync bucket (output "
        "ResourceDataSyncBucketName of the collector stack). Not used with "
        "SyncFromSource.",
        **p.BUCKET_NAME,
    )
    collector_account = p.add(
        t,
        "pCollectorAccountId",
        sync.GROUP,
        "Collector account id",
        Description="Account id of the collector (the bucket's account). Its own stack has the sync "
        "in the bucket's Region, so this stack creates none there.",
        **p.ACCOUNT_ID,
    )
    sync_params = sync.add_parameters(t)
    kms_key = p.add_kms_key(
        t,
        sync.GROUP,
        "The collector bucket's customer managed KMS key (the collector's "
        "pKMSKeyArn); {no_key} when the bucket uses S3-managed encryption.",
        member=member,
    )

    collector_sync_region = t.add_condition(
        "CollectorSyncRegion",
        And(Equals(Ref("AWS::AccountId"), Ref(collector_account)), Equals(Ref("AWS::Region"), Ref(sync_params.region))),
    )
    create_sync = t.add_condition("CreateSync", Not(Condition(collector_sync_region)))
    data_sync = sync.resource_data_sync(t, sync_params, Ref(bucket_name), kms_key, Condition=create_sync)
    # Creates nothing in AWS; keeps the stack instance valid where the sync is skipped.
    t.add_resource(cloudformation.WaitConditionHandle("CollectorHasItsOwnSync", Condition=collector_sync_region))

    t.add_output(
        Output(
            "ResourceDataSyncName",
            Condition=create_sync,
            Description="Name of this account's resource data sync",
            Value=Ref(data_sync),
        )
    )


RECORD = Record(
    "resource_data_sync.yml",
    build,
    step=3,
    account="single",
    does="resource data sync: copies inventory and compliance to the bucket",
    feeds=((collector.RECORD, "inventory and compliance JSON"),),
    examples={"pResourceDataSyncBucketName": collector.EXAMPLE_BUCKET},
)
