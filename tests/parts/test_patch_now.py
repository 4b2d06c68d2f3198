"""Patch now, the member's part (parts/patch_now.py): the execution role as one call on a small test
template (rendered with cloud-radar, linted like the build, passed through a StackSet), its trust and
permission conditions, its Rule, bad values for every new parameter; and the patch-now alert."""

import json

import pytest
from cloud_radar.cf.unit import Template as RadarTemplate
from conftest import RADAR_ACCOUNT, automations_of_this_account, template_dict
from test_alerts import rendered_alert_texts
from troposphere import Template

from patch_templates.builder import lint
from patch_templates.deploy import patch_now as command, rules
from patch_templates.deploy.preflight import violation
from patch_templates.parts import alerts, patch_now
from patch_templates.parts.common import render as render_yaml
from patch_templates.stacks import patch_now_administration, patching_member, stackset
from patch_templates.stacks.record import Member, Record

ON = {"pEnablePatchNow": "true", "pPatchNowAdministrationAccountId": "444455556666", "pPatchNowRoleRegion": "eu-west-1"}


def member() -> Template:
    """The small test template: a member with the one call the shared member makes."""
    t = Template(Description="test member")
    patch_now.add_execution_role(t, patch_now_administration.RECORD.file)
    return t


def render_member(params: dict, region: str = "eu-west-1") -> dict:
    return RadarTemplate(json.loads(member().to_json())).render(params, region=region)


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
        assert all(violation(definitions[name], value) is None for value in good), name
        assert all(violation(definitions[name], value) for value in bad), name
        assert definitions[name]["ConstraintDescription"], name


def test_a_stackset_member_with_the_role_asks_three_parameters_and_named_iam():
    """Adding the role to a StackSet member: its three parameters come through to the StackSet (once,
    under their own names), so do its Rule and CAPABILITY_NAMED_IAM."""
    template = json.loads(
        stackset.build(
            members=(
                Record(
                    "shared.yml",
                    member,
                    step=3,
                    account="source",
                    does="x",
                    member=Member("Shared", "Shared member", "shared"),
                ),
            )
        ).to_json()
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
    rules_ = template_dict(patching_member.RECORD)["Resources"]
    kind = next(kind for kind in alerts.EVENT_KINDS if kind.title == "PatchNowRun")
    assert rules_["ForwardPatchNowRunRule"]["Properties"]["EventPattern"] == kind.pattern
