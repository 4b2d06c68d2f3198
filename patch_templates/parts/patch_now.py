"""Patch now: scan or install patches across the organization outside the maintenance windows, as one
multi-account, multi-Region Automation run started by `make patch-now` (patch_templates/deploy/patch_now.py).

Systems Manager's documented mechanism (user guide, "Running automations in multiple AWS Regions
and accounts"): an administration role in the starting account (the management account or a
delegated administrator) runs the runbook; in each target account it assumes an execution role, which
starts the runbook there and which the runbook then runs as. A custom runbook "must be shared with all
of the target accounts", so the runbook lives beside the administration role
(stacks/patch_now_administration.py) and is shared from there; a member account holds the execution
role alone.

- `runbook()`: the Automation document. One aws:runCommand step runs AWS-RunPatchBaseline, which
  applies on each node the baseline registered for its patch group and OS, on the nodes the
  maintenance windows target (the window target's key and values are the runbook's defaults).
- `add_execution_role()`: the member's part, off unless switched on: one call adds its parameters,
  rule, condition and role to a member template.
"""

from dataclasses import dataclass

from awacs import (
    iam as iam_actions,
    resource_groups,
    ssm as ssm_actions,
    sts,
    tag,
)
from awacs.aws import Allow, ArnEquals, ArnLike, Condition, Principal, Statement, StringEquals
from troposphere import And, Equals, Not, Parameter, Ref, Sub, Template, iam

from ..deploy.patch_now import (
    ADMINISTRATION_ROLE_NAME,
    CONCURRENCY,
    DEFAULTS,
    ERRORS,
    EXECUTION_ROLE_NAME,
    OPERATIONS,
    REBOOT_OPTIONS,
    RUNBOOK_NAME,
)
from . import parameters as p
from .policies import document

GROUP = "Patch now (optional)"
PATCH_DOCUMENT = "AWS-RunPatchBaseline"
EXECUTION_ROLE_ARN = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/" + EXECUTION_ROLE_NAME


def administration_role_arn(account: str) -> str:
    """The administration role's ARN in `account` (a ${...} reference), for Fn::Sub."""
    return f"arn:${{AWS::Partition}}:iam::{account}:role/{ADMINISTRATION_ROLE_NAME}"


def runbook(targets_key, targets_values, assume_role) -> dict:
    """The Automation runbook (schema 0.3): AWS-RunPatchBaseline with each node's own baseline on the
    nodes `targets_key`/`targets_values` choose, with rate controls; `assume_role` is the default of
    AutomationAssumeRole, the administration role (in each target account-Region Systems Manager
    runs it as the execution role named in the target locations)."""
    return {
        "schemaVersion": "0.3",
        "description": "Patch now: AWS-RunPatchBaseline (Scan or Install) with each node's own patch baseline, "
        "on the nodes the maintenance windows target, outside the windows. Started across accounts and "
        "Regions by make patch-now.",
        "assumeRole": "{{ AutomationAssumeRole }}",
        "parameters": {
            "AutomationAssumeRole": {
                "type": "String",
                "description": "The role the run starts as: the administration role.",
                "default": assume_role,
                "allowedPattern": r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$",
            },
            "Operation": {
                "type": "String",
                "description": "Scan reports missing patches; Install installs the approved ones.",
                "default": DEFAULTS["OPERATION"],
                "allowedValues": list(OPERATIONS),
            },
            "RebootOption": {
                "type": "String",
                "description": "Install: reboot when a patch needs it, or never (the node then reports "
                "InstalledPendingReboot).",
                "default": DEFAULTS["REBOOT"],
                "allowedValues": list(REBOOT_OPTIONS),
            },
            "TargetKey": {
                "type": "String",
                "description": "How nodes are chosen, as the maintenance window target chooses them.",
                "default": targets_key,
            },
            "TargetValues": {
                "type": "StringList",
                "description": "Values for TargetKey, as the maintenance window target gives them.",
                "default": targets_values,
            },
            "MaxConcurrency": {
                "type": "String",
                "description": "Nodes of an account-Region patched at the same time: a number or a percentage.",
                "default": DEFAULTS["MAX_CONCURRENCY"],
                "allowedPattern": f"^({CONCURRENCY})$",
            },
            "MaxErrors": {
                "type": "String",
                "description": "Failed nodes after which no more nodes of the account-Region are started.",
                "default": DEFAULTS["MAX_ERRORS"],
                "allowedPattern": f"^({ERRORS})$",
            },
        },
        "mainSteps": [
            {
                "name": "RunPatchBaseline",
                "action": "aws:runCommand",
                "description": f"{PATCH_DOCUMENT} on the targeted nodes, each with the baseline of its patch group "
                "and operating system.",
                "inputs": {
                    "DocumentName": PATCH_DOCUMENT,
                    "Targets": [{"Key": "{{ TargetKey }}", "Values": "{{ TargetValues }}"}],
                    "Parameters": {"Operation": "{{ Operation }}", "RebootOption": "{{ RebootOption }}"},
                    "MaxConcurrency": "{{ MaxConcurrency }}",
                    "MaxErrors": "{{ MaxErrors }}",
                },
                "isEnd": True,
            }
        ],
        "outputs": ["RunPatchBaseline.CommandId"],
    }


@dataclass(frozen=True)
class ExecutionRole:
    """What `add_execution_role` added: its parameters, condition and role."""

    enable: Parameter
    administration_account: Parameter
    role_region: Parameter
    condition: str
    role: iam.Role


def add_execution_role(t: Template) -> ExecutionRole:
    """The member's part of patch now: parameters, a Rule, a condition and the execution role, created
    when pEnablePatchNow is true, in the one Region pPatchNowRoleRegion of each account (an IAM role is
    global; the StackSet deploys the member into every Region, and a run names one role for all)."""
    enable = p.add(
        t,
        "pEnablePatchNow",
        GROUP,
        "Patch now",
        Default="false",
        Description="true creates the execution role that lets make patch-now, started in the administration "
        "account, scan or install patches here outside the windows (docs/patch-now.md). Off unless true.",
        **p.BOOLEAN,
    )
    account = p.add(
        t,
        "pPatchNowAdministrationAccountId",
        GROUP,
        "Patch now: administration account id",
        Default=p.NONE,
        Description=f"The management account or delegated administrator whose role {ADMINISTRATION_ROLE_NAME} "
        "starts patch-now runs (patch_now_administration.yml); none when patch now is off.",
        **p.optional_none(p.ACCOUNT_ID),
    )
    region = p.add(
        t,
        "pPatchNowRoleRegion",
        GROUP,
        "Patch now: Region of the role",
        Default=p.NONE,
        Description="The one Region, among those the StackSet deploys to, where each account's execution role "
        "is created (an IAM role serves every Region); none when patch now is off.",
        **p.optional_none(p.REGION),
    )
    condition = "CreatePatchNowExecutionRole"
    t.add_condition(condition, And(Equals(Ref(enable), "true"), Equals(Ref("AWS::Region"), Ref(region))))
    t.add_rule(
        "PatchNowNeedsAdministrationAccountAndRegion",
        {
            "RuleCondition": Equals(Ref(enable), "true"),
            "Assertions": [
                {
                    "Assert": Not(Equals(Ref(parameter), p.NONE)),
                    "AssertDescription": f"pEnablePatchNow is true: give {parameter.title}, not none.",
                }
                for parameter in (account, region)
            ],
        },
    )
    role = t.add_resource(
        iam.Role(
            "PatchNowExecutionRole",
            Condition=condition,
            RoleName=EXECUTION_ROLE_NAME,
            Description="Patch now: lets the administration role start the patch-now runbook in this account, "
            "and the runbook run AWS-RunPatchBaseline on the nodes the windows target.",
            AssumeRolePolicyDocument=execution_trust(account),
            Policies=[iam.Policy(PolicyName="RunPatchNowRunbook", PolicyDocument=execution_policy(account))],
        )
    )
    return ExecutionRole(enable, account, region, condition, role)


def execution_trust(account: Parameter) -> dict:
    """Who may assume the execution role: the administration role, named, of the administration account,
    and Systems Manager running an automation of this account (the child run in each Region)."""
    administration = f"${{{account.title}}}"
    return document(
        # The account as principal and the role by aws:PrincipalArn, so the trust is valid before the
        # administration stack exists (IAM refuses a role ARN principal that does not exist yet).
        Statement(
            Sid="AdministrationRoleStartsRuns",
            Effect=Allow,
            Principal=Principal("AWS", Sub(f"arn:${{AWS::Partition}}:iam::{administration}:root")),
            Action=[sts.AssumeRole],
            Condition=Condition(ArnEquals({"aws:PrincipalArn": Sub(administration_role_arn(administration))})),
        ),
        automations_of_this_account("SystemsManagerRunsTheRunbookHere"),
    )


def automations_of_this_account(sid: str) -> Statement:
    """Trust for Systems Manager running an automation of this account as the role, and nothing of
    another account (the user guide's multi-account roles trust ssm.amazonaws.com with
    aws:SourceAccount and aws:SourceArn)."""
    return Statement(
        Sid=sid,
        Effect=Allow,
        Principal=Principal("Service", "ssm.amazonaws.com"),
        Action=[sts.AssumeRole],
        Condition=Condition(
            [
                StringEquals({"aws:SourceAccount": Ref("AWS::AccountId")}),
                ArnLike({"aws:SourceArn": Sub("arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:automation-execution/*")}),
            ]
        ),
    )


def execution_policy(account: Parameter) -> dict:
    """Only what a run needs here: start the shared runbook and follow it, pass this role to Systems
    Manager, send AWS-RunPatchBaseline to this account's nodes and follow the commands, resolve targets."""
    administration = f"${{{account.title}}}"
    return document(
        Statement(
            Sid="StartTheSharedRunbook",
            Effect=Allow,
            Action=[ssm_actions.StartAutomationExecution],
            Resource=[Sub(f"arn:${{AWS::Partition}}:ssm:*:{administration}:automation-definition/{RUNBOOK_NAME}:*")],
        ),
        Statement(
            Sid="FollowRunsHere",
            Effect=Allow,
            Action=[ssm_actions.GetAutomationExecution, ssm_actions.StopAutomationExecution],
            Resource=[Sub("arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:automation-execution/*")],
        ),
        # The run is started with this role as its AutomationAssumeRole (the user guide's execution role
        # may pass itself).
        Statement(
            Sid="PassThisRoleToSystemsManager",
            Effect=Allow,
            Action=[iam_actions.PassRole],
            Resource=[Sub(EXECUTION_ROLE_ARN)],
            Condition=Condition(StringEquals({"iam:PassedToService": "ssm.amazonaws.com"})),
        ),
        Statement(
            Sid="SendPatchBaselineToNodesHere",
            Effect=Allow,
            Action=[ssm_actions.SendCommand],
            Resource=[
                Sub(f"arn:${{AWS::Partition}}:ssm:*::document/{PATCH_DOCUMENT}"),
                Sub("arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:instance/*"),
                Sub("arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:managed-instance/*"),
            ],
        ),
        # Following and cancelling commands, and resolving tag targets: these actions take no resource
        # (Service Authorization Reference). The user guide's execution role resolves targets with
        # tag:GetResources and resource-groups:ListGroupResources.
        Statement(
            Sid="FollowCommandsAndResolveTags",
            Effect=Allow,
            Action=[
                ssm_actions.ListCommands,
                ssm_actions.ListCommandInvocations,
                ssm_actions.CancelCommand,
                tag.GetResources,
            ],
            Resource=["*"],
        ),
        Statement(
            Sid="ResolveResourceGroupTargets",
            Effect=Allow,
            Action=[resource_groups.ListGroupResources],
            Resource=[Sub("arn:${AWS::Partition}:resource-groups:*:${AWS::AccountId}:group/*")],
        ),
    )
