"""Standalone source-account patching stacks: one template per operating system (patching.py,
built from baselines.py and operations.py)."""

import base64
import json

import pytest
from conftest import check_constraint, render, rules_refusing, statements, template_dict

from patch_templates.parts import baselines
from patch_templates.stacks import TEMPLATES, patching

WINDOWS = "windows_patch_baseline_maintenance_window.yml"
ALL = [patching.file_name(key) for key in baselines.OPERATING_SYSTEMS]
EMAIL = {"pNotificationEmailAddress": "ops@example.com"}


def resources(rendered: dict, type_: str) -> dict:
    return {name: r["Properties"] for name, r in rendered["Resources"].items() if r["Type"] == type_}


def window_statements(params: dict, name: str = WINDOWS) -> list[dict]:
    role = render(name, {**EMAIL, **params})["Resources"]["MaintenanceWindowRole"]["Properties"]
    return statements(role["Policies"][0]["PolicyDocument"])


# --- registry and parameters ---------------------------------------------------------------------------


def test_one_template_per_operating_system():
    assert set(ALL) <= set(TEMPLATES)
    assert WINDOWS in TEMPLATES  # the design's file name
    assert {"windows", "amazon_linux_2023", "amazon_linux_2", "redhat", "ubuntu"} <= set(baselines.OPERATING_SYSTEMS)


# The design's step 2 table: parameter -> (console group, default).
DESIGN = {
    "pOrganization": ("Patch Baseline Information", "Enquizit"),
    "pPatchBaselineName": ("Patch Baseline Information", "myPatchBaseline"),
    "pPatchGroups": ("Patch Baseline Information", "Production"),
    "pApproveAfterDays": ("Patch Baseline Information", 7),
    "pProduct": ("Approval Rules", "WindowsServer2019"),
    "pClassification": ("Approval Rules", "CriticalUpdates"),
    "pSeverity": ("Approval Rules", "Critical"),
    "pComplianceLevel": ("Approval Rules", "CRITICAL"),
    "pMaintenanceWindowName": ("Maintenance Window", "OSMaintenanceWindow"),
    "pAllowUnassociatedTargets": ("Maintenance Window", "false"),
    "pCutoff": ("Maintenance Window", 1),
    "pDuration": ("Maintenance Window", 2),
    "pSchedule": ("Maintenance Window", "cron(0 4 ? * * *)"),
    "pScheduleTimezone": ("Maintenance Window", "US/Eastern"),
    "pNotificationEmailAddress": ("Maintenance Window", None),
    "pMaintenanceWindowTargetName": ("Maintenance Window Targets", "SSMPatchManager"),
    "pTargetsKey": ("Maintenance Window Targets", "tag:Patch Group"),
    "pTargetsValue": ("Maintenance Window Targets", "Production"),
    "pOwnerInformation": ("Maintenance Window Targets", "SSM Patch manager"),
    "pMaxConcurrency": ("Maintenance Window Tasks", "1"),
    "pMaxErrors": ("Maintenance Window Tasks", "1"),
    "pPriority": ("Maintenance Window Tasks", 0),
    "pTaskType": ("Maintenance Window Tasks", "RUN_COMMAND"),
    "pTaskArn": ("Maintenance Window Tasks", "AWS-RunPatchBaseline"),
}


def groups(name: str) -> dict:
    interface = template_dict(name)["Metadata"]["AWS::CloudFormation::Interface"]
    return {
        parameter: group["Label"]["default"]
        for group in interface["ParameterGroups"]
        for parameter in group["Parameters"]
    }


def test_windows_has_every_design_parameter_with_its_default_and_group():
    parameters, in_group = template_dict(WINDOWS)["Parameters"], groups(WINDOWS)
    for name, (group, default) in DESIGN.items():
        assert in_group[name] == group, name
        assert parameters[name].get("Default") == default, name
    assert parameters["pTaskType"]["AllowedValues"] == ["RUN_COMMAND", "AUTOMATION", "LAMBDA", "STEP_FUNCTIONS"]


@pytest.mark.parametrize("name", ALL)
def test_every_parameter_is_described_constrained_grouped_and_labelled(name):
    template = template_dict(name)
    labels = template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterLabels"]
    in_group = groups(name)
    for key, definition in template["Parameters"].items():
        assert definition["Description"] and definition["ConstraintDescription"], key
        assert {"AllowedPattern", "AllowedValues", "MinValue"} & set(definition), key
        assert key in in_group and labels[key]["default"], key
    # Parameters mean the same in every OS template: same definition wherever the name is shared.
    for key, definition in template_dict(WINDOWS)["Parameters"].items():
        if key in template["Parameters"] and key not in baselines.PER_OS_PARAMETERS:
            assert template["Parameters"][key] == definition, key


# --- patch baseline --------------------------------------------------------------------------------------

EXPECTED_FILTERS = {
    "windows": ("WINDOWS", ["PRODUCT", "CLASSIFICATION", "MSRC_SEVERITY"]),
    "amazon_linux_2023": ("AMAZON_LINUX_2023", ["PRODUCT", "CLASSIFICATION", "SEVERITY"]),
    "amazon_linux_2": ("AMAZON_LINUX_2", ["PRODUCT", "CLASSIFICATION", "SEVERITY"]),
    "redhat": ("REDHAT_ENTERPRISE_LINUX", ["PRODUCT", "CLASSIFICATION", "SEVERITY"]),
    "ubuntu": ("UBUNTU", ["PRODUCT", "PRIORITY"]),
    "debian": ("DEBIAN", ["PRODUCT", "PRIORITY"]),
    "suse": ("SUSE", ["PRODUCT", "CLASSIFICATION", "SEVERITY"]),
    "oracle_linux": ("ORACLE_LINUX", ["PRODUCT", "CLASSIFICATION", "SEVERITY"]),
    "rocky_linux": ("ROCKY_LINUX", ["PRODUCT", "CLASSIFICATION", "SEVERITY"]),
    "alma_linux": ("ALMA_LINUX", ["PRODUCT", "CLASSIFICATION", "SEVERITY"]),
    "centos": ("CENTOS", ["PRODUCT", "CLASSIFICATION", "SEVERITY"]),
    "macos": ("MACOS", ["PRODUCT", "CLASSIFICATION"]),
}


def test_every_supported_operating_system_of_the_schema_is_covered_or_left_out_with_a_reason():
    covered = {os.operating_system for os in baselines.OPERATING_SYSTEMS.values()}
    assert covered == {value for value, _ in EXPECTED_FILTERS.values()}
    assert covered | set(baselines.LEFT_OUT) == set(patch_baseline_schema()["properties"]["OperatingSystem"]["enum"])
    assert not covered & set(baselines.LEFT_OUT) and all(baselines.LEFT_OUT.values())


@pytest.mark.parametrize("os_key", EXPECTED_FILTERS)
def test_baseline_filters_per_operating_system(os_key):
    name = patching.file_name(os_key)
    operating_system, keys = EXPECTED_FILTERS[os_key]
    baseline = template_dict(name)["Resources"]["PatchBaseline"]["Properties"]
    assert baseline["OperatingSystem"] == operating_system
    rule = baseline["ApprovalRules"]["PatchRules"][0]
    filters = rule["PatchFilterGroup"]["PatchFilters"]
    assert [f["Key"] for f in filters] == keys
    parameters = template_dict(name)["Parameters"]
    for f in filters:
        parameter = parameters[f["Values"]["Ref"]]
        assert parameter["Type"] == "CommaDelimitedList"
        assert check_default(parameter), (name, f["Key"])
    assert rule["ComplianceLevel"] == {"Ref": "pComplianceLevel"}
    assert baseline["PatchGroups"] == {"Ref": "pPatchGroups"}
    assert ("ApproveAfterDays" in rule) == (os_key not in ("ubuntu", "debian")) == ("pApproveAfterDays" in parameters)


def patch_baseline_schema() -> dict:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    return PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::SSM::PatchBaseline").schema


def check_default(parameter: dict) -> bool:
    from patch_templates.parts.parameters import violation

    return violation(parameter, parameter["Default"]) is None


def test_filter_values_are_each_operating_systems_own():
    values = {
        key: set(template_dict(patching.file_name(key))["Parameters"]["pSeverity"]["AllowedValues"])
        for key, os in baselines.OPERATING_SYSTEMS.items()
        if os.severity
    }
    assert "Moderate" in values["windows"] and "Medium" not in values["windows"]  # MSRC severities
    assert "Medium" in values["amazon_linux_2023"] and "Moderate" not in values["amazon_linux_2023"]
    assert "Moderate" in values["redhat"]
    assert "Required" in values["ubuntu"]  # Debian priorities
    product = template_dict(patching.file_name("amazon_linux_2023"))["Parameters"]["pProduct"]["AllowedValues"]
    assert "WindowsServer2019" not in product


def test_rendered_baseline_names_and_lists():
    baseline = render(
        patching.file_name("redhat"),
        {**EMAIL, "pSeverity": "Critical,Important,Moderate", "pPatchGroups": "Production,Staging"},
    )
    properties = baseline["Resources"]["PatchBaseline"]["Properties"]
    assert properties["Name"] == "Enquizit-myPatchBaseline-redhat"
    assert properties["PatchGroups"] == ["Production", "Staging"]
    severity = properties["ApprovalRules"]["PatchRules"][0]["PatchFilterGroup"]["PatchFilters"][2]
    assert severity == {"Key": "SEVERITY", "Values": ["Critical", "Important", "Moderate"]}
    assert {"Key": "Organization", "Value": "Enquizit"} in properties["Tags"]


def test_names_differ_per_operating_system_so_stacks_can_share_an_account():
    names = set()
    for name in ALL:
        rendered = render(name, EMAIL)["Resources"]
        for logical_id in ("PatchBaseline", "MaintenanceWindow", "MaintenanceWindowTarget", "MaintenanceWindowTask"):
            names.add(rendered[logical_id]["Properties"]["Name"])
        assert "TopicName" not in rendered["NotificationTopic"]["Properties"]
        assert "RoleName" not in rendered["MaintenanceWindowRole"]["Properties"]
    assert len(names) == 4 * len(ALL)


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
    "resource-groups:ListGroupResources",
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
    # ssm:GetParameters (the user guide's base policy) for every task type, on this account's parameters.
    assert {a for s in granted for a in s["Action"]} - READ_ONLY == actions | {"ssm:GetParameters"}
    (parameters,) = [s["Resource"] for s in granted if "ssm:GetParameters" in s["Action"]]
    assert parameters == ["arn:aws:ssm:us-east-1:555555555555:parameter/*"]


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


@pytest.mark.parametrize("name", ALL)
def test_scan_and_inventory_associations_target_the_window_targets(name):
    rendered = render(name, {**EMAIL, "pTargetsValue": "Production"})["Resources"]
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
    for name in ALL:
        assert rules_refusing(name, EMAIL) == []


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


# --- bad input ------------------------------------------------------------------------------------------

# parameter -> (good values, bad values); the same definitions in every OS template.
CONSTRAINTS = {
    "pSchedule": (
        [
            "cron(0 4 ? * * *)",
            "cron(0 2 ? * SUN#2 *)",
            "cron(30 23 L * ? 2030)",
            "rate(1 day)",
            "rate(12 hours)",
            "rate(30 minutes)",
        ],
        [
            "",
            "0 4 * * *",
            "cron(0 4 * * *)",
            "cron(0 4 ? * * * *)",
            "rate(1 days)",
            "rate(0 hours)",
            "rate(2 weeks)",
            "at(2030-01-01T00:00:00)",
            "cron(0 4 ? * * *) ",
            "Cron(0 4 ? * * *)",
        ],
    ),
    "pPatchScanSchedule": (["rate(1 day)", "cron(0 2 ? * * *)"], ["daily", "rate(1)", "cron()"]),
    "pScheduleTimezone": (
        ["US/Eastern", "America/New_York", "Europe/Paris", "UTC", "Etc/GMT+5", "America/Argentina/Buenos_Aires"],
        ["", "Eastern", "us/eastern", "EST", "US/Eastern/", "US Eastern", "+05:00", "UTC+1"],
    ),
    "pNotificationEmailAddress": (
        ["ops@example.com", "first.last+patch@mail.example.co.uk"],
        [
            "",
            "ops",
            "ops@",
            "@example.com",
            "ops@example",
            "ops@@example.com",
            "ops example@example.com",
            "ops@example.c",
        ],
    ),
    "pDuration": (["1", "2", "24"], ["0", "25", "-1", "2.5x", "two", ""]),
    "pCutoff": (["0", "1", "23"], ["-1", "24", "one", ""]),
    "pMaxConcurrency": (
        ["1", "10", "1%", "50%", "100%", "1234567"],
        ["0", "0%", "101%", "-1", "10.5", "abc", "", "12345678", "01", "1 %"],
    ),
    "pMaxErrors": (["0", "1", "0%", "10%", "100%"], ["-1", "101%", "x", "", "1.5", "12345678", "00"]),
    "pPriority": (["0", "5", "99"], ["-1", "100", "high", ""]),
    "pTaskType": (["RUN_COMMAND", "STEP_FUNCTIONS"], ["run_command", "COMMAND", ""]),
    "pTaskArn": (
        [
            "AWS-RunPatchBaseline",
            "my-function",
            "arn:aws:lambda:us-east-1:111122223333:function:f",
            "arn:aws:states:us-east-1:111122223333:stateMachine:patch",
        ],
        [
            "",
            "ab",
            "arn:aws:s3:::bucket",
            "has space",
            "arn:aws:lambda:us-east-1:1:function:f",
            "arn:aws:ssm:us-east-1:111122223333:document/AWS-RunPatchBaseline",
        ],
    ),
    "pTargetsKey": (
        ["tag:Patch Group", "tag:PatchGroup", "InstanceIds", "resource-groups:Name", "tag-key", "tag:team/app=web@x-1"],
        ["Patch Group", "tag:", "instanceids", "", "tag:Patch+Group", "tag:a;b", "tag:" + "k" * 129],
    ),
    "pTargetsValue": (["Production", "Production,Staging", "i-0123456789abcdef0"], ["", "Production,", "a;b"]),
    "pComplianceLevel": (["CRITICAL", "UNSPECIFIED"], ["critical", "SEVERE", ""]),
    "pAllowUnassociatedTargets": (["true", "false"], ["True", "yes", ""]),
    "pApproveAfterDays": (["0", "7", "360"], ["-1", "361", "seven"]),
    "pOrganization": (["Enquizit", "my-org.1"], ["", "my org", "x" * 41]),
    "pPatchBaselineName": (["myPatchBaseline"], ["ab", "my baseline", "x" * 41]),
    "pOutputS3BucketName": (["", "patch-logs"], ["Patch_Logs", "a", "patch..logs"]),
    "pAutomationAssumeRoleArn": (
        ["", "arn:aws:iam::111122223333:role/patch"],
        ["role/patch", "arn:aws:iam::111122223333:user/patch"],
    ),
    "pRebootOption": (["RebootIfNeeded", "NoReboot"], ["Reboot", ""]),
}

# Filter values of another operating system are refused.
FILTERS = {
    "windows": {
        "pProduct": (
            ["WindowsServer2019", "WindowsServer2016,WindowsServer2022", "*"],
            ["AmazonLinux2023", "windowsserver2019", "WindowsServer2019,"],
        ),
        "pSeverity": (["Critical", "Critical,Important"], ["Medium", "High"]),
        "pClassification": (["CriticalUpdates", "SecurityUpdates,Updates"], ["Security", "Bugfix"]),
    },
    "amazon_linux_2023": {
        "pProduct": (["AmazonLinux2023"], ["AmazonLinux2", "WindowsServer2019"]),
        "pSeverity": (["Critical,Important", "Low"], ["Moderate", "Required"]),
        "pClassification": (["Security,Bugfix"], ["SecurityUpdates"]),
    },
    "amazon_linux_2": {
        "pProduct": (["AmazonLinux2.0", "*"], ["AmazonLinux2023", "AmazonLinux2018.03"]),
        "pSeverity": (["Medium"], ["Moderate"]),
        "pClassification": (["Newpackage"], ["CriticalUpdates"]),
    },
    "redhat": {
        "pProduct": (
            [
                "RedhatEnterpriseLinux9.4",
                "RedhatEnterpriseLinux7.9,RedhatEnterpriseLinux8.10",
                "*",
                "RedhatEnterpriseLinux10.0",
            ],
            ["RHEL9", "RedhatEnterpriseLinux", "RockyLinux9.4", "RedhatEnterpriseLinux9.4,"],
        ),
        "pSeverity": (["Moderate,Low"], ["Medium"]),
        "pClassification": (["Security,Bugfix,Enhancement"], ["security"]),
    },
    "ubuntu": {
        "pProduct": (["Ubuntu22.04,Ubuntu24.04", "Ubuntu25.04"], ["Ubuntu22", "ubuntu22.04", "Debian12"]),
        "pSeverity": (["Required,Important", "Extra"], ["Critical", "Low"]),
    },
    "debian": {
        "pProduct": (["Debian12", "Debian11,Debian12", "*"], ["Debian", "Ubuntu22.04", "debian12"]),
        "pSeverity": (["*", "Required"], ["Critical", "required"]),
    },
    "suse": {
        "pProduct": (["Suse15.6", "*"], ["SLES15", "Suse"]),
        "pSeverity": (["Critical,Important", "Moderate"], ["Medium"]),
        "pClassification": (["Security,Recommended", "Yast"], ["Bugfix", "SecurityUpdates"]),
    },
    "oracle_linux": {
        "pProduct": (["OracleLinux9.4", "OracleLinux8"], ["OL9", "RedhatEnterpriseLinux9.4"]),
        "pSeverity": (["Important,Moderate"], ["Medium"]),
        "pClassification": (["Security,Bugfix"], ["CriticalUpdates"]),
    },
    "rocky_linux": {
        "pProduct": (["RockyLinux9.4"], ["Rocky9", "AlmaLinux9.4"]),
        "pSeverity": (["Critical"], ["Medium"]),
        "pClassification": (["Security"], ["Yast"]),
    },
    "alma_linux": {
        "pProduct": (["AlmaLinux8.10"], ["Alma8", "RockyLinux8.10"]),
        "pSeverity": (["Low"], ["Required"]),
        "pClassification": (["Newpackage"], ["Feature"]),
    },
    "centos": {
        "pProduct": (["CentOSStream9", "CentOS9", "*"], ["Stream9", "CentOS"]),
        "pSeverity": (["*"], ["Medium"]),
        "pClassification": (["*", "Security"], ["Yast"]),
    },
    "macos": {
        "pProduct": (["MacOS14.x", "MacOS13.7", "*"], ["macOS14", "Sonoma"]),
        "pClassification": (["Security", "*"], ["Bugfix", "SecurityUpdates"]),
    },
}


def bad_values_tried() -> int:
    """Distinct bad values the tests below run through the constraints (per parameter)."""
    return sum(len(bad) for _, bad in CONSTRAINTS.values()) + sum(
        len(bad) for filters in FILTERS.values() for _, bad in filters.values()
    )


@pytest.mark.parametrize("name", ALL)
def test_constraints_refuse_bad_values(name):
    parameters = template_dict(name)["Parameters"]
    assert set(CONSTRAINTS) - set(parameters) <= {"pApproveAfterDays"}  # absent on Ubuntu only
    for parameter, (good, bad) in CONSTRAINTS.items():
        if parameter in parameters:
            check_constraint(name, parameter, good, bad)


@pytest.mark.parametrize("os_key", FILTERS)
def test_filter_parameters_refuse_other_operating_systems_values(os_key):
    name = patching.file_name(os_key)
    for parameter, (good, bad) in FILTERS[os_key].items():
        check_constraint(name, parameter, good, bad)
    assert set(FILTERS[os_key]) == {"pProduct", "pSeverity", "pClassification"} & set(template_dict(name)["Parameters"])
