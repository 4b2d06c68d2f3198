"""Management account (or delegated administrator), optional: what `make patch-now` starts from
(docs/patch-now.md). The administration role that runs a patch-now run across accounts and Regions,
and the patch-now runbook, which `make patch-now` shares with the organization's accounts.

Deployed as one stack in every Region a run targets: a custom runbook run in other accounts is
shared from here (Systems Manager user guide, "Running automations in multiple AWS Regions and
accounts") and a document belongs to one Region. The role is global, so only the stack in
pAdministrationRoleRegion creates it. Members need the execution role (parts/patch_now.py).

What the role allows: assume the execution role PatchNow-Execution in accounts of this organization,
and list the accounts and child OUs of this organization's OUs; nothing else. Whoever starts a run
needs ssm:StartAutomationExecution on the runbook and iam:PassRole on this role.
"""

from awacs import organizations, sts
from awacs.aws import Allow, Condition, Statement, StringEquals
from troposphere import Equals, GetAtt, Output, Ref, Sub, Template, iam, ssm

from ..deploy.patch_now import ADMINISTRATION_ROLE_NAME, EXECUTION_ROLE_NAME, RUNBOOK_NAME
from ..parts import operations, parameters as p, patch_now
from ..parts.policies import document
from .record import Record

GROUP = "Patch now"


def build() -> Template:
    t = Template(
        Description=(
            "Management account or delegated administrator, optional: the administration role and the runbook of "
            "make patch-now, which scans or installs patches now across accounts and Regions as one Automation "
            "run. One stack in every Region a run targets; the role is created in one of them."
        )
    )
    organization = p.add(
        t,
        "pOrganizationID",
        GROUP,
        "Organization id",
        Description="Your AWS Organizations id (o-...): the administration role may assume execution roles "
        "in this organization's accounts only.",
        **p.ORGANIZATION_ID,
    )
    role_region = p.add(
        t,
        "pAdministrationRoleRegion",
        GROUP,
        "Region of the administration role",
        Description="The one Region whose stack creates the administration role (an IAM role serves every "
        "Region). Deploy this template in every Region a run targets, with the same value.",
        **p.REGION,
    )
    targets_key, targets_values = window_target_parameters(t)
    t.add_condition("CreateAdministrationRole", Equals(Ref("AWS::Region"), Ref(role_region)))

    role = t.add_resource(
        iam.Role(
            "PatchNowAdministrationRole",
            Condition="CreateAdministrationRole",
            RoleName=ADMINISTRATION_ROLE_NAME,
            Description="Patch now: runs the patch-now runbook in the organization's accounts through their "
            "execution role, and lists the accounts of the OUs a run targets.",
            # Systems Manager runs the run that starts in this account as this role.
            AssumeRolePolicyDocument=document(patch_now.automations_of_this_account("SystemsManagerStartsRunsHere")),
            Policies=[
                iam.Policy(
                    PolicyName="RunPatchNowInTheOrganization",
                    PolicyDocument=document(
                        Statement(
                            Sid="AssumeExecutionRolesOfThisOrganization",
                            Effect=Allow,
                            Action=[sts.AssumeRole],
                            Resource=[Sub(f"arn:${{AWS::Partition}}:iam::*:role/{EXECUTION_ROLE_NAME}")],
                            Condition=Condition(StringEquals({"aws:ResourceOrgID": Ref(organization)})),
                        ),
                        # Runs that target OUs expand them to accounts and child OUs from here (user guide:
                        # "the central account must have permissions to list all of the accounts in the OUs").
                        Statement(
                            Sid="ListAccountsOfTheTargetOrganizationalUnits",
                            Effect=Allow,
                            Action=[organizations.ListAccountsForParent, organizations.ListChildren],
                            Resource=[
                                Sub("arn:${AWS::Partition}:organizations::*:ou/${pOrganizationID}/ou-*"),
                                Sub("arn:${AWS::Partition}:organizations::*:root/${pOrganizationID}/r-*"),
                            ],
                        ),
                    ),
                )
            ],
        )
    )
    runbook = t.add_resource(
        ssm.Document(
            "PatchNowRunbook",
            Name=RUNBOOK_NAME,
            DocumentType="Automation",
            # A named document cannot be replaced in place: a changed runbook becomes a new version.
            UpdateMethod="NewVersion",
            Content=patch_now.runbook(
                Ref(targets_key), Ref(targets_values), Sub(patch_now.administration_role_arn("${AWS::AccountId}"))
            ),
        )
    )
    t.add_output(Output("RunbookName", Description="The patch-now runbook in this Region", Value=Ref(runbook)))
    t.add_output(
        Output(
            "AdministrationRoleArn",
            Condition="CreateAdministrationRole",
            Description="The role patch-now runs start as (allow whoever runs make patch-now to pass it)",
            Value=GetAtt(role, "Arn"),
        )
    )
    return t


def window_target_parameters(t: Template) -> tuple:
    """pTargetsKey and pTargetsValue as a standalone window target defines them (their defaults,
    constraints and labels): tags, instance ids or a resource group. Not the StackSet's default, every
    EC2 instance by resource type: Run Command takes resource-groups:ResourceTypeFilters for maintenance
    window targets only ("Target", Systems Manager API Reference)."""
    window = Template()
    parameters = operations.add_parameters(window, operations.STANDALONE)
    labels = window.metadata["AWS::CloudFormation::Interface"]["ParameterLabels"]
    return tuple(
        p.add(t, parameter.title, operations.TARGETS_GROUP, labels[parameter.title]["default"], **parameter.to_dict())
        for parameter in (parameters.targets_key, parameters.targets_value)
    )


RECORD = Record(
    "patch_now_administration.yml",
    build,
    step=3,
    account="management",
    does="optional: patch-now runbook and administration role (make patch-now)",
)
