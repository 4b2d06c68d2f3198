"""The StackSet members of issue 9: `<os>_patch_baseline.yml` (one per OS) and `patch_operations.yml`
(one set of operations per account-Region), built from the same pieces as the standalone files."""

import copy

import pytest
from cloud_radar.cf.unit import Template as RadarTemplate
from conftest import check_constraint, rules_refusing, statements, template_dict

from patch_templates.parts import alerts, baselines
from patch_templates.stacks import patch_baseline, patch_operations, patching

OPERATIONS = patch_operations.FILE
BUS = "arn:aws:events:us-east-1:111122223333:event-bus/patch-alerts"
ACCOUNT, REGION = "444455556666", "eu-west-1"  # a member account, not cloud-radar's default


def operations(params: dict | None = None) -> dict:
    """patch_operations.yml as deployed in ACCOUNT and REGION with these values."""
    radar = RadarTemplate(copy.deepcopy(template_dict(OPERATIONS)))
    radar.AccountId = ACCOUNT
    return radar.render({"pCentralEventBusArn": BUS, **(params or {})}, region=REGION)["Resources"]


def task(params: dict | None = None) -> dict:
    return operations(params)["MaintenanceWindowTask"]["Properties"]


def granted(params: dict, action: str) -> list:
    policy = operations(params)["MaintenanceWindowRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    return [s for s in statements(policy) if action in s["Action"]]


# --- baselines ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("os_key", baselines.OPERATING_SYSTEMS)
def test_baseline_member_is_the_standalone_baseline_only(os_key):
    member, standalone = template_dict(patch_baseline.file_name(os_key)), template_dict(patching.file_name(os_key))
    assert list(member["Resources"]) == ["PatchBaseline"]
    assert member["Resources"]["PatchBaseline"] == standalone["Resources"]["PatchBaseline"]
    # Its parameters are the standalone's baseline parameters, defined the same.
    assert member["Parameters"] == {name: standalone["Parameters"][name] for name in member["Parameters"]}
    assert {"pPatchGroups", "pProduct", "pComplianceLevel"} <= set(member["Parameters"])


# --- operations: one set, no e-mail -----------------------------------------------------------------------


def test_operations_member_has_one_window_task_scan_inventory_and_no_email():
    resources = operations()
    types = sorted(r["Type"] for r in resources.values() if not r["Type"].startswith("AWS::Events"))
    assert types == [
        "AWS::IAM::Role",
        "AWS::IAM::Role",
        "AWS::SSM::Association",
        "AWS::SSM::Association",
        "AWS::SSM::MaintenanceWindow",
        "AWS::SSM::MaintenanceWindowTarget",
        "AWS::SSM::MaintenanceWindowTask",
    ]
    assert not [r for r in resources.values() if r["Type"].startswith("AWS::SNS::")]
    command = task()["TaskInvocationParameters"]["MaintenanceWindowRunCommandParameters"]
    assert "NotificationConfig" not in command and "ServiceRoleArn" not in command
    assert command["Parameters"] == {"Operation": ["Install"], "RebootOption": ["RebootIfNeeded"]}
    # Names without an operating system, from the organization (not the stack name).
    assert resources["MaintenanceWindow"]["Properties"]["Name"] == "Enquizit-OSMaintenanceWindow"
    assert resources["PatchScanAssociation"]["Properties"]["AssociationName"] == "Enquizit-patch-scan"
    assert resources["InventoryAssociation"]["Properties"]["AssociationName"] == "Enquizit-inventory"


def test_operations_member_forwards_every_alert_kind_to_the_central_bus():
    resources = operations()
    rules = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::Events::Rule"}
    assert set(rules) == {f"Forward{kind.title}Rule" for kind in alerts.EVENT_KINDS}
    for rule in rules.values():
        (target,) = rule["Targets"]
        assert target["Arn"] == BUS and target["RoleArn"] == "AlertForwardingRole.Arn"


# --- names, not ARNs of one account ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "task_type, name, expected",
    [
        ("RUN_COMMAND", "AWS-RunPatchBaselineWithHooks", "AWS-RunPatchBaselineWithHooks"),
        ("AUTOMATION", "MyRunbook", "MyRunbook"),
        ("LAMBDA", "patch-hook", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:patch-hook"),
        ("STEP_FUNCTIONS", "patch-flow", f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:patch-flow"),
    ],
)
def test_task_arn_is_built_in_each_account_and_region(task_type, name, expected):
    assert task({"pTaskType": task_type, "pTaskName": name})["TaskArn"] == expected


def test_the_task_takes_max_concurrency_and_max_errors_each_in_its_place():
    """Their defaults are equal (1), so only different values show a swap."""
    properties = task({"pMaxConcurrency": "25%", "pMaxErrors": "3"})
    assert (properties["MaxConcurrency"], properties["MaxErrors"]) == ("25%", "3")


def test_window_role_scopes_to_the_function_and_state_machine_of_this_account():
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:patch-hook"
    (invoke,) = granted({"pTaskType": "LAMBDA", "pTaskName": "patch-hook"}, "lambda:InvokeFunction")
    assert invoke["Resource"] == [function, function + ":*"]
    (start,) = granted({"pTaskType": "STEP_FUNCTIONS", "pTaskName": "patch-flow"}, "states:StartExecution")
    assert start["Resource"] == [f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:patch-flow"]
    assert granted({}, "iam:PassRole") == []  # no notification role to pass: alerts go through EventBridge


def test_automation_role_is_a_name_made_an_arn_in_each_account():
    params = {"pTaskType": "AUTOMATION", "pTaskName": "MyRunbook", "pAutomationAssumeRoleName": "patch-runbook"}
    role = f"arn:aws:iam::{ACCOUNT}:role/patch-runbook"
    automation = task(params)["TaskInvocationParameters"]["MaintenanceWindowAutomationParameters"]
    assert automation["Parameters"] == {"InstanceId": ["{{RESOURCE_ID}}"], "AutomationAssumeRole": [role]}
    (passed,) = granted(params, "iam:PassRole")
    assert passed["Resource"] == [role]
    assert passed["Condition"] == {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}
    without = task({"pTaskType": "AUTOMATION", "pTaskName": "MyRunbook"})
    assert without["TaskInvocationParameters"]["MaintenanceWindowAutomationParameters"]["Parameters"] == {
        "InstanceId": ["{{RESOURCE_ID}}"]
    }
    assert granted({"pTaskType": "AUTOMATION", "pTaskName": "MyRunbook"}, "iam:PassRole") == []


# --- the sentinel none ----------------------------------------------------------------------------------


def test_optional_values_are_none_not_empty():
    parameters = template_dict(OPERATIONS)["Parameters"]
    assert parameters["pAutomationAssumeRoleName"]["Default"] == parameters["pOutputS3BucketName"]["Default"] == "none"
    resources = operations()
    command = task()["TaskInvocationParameters"]["MaintenanceWindowRunCommandParameters"]
    assert "OutputS3BucketName" not in command
    assert "OutputLocation" not in resources["PatchScanAssociation"]["Properties"]
    with_bucket = operations({"pOutputS3BucketName": "patch-logs", "pOutputS3KeyPrefix": "ops"})
    assert with_bucket["InventoryAssociation"]["Properties"]["OutputLocation"] == {
        "S3Location": {"OutputS3BucketName": "patch-logs", "OutputS3KeyPrefix": "ops"}
    }


@pytest.mark.parametrize(
    "params, failed",
    [
        ({}, []),
        ({"pTaskName": "AWS-RunShellScript"}, ["RunCommandRunsPatchDocument"]),
        ({"pTaskType": "LAMBDA", "pTaskName": "AWS-RunPatchBaseline"}, ["OtherTaskTypesNotOnPatchDocument"]),
        ({"pTaskType": "AUTOMATION", "pTaskName": "MyRunbook", "pAutomationAssumeRoleName": "r"}, []),
        ({"pAutomationAssumeRoleName": "patch-runbook"}, ["AutomationRoleOnlyForAutomation"]),
        ({"pAutomationAssumeRoleName": "none"}, []),
        ({"pDuration": "3", "pCutoff": "3"}, ["CutoffBeforeEnd"]),
    ],
)
def test_operations_rules(params, failed):
    assert rules_refusing(OPERATIONS, {"pCentralEventBusArn": BUS, **params}) == failed


@pytest.mark.parametrize(
    "key, resource_type", [("resource-groups:Name", "RESOURCE_GROUP"), ("tag:PatchGroup", "INSTANCE")]
)
def test_resource_group_targets(key, resource_type):
    target = operations({"pTargetsKey": key})["MaintenanceWindowTarget"]["Properties"]
    assert target["ResourceType"] == resource_type and target["Targets"][0]["Key"] == key


# --- bad values of the new member parameters --------------------------------------------------------------

NEW_PARAMETERS = {
    "pTaskName": (
        ["AWS-RunPatchBaseline", "patch-hook", "my_state.machine"],
        [
            "",
            "ab",
            "arn:aws:lambda:us-east-1:111122223333:function:f",
            "arn:aws:states:us-east-1:111122223333:stateMachine:patch",
            "has space",
            "a/b",
            "x" * 129,
            "name:1",
        ],
    ),
    "pAutomationAssumeRoleName": (
        ["none", "patch-runbook", "a+b=c,d.e@f_g-h", "r" * 64],
        ["", "arn:aws:iam::111122223333:role/patch", "role/patch", "r" * 65, "has space", "x;y", "role/patch-runbook"],
    ),
    "pOutputS3BucketName": (["none", "patch-logs"], ["", "NONE", "Patch_Logs", "a", "patch..logs", "none "]),
}


def test_new_member_parameters_refuse_bad_values():
    tried = sum(check_constraint(OPERATIONS, name, good, bad) for name, (good, bad) in NEW_PARAMETERS.items())
    assert tried == sum(len(bad) for _, bad in NEW_PARAMETERS.values())


def test_operations_parameters_shared_with_the_standalone_are_defined_the_same():
    """What the member and the standalone both ask means the same (they are built from one piece)."""
    member, standalone = (
        template_dict(OPERATIONS)["Parameters"],
        template_dict(patching.file_name("windows"))["Parameters"],
    )
    differ = {name for name in set(member) & set(standalone) if member[name] != standalone[name]}
    assert differ == {"pMaintenanceWindowName", "pTaskType", "pOutputS3BucketName"}  # descriptions, sentinel
    assert member["pTaskType"]["AllowedValues"] == standalone["pTaskType"]["AllowedValues"]
    assert set(member) - set(standalone) == {"pTaskName", "pAutomationAssumeRoleName", "pCentralEventBusArn"}
    assert set(standalone) - set(member) >= {"pTaskArn", "pAutomationAssumeRoleArn", "pNotificationEmailAddress"}
