"""The resource data sync member (stacks/resource_data_sync.py): the source account's sync into the
collector bucket (step 3)."""

import copy

import pytest
from conftest import check_constraint, render, template_dict

from patch_templates.stacks import collector, resource_data_sync

SYNC, COLLECTOR = resource_data_sync.RECORD, collector.RECORD
COLLECTOR_ACCOUNT = "111122223333"
BUCKET = {"pResourceDataSyncBucketName": "central-inventory-bucket", "pCollectorAccountId": COLLECTOR_ACCOUNT}
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def sync(params: dict, region: str = "us-east-1") -> dict:
    return render(SYNC, {**BUCKET, **params}, region)["Resources"]["ResourceDataSync"]["Properties"]


def test_has_the_design_step_3_parameters_with_their_allowed_values():
    parameters = template_dict(SYNC)["Parameters"]
    for name in ["pResourceDataSyncBucketName", "pSyncName", "pSyncType", "pBucketRegion", "pBucketPrefix"]:
        assert name in parameters
    assert parameters["pSyncType"]["AllowedValues"] == ["SyncToDestination", "SyncFromSource"]
    assert parameters["pSyncType"]["Default"] == "SyncToDestination"
    assert parameters["pBucketRegion"]["Default"] == "us-east-1"
    labelled = template_dict(SYNC)["Metadata"]["AWS::CloudFormation::Interface"]["ParameterLabels"]
    assert set(labelled) == set(parameters)


def test_shares_the_collectors_constraints_and_sync():
    mine, collector = copy.deepcopy(template_dict(SYNC)), copy.deepcopy(template_dict(COLLECTOR))
    for name in ["pSyncName", "pSyncType", "pBucketRegion", "pBucketPrefix", "pSyncSourceType", "pSyncSourceRegions"]:
        ours, theirs = mine["Parameters"][name], collector["Parameters"][name]
        assert {k: v for k, v in ours.items() if k != "Description"} == {
            k: v for k, v in theirs.items() if k != "Description"
        }, name
    # The same sync code, and the same bucket parameter in both templates.
    ours = mine["Resources"]["ResourceDataSync"]["Properties"]
    assert ours["S3Destination"]["Fn::If"][1]["BucketName"] == {"Ref": "pResourceDataSyncBucketName"}
    assert ours == collector["Resources"]["ResourceDataSync"]["Properties"]


def test_sync_to_destination_writes_json_into_the_collector_bucket():
    properties = sync({"pBucketPrefix": "org/inventory", "pBucketRegion": "eu-west-1"})
    assert properties["SyncType"] == "SyncToDestination"
    assert properties["S3Destination"] == {
        "BucketName": "central-inventory-bucket",
        "BucketPrefix": "org/inventory",
        "BucketRegion": "eu-west-1",
        "SyncFormat": "JsonSerDe",
    }
    assert "SyncSource" not in properties


def test_kms_key_is_passed_only_when_given():
    assert sync({"pKMSKeyArn": KEY})["S3Destination"]["KMSKeyArn"] == KEY
    assert template_dict(SYNC)["Parameters"]["pKMSKeyArn"]["Default"] == "none"  # not '': StackSets may refuse it
    assert "KMSKeyArn" not in sync({"pKMSKeyArn": "none"})["S3Destination"]
    # Standalone, the same key constraint as the collector's, which also takes '' (tests/stacks/test_privileges.py);
    # the shared member's copy takes none only (tests/stacks/test_shared_member.py).
    ours, theirs = template_dict(SYNC)["Parameters"]["pKMSKeyArn"], template_dict(COLLECTOR)["Parameters"]["pKMSKeyArn"]
    assert ours["AllowedPattern"] == theirs["AllowedPattern"]


def stack_resources(account: str, region: str, bucket_region: str = "us-east-1") -> dict:
    from cloud_radar.cf.unit import Template as RadarTemplate

    radar = RadarTemplate(copy.deepcopy(template_dict(SYNC)))
    radar.AccountId = account
    return radar.render({**BUCKET, "pBucketRegion": bucket_region}, region=region)


@pytest.mark.parametrize(
    "account, region, bucket_region, creates",
    [
        (COLLECTOR_ACCOUNT, "us-east-1", "us-east-1", False),  # the collector's own sync is there
        (COLLECTOR_ACCOUNT, "eu-west-1", "eu-west-1", False),
        (COLLECTOR_ACCOUNT, "eu-west-1", "us-east-1", True),  # the collector's other Regions ship their inventory
        ("444455556666", "us-east-1", "us-east-1", True),
        ("444455556666", "eu-west-1", "us-east-1", True),
    ],
)
def test_no_clash_with_the_collectors_own_sync(account, region, bucket_region, creates):
    rendered = stack_resources(account, region, bucket_region)
    assert ("ResourceDataSync" in rendered["Resources"]) == creates
    assert ("ResourceDataSyncName" in rendered.get("Outputs", {})) == creates
    # Never an empty stack: the placeholder stands where the sync is skipped.
    assert list(rendered["Resources"]) == (["ResourceDataSync"] if creates else ["CollectorHasItsOwnSync"])
    if not creates:
        assert rendered["Resources"]["CollectorHasItsOwnSync"]["Type"] == "AWS::CloudFormation::WaitConditionHandle"


def test_sync_from_source_feeds_explorer_and_writes_nothing_to_s3():
    properties = sync({"pSyncType": "SyncFromSource", "pSyncSourceRegions": "us-east-1,eu-west-1"})
    assert properties["SyncType"] == "SyncFromSource"
    assert "S3Destination" not in properties
    assert properties["SyncSource"] == {
        "SourceType": "SingleAccountMultiRegions",
        "SourceRegions": ["us-east-1", "eu-west-1"],
        "IncludeFutureRegions": False,
    }
    organization = sync({"pSyncType": "SyncFromSource", "pSyncSourceType": "AwsOrganizations"})["SyncSource"]
    assert organization["AwsOrganizationsSource"] == {"OrganizationSourceType": "EntireOrganization"}


def test_outputs_the_sync_name():
    assert template_dict(SYNC)["Outputs"]["ResourceDataSyncName"]["Value"] == {"Ref": "ResourceDataSync"}


BAD_VALUES = {
    "pResourceDataSyncBucketName": (
        ["central-inventory-bucket", "a.b-c", "abc"],
        [
            "",
            "ab",
            "Central",
            "bucket_",
            "-bucket",
            "bucket-",
            "a..b",
            "192.168.1.1",
            "xn--bucket",
            "bucket-s3alias",
            "a" * 64,
        ],
    ),
    "pSyncName": (["inventory-sync", "a", "Org_sync.1"], ["", "with space", "slash/name", "a" * 65]),
    "pSyncType": (["SyncToDestination", "SyncFromSource"], ["", "synctodestination", "S3"]),
    "pBucketRegion": (["us-east-1", "eu-central-2", "us-gov-west-1"], ["", "US-EAST-1", "useast1", "us-east"]),
    "pBucketPrefix": (["inventory", "org/inventory"], ["", "/inventory", "inventory/", "a//b", "with space", "a" * 65]),
    "pKMSKeyArn": (
        ["none", "", KEY, "arn:aws:kms:eu-west-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef"],
        [
            "None",
            "none,",
            "alias/aws/s3",
            "arn:aws:kms:us-east-1:111122223333:alias/my-key",
            "1234abcd-12ab-34cd-56ef",
            "arn:aws:kms:us-east-1:1111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ],
    ),
    "pSyncSourceType": (["AwsOrganizations", "SingleAccountMultiRegions"], ["", "Organization"]),
    "pCollectorAccountId": (
        ["111122223333", "000000000001"],
        ["", "none", "11112222333", "1111222233334", "11112222333a", "111122223333,444455556666", " 111122223333"],
    ),
    "pSyncSourceRegions": (["us-east-1", "us-east-1,eu-west-1"], ["", "us-east-1,", "us-east-1, eu-west-1"]),
}


def test_parameters_refuse_bad_values():
    tried = sum(check_constraint(SYNC, name, good, bad) for name, (good, bad) in BAD_VALUES.items())
    assert tried == sum(len(bad) for _, bad in BAD_VALUES.values())
