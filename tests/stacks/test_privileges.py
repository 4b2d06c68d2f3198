"""Least privilege across every template, each condition asserted on the stack a deployment would get:
key policies, service-role trusts, the maintenance window role, QuickSight's writes, log group keys,
the collector bucket's per-account folders, and one spelling of "no key"."""

import copy
import fnmatch
import json
from pathlib import Path

import cfnlint
import pytest
from cloud_radar.cf.unit import Template as RadarTemplate
from conftest import (
    check_constraint,
    every_statement,
    example,
    example_exports,
    render,
    statements,
    template_dict,
)

from patch_templates.parts import catalog, parameters as p
from patch_templates.stacks import (
    ANALYTICS,
    RECORDS,
    central_alerts,
    collector,
    default_host_management,
    patching_member,
    quicksight_dashboard as quicksight,
    stackset,
)

KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ACCOUNTS = ("111111111111", "222222222222", "333333333333")


def render_as(record, params: dict, account: str, region: str) -> dict:
    """The stack `record` makes in `account` and `region` with the example values and `params`."""
    radar = RadarTemplate(copy.deepcopy(template_dict(record)), imports=None)
    radar.AccountId = account
    return radar.render({**example(record), **params}, region=region)["Resources"]


def resources(record, kind: str) -> dict:
    return {key: r for key, r in template_dict(record)["Resources"].items() if r["Type"] == kind}


# -- KMS key policies ------------------------------------------------------------------------------


@pytest.mark.parametrize("account, region", [(ACCOUNTS[0], "eu-west-1"), (ACCOUNTS[1], "us-east-2")])
def test_eventbridge_uses_the_alert_key_only_for_topics_of_this_account_and_region(account, region):
    key = render_as(central_alerts.RECORD, {}, account, region)["AlertTopicKey"]["Properties"]
    (statement,) = [s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "events.amazonaws.com"}]
    assert statement["Action"] == ["kms:GenerateDataKey*", "kms:Decrypt"]
    assert statement["Condition"] == {
        "StringLike": {"kms:EncryptionContext:aws:sns:topicArn": f"arn:aws:sns:{region}:{account}:*"}
    }


def test_alert_key_grants_only_for_aws_resources():
    policy = render_as(central_alerts.RECORD, {}, ACCOUNTS[0], "eu-west-1")["AlertTopicKey"]["Properties"]["KeyPolicy"]
    assert {
        "Sid": "GrantsOnlyForAWSResources",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": ["kms:CreateGrant"],
        "Resource": ["*"],
        "Condition": {"BoolIfExists": {"kms:GrantIsForAWSResource": "false"}},
    } in policy["Statement"]


@pytest.mark.parametrize("record", RECORDS)
def test_every_key_policy_limits_grants_and_conditions_every_service(record):
    for key in resources(record, "AWS::KMS::Key").values():
        found = list(every_statement(key["Properties"]["KeyPolicy"]))
        assert any(s["Effect"] == "Deny" and "kms:GrantIsForAWSResource" in json.dumps(s) for s in found)
        for statement in found:
            if "Service" in statement["Principal"]:
                assert statement["Condition"], statement


def test_the_central_alerts_key_is_the_only_key():
    """The loop above checks every key: today that is one."""
    keys = {(record.file, key) for record in RECORDS for key in resources(record, "AWS::KMS::Key")}
    assert keys == {(central_alerts.FILE, "AlertTopicKey")}


# -- service-role trusts ---------------------------------------------------------------------------

# Roles whose service is not documented to send aws:SourceAccount (the reason is in each role's code
# comment). Any other service role must condition its trust on this account.
UNCONDITIONED = {
    "MaintenanceWindowRole": "ssm.amazonaws.com",
    "NotificationRole": "ssm.amazonaws.com",
    "DefaultHostManagementRole": "ssm.amazonaws.com",
    "DefaultHostManagementFunctionRole": "lambda.amazonaws.com",
    "CrawlerInitializerRole": "lambda.amazonaws.com",
    "CrawlerRole": "glue.amazonaws.com",
    "SlackChannelRole": "chatbot.amazonaws.com",
}


def service_trusts():
    for record in RECORDS:
        for name, role in resources(record, "AWS::IAM::Role").items():
            for statement in every_statement(role["Properties"]["AssumeRolePolicyDocument"]):
                if "Service" in statement["Principal"]:
                    yield record, name, statement


@pytest.mark.parametrize("record, name, trust", list(service_trusts()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_service_trust_requires_this_account_unless_the_service_sends_none(record, name, trust):
    if name in UNCONDITIONED:
        assert trust["Principal"] == {"Service": [UNCONDITIONED[name]]} and "Condition" not in trust
    else:
        assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}, (name, trust)


def test_the_unconditioned_trusts_are_exactly_the_cited_ones():
    assert {name for _, name, trust in service_trusts() if "Condition" not in trust} == set(UNCONDITIONED)


@pytest.mark.parametrize("account, region", [(ACCOUNTS[0], "eu-west-1"), (ACCOUNTS[1], "ap-south-1")])
def test_alert_forwarding_role_trusts_only_rules_of_its_account_and_region(account, region):
    role = render_as(patching_member.RECORD, {}, account, region)["AlertForwardingRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnLike": {"aws:SourceArn": f"arn:aws:events:{region}:{account}:rule/*"},
    }


# -- the maintenance window role -------------------------------------------------------------------


def window_roles():
    return [
        (record, role)
        for record in RECORDS
        for role in resources(record, "AWS::IAM::Role")
        if role == "MaintenanceWindowRole"
    ]


def test_window_role_reads_no_parameters():
    assert len(window_roles()) > 1
    for record, role in window_roles():
        text = json.dumps(template_dict(record)["Resources"][role]["Properties"]["Policies"])
        assert "ssm:GetParameter" not in text and "parameter/" not in text, record.file


@pytest.mark.parametrize("account, region", [(ACCOUNTS[0], "eu-west-1"), (ACCOUNTS[2], "us-west-2")])
def test_window_role_lists_members_of_resource_groups_of_its_account_and_region_only(account, region):
    role = render_as(patching_member.RECORD, {}, account, region)["MaintenanceWindowRole"]["Properties"]
    found = statements(role["Policies"][0]["PolicyDocument"])
    (listing,) = [s for s in found if "resource-groups:ListGroupResources" in s["Action"]]
    assert listing["Action"] == ["resource-groups:ListGroupResources"]
    assert listing["Resource"] == [f"arn:aws:resource-groups:{region}:{account}:group/*"]


# -- QuickSight ------------------------------------------------------------------------------------

QUICKSIGHT = {"pBucketName": "sync-bucket/inventory", "pQuickSightServiceRoleName": "qs-role"}


def test_quicksight_writes_only_under_the_athena_results_prefix():
    policy = quicksight_policy()
    results = f"arn:aws:s3:::{quicksight_results_bucket()}"
    writes = [s for s in policy if any(a in s["Action"] for a in ("s3:PutObject", "s3:AbortMultipartUpload"))]
    assert writes and all(s["Resource"] == [f"{results}/{catalog.RESULTS_FOLDER}*"] for s in writes)
    # it still reads the whole results bucket: the snapshot lies beside the results
    assert {"s3:GetObject"} <= {a for s in policy if s["Resource"] == [f"{results}/*"] for a in s["Action"]}


def test_the_athena_workgroups_write_their_results_where_quicksight_may_write():
    workgroups = resources(ANALYTICS, "AWS::Athena::WorkGroup")
    assert set(workgroups) == {"AthenaWorkGroup", "AthenaDailyWorkGroup"}
    for workgroup in workgroups.values():
        configuration = workgroup["Properties"]["WorkGroupConfiguration"]
        assert configuration["EnforceWorkGroupConfiguration"] is True
        location = configuration["ResultConfiguration"]["OutputLocation"]["Fn::Sub"]
        assert location[0].endswith("/" + catalog.RESULTS_FOLDER)


def quicksight_results_bucket() -> str:
    return example_exports()[f"{ANALYTICS.stack}-AthenaResultsBucketName"]


def quicksight_policy() -> list[dict]:
    stack = render(quicksight.RECORD, QUICKSIGHT)["Resources"]
    return statements(stack["QuickSightDataAccessPolicy"]["Properties"]["PolicyDocument"])


# -- log groups ------------------------------------------------------------------------------------


def log_groups():
    return [(record, name) for record in RECORDS for name in resources(record, "AWS::Logs::LogGroup")]


@pytest.mark.parametrize("record, name", log_groups(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_log_group_takes_the_kms_key_option(record, name):
    condition = template_dict(record)["Resources"][name]["Properties"]["KmsKeyId"]["Fn::If"][0]
    key = "p" + condition.removeprefix("Has")
    with_key = render_as(record, {key: KEY}, ACCOUNTS[0], "eu-west-1")[name]["Properties"]
    assert with_key["KmsKeyId"] == KEY  # the key's own Region
    without = render_as(record, {key: p.NONE}, ACCOUNTS[0], "eu-west-1")[name]["Properties"]
    assert "KmsKeyId" not in without


def test_log_groups_are_found_in_every_template_that_has_them():
    files = {record.file for record, _ in log_groups()}
    assert files >= {ANALYTICS.file, default_host_management.RECORD.file}


# -- the collector bucket: each account writes under its own accountid= folder ----------------------


def allows(policy: list[dict], account: str, key: str, action: str = "s3:PutObject") -> bool:
    """Whether an Allow statement for Systems Manager lets a sync of `account` do `action` on the object
    `key`: IAM puts the request's aws:SourceAccount into the policy variable before matching."""
    arn = f"ResourceDataSyncBucket.Arn/{key}"  # cloud-radar's rendering of the bucket's GetAtt Arn
    for statement in policy:
        if statement["Effect"] != "Allow" or action not in statement["Action"]:
            continue
        accounts = statement["Condition"]["StringEquals"].get("aws:SourceAccount", [account])
        if account not in accounts:
            continue
        resources = [r.replace("${aws:SourceAccount}", account) for r in statement["Resource"]]
        if any(fnmatch.fnmatchcase(arn, pattern) for pattern in resources):
            return True
    return False


@pytest.mark.parametrize("organization", ["", "o-a1b2c3d4e5"])
@pytest.mark.parametrize("action", ["s3:PutObject", "s3:PutObjectTagging"])
def test_an_allowed_account_writes_under_its_own_accountid_folder_only(organization, action):
    stack = render_as(
        collector.RECORD,
        {
            "pResourceDataSyncBucketName": "collector-bucket",
            "pBucketPrefix": "inventory",
            "pDataSourceAccountID": ",".join(ACCOUNTS[1:]),
            "pOrganizationID": organization,
        },
        ACCOUNTS[0],
        "eu-west-1",
    )
    policy = statements(stack["ResourceDataSyncBucketPolicy"]["Properties"]["PolicyDocument"])
    if action == "s3:PutObjectTagging" and not organization:
        assert not any(action in s["Action"] for s in policy)  # only the organization's syncs tag
        return
    for writer in ACCOUNTS:
        for folder in ACCOUNTS:
            key = f"inventory/AWS:PatchSummary/accountid={folder}/region=eu-west-1/resourcetype=x/i-1.json"
            assert allows(policy, writer, key, action) == (writer == folder), (writer, folder)


# -- one spelling of "no key" ----------------------------------------------------------------------


def kms_pattern(record, name: str) -> str:
    member = record in stackset.MEMBERS or record is stackset.RECORD
    constraint = p.optional_none(p.KMS_KEY_ARN)
    return constraint["AllowedPattern"] if member else p.optional(constraint)["AllowedPattern"]


def kms_key_parameters():
    return [
        (record, name, definition)
        for record in RECORDS
        for name, definition in template_dict(record).get("Parameters", {}).items()
        if ":kms:" in definition.get("AllowedPattern", "")
    ]


@pytest.mark.parametrize(
    "record, name, definition", kms_key_parameters(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_kms_key_parameter_spells_no_key_none(record, name, definition):
    assert definition["Default"] == "none"
    assert definition["AllowedPattern"] == kms_pattern(record, name)
    assert definition["ConstraintDescription"] == p.optional_none(p.KMS_KEY_ARN)["ConstraintDescription"]
    assert "none" in definition["Description"] and "empty" not in definition["Description"]
    assert example(record).get(name, "none") in ("none", KEY.replace("eu-west-1", "us-east-1"))


def test_kms_key_parameters_are_found_in_every_template_that_takes_a_key():
    found = {(record.file, name) for record, name, _ in kms_key_parameters()}
    assert found >= {
        (record.file, "pKMSKeyArn") for record in (collector.RECORD, ANALYTICS, quicksight.RECORD, stackset.RECORD)
    } | {(default_host_management.RECORD.file, "pLogsKMSKeyArn"), (stackset.RECORD.file, "pLogsKMSKeyArn")}


def test_members_refuse_an_empty_key_and_standalone_templates_still_take_it_as_none():
    """A StackSet may refuse an empty parameter value; a standalone stack deployed with '' (the earlier
    spelling) keeps updating with its previous value, and '' still means no key."""
    good, bad = ["none", KEY], ["NONE", "None", " none", "alias/aws/s3"]
    for record, name, _ in kms_key_parameters():
        member = record in stackset.MEMBERS or record is stackset.RECORD
        check_constraint(record, name, good + ([] if member else [""]), bad + ([""] if member else []))
    for value in ("", "none"):
        bucket = render_as(collector.RECORD, {"pKMSKeyArn": value}, ACCOUNTS[0], "eu-west-1")
        rule = bucket["ResourceDataSyncBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule[0]["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}, value
    bucket = render_as(collector.RECORD, {"pKMSKeyArn": KEY}, ACCOUNTS[0], "eu-west-1")
    rule = bucket["ResourceDataSyncBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule[0]["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY}


# -- "*" only where an action takes no resource ------------------------------------------------------


def identity_statements():
    for record in RECORDS:
        for name, resource in template_dict(record)["Resources"].items():
            if resource["Type"] == "AWS::IAM::Role":
                documents = [policy["PolicyDocument"] for policy in resource["Properties"].get("Policies", [])]
            elif resource["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
                documents = [resource["Properties"]["PolicyDocument"]]
            else:
                continue
            for statement in every_statement(documents):
                yield record, name, statement


def test_identity_policies_use_a_wildcard_resource_only_for_actions_that_take_no_resource():
    """The Service Authorization Reference as cfn-lint ships it: an action listed with resource types can
    be scoped, so "*" is refused for it."""
    reference = json.loads((Path(cfnlint.__file__).parent / "data/AdditionalSpecs/Policies.json").read_text())
    wildcards = 0
    for record, name, statement in identity_statements():
        if statement["Effect"] != "Allow" or "*" not in statement["Resource"]:
            continue
        for action in statement["Action"]:
            service, operation = action.split(":")
            actions = {key.lower(): value for key, value in reference[service]["Actions"].items()}
            assert not actions[operation.lower()].get("Resources"), (record.file, name, action)
            wildcards += 1
    assert wildcards >= 7
