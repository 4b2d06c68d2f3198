"""The patch operations (parts/operations.py), through the standalone template of Windows (STANDALONE
variant; tests/stacks/test_patching_member.py has the MEMBER one): window and target, the task of
each type, the e-mail topic, the least privilege of the window role, the scan and inventory
associations and the Rules."""

import base64
import json

import pytest
from conftest import render, rules_refusing, statements, template_dict

from patch_templates.stacks import patching

WINDOWS = patching.RECORDS["windows"]
ALL = list(patching.RECORDS.values())
EMAIL = {"pNotificationEmailAddress": "ops@example.com"}


def resources(rendered: dict, type_: str) -> dict:
    return {name: r["Properties"] for name, r in rendered["Resources"].items() if r["Type"] == type_}


def window_statements(params: dict, record=WINDOWS) -> list[dict]:
    role = render(record, {**EMAIL, **params})["Resources"]["MaintenanceWindowRole"]["Properties"]
    return statements(role["Policies"][0]["PolicyDocument"])


# --- maintenance window, target, task -------------------------------------------------------------------


def test_window_and_target_take_the_design_parameters():
    rendered = render(WINDOWS, {**EMAIL, "pTargetsValue": "Production,Web"})["Resources"]
    window = rendered["MaintenanceWindow"]["Properties"]
    assert (window["Schedule"], window["ScheduleTimezone"], window["Duration"], window["Cutoff"]) == (
        "cron(0 4 ? * * *)",
        "US/Eastern",
        2,
        1,
    )
    assert window["AllowUnassociatedTargets"] == "false"
    target = rendered["MaintenanceWindowTarget"]["Properties"]
    assert target["Targets"] == [{"Key": "tag:Patch Group", "Values": ["Production", "Web"]}]
    assert target["OwnerInformation"] == "SSM Patch manager"
    task = rendered["MaintenanceWindowTask"]["Properties"]
    assert task["Targets"] == [{"Key": "WindowTargetIds", "Values": ["MaintenanceWindowTarget"]}]
    assert (task["MaxConcurrency"], task["MaxErrors"], task["Priority"]) == ("1", "1", 0)


def test_the_task_takes_max_concurrency_and_max_errors_each_in_its_place():
    """Their defaults are equal (1), so only different values show a swap."""
    task = render(WINDOWS, {**EMAIL, "pMaxConcurrency": "25%", "pMaxErrors": "3"})["Resources"]["MaintenanceWindowTask"]
    assert (task["Properties"]["MaxConcurrency"], task["Properties"]["MaxErrors"]) == ("25%", "3")


def invocation(params: dict) -> dict:
    task = render(WINDOWS, {**EMAIL, **params})["Resources"]["MaintenanceWindowTask"]["Properties"]
    assert task["TaskType"] == params.get("pTaskType", "RUN_COMMAND")
    return task["TaskInvocationParameters"]


def test_run_command_task_installs_with_reboot_option_and_notifies():
    parameters = invocation({"pRebootOption": "NoReboot"})
    assert list(parameters) == ["MaintenanceWindowRunCommandParameters"]
    command = parameters["MaintenanceWindowRunCommandParameters"]
    assert command["Parameters"] == {"Operation": ["Install"], "RebootOption": ["NoReboot"]}
    assert command["NotificationConfig"]["NotificationArn"] == "NotificationTopic"
    assert set(command["NotificationConfig"]["NotificationEvents"]) == {"Success", "Failed", "TimedOut", "Cancelled"}
    assert command["ServiceRoleArn"] == "NotificationRole.Arn"
    assert "OutputS3BucketName" not in command


def test_automation_task_passes_the_target_and_optional_role():
    parameters = invocation({"pTaskType": "AUTOMATION", "pTaskArn": "AWS-PatchInstanceWithRollback"})
    assert list(parameters) == ["MaintenanceWindowAutomationParameters"]
    assert parameters["MaintenanceWindowAutomationParameters"]["Parameters"] == {"InstanceId": ["{{RESOURCE_ID}}"]}
    role = "arn:aws:iam::111122223333:role/patching-automation"
    with_role = invocation({"pTaskType": "AUTOMATION", "pTaskArn": "MyRunbook", "pAutomationAssumeRoleArn": role})
    assert with_role["MaintenanceWindowAutomationParameters"]["Parameters"]["AutomationAssumeRole"] == [role]


def test_lambda_task_sends_the_target_as_base64_payload():
    parameters = invocation({"pTaskType": "LAMBDA", "pTaskArn": "patch-hook"})
    assert list(parameters) == ["MaintenanceWindowLambdaParameters"]
    payload = parameters["MaintenanceWindowLambdaParameters"]["Payload"]
    assert json.loads(base64.b64decode(payload)) == {"InstanceId": "{{RESOURCE_ID}}"}


def test_step_functions_task_sends_the_target_as_input():
    arn = "arn:aws:states:us-east-1:111122223333:stateMachine:patch"
    parameters = invocation({"pTaskType": "STEP_FUNCTIONS", "pTaskArn": arn})
    assert list(parameters) == ["MaintenanceWindowStepFunctionsParameters"]
    assert json.loads(parameters["MaintenanceWindowStepFunctionsParameters"]["Input"]) == {
        "InstanceId": "{{RESOURCE_ID}}"
    }


def task_arn(params: dict) -> str:
    return render(WINDOWS, {**EMAIL, **params})["Resources"]["MaintenanceWindowTask"]["Properties"]["TaskArn"]


def test_step_functions_given_a_name_receives_the_state_machine_arn():
    """STEP_FUNCTIONS takes the state machine ARN only; a name is made an ARN in this account and Region."""
    assert (
        task_arn({"pTaskType": "STEP_FUNCTIONS", "pTaskArn": "patch-flow"})
        == "arn:aws:states:us-east-1:555555555555:stateMachine:patch-flow"
    )
    arn = "arn:aws:states:eu-west-1:111122223333:stateMachine:other"
    assert task_arn({"pTaskType": "STEP_FUNCTIONS", "pTaskArn": arn}) == arn
    # Other task types take what they are given (names are valid TaskArn values for them).
    assert task_arn({"pTaskType": "LAMBDA", "pTaskArn": "patch-hook"}) == "patch-hook"
    assert task_arn({"pTaskType": "AUTOMATION", "pTaskArn": "MyRunbook"}) == "MyRunbook"
    assert task_arn({}) == "AWS-RunPatchBaseline"


@pytest.mark.parametrize(
    "key, resource_type",
    [("resource-groups:Name", "RESOURCE_GROUP"), ("tag:Patch Group", "INSTANCE"), ("InstanceIds", "INSTANCE")],
)
def test_resource_group_targets_are_resource_group_targets(key, resource_type):
    target = render(WINDOWS, {**EMAIL, "pTargetsKey": key, "pTargetsValue": "patch-fleet"})["Resources"][
        "MaintenanceWindowTarget"
    ]["Properties"]
    assert (target["ResourceType"], target["Targets"]) == (resource_type, [{"Key": key, "Values": ["patch-fleet"]}])


def test_command_output_goes_to_the_bucket_when_given():
    rendered = render(WINDOWS, {**EMAIL, "pOutputS3BucketName": "patch-logs", "pOutputS3KeyPrefix": "win"})
    command = rendered["Resources"]["MaintenanceWindowTask"]["Properties"]["TaskInvocationParameters"][
        "MaintenanceWindowRunCommandParameters"
    ]
    assert (command["OutputS3BucketName"], command["OutputS3KeyPrefix"]) == ("patch-logs", "win")
    for association in resources(rendered, "AWS::SSM::Association").values():
        assert association["OutputLocation"]["S3Location"] == {
            "OutputS3BucketName": "patch-logs",
            "OutputS3KeyPrefix": "win",
        }


# --- alerts and least privilege -------------------------------------------------------------------------


def test_topic_is_encrypted_and_mails_the_address():
    rendered = render(WINDOWS, EMAIL)["Resources"]
    assert rendered["NotificationTopic"]["Properties"]["KmsMasterKeyId"] == "alias/aws/sns"
    subscription = rendered["NotificationEmailSubscription"]["Properties"]
    assert subscription == {"TopicArn": "NotificationTopic", "Protocol": "email", "Endpoint": "ops@example.com"}


def assumed_by_ssm_only(role: dict) -> bool:
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    return statement == {
        "Effect": "Allow",
        "Principal": {"Service": ["ssm.amazonaws.com"]},
        "Action": ["sts:AssumeRole"],
    }


def test_notification_role_may_only_publish_to_the_topic():
    role = template_dict(WINDOWS)["Resources"]["NotificationRole"]["Properties"]
    assert assumed_by_ssm_only(role)
    (policy,) = role["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Action": ["sns:Publish"], "Resource": [{"Ref": "NotificationTopic"}]}
    ]
    assert "ManagedPolicyArns" not in role


READ_ONLY = {
    "ec2:DescribeInstanceStatus",
    "tag:GetResources",
    "resource-groups:ListGroups",
    "ssm:ListCommands",
    "ssm:ListCommandInvocations",
    "ssm:GetCommandInvocation",
    "ssm:CancelCommand",
}


@pytest.mark.parametrize(
    "params, actions",
    [
        ({}, {"ssm:SendCommand", "iam:PassRole"}),
        (
            {"pTaskType": "AUTOMATION", "pTaskArn": "MyRunbook"},
            {"ssm:StartAutomationExecution", "ssm:GetAutomationExecution"},
        ),
        ({"pTaskType": "LAMBDA", "pTaskArn": "patch-hook"}, {"lambda:InvokeFunction"}),
        ({"pTaskType": "STEP_FUNCTIONS", "pTaskArn": "patch"}, {"states:StartExecution", "states:DescribeExecution"}),
    ],
)
def test_window_role_gets_only_what_its_task_type_needs(params, actions):
    assert assumed_by_ssm_only(template_dict(WINDOWS)["Resources"]["MaintenanceWindowRole"]["Properties"])
    granted = window_statements(params)
    wildcard = [s for s in granted if "*" in s["Resource"]]
    assert len(wildcard) == 1 and set(wildcard[0]["Action"]) == READ_ONLY  # only reads without resource scope
    # For every task type: the members of this account's resource groups (no ssm:GetParameters).
    assert {a for s in granted for a in s["Action"]} - READ_ONLY == actions | {"resource-groups:ListGroupResources"}
    (groups,) = [s["Resource"] for s in granted if "resource-groups:ListGroupResources" in s["Action"]]
    assert groups == ["arn:aws:resource-groups:us-east-1:555555555555:group/*"]


def test_window_role_scopes_each_task_to_its_resource():
    def resource_of(params, action):
        return [s["Resource"] for s in window_statements(params) if action in s["Action"]]

    assert resource_of({}, "ssm:SendCommand") == [
        [
            "arn:aws:ssm:us-east-1::document/AWS-RunPatchBaseline",
            "arn:aws:ec2:us-east-1:555555555555:instance/*",
            "arn:aws:ssm:us-east-1:555555555555:managed-instance/*",
        ]
    ]
    assert resource_of({}, "iam:PassRole") == [["NotificationRole.Arn"]]
    function = "arn:aws:lambda:eu-west-1:111122223333:function:patch-hook"
    assert resource_of({"pTaskType": "LAMBDA", "pTaskArn": function}, "lambda:InvokeFunction") == [
        [function, function + ":*"]
    ]
    assert resource_of({"pTaskType": "STEP_FUNCTIONS", "pTaskArn": "patch"}, "states:StartExecution") == [
        ["arn:aws:states:us-east-1:555555555555:stateMachine:patch"]
    ]
    role = "arn:aws:iam::111122223333:role/runbook"
    passed = resource_of(
        {"pTaskType": "AUTOMATION", "pTaskArn": "MyRunbook", "pAutomationAssumeRoleArn": role}, "iam:PassRole"
    )
    assert passed == [[role]]


# --- scan and inventory associations --------------------------------------------------------------------


@pytest.mark.parametrize("record", ALL)
def test_scan_and_inventory_associations_target_the_window_targets(record):
    rendered = render(record, {**EMAIL, "pTargetsValue": "Production"})["Resources"]
    scan, inventory = rendered["PatchScanAssociation"]["Properties"], rendered["InventoryAssociation"]["Properties"]
    assert (scan["Name"], scan["Parameters"], scan["ScheduleExpression"]) == (
        "AWS-RunPatchBaseline",
        {"Operation": ["Scan"]},
        "rate(1 day)",
    )
    assert (inventory["Name"], inventory["ScheduleExpression"]) == ("AWS-GatherSoftwareInventory", "rate(12 hours)")
    target = rendered["MaintenanceWindowTarget"]["Properties"]["Targets"]
    assert scan["Targets"] == inventory["Targets"] == target


@pytest.mark.parametrize(
    "switch, logical_id", [("pEnablePatchScan", "PatchScanAssociation"), ("pEnableInventory", "InventoryAssociation")]
)
def test_each_association_has_its_switch(switch, logical_id):
    assert template_dict(WINDOWS)["Parameters"][switch]["Default"] == "true"
    assert logical_id in render(WINDOWS, {**EMAIL, switch: "true"})["Resources"]
    off = render(WINDOWS, {**EMAIL, switch: "false"})["Resources"]
    assert logical_id not in off and "MaintenanceWindowTask" in off


# --- Rules ----------------------------------------------------------------------------------------------


def test_defaults_satisfy_every_rule():
    for record in ALL:
        assert rules_refusing(record, EMAIL) == []


def test_cutoff_must_be_less_than_duration():
    """Every duration (1-24) with every cutoff (0-23) the parameter constraints let through."""
    for duration in range(1, 25):
        for cutoff in range(24):
            failed = rules_refusing(WINDOWS, {"pDuration": str(duration), "pCutoff": str(cutoff)})
            assert failed == ([] if cutoff < duration else ["CutoffBeforeEnd"]), (duration, cutoff)


@pytest.mark.parametrize(
    "params, failed",
    [
        ({"pTaskType": "RUN_COMMAND", "pTaskArn": "AWS-RunPatchBaselineWithHooks"}, []),
        ({"pTaskType": "RUN_COMMAND", "pTaskArn": "AWS-RunShellScript"}, ["RunCommandRunsPatchDocument"]),
        ({"pTaskType": "LAMBDA", "pTaskArn": "AWS-RunPatchBaseline"}, ["OtherTaskTypesNotOnPatchDocument"]),
        ({"pTaskType": "STEP_FUNCTIONS", "pTaskArn": "AWS-RunPatchBaseline"}, ["OtherTaskTypesNotOnPatchDocument"]),
        (
            {"pTaskType": "AUTOMATION", "pTaskArn": "AWS-RunPatchBaselineWithHooks"},
            ["OtherTaskTypesNotOnPatchDocument"],
        ),
        ({"pTaskType": "LAMBDA", "pTaskArn": "arn:aws:lambda:us-east-1:111122223333:function:patch"}, []),
        (
            {
                "pTaskType": "AUTOMATION",
                "pTaskArn": "MyRunbook",
                "pAutomationAssumeRoleArn": "arn:aws:iam::111122223333:role/r",
            },
            [],
        ),
        ({"pAutomationAssumeRoleArn": "arn:aws:iam::111122223333:role/r"}, ["AutomationRoleOnlyForAutomation"]),
    ],
)
def test_task_rules(params, failed):
    assert rules_refusing(WINDOWS, params) == failed
