"""Pure awacs policy builders. Each returns statements or a PolicyDocument; no template state.

ARNs are built with ${AWS::Partition} so the templates deploy in every partition.
"""

from awacs import s3
from awacs.aws import (
    Allow,
    ArnLike,
    Bool,
    Condition,
    Deny,
    PolicyDocument,
    Principal,
    Statement,
    StringEquals,
    StringLike,
    StringNotEquals,
)
from awacs.sts import AssumeRole
from troposphere import Ref, Select, Split, Sub

POLICY_VERSION = "2012-10-17"


def s3_arn(bucket, path: str = "") -> Sub:
    """arn:PARTITION:s3:::BUCKET[/path] for a bucket of another stack named by `bucket` (a Ref or
    any intrinsic), in IAM policies; a bucket policy names its own bucket by `bucket_arn` instead."""
    return Sub("arn:${AWS::Partition}:s3:::${Bucket}" + path, Bucket=bucket)


def objects(bucket_arn, path: str = "/*") -> Sub:
    """Objects of a bucket given by its ARN (GetAtt Bucket.Arn): the policy cannot drift from the
    bucket resource it protects."""
    return Sub("${Bucket}" + path, Bucket=bucket_arn)


def deny_insecure_transport(bucket_arn) -> Statement:
    """Refuse every request to the bucket and its objects that is not made over TLS."""
    return Statement(
        Sid="DenyInsecureTransport",
        Effect=Deny,
        Principal=Principal("*"),
        Action=[s3.Action("*")],
        Resource=[bucket_arn, objects(bucket_arn)],
        Condition=Condition(Bool({"aws:SecureTransport": "false"})),
    )


SSM = Principal("Service", "ssm.amazonaws.com")
SYNC_SOURCE_ARN = ArnLike({"aws:SourceArn": Sub("arn:${AWS::Partition}:ssm:*:*:resource-data-sync/*")})


def data_sync_objects(bucket_arn, prefix, account: str = "*") -> Sub:
    """Where resource data sync writes: PREFIX/<type>/accountid=<id>/region=.../<file>, for `account`."""
    return Sub(f"${{Bucket}}/${{Prefix}}/*/accountid={account}/*", Bucket=bucket_arn, Prefix=prefix)


# Each account's syncs write only under its own accountid= folder: the policy variable
# ${aws:SourceAccount} in the Resource (IAM user guide, "IAM policy elements: Variables and tags": global
# condition keys, single-valued, can be variables), written ${!...} so that Fn::Sub leaves it to IAM.
OWN_FOLDER = "${!aws:SourceAccount}"


def data_sync_acl_check(bucket_arn) -> Statement:
    """Systems Manager reads the bucket ACL before it creates a sync (SSMBucketPermissionsCheck)."""
    return Statement(
        Sid="SSMBucketPermissionsCheck", Effect=Allow, Principal=SSM, Action=[s3.GetBucketAcl], Resource=[bucket_arn]
    )


def data_sync_delivery(bucket_arn, prefix, source: dict, sid: str) -> Statement:
    """Let resource data syncs of the accounts named by `source` put objects (SSMBucketDelivery).

    Per the Systems Manager user guide ("Configuring resource data sync for Inventory"), with
    `source` saying whose syncs may write: {"aws:SourceAccount": [ids]} for a list of accounts, or
    {"aws:SourceOrgID": "o-..."} for a whole organization. Accounts go into the condition (15 bytes
    an account) instead of one resource ARN an account (about 100 bytes), which keeps 300
    accounts well under S3's 20 KB bucket policy limit.
    """
    return Statement(
        Sid=sid,
        Effect=Allow,
        Principal=SSM,
        Action=[s3.PutObject],
        Resource=[data_sync_objects(bucket_arn, prefix, OWN_FOLDER)],
        Condition=Condition([StringEquals({"s3:x-amz-acl": "bucket-owner-full-control", **source}), SYNC_SOURCE_ARN]),
    )


def data_sync_tagging(bucket_arn, prefix, source: dict, sid: str) -> Statement:
    """Let the same syncs tag the objects they write. A tagging request never carries s3:x-amz-acl,
    so this statement must not require it (the organization sync's policy in the Systems Manager user
    guide, "Configuring resource data sync for Inventory", has
    an unconditioned s3:PutObjectTagging statement)."""
    return Statement(
        Sid=sid,
        Effect=Allow,
        Principal=SSM,
        Action=[s3.PutObjectTagging],
        Resource=[data_sync_objects(bucket_arn, prefix, OWN_FOLDER)],
        Condition=Condition([StringEquals(source), SYNC_SOURCE_ARN]),
    )


def data_sync_requires_kms_key(bucket_arn, prefix, kms_key) -> Statement:
    """Refuse sync writes not encrypted with `kms_key` (a missing header is refused too)."""
    return Statement(
        Sid="SSMBucketDeliveryRequiresKmsKey",
        Effect=Deny,
        Principal=SSM,
        Action=[s3.PutObject],
        Resource=[data_sync_objects(bucket_arn, prefix)],
        Condition=Condition(StringNotEquals({"s3:x-amz-server-side-encryption-aws-kms-key-id": kms_key})),
    )


def sync_read_statements(bucket_and_prefix) -> list[Statement]:
    """Read the synced objects under the BUCKET/PREFIX parameter (pBucketName) and
    list the bucket under the prefix's first folder only: Fn::Split takes only a literal delimiter."""
    bucket = Select(0, Split("/", Ref(bucket_and_prefix)))
    folder = Select(1, Split("/", Ref(bucket_and_prefix)))
    return [
        Statement(
            Sid="ReadSyncedInventory",
            Effect=Allow,
            Action=[s3.GetObject],
            Resource=[Sub(f"arn:${{AWS::Partition}}:s3:::${{{bucket_and_prefix.title}}}/*")],
        ),
        Statement(
            Sid="ListSyncedInventory",
            Effect=Allow,
            Action=[s3.ListBucket],
            Resource=[s3_arn(bucket)],
            Condition=Condition(StringLike({"s3:prefix": [folder, Sub("${Folder}/*", Folder=folder)]})),
        ),
        # GetBucketLocation requests carry no s3:prefix, so it cannot share the condition.
        Statement(Sid="LocateSyncBucket", Effect=Allow, Action=[s3.GetBucketLocation], Resource=[s3_arn(bucket)]),
    ]


def decrypt_statement(kms_key, *actions, sid: str = "DecryptWithSyncKey") -> Statement:
    """Use the sync bucket's KMS key (a parameter) for these actions."""
    return Statement(Sid=sid, Effect=Allow, Action=list(actions), Resource=[Ref(kms_key)])


def document(*statements) -> dict:
    """A policy document whose statements may include Fn::If (which awacs' PolicyDocument refuses)."""
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


def service_assume_role(*services: str) -> PolicyDocument:
    """Trust policy for roles assumed by AWS services, e.g. 'ssm.amazonaws.com', where the service is not
    documented to send aws:SourceAccount/aws:SourceArn (each caller says why); else use service_role_trust.
    What bounds the risk: a service uses a role only where someone passed it (iam:PassRole), and IAM refuses
    to pass a role to another account's resource (prowler-cloud/prowler#2810)."""
    return PolicyDocument(
        Version=POLICY_VERSION,
        Statement=[Statement(Effect=Allow, Principal=Principal("Service", list(services)), Action=[AssumeRole])],
    )


def service_role_trust(service: str, source_arn: Sub) -> PolicyDocument:
    """Trust policy for a role that `service` may assume only for this account (aws:SourceAccount) and
    only for its resources matching `source_arn` (aws:SourceArn), against the confused deputy (IAM user
    guide, "The confused deputy problem")."""
    return PolicyDocument(
        Version=POLICY_VERSION,
        Statement=[
            Statement(
                Effect=Allow,
                Principal=Principal("Service", service),
                Action=[AssumeRole],
                Condition=Condition(
                    [StringEquals({"aws:SourceAccount": Ref("AWS::AccountId")}), ArnLike({"aws:SourceArn": source_arn})]
                ),
            )
        ],
    )
