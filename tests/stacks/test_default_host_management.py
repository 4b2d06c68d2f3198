"""The Default Host Management stack (stacks/default_host_management.py) and its custom resource. The function runs twice over: as the
package module and as the inline code of output/ (what is deployed). Systems Manager is the local
AwsApi (moto has no service settings) holding the one setting, reached by botocore with the
function's own retry and time-out settings; CloudFormation's response URL is the local Receiver.
Each case asserts one answer, its status within the time Lambda gave, and the setting after it."""

import ast
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from cfnlint.decode import decode_str
from conftest import check_constraint, render, statements as deployed_statements, template_dict
from custom_resources import (
    OUTPUT,
    SMALL_BUDGET,
    Context,
    Receiver,
    answered,
    budget,
    custom_resource_event,
    loaded,
    only_answer,
    overrun,
    timed,
    timer_after,
)

from patch_templates.lambdas import custom_resource, default_host_management as source
from patch_templates.parts import common, lambda_code
from patch_templates.parts.common import INLINE_CODE_LIMIT, BuildError
from patch_templates.stacks import default_host_management as stack, stackset

NAME = stack.RECORD
STACKSET = stackset.RECORD
SETTING = "/ssm/managed-instance/default-ec2-instance-management-role"
OURS = "service-role/patching-dhmc-DefaultHostManagementRole-1A2B3C4D5E6F"
OURS_NEXT = "service-role/patching-dhmc-DefaultHostManagementRole-9Z8Y7X6W5V4U"
OTHER = "AWSSystemsManagerDefaultEC2InstanceManagementRole"
UNSET = "$None"
CREATED = "DefaultHostManagement:previous=$None"
# The id CloudFormation makes up for a Delete after a Create it cancelled in flight
# (cloudformation-coverage-roadmap#1814).
MADE_UP = "patching-dhmc-DefaultHostManagement-1XJ2Y5QZ8K7W"


@pytest.fixture(params=["source", "inline"])
def dhmc(request, monkeypatch):
    """The function as the package module and as output/'s inline code, on the small time budget."""
    return loaded(request.param, source, NAME.file, "DefaultHostManagementFunction", monkeypatch)


class Setting:
    """The service setting as the local Systems Manager API holds it; `changes` lists every write."""

    def __init__(self, api):
        self.value, self.changes, self.written_at, self.write_s = UNSET, [], [], 0
        api.operations.update(
            GetServiceSetting=self.get, UpdateServiceSetting=self.update, ResetServiceSetting=self.reset
        )

    def get(self, params):
        assert params == {"SettingId": SETTING}
        return {"ServiceSetting": {"SettingId": SETTING, "SettingValue": self.value}}

    def update(self, params):
        assert params["SettingId"] == SETTING
        time.sleep(self.write_s)
        self.changes.append(params["SettingValue"])
        self.value = params["SettingValue"]
        self.written_at.append(time.monotonic())
        return {}

    def reset(self, params):
        assert params == {"SettingId": SETTING}
        self.changes.append(UNSET)
        self.value = UNSET
        return self.get(params)


@pytest.fixture
def setting(aws_api):
    boto3.client("ssm")  # load the service model, which takes longer than the small budget's margins
    return Setting(aws_api)


def event(server, request_type="Create", role=OURS, **extra):
    return custom_resource_event(server, request_type, "DefaultHostManagement", {"RoleValue": role}, **extra)


def operations(api) -> list[str]:
    return [operation for operation, _ in api.calls]


# Create -------------------------------------------------------------------------------------


def test_create_when_unset_sets_our_role(dhmc, server, answers, setting):
    body = answered(dhmc, answers, event(server))
    assert (body["Status"], body["PhysicalResourceId"], body["Data"]) == ("SUCCESS", CREATED, {"SettingValue": OURS})
    assert body["Reason"].startswith(f"Set {OURS}, was $None")
    assert setting.changes == [OURS]


def test_create_when_already_our_role_writes_nothing(dhmc, server, answers, setting, aws_api):
    setting.value = OURS
    body = answered(dhmc, answers, event(server))
    assert (body["Status"], body["Data"]) == ("SUCCESS", {"SettingValue": OURS})
    assert body["Reason"].startswith(f"Already {OURS}")
    assert setting.changes == [] and operations(aws_api) == ["GetServiceSetting"]


def test_create_when_another_role_is_set_leaves_it_and_reports_it(dhmc, server, answers, setting, capsys):
    setting.value = OTHER
    body = answered(dhmc, answers, event(server))
    assert (body["Status"], body["Data"]) == ("SUCCESS", {"SettingValue": OTHER})  # the output says whose
    assert body["Reason"].startswith(f"Left {OTHER}, set by someone else; {OURS} not applied")
    assert f"SUCCESS Left {OTHER}, set by someone else" in capsys.readouterr().out  # the log says it too
    assert setting.changes == []


# Update -------------------------------------------------------------------------------------


def update(server, role=OURS_NEXT, old=OURS, **extra):
    return event(server, "Update", role, PhysicalResourceId=CREATED, OldResourceProperties={"RoleValue": old}, **extra)


def test_update_with_a_new_role_moves_our_setting_to_it_and_keeps_the_physical_id(dhmc, server, answers, setting):
    setting.value = OURS
    body = answered(dhmc, answers, update(server))
    assert (body["Status"], body["Data"]) == ("SUCCESS", {"SettingValue": OURS_NEXT})
    assert body["PhysicalResourceId"] == CREATED  # unchanged: a new id would make CloudFormation delete the old
    assert setting.changes == [OURS_NEXT]


def test_update_of_other_properties_only_writes_nothing(dhmc, server, answers, setting):
    """For example the ServiceTimeout this change adds: the role is the same."""
    setting.value = OURS
    body = answered(dhmc, answers, update(server, role=OURS, old=OURS))
    assert (body["Status"], body["Data"]) == ("SUCCESS", {"SettingValue": OURS})
    assert setting.changes == []


def test_update_leaves_a_role_someone_else_set_meanwhile(dhmc, server, answers, setting):
    setting.value = OTHER
    body = answered(dhmc, answers, update(server))
    assert (body["Status"], body["Data"]) == ("SUCCESS", {"SettingValue": OTHER})
    assert f"Left {OTHER}" in body["Reason"] and setting.changes == []


def test_update_sets_our_role_once_the_other_role_is_gone(dhmc, server, answers, setting):
    body = answered(dhmc, answers, update(server, role=OURS, old=OURS))
    assert (body["Status"], body["Data"]) == ("SUCCESS", {"SettingValue": OURS})
    assert setting.changes == [OURS]


# Delete -------------------------------------------------------------------------------------


@pytest.mark.parametrize("physical_id", [CREATED, MADE_UP])
def test_delete_resets_our_role(dhmc, server, answers, setting, physical_id):
    """What was there before is always unset: Create and Update write only over unset or our role."""
    setting.value = OURS
    body = answered(dhmc, answers, event(server, "Delete", PhysicalResourceId=physical_id))
    assert (body["Status"], body["PhysicalResourceId"], body["Data"]) == (
        "SUCCESS",
        physical_id,
        {"SettingValue": UNSET},
    )
    assert setting.changes == [UNSET]


@pytest.mark.parametrize("physical_id", [CREATED, MADE_UP, "DefaultHostManagement:previous=" + OTHER])
@pytest.mark.parametrize("current", [OTHER, UNSET, OURS_NEXT])
def test_delete_never_writes_a_setting_that_is_not_our_role_nor_the_physical_id(
    dhmc, server, answers, setting, aws_api, current, physical_id
):
    """A Delete after a failed or cancelled Create (a made-up id) included: the id is never a value."""
    setting.value = current
    body = answered(dhmc, answers, event(server, "Delete", PhysicalResourceId=physical_id))
    assert (body["Status"], body["Data"]) == ("SUCCESS", {"SettingValue": current})
    assert body["Reason"].startswith(f"Left {current}: this stack did not set it")
    assert setting.changes == [] and operations(aws_api) == ["GetServiceSetting"]


def test_create_then_delete_leave_the_setting_as_it_was(dhmc, server, answers, setting):
    created = event(server)
    physical_id = answered(dhmc, answers, created)["PhysicalResourceId"]
    answers.clear()
    assert answered(dhmc, answers, event(server, "Delete", PhysicalResourceId=physical_id))["Status"] == "SUCCESS"
    assert setting.changes == [OURS, UNSET] and setting.value == UNSET


# Faults of Systems Manager -------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["ThrottlingException", 500, 503])
def test_a_throttled_or_failing_call_is_retried_by_botocore(dhmc, server, answers, setting, aws_api, fault):
    aws_api.faults = {"GetServiceSetting": [fault], "UpdateServiceSetting": [fault]}
    body = answered(dhmc, answers, event(server))
    assert body["Status"] == "SUCCESS" and setting.changes == [OURS]
    assert operations(aws_api) == ["GetServiceSetting"] * 2 + ["UpdateServiceSetting"] * 2


@pytest.mark.parametrize(
    "fault, error",
    [("ThrottlingException", "ThrottlingException"), (500, "InternalServerError"), ("hang", "ReadTimeoutError")],
)
def test_a_call_failing_every_attempt_answers_failed_and_changes_nothing(
    dhmc, server, answers, setting, aws_api, fault, error
):
    aws_api.faults = {"GetServiceSetting": [fault] * 2}  # both attempts of the small budget
    body = answered(dhmc, answers, event(server))
    assert body["Status"] == "FAILED" and body["PhysicalResourceId"] == CREATED
    assert body["Reason"].startswith(error + ": ")
    assert setting.changes == [] and operations(aws_api) == ["GetServiceSetting"] * 2


def test_access_denied_while_iam_propagates_is_tried_again_until_it_works(dhmc, server, answers, setting, aws_api):
    aws_api.faults = {
        "GetServiceSetting": ["AccessDeniedException"],
        "UpdateServiceSetting": ["AccessDeniedException"] * 3,
    }
    body = answered(dhmc, answers, event(server))
    assert body["Status"] == "SUCCESS" and setting.changes == [OURS]
    assert operations(aws_api) == ["GetServiceSetting"] * 2 + ["UpdateServiceSetting"] * 4


def test_access_denied_to_the_end_answers_it_in_time_and_changes_nothing(dhmc, server, answers, setting, aws_api):
    aws_api.faults = {"UpdateServiceSetting": ["AccessDeniedException"] * 1000}
    # Calls may start for 2 s: room for a loaded machine to reach the first call (0.5 s was not).
    window_s = 2
    remaining_s = SMALL_BUDGET["MARGIN_S"] + SMALL_BUDGET["CALL_S"] + window_s
    body = answered(dhmc, answers, event(server), int(remaining_s * 1000))
    assert body["Status"] == "FAILED" and body["Reason"].startswith("AccessDeniedException: ")
    assert setting.changes == []
    tries = operations(aws_api).count("UpdateServiceSetting")
    assert 1 < tries <= window_s / SMALL_BUDGET["RETRY_S"] + 1, tries  # one every 0.05 s at most


def test_almost_no_time_left_answers_failed_at_once_without_any_call(dhmc, server, answers, setting, aws_api):
    remaining_ms = int((SMALL_BUDGET["MARGIN_S"] + SMALL_BUDGET["CALL_S"] - 0.1) * 1000)
    body = answered(dhmc, answers, event(server), remaining_ms)
    assert body["Status"] == "FAILED" and body["Reason"].startswith("TimeoutError: Too little time left")
    assert aws_api.calls == [] and setting.changes == []


def test_after_the_timer_answered_failed_nothing_is_written(dhmc, server, answers, setting, aws_api, monkeypatch):
    """Work that overran: the timer answers FAILED, and the write the work then tries is refused."""
    overrun(dhmc, "apply", monkeypatch)
    sent = event(server)
    timed(dhmc.handler, sent, timer_after(dhmc, 0.1, monkeypatch))
    body = only_answer(answers, sent)
    assert (body["Status"], body["Reason"].split(" (")[0]) == ("FAILED", "Timed out")
    assert setting.changes == [] and aws_api.calls == []


def test_the_timer_waits_for_a_write_in_flight_then_the_rollback_resets_it(dhmc, server, answers, setting, monkeypatch):
    """A write that straddles the timer: the FAILED answer goes after the write has ended (never a
    write after the answer), and the Delete that rolls the failed Create back resets the setting."""
    setting.write_s = 0.8
    monkeypatch.setattr(budget(dhmc), "CONFIG", Config(read_timeout=2, retries={"total_max_attempts": 1}))
    monkeypatch.setattr(budget(dhmc), "CALL_S", 0)  # let the write start before the timer, however late
    sent = event(server)
    timed(dhmc.handler, sent, timer_after(dhmc, 0.3, monkeypatch))
    body = only_answer(answers, sent)
    assert (body["Status"], body["Reason"].split(" (")[0], body["PhysicalResourceId"]) == (
        "FAILED",
        "Timed out",
        CREATED,
    )
    assert setting.changes == [OURS] and Receiver.tries[0][0] > setting.written_at[0]
    answers.clear()
    assert answered(dhmc, answers, event(server, "Delete", PhysicalResourceId=CREATED))["Status"] == "SUCCESS"
    assert setting.changes == [OURS, UNSET]


# Faults of the response URL -----------------------------------------------------------------


def test_a_response_url_failing_three_times_gets_the_fourth_answer(dhmc, server, answers, setting):
    Receiver.script = [500, 503, 500]
    body = answered(dhmc, answers, event(server))
    assert body["Status"] == "SUCCESS" and setting.changes == [OURS]
    assert [tried for _, _, tried in Receiver.tries] == [body] * 4  # the same answer each time
    assert {content_type for _, content_type, _ in Receiver.tries} == {""}  # as the URL was signed for


@pytest.mark.parametrize("failure", [500, "hang"])
def test_a_response_url_that_never_takes_the_answer_ends_the_handler_in_time(dhmc, server, answers, setting, failure):
    """The answer is lost after 4 bounded tries; CloudFormation fails the Create after ServiceTimeout
    and sends a Delete with an id it makes up, which resets the setting: as it was."""
    Receiver.script = [failure] * 4
    took = timed(dhmc.handler, event(server), Context())
    assert answers == [] and len(Receiver.tries) == 4
    assert took < SMALL_BUDGET["MARGIN_S"] + 2  # 4 tries of at most 0.2 s (a hang lasts 1.5 s) and pauses
    assert setting.changes == [OURS]
    assert answered(dhmc, answers, event(server, "Delete", PhysicalResourceId=MADE_UP))["Status"] == "SUCCESS"
    assert setting.changes == [OURS, UNSET]


def test_the_handler_returns_only_after_the_timers_answer_is_delivered(dhmc, server, answers, setting, monkeypatch):
    """Lambda freezes whatever runs after the handler returns: a timer's PUT in flight would be lost."""
    monkeypatch.setattr(dhmc, "apply", lambda request: time.sleep(0.1))
    Receiver.script = [0.15]  # the response URL takes 0.15 s (within the PUT time-out) for the timer's answer
    sent = event(server)
    timed(dhmc.handler, sent, timer_after(dhmc, 0.05, monkeypatch))
    assert len(answers) == 1  # already there when the handler returned
    assert only_answer(answers, sent)["Status"] == "FAILED" and setting.changes == []


# Requests CloudFormation did not send as they are ---------------------------------------------


def test_a_late_retry_of_an_update_after_its_rollback_changes_nothing_and_answers_nothing(
    dhmc, server, answers, setting, aws_api
):
    """The Update timed out, CloudFormation rolled it back (our old role is set again), and a copy of
    the Update arrives minutes later. Only its age tells it apart: the same request fresh would write."""
    setting.value = OURS
    late = update(server, age_s=custom_resource.MAX_AGE_S + 120)
    timed(dhmc.handler, late, Context())
    time.sleep(0.05)
    assert answers == [] and aws_api.calls == [] and setting.value == OURS
    assert answered(dhmc, answers, update(server))["Status"] == "SUCCESS" and setting.changes == [OURS_NEXT]


@pytest.mark.parametrize(
    "spoil",
    [
        lambda e: e.pop("RequestType"),  # no request type at all
        lambda e: e.update(RequestType="Upgrade"),  # one CloudFormation never sends
        lambda e: e.pop("ResourceProperties"),  # no properties, so no role
        lambda e: e["ResourceProperties"].pop("RoleValue"),
    ],
)
@pytest.mark.parametrize("request_type", ["Create", "Delete"])
def test_a_malformed_event_answers_failed_without_any_call(
    dhmc, server, answers, setting, aws_api, spoil, request_type
):
    setting.value = OURS
    sent = event(server, request_type, PhysicalResourceId=CREATED)
    spoil(sent)
    body = answered(dhmc, answers, sent)
    assert (body["Status"], body["Reason"].split(":")[0]) in {("FAILED", "KeyError"), ("FAILED", "ValueError")}
    assert aws_api.calls == [] and setting.value == OURS


def test_an_event_without_a_response_url_is_ignored(dhmc, server, answers, aws_api):
    sent = event(server)
    del sent["ResponseURL"]
    assert dhmc.handler(sent, Context()) is None
    time.sleep(0.05)
    assert answers == [] and aws_api.calls == []


# The inline code ----------------------------------------------------------------------------


def without_docstrings(source: str) -> list[str]:
    """The module's statements, dumped, without docstrings and without the relative import."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and ast.get_docstring(node) is not None:
            node.body = node.body[1:]
    return [ast.dump(node) for node in tree.body if not (isinstance(node, ast.ImportFrom) and node.level)]


def test_the_inline_code_is_the_tested_source_compacted_within_the_limit(capsys):
    deployed, _ = decode_str((OUTPUT / NAME.file).read_text())
    code = deployed["Resources"]["DefaultHostManagementFunction"]["Properties"]["Code"]["ZipFile"]
    assert code == common.inline_code(stack.FUNCTION_CODE)  # the YAML block reads back byte for byte
    size = len(code.encode())
    assert size <= INLINE_CODE_LIMIT
    # The statements of the two modules in order: what the tests above run as the package module.
    modules = [Path(custom_resource.__file__).read_text(), stack.FUNCTION_CODE.read_text()]
    assert [ast.dump(node) for node in ast.parse(code).body] == [s for m in modules for s in without_docstrings(m)]
    imports = {line.split()[1].split(".")[0] for line in code.splitlines() if line.startswith(("import ", "from "))}
    assert imports == {"json", "threading", "time", "urllib", "boto3", "botocore"}
    with capsys.disabled():
        print(f"\n{stack.FUNCTION_CODE.name}: {size:,} of {INLINE_CODE_LIMIT:,} bytes of inline code")


def test_the_build_goes_through_the_inline_size_check(monkeypatch):
    size = len(common.inline_code(stack.FUNCTION_CODE).encode())
    monkeypatch.setattr(common, "INLINE_CODE_LIMIT", size - 1)
    with pytest.raises(BuildError, match=rf"default_host_management.py is {size} bytes as inline code; inline"):
        stack.build()


def test_the_build_refuses_inline_code_that_is_not_the_same_program(monkeypatch):
    compact = lambda_code.compact
    monkeypatch.setattr(
        lambda_code, "compact", lambda text, name: compact(text, name).replace("MAX_AGE_S=60", "MAX_AGE_S=61")
    )
    with pytest.raises(BuildError, match="inline code of default_host_management.py is not the same program"):
        stack.build()


# The time budget ----------------------------------------------------------------------------


def test_the_budget_arithmetic_of_the_comments_holds():
    cr = custom_resource
    pauses = sum(cr.PAUSE_S * 2**attempt for attempt in range(cr.PUT_ATTEMPTS - 1))
    assert cr.PUT_ATTEMPTS * cr.PUT_TIMEOUT_S + pauses == 15.5 <= cr.MARGIN_S
    attempts = cr.CONFIG.retries["total_max_attempts"]
    backoffs = sum(min(2**attempt, 20) for attempt in range(attempts - 1))  # botocore's standard mode, throttled
    assert attempts * (cr.CONFIG.connect_timeout + cr.CONFIG.read_timeout) + backoffs == 24 <= cr.CALL_S
    assert cr.CONFIG.retries == {"mode": "standard", "total_max_attempts": 3}
    small, config = SMALL_BUDGET, SMALL_BUDGET["CONFIG"]
    assert 4 * small["PUT_TIMEOUT_S"] + 7 * small["PAUSE_S"] <= small["MARGIN_S"]
    assert 2 * (config.connect_timeout + config.read_timeout) + 1 <= small["CALL_S"]


# The template -------------------------------------------------------------------------------


def resources(params=None, region="eu-west-1") -> dict:
    return render(NAME, params or {}, region=region)["Resources"]


def test_lambda_retries_nothing_and_cloudformation_waits_minutes_not_an_hour():
    found = template_dict(NAME)["Resources"]
    function = found["DefaultHostManagementFunction"]["Properties"]
    config = found["DefaultHostManagementFunctionEventInvokeConfig"]
    assert config["Properties"] == {
        "FunctionName": {"Ref": "DefaultHostManagementFunction"},
        "Qualifier": "$LATEST",
        "MaximumRetryAttempts": 0,
        "MaximumEventAgeInSeconds": custom_resource.MAX_AGE_S,
    }
    resource = found["DefaultHostManagement"]
    assert resource["DependsOn"] == ["DefaultHostManagementFunctionEventInvokeConfig"]  # invoked once it applies
    timeout = resource["Properties"]["ServiceTimeout"]
    assert timeout == custom_resource.MAX_AGE_S + function["Timeout"] + 60 == 240
    # A read and a write, each of the longest, fit before the timer, the timer's answer before the end.
    assert function["Timeout"] >= custom_resource.MARGIN_S + 2 * custom_resource.CALL_S + custom_resource.RETRY_S


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
    assert source.SETTING == SETTING and stack.SETTING_ARN.endswith(source.SETTING)  # code and policy agree
    assert pass_role["Action"] == ["iam:PassRole"]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}
    assert template_dict(NAME)["Resources"]["DefaultHostManagementFunctionRole"]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]["Statement"][1]["Resource"] == [{"Fn::GetAtt": ["DefaultHostManagementRole", "Arn"]}]
    assert write_logs["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert write_logs["Resource"] == ["DefaultHostManagementLogGroup.Arn"]


def test_the_function_runs_the_inline_code_and_logs_with_retention():
    found = resources()
    function = found["DefaultHostManagementFunction"]["Properties"]
    assert function["Code"]["ZipFile"] == common.inline_code(stack.FUNCTION_CODE)
    assert (function["Handler"], function["Runtime"]) == ("index.handler", "python3.13")
    assert function["LoggingConfig"] == {"LogGroup": "DefaultHostManagementLogGroup"}
    assert found["DefaultHostManagementLogGroup"]["Properties"]["RetentionInDays"] == 365
    outputs = template_dict(NAME)["Outputs"]
    assert outputs["DefaultHostManagementSetting"]["Value"] == {"Fn::GetAtt": ["DefaultHostManagement", "SettingValue"]}


def test_the_checkov_reasons_say_how_cloudformation_invokes_it():
    skips = template_dict(NAME)["Resources"]["DefaultHostManagementFunction"]["Metadata"]["checkov"]["skip"]
    reason = {skip["id"]: skip["comment"] for skip in skips}["CKV_AWS_116"]
    assert "asynchronously" in reason and "synchronously by" not in reason and "retries none" in reason


KEY = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_the_log_group_is_encrypted_with_the_given_key_in_the_stacks_region(region):
    group = resources({"pLogsKMSKeyArn": KEY}, region)["DefaultHostManagementLogGroup"]
    assert group["Properties"]["KmsKeyId"] == KEY.replace("us-east-1", region)  # the multi-Region key's replica
    assert "KmsKeyId" not in resources({}, region)["DefaultHostManagementLogGroup"]["Properties"]
    reason = group["Metadata"]["checkov"]["skip"][0]
    assert reason["id"] == "CKV_AWS_158" and "pLogsKMSKeyArn" in reason["comment"]


def test_the_key_parameter_takes_none_or_a_key_arn_and_says_what_the_key_policy_needs():
    definition = template_dict(NAME)["Parameters"]["pLogsKMSKeyArn"]
    assert definition["Default"] == "none"
    assert "logs.REGION.amazonaws.com" in definition["Description"]
    assert "kms:EncryptionContext:aws:logs:arn" in definition["Description"]
    # '' too, standalone (its spelling of no key before none); the shared member's copy takes none only.
    good = ["none", "", KEY, "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
    bad = ["None", "alias/logs", "arn:aws:kms:eu-west-1:111122223333:alias/logs", KEY + " "]
    assert check_constraint(NAME, "pLogsKMSKeyArn", good, bad) == len(bad)
