"""Collector account: the S3 bucket that every account's resource data sync writes into, its
policy, and the collector's own sync (step 1)."""

from troposphere import (
    Equals,
    GetAtt,
    If,
    Join,
    NoValue,
    Ref,
    Split,
    Sub,
    Template,
    cloudwatch,
    s3,
)

from ..parts import alerts, parameters as p, policies, sync
from ..parts.common import add_exported_outputs, private_bucket
from .record import Record

FILE = "resourcedatasync_s3bucket_bucketpolicy.yml"
# Example values (output/parameters/): the bucket is yours to name; two source accounts.
EXAMPLE_BUCKET = "patch-inventory-111122223333"
EXAMPLE_ACCOUNTS = "444455556666,777788889999"
BUCKET_GROUP = "S3 Bucket"
POLICY_GROUP = "Bucket Policy (who may write)"
ALERT_GROUP = "Alerts"
# The S3 request-metrics filter on the sync prefix (CloudWatch dimension FilterId).
SYNC_WRITES_FILTER = "sync-writes"


def build() -> Template:
    t = Template(
        Description=(
            "Collector account: S3 bucket for Systems Manager resource data sync from every source "
            "account, its bucket policy, and this account's own resource data sync."
        )
    )

    bucket_name = p.add(
        t,
        "pResourceDataSyncBucketName",
        BUCKET_GROUP,
        "Bucket name",
        Description="Name of the resource data sync bucket that receives data from the "
        "source accounts (globally unique, lower case).",
        **p.BUCKET_NAME,
    )
    kms_key = p.add_kms_key(
        t,
        BUCKET_GROUP,
        "Customer managed KMS key for the bucket and the syncs; {no_key} for "
        "S3-managed encryption. The key policy must let ssm.amazonaws.com use it.",
    )
    noncurrent_days = p.add(
        t,
        "pNoncurrentVersionExpirationDays",
        BUCKET_GROUP,
        "Days to keep overwritten versions",
        Default=30,
        Description="Days after which old versions of synced files are deleted.",
        **p.days(),
    )
    log_bucket = p.add(
        t,
        "pAccessLogBucketName",
        BUCKET_GROUP,
        "Access log bucket (optional)",
        Default="",
        Description="Existing bucket for S3 server access logs of this bucket; empty for none.",
        **p.optional(p.BUCKET_NAME),
    )
    accounts = p.add(
        t,
        "pDataSourceAccountID",
        POLICY_GROUP,
        "Source account ids",
        Default="",
        Description="Account ids whose syncs may write to the bucket, separated by commas "
        "(this account is always allowed). Leave empty when an organization id "
        "is given.",
        **p.optional(p.ACCOUNT_ID_LIST),
    )
    organization = p.add(
        t,
        "pOrganizationID",
        POLICY_GROUP,
        "Organization id (optional)",
        Default="",
        Description="Allow every account of this AWS Organization (o-...) instead of a list "
        "of accounts. Use it beyond a few hundred accounts.",
        **p.optional(p.ORGANIZATION_ID),
    )
    sync_params = sync.add_parameters(t)
    # CloudWatch evaluates at most seven days of one-hour periods (PutMetricAlarm, Period).
    silence_hours = p.add(
        t,
        "pSyncSilenceAlarmHours",
        ALERT_GROUP,
        "Hours without sync data before an alert",
        Default=26,
        Description="Hours in which no sync writes to the bucket before the central alert topic is told "
        "(the daily patch scan brings new compliance data every day; 26 leaves two hours of slack).",
        Type="Number",
        MinValue=2,
        MaxValue=168,
        ConstraintDescription="must be a whole number of hours from 2 to 168",
    )

    has_kms_key = p.has_value(t, kms_key)
    senders = p.add_senders(t, organization, accounts)
    t.add_rule(
        "BucketInStackRegion",
        {
            "Assertions": [
                {
                    "Assert": Equals(Ref(sync_params.region), Ref("AWS::Region")),
                    "AssertDescription": f"{sync_params.region.title} must be the Region this stack is deployed in "
                    "(the bucket's Region).",
                }
            ]
        },
    )

    bucket = private_bucket(
        t,
        "ResourceDataSyncBucket",
        kms_key,
        log_bucket,
        Sub("${pResourceDataSyncBucketName}/"),
        # No current file expires: the agent does not upload inventory whose
        # content did not change, so a live node's file can stay unwritten for
        # months (Systems Manager API Reference, InventoryItem ContentHash); the reports leave out
        # terminated nodes, whose files the sync keeps, by their InstanceStatus.
        [],
        noncurrent_days=Ref(noncurrent_days),
        abort_upload_days=7,
        BucketName=Ref(bucket_name),
        # Request metrics of the sync's writes only (S3 user guide, "Creating a CloudWatch metrics
        # configuration for all the objects in your bucket"; filtered by prefix).
        MetricsConfigurations=[s3.MetricsConfiguration(Id=SYNC_WRITES_FILTER, Prefix=Sub("${pBucketPrefix}/"))],
    )

    # This account is always allowed, so the collector's own sync below can write.
    source_accounts = Split(",", Join(",", [Ref("AWS::AccountId"), Join(",", Ref(accounts))]))
    prefix = Ref(sync_params.prefix)
    # The policy names its bucket by the bucket resource's ARN, so it cannot drift from it.
    bucket_arn = GetAtt(bucket, "Arn")
    organization_source = {"aws:SourceOrgID": Ref(organization)}
    bucket_policy = t.add_resource(
        s3.BucketPolicy(
            "ResourceDataSyncBucketPolicy",
            Bucket=Ref(bucket),
            PolicyDocument=policies.document(
                policies.data_sync_acl_check(bucket_arn),
                If(
                    senders.use_organization,
                    policies.data_sync_delivery(
                        bucket_arn, prefix, organization_source, "SSMBucketDeliveryOrganization"
                    ),
                    policies.data_sync_delivery(
                        bucket_arn, prefix, {"aws:SourceAccount": source_accounts}, "SSMBucketDeliveryAccounts"
                    ),
                ),
                If(
                    senders.use_organization,
                    policies.data_sync_tagging(bucket_arn, prefix, organization_source, "SSMBucketTaggingOrganization"),
                    NoValue,
                ),
                If(has_kms_key, policies.data_sync_requires_kms_key(bucket_arn, prefix, Ref(kms_key)), NoValue),
                policies.deny_insecure_transport(bucket_arn),
            ),
        )
    )

    # An hour without a PutRequests datum is an hour without recorded sync writes, so missing data
    # breaches. The central alerts stack (step 2, this account-Region) mails it by its name.
    alerts.add_alarm(
        t,
        "SyncSilenceAlarm",
        "sync-silent",
        Sub(
            "No resource data sync wrote to s3://${pResourceDataSyncBucketName}/${pBucketPrefix}/ for "
            "${pSyncSilenceAlarmHours} hours: the reports and the dashboard are not getting new data. "
            "Check each account's sync (aws ssm list-resource-data-sync: LastStatus, LastSyncStatusMessage) and the bucket policy.",
        ),
        Namespace="AWS/S3",
        MetricName="PutRequests",
        Dimensions=[
            cloudwatch.MetricDimension(Name="BucketName", Value=Ref(bucket)),
            cloudwatch.MetricDimension(Name="FilterId", Value=SYNC_WRITES_FILTER),
        ],
        Statistic="Sum",
        Period=3600,
        EvaluationPeriods=Ref(silence_hours),
        Threshold=1,
        ComparisonOperator="LessThanThreshold",
        TreatMissingData="breaching",
    )

    # The sync checks the bucket policy when it is created.
    data_sync = sync.resource_data_sync(t, sync_params, Ref(bucket_name), kms_key, DependsOn=[bucket_policy.title])

    add_exported_outputs(
        t,
        [
            ("ResourceDataSyncBucketName", "Name of the resource data sync bucket", Ref(bucket)),
            ("ResourceDataSyncBucketArn", "ARN of the resource data sync bucket", GetAtt(bucket, "Arn")),
            ("ResourceDataSyncBucketPrefix", "Prefix the syncs write under", prefix),
            ("ResourceDataSyncBucketRegion", "Region of the bucket", Ref("AWS::Region")),
            ("ResourceDataSyncName", "Name of this account's resource data sync", Ref(data_sync)),
        ],
    )
    return t


RECORD = Record(
    FILE,
    build,
    step=1,
    account="collector",
    stack="patch-collector",
    does="S3 bucket that receives every account's inventory and compliance",
    examples={"pResourceDataSyncBucketName": EXAMPLE_BUCKET, "pDataSourceAccountID": EXAMPLE_ACCOUNTS},
)
