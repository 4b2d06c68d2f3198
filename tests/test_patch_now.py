"""Patch now, the templates: the runbook (rendered, and under cfn-lint's SSM document schema), the
administration stack, the member's execution role as one call on a small template (rendered with
cloud-radar, linted like the build, passed through a StackSet), both roles' trust and permission
conditions, bad values for every new parameter, and the patch-now alert."""

import json
import re

import pytest
from cloud_radar.cf.unit import Template as RadarTemplate
from conftest import check_constraint, render, template_dict
from test_alerts import rendered_alert_texts
from troposphere import Template

from patch_templates.builder import lint
from patch_templates.deploy import patch_now as command, rules
from patch_templates.parts import alerts, parameters, patch_now
from patch_templates.parts.common import render as render_yaml
from patch_templates.stacks import patch_now_administration, patch_operations, stackset

ADMIN = patch_now_administration.FILE
ADMIN_VALUES = {"pOrganizationID": "o-a1b2c3d4e5", "pAdministrationRoleRegion": "eu-west-1"}
ON = {"pEnablePatchNow": "true", "pPatchNowAdministrationAccountId": "444455556666", "pPatchNowRoleRegion": "eu-west-1"}
RADAR_ACCOUNT = "555555555555"  # the account cloud-radar renders in


def automations_of_this_account(sid: str) -> dict:
    """The trust statement for Systems Manager running automations of the rendered account only."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": "ssm.amazonaws.com"},
        "Action": ["sts:AssumeRole"],
        "Condition": {
            "StringEquals": {"aws:SourceAccount": RADAR_ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:ssm:*:{RADAR_ACCOUNT}:automation-execution/*"},
        },
    }


def member() -> Template:
    """The small test template: a member with the one call the shared member makes."""
    t = Template(Description="test member")
    patch_now.add_execution_role(t)
    return t


def render_member(params: dict, region: str = "eu-west-1") -> dict:
    return RadarTemplate(json.loads(member().to_json())).render(params, region=region)


def runbook(params: dict | None = None, region: str = "eu-west-1") -> dict:
    return render(ADMIN, {**ADMIN_VALUES, **(params or {})}, region=region)["Resources"]["PatchNowRunbook"]


# -- the runbook ----------------------------------------------------------------------------------


def test_runbook_runs_patch_baseline_with_each_nodes_own_baseline_on_the_window_targets():
    document = runbook({"pTargetsKey": "tag:PatchWave", "pTargetsValue": "Critical,Web"})
    assert document["Properties"]["DocumentType"] == "Automation"
    assert document["Properties"]["Name"] == command.RUNBOOK_NAME
    content = document["Properties"]["Content"]
    assert content["schemaVersion"] == "0.3" and content["assumeRole"] == "{{ AutomationAssumeRole }}"
    (step,) = content["mainSteps"]
    assert (step["name"], step["action"], step["isEnd"]) == ("RunPatchBaseline", "aws:runCommand", True)
    assert step["inputs"] == {
        "DocumentName": "AWS-RunPatchBaseline",
        "Targets": [{"Key": "{{ TargetKey }}", "Values": "{{ TargetValues }}"}],
        # No BaselineOverride or SnapshotId: each node applies the baseline of its patch group and OS.
        "Parameters": {"Operation": "{{ Operation }}", "RebootOption": "{{ RebootOption }}"},
        "MaxConcurrency": "{{ MaxConcurrency }}",
        "MaxErrors": "{{ MaxErrors }}",
    }
    parameters_ = content["parameters"]
    assert parameters_["TargetKey"]["default"] == "tag:PatchWave"
    assert parameters_["TargetValues"] == {
        "type": "StringList",
        "description": parameters_["TargetValues"]["description"],
        "default": ["Critical", "Web"],
    }
    assert parameters_["Operation"]["default"] == "Scan" and parameters_["Operation"]["allowedValues"] == [
        "Scan",
        "Install",
    ]
    assert parameters_["RebootOption"]["allowedValues"] == ["RebootIfNeeded", "NoReboot"]
    assert (parameters_["MaxConcurrency"]["default"], parameters_["MaxErrors"]["default"]) == ("10%", "5%")
    assert parameters_["AutomationAssumeRole"]["default"] == (
        f"arn:aws:iam::{RADAR_ACCOUNT}:role/{command.ADMINISTRATION_ROLE_NAME}"
    )
    assert content["outputs"] == ["RunPatchBaseline.CommandId"]


def test_runbook_defaults_are_the_window_targets_definitions():
    """The runbook's targets are the maintenance window's: the same parameter definitions, defaults
    included, as the operations member that the StackSet deploys."""
    admin, window = template_dict(ADMIN)["Parameters"], template_dict(patch_operations.FILE)["Parameters"]
    for name in ("pTargetsKey", "pTargetsValue"):
        assert admin[name] == window[name]
    assert runbook()["Properties"]["Content"]["parameters"]["TargetValues"]["default"] == ["Production"]


@pytest.mark.parametrize(
    "pattern, good, bad",
    [
        ("MaxConcurrency", ["1", "25", "10%", "100%"], ["0", "0%", "101%", "10 %", "all"]),
        ("MaxErrors", ["0", "3", "0%", "5%", "100%"], ["-1", "101%", "5%%", "none"]),
        ("AutomationAssumeRole", ["arn:aws:iam::111122223333:role/PatchNow-Administration"], ["PatchNow", ""]),
    ],
)
def test_runbook_parameter_patterns_refuse_bad_values(pattern, good, bad):
    allowed = runbook()["Properties"]["Content"]["parameters"][pattern]["allowedPattern"]
    assert all(re.fullmatch(allowed, value) for value in good)
    assert not any(re.fullmatch(allowed, value) for value in bad)


def test_runbook_is_checked_by_cfn_lints_ssm_document_schema(tmp_path):
    """The built template lints clean, and the same template with a schemaVersion the SSM document
    schema refuses does not: cfn-lint reads the runbook's content (rule E3051)."""
    good = patch_now_administration.build()
    (tmp_path / "good.yml").write_text(render_yaml(good))
    assert lint([tmp_path / "good.yml"], "tmp") == []
    good.resources["PatchNowRunbook"].Content["schemaVersion"] = "0.4"
    (tmp_path / "bad.yml").write_text(render_yaml(good))
    findings = lint([tmp_path / "bad.yml"], "tmp")
    assert findings and all(" E3051 " in finding for finding in findings), findings


# -- the administration stack --------------------------------------------------------------------


@pytest.mark.parametrize("organization", ["o-a1b2c3d4e5", "o-zz9y8x7w6v5u"])
def test_administration_role_assumes_only_execution_roles_of_its_organization(organization):
    stack = render(ADMIN, dict(ADMIN_VALUES, pOrganizationID=organization), region="eu-west-1")["Resources"]
    role = stack["PatchNowAdministrationRole"]["Properties"]
    assert role["RoleName"] == command.ADMINISTRATION_ROLE_NAME
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        automations_of_this_account("SystemsManagerStartsRunsHere")
    ]
    (policy,) = role["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Sid": "AssumeExecutionRolesOfThisOrganization",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole"],
            "Resource": [f"arn:aws:iam::*:role/{command.EXECUTION_ROLE_NAME}"],
            "Condition": {"StringEquals": {"aws:ResourceOrgID": organization}},
        },
        {
            "Sid": "ListAccountsOfTheTargetOrganizationalUnits",
            "Effect": "Allow",
            "Action": ["organizations:ListAccountsForParent", "organizations:ListChildren"],
            "Resource": [
                f"arn:aws:organizations::*:ou/{organization}/ou-*",
                f"arn:aws:organizations::*:root/{organization}/r-*",
            ],
        },
    ]
    assert "ManagedPolicyArns" not in role


def test_administration_role_is_created_in_its_region_only_and_the_runbook_in_every_region():
    elsewhere = render(ADMIN, ADMIN_VALUES, region="us-east-1")
    assert set(elsewhere["Resources"]) == {"PatchNowRunbook"}
    assert set(elsewhere["Outputs"]) == {"RunbookName"}
    home = render(ADMIN, ADMIN_VALUES, region="eu-west-1")
    assert set(home["Resources"]) == {"PatchNowRunbook", "PatchNowAdministrationRole"}
    assert home["Outputs"]["AdministrationRoleArn"]["Value"] == "PatchNowAdministrationRole.Arn"


def test_bad_values_of_the_administration_parameters_are_refused():
    tried = check_constraint(
        ADMIN, "pOrganizationID", ["o-a1b2c3d4e5"], ["", "o-short", "O-A1B2C3D4E5", "a1b2c3d4e5", "o-a1b2c3d4e5 "]
    )
    tried += check_constraint(
        ADMIN, "pAdministrationRoleRegion", ["us-east-1", "us-gov-west-1"], ["", "us-east", "US-EAST-1", "none"]
    )
    tried += check_constraint(ADMIN, "pTargetsKey", ["tag:Patch Group", "InstanceIds"], ["", "tag:", "Patch Group"])
    tried += check_constraint(ADMIN, "pTargetsValue", ["Production", "a,b"], ["a;b", "$(id)"])
    assert tried == 14


# -- the member's execution role: one call ---------------------------------------------------------


def test_member_part_is_one_call_small_and_lint_clean(tmp_path):
    text = render_yaml(member())
    assert len(text.encode()) < 6_000
    (tmp_path / "member.yml").write_text(text)
    assert lint([tmp_path / "member.yml"], "tmp") == []


def test_execution_role_is_off_unless_switched_on_and_only_in_its_region():
    assert "PatchNowExecutionRole" not in render_member({})["Resources"]
    assert "PatchNowExecutionRole" not in render_member(dict(ON, pEnablePatchNow="false"))["Resources"]
    assert "PatchNowExecutionRole" not in render_member(ON, region="us-east-1")["Resources"]
    role = render_member(ON, region="eu-west-1")["Resources"]["PatchNowExecutionRole"]["Properties"]
    assert role["RoleName"] == command.EXECUTION_ROLE_NAME


@pytest.mark.parametrize("administration", ["444455556666", "777788889999"])
def test_execution_role_trusts_only_the_named_administration_role_and_ssm_of_this_account(administration):
    role = render_member(dict(ON, pPatchNowAdministrationAccountId=administration))["Resources"]
    trust = role["PatchNowExecutionRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {
            "Sid": "AdministrationRoleStartsRuns",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{administration}:root"},
            "Action": ["sts:AssumeRole"],
            "Condition": {
                "ArnEquals": {
                    "aws:PrincipalArn": f"arn:aws:iam::{administration}:role/{command.ADMINISTRATION_ROLE_NAME}"
                }
            },
        },
        automations_of_this_account("SystemsManagerRunsTheRunbookHere"),
    ]


def test_execution_role_may_do_only_what_a_run_needs():
    role = render_member(dict(ON, pPatchNowAdministrationAccountId="777788889999"))["Resources"]
    (policy,) = role["PatchNowExecutionRole"]["Properties"]["Policies"]
    statements = {statement.pop("Sid"): statement for statement in policy["PolicyDocument"]["Statement"]}
    assert statements == {
        "StartTheSharedRunbook": {
            "Effect": "Allow",
            "Action": ["ssm:StartAutomationExecution"],
            "Resource": [f"arn:aws:ssm:*:777788889999:automation-definition/{command.RUNBOOK_NAME}:*"],
        },
        "FollowRunsHere": {
            "Effect": "Allow",
            "Action": ["ssm:GetAutomationExecution", "ssm:StopAutomationExecution"],
            "Resource": [f"arn:aws:ssm:*:{RADAR_ACCOUNT}:automation-execution/*"],
        },
        "PassThisRoleToSystemsManager": {
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": [f"arn:aws:iam::{RADAR_ACCOUNT}:role/{command.EXECUTION_ROLE_NAME}"],
            "Condition": {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}},
        },
        "SendPatchBaselineToNodesHere": {
            "Effect": "Allow",
            "Action": ["ssm:SendCommand"],
            "Resource": [
                "arn:aws:ssm:*::document/AWS-RunPatchBaseline",
                f"arn:aws:ec2:*:{RADAR_ACCOUNT}:instance/*",
                f"arn:aws:ssm:*:{RADAR_ACCOUNT}:managed-instance/*",
            ],
        },
        "FollowCommandsAndResolveTags": {
            "Effect": "Allow",
            "Action": ["ssm:ListCommands", "ssm:ListCommandInvocations", "ssm:CancelCommand", "tag:GetResources"],
            "Resource": ["*"],
        },
        "ResolveResourceGroupTargets": {
            "Effect": "Allow",
            "Action": ["resource-groups:ListGroupResources"],
            "Resource": [f"arn:aws:resource-groups:*:{RADAR_ACCOUNT}:group/*"],
        },
    }


def test_the_names_the_roles_and_the_command_use_agree():
    """The command names the execution role and runbook the templates create; the member trusts the
    role the administration stack creates."""
    admin = render(ADMIN, ADMIN_VALUES, region="eu-west-1")["Resources"]
    run = command.check({"TARGETS": "ou-ab12-cd34ef56", "REGIONS": "eu-west-1"}).arguments()
    (location,) = json.loads(run[run.index("--target-locations") + 1])
    assert location["ExecutionRoleName"] == command.EXECUTION_ROLE_NAME
    assert run[run.index("--document-name") + 1] == admin["PatchNowRunbook"]["Properties"]["Name"]
    assert admin["PatchNowAdministrationRole"]["Properties"]["RoleName"] == command.ADMINISTRATION_ROLE_NAME
    assert set(json.loads(run[run.index("--parameters") + 1])) < set(
        admin["PatchNowRunbook"]["Properties"]["Content"]["parameters"]
    )


def test_rule_refuses_patch_now_on_without_account_or_region():
    template = json.loads(member().to_json())

    def refused(values: dict) -> list[str]:
        defaults = {name: str(d.get("Default", "")) for name, d in template["Parameters"].items()}
        return rules.failures(template, {**defaults, **values})

    assert refused({}) == [] and refused(ON) == []
    assert refused(dict(ON, pPatchNowAdministrationAccountId="none")) == [
        "PatchNowNeedsAdministrationAccountAndRegion: pEnablePatchNow is true: give "
        "pPatchNowAdministrationAccountId, not none."
    ]
    assert refused(dict(ON, pPatchNowRoleRegion="none")) == [
        "PatchNowNeedsAdministrationAccountAndRegion: pEnablePatchNow is true: give pPatchNowRoleRegion, not none."
    ]


def test_bad_values_of_the_member_parameters_are_refused():
    definitions = json.loads(member().to_json())["Parameters"]
    cases = {
        "pEnablePatchNow": (["true", "false"], ["", "True", "yes", "1"]),
        "pPatchNowAdministrationAccountId": (["none", "444455556666"], ["", "44445555666", "4444555566667", "None"]),
        "pPatchNowRoleRegion": (["none", "eu-west-1"], ["", "eu-west", "EU-WEST-1", "eu_west_1"]),
    }
    for name, (good, bad) in cases.items():
        assert all(parameters.violation(definitions[name], value) is None for value in good), name
        assert all(parameters.violation(definitions[name], value) for value in bad), name
        assert definitions[name]["ConstraintDescription"], name


def test_a_stackset_member_with_the_role_asks_three_parameters_and_named_iam():
    """Adding the role to a StackSet member: its three parameters come through to the StackSet (once,
    under their own names), so do its Rule and CAPABILITY_NAMED_IAM."""
    template = json.loads(
        stackset.build(members=(stackset.Member("Shared", "Shared member", "shared.yml", member, "shared"),)).to_json()
    )
    assert {"pEnablePatchNow", "pPatchNowAdministrationAccountId", "pPatchNowRoleRegion"} <= set(template["Parameters"])
    assert "PatchNowNeedsAdministrationAccountAndRegion" in template["Rules"]
    stack_set = template["Resources"]["SharedStackSet"]["Properties"]
    assert stack_set["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    passed = {p["ParameterKey"]: p["ParameterValue"] for p in stack_set["Parameters"]}
    assert passed["pPatchNowRoleRegion"] == {"Ref": "pPatchNowRoleRegion"}


# -- the alert --------------------------------------------------------------------------------------


def test_a_failed_patch_now_run_alerts_with_where_to_look(monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    text = rendered_alert_texts()["PatchNowRun"]
    assert text.startswith(f"PATCHING ALERT: patch-now run Failed (runbook {alerts.RUNBOOK_NAME}).\n")
    assert (
        "aws ssm get-automation-execution --region us-east-1 "
        "--automation-execution-id 333ba70b-2333-48db-b17e-a5e69c6f4d1c" in text
    )


def test_every_member_forwards_patch_now_failures():
    rules_ = template_dict(patch_operations.FILE)["Resources"]
    kind = next(kind for kind in alerts.EVENT_KINDS if kind.title == "PatchNowRun")
    assert rules_["ForwardPatchNowRunRule"]["Properties"]["EventPattern"] == kind.pattern
