"""The standalone patching templates (stacks/patching.py): one per operating system, with the
original parameters, names that let several share an account, and constraints that refuse bad
values. What the baseline and the operations do is tested with their parts (tests/parts)."""

import pytest
from conftest import check_constraint, render, template_dict

from patch_templates.parts import baselines
from patch_templates.stacks import RECORDS, patching

WINDOWS = patching.RECORDS["windows"]
ALL = list(patching.RECORDS.values())
EMAIL = {"pNotificationEmailAddress": "ops@example.com"}


# --- registry and parameters ---------------------------------------------------------------------------


def test_one_template_per_operating_system():
    assert set(ALL) <= set(RECORDS) and set(patching.RECORDS) == set(baselines.OPERATING_SYSTEMS)
    assert {"windows", "amazon_linux_2023", "amazon_linux_2", "redhat", "ubuntu"} <= set(baselines.OPERATING_SYSTEMS)


# The standalone template's original parameters, which deployed stacks use: parameter -> (console
# group, default).
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


def groups(record) -> dict:
    interface = template_dict(record)["Metadata"]["AWS::CloudFormation::Interface"]
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


@pytest.mark.parametrize("record", ALL)
def test_every_parameter_is_described_constrained_grouped_and_labelled(record):
    template = template_dict(record)
    labels = template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterLabels"]
    in_group = groups(record)
    for key, definition in template["Parameters"].items():
        assert definition["Description"] and definition["ConstraintDescription"], key
        assert {"AllowedPattern", "AllowedValues", "MinValue"} & set(definition), key
        assert key in in_group and labels[key]["default"], key
    # Parameters mean the same in every OS template: same definition wherever the name is shared.
    for key, definition in template_dict(WINDOWS)["Parameters"].items():
        if key in template["Parameters"] and key not in baselines.PER_OS_PARAMETERS:
            assert template["Parameters"][key] == definition, key


def test_names_differ_per_operating_system_so_stacks_can_share_an_account():
    names = set()
    for record in ALL:
        rendered = render(record, EMAIL)["Resources"]
        for logical_id in ("PatchBaseline", "MaintenanceWindow", "MaintenanceWindowTarget", "MaintenanceWindowTask"):
            names.add(rendered[logical_id]["Properties"]["Name"])
        assert "TopicName" not in rendered["NotificationTopic"]["Properties"]
        assert "RoleName" not in rendered["MaintenanceWindowRole"]["Properties"]
    assert len(names) == 4 * len(ALL)


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


@pytest.mark.parametrize("record", ALL)
def test_constraints_refuse_bad_values(record):
    parameters = template_dict(record)["Parameters"]
    assert set(CONSTRAINTS) - set(parameters) <= {"pApproveAfterDays"}  # absent on Ubuntu only
    for parameter, (good, bad) in CONSTRAINTS.items():
        if parameter in parameters:
            check_constraint(record, parameter, good, bad)
