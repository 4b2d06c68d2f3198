"""The StackSet's patching member (stacks/patching_member.py): every OS's baseline and one set of
operations per account-Region, built from the same pieces as the standalone files; and the standalone
files' interface, unchanged."""

import copy
import hashlib
import json
import re
from pathlib import Path

import pytest
from cfnlint.decode import decode_str
from cloud_radar.cf.unit import Template as RadarTemplate
from conftest import OUTPUT, check_constraint, rules_refusing, statements, template_dict

from patch_templates.parts import alerts, baselines
from patch_templates.stacks import default_host_management, patching, patching_member, resource_data_sync

OPERATIONS = patching_member.RECORD
# The standalone files' parameters on main before the two members (the sync and DHMC after "no key"
# became none, which they still take with their old spelling ''): their defaults, and a hash of
# every definition (constraints, descriptions, labels' parameters).
BEFORE = json.loads((Path(__file__).resolve().parents[1] / "data" / "standalone_parameters.json").read_text())
BUS = "arn:aws:events:us-east-1:111122223333:event-bus/patch-alerts"
ACCOUNT, REGION = "444455556666", "eu-west-1"  # a member account, not cloud-radar's default


def operations(params: dict | None = None) -> dict:
    """The operations member as deployed in ACCOUNT and REGION with these values."""
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
def test_each_baseline_is_the_standalone_baseline_behind_its_switch(os_key):
    """The same resource, with the OS's own parameters named p<Os><Name>, switched by pDeploy<Os>."""
    member, standalone = template_dict(OPERATIONS), template_dict(patching.RECORDS[os_key])
    key = patching_member.key(os_key)
    baseline = dict(member["Resources"][f"{key}PatchBaseline"])
    assert baseline.pop("Condition") == f"Deploy{key}"
    assert member["Conditions"][f"Deploy{key}"] == {"Fn::Equals": [{"Ref": f"pDeploy{key}"}, "true"]}
    unnamed = json.loads(re.sub(rf'"(p|Has){key}', r'"\1', json.dumps(baseline)))
    assert unnamed == standalone["Resources"]["PatchBaseline"]
    for name in baselines.PER_OS_PARAMETERS:
        own = member["Parameters"].get(f"p{key}{name[1:]}")
        assert own is None or dict(own, Default=None) == dict(standalone["Parameters"][name], Default=None)


def test_baseline_defaults_every_os_default_and_windows_as_the_predefined_baseline():
    """The StackSet's defaults; the standalone files keep the original design's (test below)."""
    member, standalone = (
        template_dict(OPERATIONS)["Parameters"],
        template_dict(patching.RECORDS["windows"])["Parameters"],
    )
    mine = {name: member[name]["Default"] for name in ("pWindowsProduct", "pWindowsClassification", "pWindowsSeverity")}
    assert mine == {
        "pWindowsProduct": "*",
        "pWindowsClassification": "CriticalUpdates,SecurityUpdates",
        "pWindowsSeverity": "Critical,Important",
    }
    assert [standalone[n]["Default"] for n in ("pProduct", "pClassification", "pSeverity")] == [
        "WindowsServer2019",
        "CriticalUpdates",
        "Critical",
    ]
    assert member["pAvailableSecurityUpdatesComplianceStatus"]["Default"] == "NON_COMPLIANT"
    assert member["pDefaultBaseline"]["Default"] == "true" and standalone["pDefaultBaseline"]["Default"] == "false"
    resources = operations({"pDeployUbuntu": "true"})
    windows, ubuntu = resources["WindowsPatchBaseline"]["Properties"], resources["UbuntuPatchBaseline"]["Properties"]
    assert windows["DefaultBaseline"] is True and ubuntu["DefaultBaseline"] is True
    assert windows["AvailableSecurityUpdatesComplianceStatus"] == "NON_COMPLIANT"
    # cloud-radar leaves "" for the security rule left out (pSecurityApproveAfterDays none).
    (rule,) = (rule for rule in windows["ApprovalRules"]["PatchRules"] if rule)
    assert {f["Key"]: f["Values"] for f in rule["PatchFilterGroup"]["PatchFilters"]} == {
        "PRODUCT": ["*"],
        "CLASSIFICATION": ["CriticalUpdates", "SecurityUpdates"],
        "MSRC_SEVERITY": ["Critical", "Important"],
    }
    # none leaves the AWS default (the property is left out), COMPLIANT is passed as given.
    for value, expected in (("none", None), ("COMPLIANT", "COMPLIANT")):
        baseline = operations({"pAvailableSecurityUpdatesComplianceStatus": value})["WindowsPatchBaseline"]
        assert baseline["Properties"].get("AvailableSecurityUpdatesComplianceStatus") == expected
    assert "WindowsPatchBaseline" not in operations({"pDeployWindows": "false"})


@pytest.mark.parametrize(
    "record", [*patching.RECORDS.values(), resource_data_sync.RECORD, default_host_management.RECORD]
)
def test_standalone_files_keep_their_parameters_and_defaults(record):
    """Unchanged by the StackSet's new members and defaults: compared with main's output before them."""
    parameters = decode_str((OUTPUT / record.file).read_text())[0].get("Parameters", {})
    assert {name: p.get("Default") for name, p in parameters.items()} == BEFORE[record.file]["defaults"]
    assert hashlib.sha256(json.dumps(parameters, sort_keys=True).encode()).hexdigest() == BEFORE[record.file]["sha256"]
    assert len(BEFORE) == len(patching.RECORDS) + 2


# --- operations: one set, no e-mail -----------------------------------------------------------------------


def test_operations_member_has_one_window_task_scan_inventory_and_no_email():
    resources = operations()
    types = sorted(r["Type"] for r in resources.values() if not r["Type"].startswith("AWS::Events"))
    assert types == [
        "AWS::CloudWatch::Alarm",  # the forwarding dead-letter queue's (tests/parts/test_data_path_alerts.py)
        "AWS::IAM::Role",
        "AWS::IAM::Role",
        "AWS::SQS::Queue",
        "AWS::SQS::QueuePolicy",
        "AWS::SSM::Association",
        "AWS::SSM::Association",
        "AWS::SSM::MaintenanceWindow",
        "AWS::SSM::MaintenanceWindowTarget",
        "AWS::SSM::MaintenanceWindowTask",
        "AWS::SSM::PatchBaseline",  # Windows only, by default
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
    assert set(rules) == {f"Forward{kind.title}Rule" for kind in (*alerts.EVENT_KINDS, alerts.ALARM)}
    for rule in rules.values():
        (target,) = rule["Targets"]
        assert target["Arn"] == BUS and target["RoleArn"] == "AlertForwardingRole.Arn"
        assert target["DeadLetterConfig"] == {"Arn": "AlertForwardingDeadLetterQueue.Arn"}


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
    """Percentages by default, and different ones, so a swap shows; other values too."""
    properties = task()
    assert (properties["MaxConcurrency"], properties["MaxErrors"]) == ("10%", "5%")
    properties = task({"pMaxConcurrency": "25%", "pMaxErrors": "3"})
    assert (properties["MaxConcurrency"], properties["MaxErrors"]) == ("25%", "3")


def test_by_default_the_window_runs_monthly_after_patch_tuesday():
    window = operations()["MaintenanceWindow"]["Properties"]
    assert (window["Schedule"], window["ScheduleTimezone"], window["ScheduleOffset"]) == (
        "cron(0 4 ? * TUE#2 *)",
        "US/Eastern",
        "3",
    )


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
        ({"pTargetsValue": "AWS::EC2::VPC"}, ["EveryInstanceIsEc2"]),
        ({"pTargetsValue": "AWS::EC2::Instance,AWS::EC2::VPC"}, ["EveryInstanceIsEc2"]),
        ({"pTargetsKey": "tag:Patch Group", "pTargetsValue": "AWS::EC2::VPC"}, []),
    ],
)
def test_operations_rules(params, failed):
    assert rules_refusing(OPERATIONS, {"pCentralEventBusArn": BUS, **params}) == failed


@pytest.mark.parametrize(
    "key, values, resource_type, associations",
    [
        ("resource-groups:ResourceTypeFilters", "AWS::EC2::Instance", "RESOURCE_GROUP", ("InstanceIds", ["*"])),
        ("resource-groups:Name", "patch-fleet", "RESOURCE_GROUP", ("resource-groups:Name", ["patch-fleet"])),
        ("tag:Patch Group", "fleet-a,fleet-b", "INSTANCE", ("tag:Patch Group", ["fleet-a", "fleet-b"])),
    ],
)
def test_targets_every_ec2_instance_by_default_or_a_resource_group_or_a_tag(key, values, resource_type, associations):
    """By default (first case) every EC2 instance of the account-Region without a tag: the window by a
    resource-type query ("Maintenance window targets only", Target, API Reference), the scan and
    inventory by InstanceIds * ("State Manager association targets only": every managed node)."""
    resources = operations({"pTargetsKey": key, "pTargetsValue": values})
    target = resources["MaintenanceWindowTarget"]["Properties"]
    assert target["ResourceType"] == resource_type
    assert target["Targets"] == [{"Key": key, "Values": values.split(",")}]
    for name in ("PatchScanAssociation", "InventoryAssociation"):
        assert resources[name]["Properties"]["Targets"] == [{"Key": associations[0], "Values": associations[1]}]
    defaults = template_dict(OPERATIONS)["Parameters"]
    assert (defaults["pTargetsKey"]["Default"], defaults["pTargetsValue"]["Default"]) == (
        "resource-groups:ResourceTypeFilters",
        "AWS::EC2::Instance",
    )


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
    "pTargetsKey": (
        ["resource-groups:ResourceTypeFilters", "resource-groups:Name", "tag:Patch Group", "InstanceIds"],
        ["", "resource-groups:ResourceTypeFilter", "resource-groups:*", "ResourceTypeFilters", "tag:"],
    ),
    "pDeployMacos": (["true", "false"], ["", "True", "1"]),
    "pDefaultBaseline": (["true", "false"], ["", "yes"]),
    "pWindowsClassification": (["CriticalUpdates,SecurityUpdates", "*"], ["", "Security", "CriticalUpdates,"]),
    "pAvailableSecurityUpdatesComplianceStatus": (["NON_COMPLIANT", "none"], ["", "non_compliant", "NONE"]),
}


def test_new_member_parameters_refuse_bad_values():
    tried = sum(check_constraint(OPERATIONS, name, good, bad) for name, (good, bad) in NEW_PARAMETERS.items())
    assert tried == sum(len(bad) for _, bad in NEW_PARAMETERS.values())


def test_operations_parameters_shared_with_the_standalone_are_defined_the_same():
    """What the member and the standalone both ask means the same (they are built from one piece)."""
    member, standalone = (
        template_dict(OPERATIONS)["Parameters"],
        template_dict(patching.RECORDS["windows"])["Parameters"],
    )
    differ = {name for name in set(member) & set(standalone) if member[name] != standalone[name]}
    defaults = {name for name in differ if dict(member[name], Default=0) == dict(standalone[name], Default=0)}
    # Safe organization defaults (test_stackset_waves.py, test_patching_member.py).
    assert defaults == {
        "pSchedule",
        "pScheduleOffset",
        "pMaxConcurrency",
        "pMaxErrors",
        "pTargetsValue",
        "pApproveAfterDays",
        "pDefaultBaseline",
        "pAvailableSecurityUpdatesComplianceStatus",
    }
    # Descriptions, the sentinel, and the key that reaches every EC2 instance.
    assert differ - defaults == {"pMaintenanceWindowName", "pTaskType", "pOutputS3BucketName", "pTargetsKey"}
    assert member["pTaskType"]["AllowedValues"] == standalone["pTaskType"]["AllowedValues"]
    per_os = {f"p{patching_member.key(os)}" for os in baselines.OPERATING_SYSTEMS}
    assert {name for name in set(member) - set(standalone) if not name.startswith(("pDeploy", *per_os))} == {
        "pTaskName",
        "pAutomationAssumeRoleName",
        "pCentralEventBusArn",
        "pEnableNonSecurity",  # Linux only, not in the Windows standalone
    }
    assert set(standalone) - set(member) >= {"pTaskArn", "pAutomationAssumeRoleArn", "pNotificationEmailAddress"}
