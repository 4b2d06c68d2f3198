"""The Default Host Management stack and its custom resource. moto 5.2 has no service settings, so the
Systems Manager client is botocore's Stubber: each test lists the calls the function must make,
with their exact parameters, and an unexpected call fails the test. CloudFormation's pre-signed
response URL is the local HTTP server of conftest (fixtures server, answers); every path answers
once."""

import time
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from cfnlint.decode import decode_str
from conftest import (
    Context,
    check_constraint,
    custom_resource_event,
    only_answer,
    render,
    statements as deployed_statements,
    template_dict,
)
from test_stackset import REQUIRED  # the StackSet's required values, kept in one place

from patch_templates.lambdas import default_host_management as dhmc
from patch_templates.parts import common
from patch_templates.parts.common import INLINE_CODE_LIMIT, BuildError
from patch_templates.stacks import default_host_management as stack, stackset

NAME = stack.RECORD
OUTPUT = Path(__file__).resolve().parents[2] / "output"
STACKSET = stackset.RECORD
SETTING = "/ssm/managed-instance/default-ec2-instance-management-role"
OURS = "service-role/patching-dhmc-DefaultHostManagementRole-1A2B3C4D5E6F"
OURS_NEXT = "service-role/patching-dhmc-DefaultHostManagementRole-9Z8Y7X6W5V4U"
OTHER = "AWSSystemsManagerDefaultEC2InstanceManagementRole"
EARLIER = "service-role/AWS-QuickSetup-SSM-DefaultEC2MgmtRole-us-east-1"
UNSET_ID = dhmc.PREFIX + "$None"


@pytest.fixture
def ssm(monkeypatch):
    """A stubbed Systems Manager client that the function gets from boto3.client."""
    client = boto3.client("ssm", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    stubber = Stubber(client)
    stubber.activate()
    monkeypatch.setattr(dhmc.boto3, "client", lambda service: client)
    yield stubber
    stubber.assert_no_pending_responses()  # every call the test expected was made


def reads(stubber, value):
    status = "Default" if value == "$None" else "Customized"
    stubber.add_response(
        "get_service_setting",
        {
            "ServiceSetting": {
                "SettingId": SETTING,
                "SettingValue": value,
                "Status": status,
                "ARN": "arn:aws:ssm:us-east-1:111122223333:servicesetting" + SETTING,
            }
        },
        {"SettingId": SETTING},
    )


def writes(stubber, value):
    stubber.add_response("update_service_setting", {}, {"SettingId": SETTING, "SettingValue": value})


def resets(stubber):
    stubber.add_response(
        "reset_service_setting",
        {"ServiceSetting": {"SettingId": SETTING, "SettingValue": "$None"}},
        {"SettingId": SETTING},
    )


def event(server, request_type="Create", role=OURS, **extra):
    return custom_resource_event(server, request_type, "DefaultHostManagement", {"RoleValue": role}, **extra)


# Create -------------------------------------------------------------------------------------


def test_create_when_unset_sets_our_role_and_remembers_unset(server, answers, ssm):
    reads(ssm, "$None")
    writes(ssm, OURS)
    sent = event(server)
    dhmc.handler(sent, Context())
    body = only_answer(answers, sent)
    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == UNSET_ID
    assert body["Data"] == {"SettingValue": OURS}
    assert body["Reason"].startswith(f"Set {OURS}, was $None")


def test_create_when_already_our_role_changes_nothing(server, answers, ssm):
    """For example Lambda's retry of a Create whose answer could not be sent."""
    reads(ssm, OURS)  # and no update: the Stubber fails any call not listed
    sent = event(server)
    dhmc.handler(sent, Context())
    body = only_answer(answers, sent)
    assert (body["Status"], body["PhysicalResourceId"], body["Data"]) == ("SUCCESS", UNSET_ID, {"SettingValue": OURS})
    assert body["Reason"].startswith(f"Already {OURS}")


def test_create_when_another_role_is_set_leaves_it_and_reports_it(server, answers, ssm, capsys):
    reads(ssm, OTHER)
    sent = event(server)
    dhmc.handler(sent, Context())
    body = only_answer(answers, sent)
    assert body["Status"] == "SUCCESS"
    assert body["Data"] == {"SettingValue": OTHER}  # the stack output shows whose role is in use
    assert body["Reason"].startswith(f"Left {OTHER}, set by someone else; {OURS} not applied")
    assert f"SUCCESS Left {OTHER}, set by someone else" in capsys.readouterr().out  # the log says it too


# Update -------------------------------------------------------------------------------------


def test_update_moves_from_our_old_role_to_the_new_one_keeping_what_was_there_first(server, answers, ssm):
    reads(ssm, OURS)
    writes(ssm, OURS_NEXT)
    first = dhmc.PREFIX + EARLIER
    sent = event(server, "Update", role=OURS_NEXT, PhysicalResourceId=first, OldResourceProperties={"RoleValue": OURS})
    dhmc.handler(sent, Context())
    body = only_answer(answers, sent)
    assert (body["Status"], body["Data"]) == ("SUCCESS", {"SettingValue": OURS_NEXT})
    assert body["PhysicalResourceId"] == first  # unchanged: CloudFormation sends no clean-up Delete


def test_update_leaves_a_role_someone_else_set_meanwhile(server, answers, ssm):
    reads(ssm, OTHER)
    sent = event(
        server, "Update", role=OURS_NEXT, PhysicalResourceId=UNSET_ID, OldResourceProperties={"RoleValue": OURS}
    )
    dhmc.handler(sent, Context())
    body = only_answer(answers, sent)
    assert (body["Status"], body["PhysicalResourceId"], body["Data"]) == ("SUCCESS", UNSET_ID, {"SettingValue": OTHER})
    assert f"Left {OTHER}" in body["Reason"]


def test_update_sets_our_role_once_the_other_role_is_gone(server, answers, ssm):
    """Created while another role was set (left alone); that role was reset since."""
    reads(ssm, "$None")
    writes(ssm, OURS)
    sent = event(server, "Update", PhysicalResourceId=UNSET_ID, OldResourceProperties={"RoleValue": OURS})
    dhmc.handler(sent, Context())
    body = only_answer(answers, sent)
    assert (body["Status"], body["PhysicalResourceId"], body["Data"]) == ("SUCCESS", UNSET_ID, {"SettingValue": OURS})


# Delete -------------------------------------------------------------------------------------


def test_delete_resets_a_setting_that_was_unset(server, answers, ssm):
    reads(ssm, OURS)
    resets(ssm)
    sent = event(server, "Delete", PhysicalResourceId=UNSET_ID)
    dhmc.handler(sent, Context())
    body = only_answer(answers, sent)
    assert (body["Status"], body["PhysicalResourceId"]) == ("SUCCESS", UNSET_ID)
    assert body["Reason"].startswith("Put back $None")


def test_delete_puts_back_a_previous_role(server, answers, ssm):
    reads(ssm, OURS)
    writes(ssm, EARLIER)
    sent = event(server, "Delete", PhysicalResourceId=dhmc.PREFIX + EARLIER)
    dhmc.handler(sent, Context())
    body = only_answer(answers, sent)
    assert (body["Status"], body["Data"]) == ("SUCCESS", {"SettingValue": EARLIER})


@pytest.mark.parametrize("current", [OTHER, "$None", OURS_NEXT])
def test_delete_never_touches_a_setting_that_is_not_our_role(server, answers, ssm, current):
    reads(ssm, current)  # no reset, no update
    sent = event(server, "Delete", PhysicalResourceId=UNSET_ID)
    dhmc.handler(sent, Context())
    body = only_answer(answers, sent)
    assert (body["Status"], body["Data"]) == ("SUCCESS", {"SettingValue": current})
    assert body["Reason"].startswith(f"Left {current}: this stack did not set it")


def test_create_then_delete_round_trip_through_the_physical_id(server, answers, ssm):
    """The physical id Create answers is what Delete gets: the setting ends as it began."""
    reads(ssm, "$None")
    writes(ssm, OURS)
    created = event(server)
    dhmc.handler(created, Context())
    physical_id = only_answer(answers, created)["PhysicalResourceId"]
    answers.clear()
    reads(ssm, OURS)
    resets(ssm)
    deleted = event(server, "Delete", PhysicalResourceId=physical_id)
    dhmc.handler(deleted, Context())
    assert only_answer(answers, deleted)["Status"] == "SUCCESS"


# Failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize("request_type,physical_id", [("Create", None), ("Update", dhmc.PREFIX + EARLIER)])
def test_an_api_error_answers_failed_with_the_reason(server, answers, ssm, request_type, physical_id):
    reads(ssm, "$None")
    ssm.add_client_error(
        "update_service_setting",
        service_error_code="AccessDeniedException",
        service_message="not authorized to perform iam:PassRole",
    )
    sent = event(server, request_type, **({"PhysicalResourceId": physical_id} if physical_id else {}))
    dhmc.handler(sent, Context())
    body = only_answer(answers, sent)
    assert body["Status"] == "FAILED"
    assert "AccessDeniedException" in body["Reason"] and "iam:PassRole" in body["Reason"]
    # A failed Create leaves an id whose Delete resets only if our role got set; an Update keeps its id.
    assert body["PhysicalResourceId"] == (physical_id or UNSET_ID)


def test_a_read_error_answers_failed_and_changes_nothing(server, answers, ssm):
    ssm.add_client_error(
        "get_service_setting", service_error_code="ThrottlingException", service_message="Rate exceeded"
    )
    sent = event(server, "Delete", PhysicalResourceId=UNSET_ID)
    dhmc.handler(sent, Context())
    body = only_answer(answers, sent)
    assert body["Status"] == "FAILED" and body["Reason"].startswith("ThrottlingException")


@pytest.mark.parametrize(
    "spoil",
    [
        lambda e: e.pop("RequestType"),  # no request type at all
        lambda e: e.update(RequestType="Upgrade"),  # one CloudFormation never sends
        lambda e: e.pop("ResourceProperties"),  # no properties, so no role
        lambda e: e["ResourceProperties"].pop("RoleValue"),
    ],
)
def test_a_malformed_event_answers_failed_without_any_call(server, answers, ssm, spoil):
    sent = event(server)
    spoil(sent)
    dhmc.handler(sent, Context())
    body = only_answer(answers, sent)
    assert (body["Status"], body["Reason"].split(":")[0]) in {("FAILED", "KeyError"), ("FAILED", "ValueError")}


def test_a_lost_answer_is_sent_by_lambdas_retry_which_finds_our_role(server, answers, ssm, monkeypatch):
    """A failed PUT raises, so Lambda retries the event: the retry reads our role and answers once."""
    send, lost = dhmc.urllib.request.urlopen, []

    def urlopen(request, timeout):  # the first PUT is lost
        if not lost:
            lost.append(request.full_url)
            raise OSError("connection reset")
        return send(request, timeout=timeout)

    monkeypatch.setattr(dhmc.urllib.request, "urlopen", urlopen)
    reads(ssm, "$None")
    writes(ssm, OURS)
    sent = event(server)
    with pytest.raises(OSError):
        dhmc.handler(sent, Context())
    assert answers == []
    reads(ssm, OURS)
    dhmc.handler(sent, Context())
    body = only_answer(answers, sent)
    assert (body["Status"], body["PhysicalResourceId"], body["Data"]) == ("SUCCESS", UNSET_ID, {"SettingValue": OURS})


def test_an_event_without_a_response_url_is_ignored(server, answers, ssm):
    sent = event(server)
    del sent["ResponseURL"]
    assert dhmc.handler(sent, Context()) is None
    time.sleep(0.05)
    assert answers == []


@pytest.mark.parametrize("request_type,physical_id", [("Create", None), ("Delete", dhmc.PREFIX + EARLIER)])
def test_it_answers_failed_before_its_own_timeout(server, answers, monkeypatch, request_type, physical_id):
    """A Systems Manager call that hangs: the timer answers FAILED, and the late result is not sent."""

    def slow_apply(*args):
        time.sleep(0.4)
        return "$None", OURS, "late"

    monkeypatch.setattr(dhmc, "apply", slow_apply)
    sent = event(server, request_type, **({"PhysicalResourceId": physical_id} if physical_id else {}))
    started = time.monotonic()
    dhmc.handler(sent, Context(remaining_ms=dhmc.MARGIN_MS + 100))
    body = only_answer(answers, sent)
    assert body["Status"] == "FAILED" and body["Reason"].startswith("Timed out")
    assert body["PhysicalResourceId"] == (physical_id or UNSET_ID)
    assert time.monotonic() - started < 1


def test_the_inline_source_fits_and_uses_only_stdlib_and_boto3(capsys):
    source = stack.FUNCTION_CODE.read_text()
    size = len(source.encode())
    assert size <= INLINE_CODE_LIMIT
    imports = {line.split()[1].split(".")[0] for line in source.splitlines() if line.startswith(("import ", "from "))}
    assert imports == {"json", "threading", "urllib", "boto3"}
    with capsys.disabled():
        print(f"\n{stack.FUNCTION_CODE.name}: {size:,} of {INLINE_CODE_LIMIT:,} bytes of inline code")


def test_the_build_goes_through_the_inline_size_check(monkeypatch):
    """common.inline_code, tested with the crawler initializer, guards this function's code too."""
    size = len(stack.FUNCTION_CODE.read_bytes())
    monkeypatch.setattr(common, "INLINE_CODE_LIMIT", size - 1)
    with pytest.raises(BuildError, match=rf"default_host_management.py is {size} bytes; inline Lambda code"):
        stack.build()


# The template -------------------------------------------------------------------------------


def resources() -> dict:
    return render(NAME, {}, region="eu-west-1")["Resources"]


def test_the_dhmc_role_is_the_documented_one_under_the_service_role_path():
    role = resources()["DefaultHostManagementRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": ["ssm.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}
    ]
    assert role["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/AmazonSSMManagedEC2InstanceDefaultPolicy"]
    assert role["Path"] == "/service-role/"
    assert "RoleName" not in role and "Policies" not in role  # a name per stack: no clash between Regions
    # The setting value is the role's path (without the leading slash) and name.
    properties = template_dict(NAME)["Resources"]["DefaultHostManagement"]["Properties"]
    assert properties["RoleValue"] == {"Fn::Sub": "service-role/${DefaultHostManagementRole}"}
    assert properties["ServiceToken"] == {"Fn::GetAtt": ["DefaultHostManagementFunction", "Arn"]}


def test_the_function_may_change_only_the_one_setting_and_pass_only_the_dhmc_role_to_ssm():
    function_role = resources()["DefaultHostManagementFunctionRole"]["Properties"]
    assert function_role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": ["lambda.amazonaws.com"]
    }
    (policy,) = function_role["Policies"]
    setting, pass_role, write_logs = deployed_statements(policy["PolicyDocument"])
    assert setting == {
        "Sid": "DefaultHostManagementSetting",
        "Effect": "Allow",
        "Action": ["ssm:GetServiceSetting", "ssm:UpdateServiceSetting", "ssm:ResetServiceSetting"],
        "Resource": ["arn:aws:ssm:eu-west-1:555555555555:servicesetting" + SETTING],
    }
    assert dhmc.SETTING == SETTING and stack.SETTING_ARN.endswith(dhmc.SETTING)  # code and policy agree
    assert pass_role["Action"] == ["iam:PassRole"] and "Condition" in pass_role
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}
    assert template_dict(NAME)["Resources"]["DefaultHostManagementFunctionRole"]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]["Statement"][1]["Resource"] == [{"Fn::GetAtt": ["DefaultHostManagementRole", "Arn"]}]
    assert write_logs["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert write_logs["Resource"] == ["DefaultHostManagementLogGroup.Arn"]


def test_the_function_runs_the_inline_code_and_logs_with_retention():
    found = resources()
    function = found["DefaultHostManagementFunction"]["Properties"]
    assert function["Code"]["ZipFile"] == stack.FUNCTION_CODE.read_text()
    # and the YAML block in output/ reads back as the same text, byte for byte
    deployed, _ = decode_str((OUTPUT / NAME.file).read_text())
    assert (
        deployed["Resources"]["DefaultHostManagementFunction"]["Properties"]["Code"]["ZipFile"]
        == stack.FUNCTION_CODE.read_text()
    )
    assert (function["Handler"], function["Runtime"]) == ("index.handler", "python3.13")
    # The timer answers MARGIN_MS before this time-out.
    assert function["Timeout"] * 1000 > dhmc.MARGIN_MS
    assert function["LoggingConfig"] == {"LogGroup": "DefaultHostManagementLogGroup"}
    assert found["DefaultHostManagementLogGroup"]["Properties"]["RetentionInDays"] == 365
    outputs = template_dict(NAME)["Outputs"]
    assert outputs["DefaultHostManagementSetting"]["Value"] == {"Fn::GetAtt": ["DefaultHostManagement", "SettingValue"]}


def test_no_parameters_deploying_it_is_the_choice():
    assert template_dict(NAME).get("Parameters", {}) == {}


# The StackSet member ------------------------------------------------------------------------


def test_the_stackset_deploys_it_by_default_with_iam_capability():
    member = NAME.member
    assert NAME in stackset.MEMBERS
    assert member.deploy and member.key == "DefaultHostManagement"
    assert template_dict(STACKSET)["Parameters"]["pDeployDefaultHostManagement"]["Default"] == "true"
    on = render(STACKSET, REQUIRED)["Resources"]["DefaultHostManagementStackSet"]["Properties"]
    # Roles without RoleName: CAPABILITY_IAM suffices (CAPABILITY_NAMED_IAM only for custom names).
    assert on["Capabilities"] == ["CAPABILITY_IAM"]
    assert on["TemplateBody"] == (OUTPUT / NAME.file).read_text()
    assert on["StackInstancesGroup"][0]["Regions"] == ["us-east-1", "eu-west-1"]
    off = render(STACKSET, {**REQUIRED, "pDeployDefaultHostManagement": "false"})
    assert "DefaultHostManagementStackSet" not in off["Resources"]
    assert "DefaultHostManagementStackSetId" not in off["Outputs"]


def test_the_stackset_switch_refuses_bad_values():
    bad = ["", "True", "yes", "1", "on"]
    assert check_constraint(STACKSET, "pDeployDefaultHostManagement", ["true", "false"], bad) == len(bad)
