"""The collector stack: bucket, bucket policy in both modes, the collector's own sync."""

import json

import pytest
from conftest import check_constraint, render, rules_refusing, statements as deployed_statements, template_dict

from patch_templates.stacks import collector

STACK = collector.RECORD
BUCKET = "eq-resourcedatasync-us-east-1-112520250899"
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
COLLECTOR = "555555555555"  # cloud-radar's AWS::AccountId
BUCKET_ARN = "ResourceDataSyncBucket.Arn"  # how cloud-radar renders GetAtt ResourceDataSyncBucket.Arn


def accounts(n: int) -> list[str]:
    return [f"{100000000000 + i:012d}" for i in range(n)]


def stack(**params) -> dict:
    return render(STACK, {"pResourceDataSyncBucketName": BUCKET, **params})


def statements(rendered: dict) -> dict:
    policy = rendered["Resources"]["ResourceDataSyncBucketPolicy"]["Properties"]["PolicyDocument"]
    return {s["Sid"]: s for s in deployed_statements(policy)}


def test_account_mode_allows_each_listed_account_and_the_collector():
    listed = accounts(3)
    sids = statements(stack(pDataSourceAccountID=",".join(listed), pBucketPrefix="inv/sync"))
    assert set(sids) == {"SSMBucketPermissionsCheck", "SSMBucketDeliveryAccounts", "DenyInsecureTransport"}
    delivery = sids["SSMBucketDeliveryAccounts"]
    assert delivery["Principal"] == {"Service": "ssm.amazonaws.com"}
    assert delivery["Action"] == ["s3:PutObject"]
    assert delivery["Resource"] == [f"{BUCKET_ARN}/inv/sync/*/accountid=${{aws:SourceAccount}}/*"]
    condition = delivery["Condition"]
    assert condition["StringEquals"]["aws:SourceAccount"] == [COLLECTOR, *listed]
    assert condition["StringEquals"]["s3:x-amz-acl"] == "bucket-owner-full-control"
    assert condition["ArnLike"] == {"aws:SourceArn": "arn:aws:ssm:*:*:resource-data-sync/*"}
    check = sids["SSMBucketPermissionsCheck"]
    assert check["Action"] == ["s3:GetBucketAcl"] and check["Resource"] == [BUCKET_ARN]


def test_organization_mode_uses_source_org_id_instead_of_accounts():
    sids = statements(stack(pOrganizationID="o-a1b2c3d4e5"))
    assert "SSMBucketDeliveryAccounts" not in sids
    delivery = sids["SSMBucketDeliveryOrganization"]
    assert delivery["Action"] == ["s3:PutObject"]
    assert delivery["Condition"]["StringEquals"] == {
        "aws:SourceOrgID": "o-a1b2c3d4e5",
        "s3:x-amz-acl": "bucket-owner-full-control",
    }
    assert "aws:SourceAccount" not in json.dumps(delivery["Condition"])
    # A tagging request never carries s3:x-amz-acl: the tagging statement must not require it.
    tagging = sids["SSMBucketTaggingOrganization"]
    assert tagging["Action"] == ["s3:PutObjectTagging"] and tagging["Resource"] == delivery["Resource"]
    assert tagging["Condition"] == {
        "StringEquals": {"aws:SourceOrgID": "o-a1b2c3d4e5"},
        "ArnLike": {"aws:SourceArn": "arn:aws:ssm:*:*:resource-data-sync/*"},
    }
    assert not [
        s
        for s in sids.values()
        if "s3:PutObjectTagging" in s["Action"] and "s3:x-amz-acl" in json.dumps(s.get("Condition"))
    ]
    assert "SSMBucketTaggingOrganization" not in statements(stack(pDataSourceAccountID=COLLECTOR))


def test_policy_names_its_bucket_through_the_bucket_resource():
    """Every bucket and object ARN in the policy is GetAtt ResourceDataSyncBucket.Arn (plus /...), never
    an ARN rebuilt from the bucket name parameter, so the policy cannot drift from its bucket."""
    policy = template_dict(STACK)["Resources"]["ResourceDataSyncBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "ResourceDataSyncBucket"}
    text = json.dumps(policy)
    assert "pResourceDataSyncBucketName" not in text and "arn:aws:" not in text and ":s3:::" not in text
    rendered = statements(stack(pOrganizationID="o-a1b2c3d4e5", pKMSKeyArn=KEY))
    resources = [r for s in rendered.values() for r in s["Resource"]]
    assert len(resources) == 6 and all(r == BUCKET_ARN or r.startswith(BUCKET_ARN + "/") for r in resources)
    assert "arn:${AWS::Partition}:ssm:*:*:resource-data-sync/*" in text  # the partition in the source ARN


def test_insecure_transport_is_denied_for_bucket_and_objects():
    deny = statements(stack(pDataSourceAccountID=COLLECTOR))["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == ["s3:*"]
    assert deny["Resource"] == [BUCKET_ARN, f"{BUCKET_ARN}/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_bucket_blocks_public_access_enforces_ownership_versions_and_is_retained():
    resource = template_dict(STACK)["Resources"]["ResourceDataSyncBucket"]
    props = resource["Properties"]
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"], True
    )
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"


def test_lifecycle_expires_old_versions_never_a_current_file():
    """The agent does not re-upload unchanged inventory, so a live node's current file may be
    months old: no rule may expire current objects."""
    bucket = stack(
        pDataSourceAccountID=COLLECTOR,
        pNoncurrentVersionExpirationDays="7",
    )["Resources"]["ResourceDataSyncBucket"]["Properties"]
    [rule] = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": "7"}
    assert not {"ExpirationInDays", "ExpirationDate", "Transitions"} & set(rule)
    assert "pStaleFileExpirationDays" not in template_dict(STACK)["Parameters"]


def encryption(rendered: dict) -> dict:
    bucket = rendered["Resources"]["ResourceDataSyncBucket"]["Properties"]
    [rule] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    return rule


def test_s3_managed_encryption_without_a_key():
    rendered = stack(pDataSourceAccountID=COLLECTOR)
    assert encryption(rendered) == {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    assert "SSMBucketDeliveryRequiresKmsKey" not in statements(rendered)
    assert "KMSKeyArn" not in rendered["Resources"]["ResourceDataSync"]["Properties"]["S3Destination"]


def test_customer_key_encrypts_bucket_and_sync_and_policy_requires_it():
    rendered = stack(pDataSourceAccountID=COLLECTOR, pKMSKeyArn=KEY)
    assert encryption(rendered) == {
        "BucketKeyEnabled": True,
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY},
    }
    deny = statements(rendered)["SSMBucketDeliveryRequiresKmsKey"]
    assert deny["Effect"] == "Deny" and deny["Action"] == ["s3:PutObject"]
    assert deny["Condition"] == {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": KEY}}
    assert rendered["Resources"]["ResourceDataSync"]["Properties"]["S3Destination"]["KMSKeyArn"] == KEY


def test_collector_sync_writes_json_to_its_bucket_after_the_policy_exists():
    rendered = stack(pDataSourceAccountID=COLLECTOR, pSyncName="collector", pBucketPrefix="inv")
    sync = rendered["Resources"]["ResourceDataSync"]
    assert sync["DependsOn"] == ["ResourceDataSyncBucketPolicy"]
    assert sync["Properties"] == {
        "SyncName": "collector",
        "SyncType": "SyncToDestination",
        "S3Destination": {
            "BucketName": BUCKET,
            "BucketPrefix": "inv",
            "BucketRegion": "us-east-1",
            "SyncFormat": "JsonSerDe",
        },
    }


def test_sync_from_source_feeds_explorer_instead_of_s3():
    sync = stack(
        pDataSourceAccountID=COLLECTOR,
        pSyncType="SyncFromSource",
        pSyncSourceType="AwsOrganizations",
        pSyncSourceRegions="us-east-1,eu-west-1",
    )["Resources"]["ResourceDataSync"]["Properties"]
    assert "S3Destination" not in sync
    assert sync["SyncSource"] == {
        "SourceType": "AwsOrganizations",
        "SourceRegions": ["us-east-1", "eu-west-1"],
        "IncludeFutureRegions": False,
        "AwsOrganizationsSource": {"OrganizationSourceType": "EntireOrganization"},
    }


def test_outputs_are_exported_for_the_other_stacks():
    outputs = template_dict(STACK)["Outputs"]
    assert set(outputs) == {
        "ResourceDataSyncBucketName",
        "ResourceDataSyncBucketArn",
        "ResourceDataSyncBucketPrefix",
        "ResourceDataSyncBucketRegion",
        "ResourceDataSyncName",
    }
    for name, output in outputs.items():
        assert output["Export"] == {"Name": {"Fn::Sub": "${AWS::StackName}-" + name}}


def test_every_parameter_has_description_constraint_label_and_group():
    template = template_dict(STACK)
    interface = template["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [name for group in interface["ParameterGroups"] for name in group["Parameters"]]
    assert sorted(grouped) == sorted(template["Parameters"]) == sorted(interface["ParameterLabels"])
    design = {
        "pResourceDataSyncBucketName",
        "pDataSourceAccountID",
        "pSyncName",
        "pSyncType",
        "pBucketRegion",
        "pBucketPrefix",
    }
    assert design <= set(template["Parameters"])
    for name, definition in template["Parameters"].items():
        assert definition["Description"] and definition["ConstraintDescription"], name
        assert {"AllowedPattern", "AllowedValues", "MinValue"} & set(definition), name


def test_rules_require_accounts_or_organization_and_the_bucket_region():
    rules = template_dict(STACK)["Rules"]
    assert rules["BucketInStackRegion"]["Assertions"][0]["Assert"] == {
        "Fn::Equals": [{"Ref": "pBucketRegion"}, {"Ref": "AWS::Region"}]
    }
    rule = rules["SourceAccountsOrOrganization"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "pOrganizationID"}, ""]}
    assert rule["Assertions"][0]["Assert"] == {"Fn::Not": [{"Fn::Contains": [{"Ref": "pDataSourceAccountID"}, ""]}]}


# (parameter, good values, bad values): every constraint of the template, exercised both ways.
CONSTRAINTS = [
    (
        "pResourceDataSyncBucketName",
        ["abc", "eq-resourcedatasync-us-east-1-112520250899", "a.b-c", "a" * 63, "123"],
        [
            "",
            "ab",
            "a" * 64,
            "Upper",
            "under_score",
            "-start",
            "end-",
            ".start",
            "end.",
            "a..b",
            "192.168.1.1",
            "xn--bucket",
            "sthree-bucket",
            "bucket-s3alias",
            "bucket--ol-s3",
            "has space",
            "amzn-s3-demo-bucket",
            "bucket--x-s3",
        ],
    ),
    ("pAccessLogBucketName", ["", "logs-bucket"], ["Logs", "a..b", "ab"]),
    (
        "pDataSourceAccountID",
        ["", "522955560990", "522955560990,111122223333", ",".join(accounts(300))],
        [
            "52295556099",
            "5229555609901",
            "52295556099a",
            "522955560990,1234",
            "522955560990;111122223333",
            " 522955560990",
            "o-a1b2c3d4e5",
        ],
    ),
    (
        "pOrganizationID",
        ["", "o-a1b2c3d4e5", "o-" + "a" * 32],
        ["o-", "o-abc", "a1b2c3d4e5", "O-A1B2C3D4E5", "o-a1b2c3d4e5 ", "o-" + "a" * 33, "r-a1b2"],
    ),
    (
        "pKMSKeyArn",
        [
            "",
            KEY,
            "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        ],
        [
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:us-east-1:111122223333:alias/my-key",
            "arn:aws:kms:us-east-1:11112222333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:s3:::bucket",
            KEY + "x",
            "arn:aws:kms:US-EAST-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ],
    ),
    ("pSyncName", ["inventory-sync", "a", "A_b.c-1", "x" * 64], ["", "x" * 65, "has space", "a/b", "name:1"]),
    ("pSyncType", ["SyncToDestination", "SyncFromSource"], ["", "synctodestination", "SyncToSource"]),
    (
        "pBucketRegion",
        ["us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1", "ap-southeast-4"],
        ["", "us-east", "US-EAST-1", "useast1", "us-east-1a", "us_east_1", "global"],
    ),
    (
        "pBucketPrefix",
        ["inventory", "a/b/c", "shared-account-522955560990", "x" * 64],
        ["", "/inventory", "inventory/", "a//b", "has space", "x" * 65, "a\\b", "in?ventory"],
    ),
    ("pSyncSourceType", ["AwsOrganizations", "SingleAccountMultiRegions"], ["", "Organization"]),
    ("pSyncSourceRegions", ["us-east-1", "us-east-1,eu-west-1"], ["", "us-east-1,", "us-east-1;eu-west-1"]),
    ("pNoncurrentVersionExpirationDays", ["1", "30", "3650"], ["0", "-1", "3651", "abc", ""]),
    # at most seven days of one-hour periods (PutMetricAlarm); one hour could fire between two writes
    ("pSyncSilenceAlarmHours", ["2", "26", "168"], ["0", "1", "169", "-26", "2.5", "abc", ""]),
]


@pytest.mark.parametrize("parameter,good,bad", CONSTRAINTS, ids=[c[0] for c in CONSTRAINTS])
def test_parameter_constraint(parameter, good, bad):
    assert check_constraint(STACK, parameter, good, bad) == len(bad) > 0


def test_every_parameter_constraint_is_exercised():
    assert {c[0] for c in CONSTRAINTS} == set(template_dict(STACK)["Parameters"])


def policy_bytes(rendered: dict) -> int:
    """Size of the bucket policy as CloudFormation sends it to S3 (compact JSON)."""
    policy = dict(rendered["Resources"]["ResourceDataSyncBucketPolicy"]["Properties"]["PolicyDocument"])
    policy["Statement"] = list(statements(rendered).values())
    return len(json.dumps(policy, separators=(",", ":")).encode())


# A long bucket name and prefix make the largest policy the parameters allow.
LONGEST = {"pResourceDataSyncBucketName": "b" * 63, "pBucketPrefix": "p" * 64, "pKMSKeyArn": KEY}


@pytest.mark.parametrize("count", [1, 100, 300])
def test_account_mode_policy_stays_under_s3_limit(count):
    rendered = render(STACK, {**LONGEST, "pDataSourceAccountID": ",".join(accounts(count))})
    assert (
        len(statements(rendered)["SSMBucketDeliveryAccounts"]["Condition"]["StringEquals"]["aws:SourceAccount"])
        == count + 1
    )
    size = policy_bytes(rendered)
    print(f"bucket policy, {count} accounts: {size} bytes")
    assert size < 20 * 1024


def test_300_accounts_fit_the_parameter_value_limit():
    assert len(",".join(accounts(300))) <= 4096


def test_organization_mode_policy_size_does_not_grow_with_accounts():
    size = policy_bytes(render(STACK, {**LONGEST, "pOrganizationID": "o-a1b2c3d4e5"}))
    print(f"bucket policy, organization mode: {size} bytes")
    assert size < 2 * 1024


def test_rules_refuse_impossible_combinations_before_anything_is_created():
    base = {"pResourceDataSyncBucketName": BUCKET}
    assert rules_refusing(STACK, {**base, "pDataSourceAccountID": "522955560990"}) == []
    assert rules_refusing(STACK, {**base, "pOrganizationID": "o-a1b2c3d4e5"}) == []
    assert rules_refusing(STACK, base) == ["SourceAccountsOrOrganization"]
    assert rules_refusing(STACK, {**base, "pDataSourceAccountID": "522955560990,"}) == ["SourceAccountsOrOrganization"]
    assert rules_refusing(STACK, {**base, "pDataSourceAccountID": "522955560990"}, region="eu-west-1") == [
        "BucketInStackRegion"
    ]
    assert (
        rules_refusing(
            STACK, {**base, "pOrganizationID": "o-a1b2c3d4e5", "pBucketRegion": "eu-west-1"}, region="eu-west-1"
        )
        == []
    )
