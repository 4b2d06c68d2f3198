"""The patch-now administration stack (stacks/patch_now_administration.py): the runbook rendered with
cloud-radar and under cfn-lint's SSM document schema, the administration role's trust and permission
conditions, where each is created, bad values for its parameters, and one set of names with the
command and the members."""

import json
import re

import pytest
from conftest import RADAR_ACCOUNT, automations_of_this_account, check_constraint, render, template_dict

from patch_templates.builder import lint
from patch_templates.deploy import patch_now as command
from patch_templates.parts.common import render as render_yaml
from patch_templates.stacks import patch_now_administration, patching

ADMIN = patch_now_administration.RECORD
ADMIN_VALUES = {"pOrganizationID": "o-a1b2c3d4e5", "pAdministrationRoleRegion": "eu-west-1"}


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
    """The runbook's targets are a maintenance window's by tag, instance ids or resource group: the same
    parameter definitions, defaults included, as a standalone window's. Not the StackSet's default (every
    EC2 instance by resource type), which Run Command cannot take."""
    admin, window = template_dict(ADMIN)["Parameters"], template_dict(patching.RECORDS["windows"])["Parameters"]
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


# -- one set of names --------------------------------------------------------------------------


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
