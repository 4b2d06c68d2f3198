"""Source account, on by default in the StackSet: Default Host Management Configuration (DHMC), so
every EC2 instance of the account-Region with a recent SSM Agent and IMDSv2 is a managed node without an instance
profile (Systems Manager user guide, "Default Host Management Configuration"). The StackSet's shared member
(stacks/shared_member.py, switch pEnableDefaultHostManagement, on by default) or deploying this file
alone is the choice; the one parameter is the optional KMS key of the function's log group.

The role: the user guide's DHMC role (trusted by ssm.amazonaws.com, managed policy
AmazonSSMManagedEC2InstanceDefaultPolicy, under the service-role/ path whose setting value the
guide shows as service-role/<name>), but named by CloudFormation instead of the guide's fixed
AWSSystemsManagerDefaultEC2InstanceManagementRole: IAM is global while the setting is per
Region, so the StackSet's stacks in two Regions of one account would clash on a fixed name, as
would a role the Fleet Manager console already made. The setting is set by a custom resource
(AWS::SSM::DefaultHostManagementConfiguration is missing from the resource schemas of the cfn-lint
the build uses) that never overwrites a role someone else set."""

from pathlib import Path

from awacs import iam as iam_actions, logs as logs_actions, ssm as ssm_actions
from awacs.aws import Allow, Condition, Statement, StringEquals
from troposphere import AWSObject, GetAtt, If, Join, NoValue, Output, Ref, Select, Split, Sub, Template, iam, logs

from ..parts import parameters as p, policies
from ..parts.common import checkov_skip, custom_resource_settings, inline_function
from .record import Record

FUNCTION_CODE = Path(__file__).resolve().parent.parent / "lambdas" / "default_host_management.py"
# The setting's ARN, the resource of GetServiceSetting, UpdateServiceSetting and ResetServiceSetting
# (Systems Manager API reference, UpdateServiceSetting SettingId; user guide's example policy).
SETTING_ARN = (
    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:servicesetting"
    "/ssm/managed-instance/default-ec2-instance-management-role"
)
MANAGED_POLICY = "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedEC2InstanceDefaultPolicy"


class DefaultHostManagement(AWSObject):
    """The custom resource; RoleValue is the setting value: the role name with its path."""

    resource_type = "Custom::DefaultHostManagement"
    props = {"ServiceToken": (object, True), "ServiceTimeout": (int, False), "RoleValue": (object, True)}


def build() -> Template:
    t = Template(
        Description=(
            "Source account, on by default in the StackSet: Default Host Management Configuration, so that every EC2 instance of "
            "this account and Region with SSM Agent 3.2.582.0 or later and IMDSv2 becomes a managed node "
            "without an instance profile. Creates the DHMC role and sets the Systems Manager service setting "
            "through a custom resource that leaves a role someone else set, and puts back what was there "
            "on delete."
        )
    )
    add(t)
    return t


def add(t: Template, member: bool = False) -> None:
    """DHMC's parameter, resources and outputs (also part of stacks/shared_member.py); a member's KMS key
    parameter takes none only, as StackSet members do (parameters.add_kms_key)."""
    kms_key = p.add_kms_key(
        t,
        "Default Host Management",
        "Customer managed KMS key of the custom resource function's log group; {no_key} for an AWS "
        "owned key. The stack uses the key of this ARN in its own Region: through the StackSet, a "
        "multi-Region key (mrk-) with a replica in every target Region. Its key policy must let "
        "logs.REGION.amazonaws.com use it (kms:Encrypt*, kms:Decrypt*, kms:ReEncrypt*, "
        "kms:GenerateDataKey*, kms:Describe*) for the log groups of the member accounts "
        "(kms:EncryptionContext:aws:logs:arn).",
        name="pLogsKMSKeyArn",
        label="Log group KMS key ARN (optional)",
        member=member,
    )
    # The key's account and id, in this stack's Region. Padded with colons so that the branch of the
    # Fn::If not taken also resolves when the value is none (Fn::Select fails outside the list).
    arn = Split(":", Sub(f"${{{kms_key.title}}}:::::"))
    regional_key = Join(":", ["arn", Ref("AWS::Partition"), "kms", Ref("AWS::Region"), Select(4, arn), Select(5, arn)])

    role = t.add_resource(
        iam.Role(
            "DefaultHostManagementRole",
            Description="Default Host Management Configuration: the role SSM Agent uses on EC2 instances",
            Path="/service-role/",
            # Without aws:SourceAccount, as the user guide's DHMC role ("Managing EC2 instances automatically
            # with Default Host Management Configuration"): SSM assumes it for the instances' agents.
            AssumeRolePolicyDocument=policies.service_assume_role("ssm.amazonaws.com"),
            ManagedPolicyArns=[Sub(MANAGED_POLICY)],
        )
    )
    log_group = t.add_resource(
        logs.LogGroup(
            "DefaultHostManagementLogGroup",
            DeletionPolicy="Delete",  # answer lines of a helper, not report data
            UpdateReplacePolicy="Delete",
            Metadata=checkov_skip(
                CKV_AWS_158="Encrypted with pLogsKMSKeyArn when one is given, else with an AWS owned key; "
                "checkov cannot evaluate the Fn::If that chooses."
            ),
            LogGroupName=Sub("/aws/lambda/${AWS::StackName}-default-host-management"),
            KmsKeyId=If(p.has_value(t, kms_key), regional_key, NoValue),
            RetentionInDays=365,
        )
    )
    function_role = t.add_resource(
        iam.Role(
            "DefaultHostManagementFunctionRole",
            # A Lambda execution role: Lambda is not documented to send aws:SourceAccount (see service_assume_role).
            AssumeRolePolicyDocument=policies.service_assume_role("lambda.amazonaws.com"),
            Policies=[
                iam.Policy(
                    PolicyName="default-host-management-setting",
                    PolicyDocument=policies.document(
                        Statement(
                            Sid="DefaultHostManagementSetting",
                            Effect=Allow,
                            Action=[
                                ssm_actions.GetServiceSetting,
                                ssm_actions.UpdateServiceSetting,
                                ssm_actions.ResetServiceSetting,
                            ],
                            Resource=[Sub(SETTING_ARN)],
                        ),
                        # Setting the role passes it to Systems Manager (user guide's example policy).
                        Statement(
                            Sid="PassDefaultHostManagementRole",
                            Effect=Allow,
                            Action=[iam_actions.PassRole],
                            Resource=[GetAtt(role, "Arn")],
                            Condition=Condition(StringEquals({"iam:PassedToService": "ssm.amazonaws.com"})),
                        ),
                        Statement(
                            Sid="WriteLogs",
                            Effect=Allow,
                            Action=[logs_actions.CreateLogStream, logs_actions.PutLogEvents],
                            Resource=[GetAtt(log_group, "Arn")],
                        ),
                    ),
                )
            ],
        )
    )
    function = inline_function(
        t,
        "DefaultHostManagementFunction",
        code=FUNCTION_CODE,
        role=function_role,
        log_group=log_group,
        timeout=120,
        calls="Systems Manager",
        description="Sets the Default Host Management Configuration role unless another role is set",
    )
    setting = t.add_resource(
        DefaultHostManagement(
            "DefaultHostManagement",
            ServiceToken=GetAtt(function, "Arn"),
            **custom_resource_settings(function),
            # The setting value is the role name with its path, without the leading slash.
            RoleValue=Sub("service-role/${DefaultHostManagementRole}"),
        )
    )

    t.add_output(
        Output("DefaultHostManagementRoleName", Description="The role this stack offers to DHMC", Value=Ref(role))
    )
    t.add_output(
        Output(
            "DefaultHostManagementSetting",
            Description="The service setting's value after the last stack operation: this stack's "
            "role, or the role someone else had set, which this stack left alone",
            Value=GetAtt(setting, "SettingValue"),
        )
    )


RECORD = Record(
    "default_host_management.yml",
    build,
    step=3,
    account="single",
    does="Default Host Management (on by default in the StackSet): every EC2 instance a managed node",
)
