"""Source account: patch baseline, maintenance window, its target and patching task, SNS alerts,
and the scan and inventory associations that keep compliance and inventory fresh (design step 2).

One builder for every operating system: `OPERATING_SYSTEMS` holds what differs (the baseline's
OperatingSystem, its filter keys, allowed values and defaults); everything else is shared, and the
parameter names are the same in every template where they mean the same.

Where the values come from (AWS documentation):
- filter keys per operating system: DescribePatchProperties (Systems Manager API Reference);
- Windows PRODUCT, CLASSIFICATION, MSRC_SEVERITY and Ubuntu PRODUCT, PRIORITY values: PatchFilter
  (API Reference), Ubuntu releases after 16.04 named the same way;
- Amazon Linux and RHEL CLASSIFICATION and SEVERITY: "How patch baseline rules work on Linux-based
  systems" (user guide: the updateinfo.xml type and severity of each update notice), Amazon Linux
  severities also DescribeAvailablePatches' sample values, RHEL severities Red Hat's ratings;
- product names: DescribeAvailablePatches ("AmazonLinux2.0") and PatchSource ("RedhatEnterpriseLinux7.2");
- defaults: the design for Windows; the predefined baselines ("Predefined and custom patch
  baselines", user guide: Security, Critical and Important) for Linux;
- ApproveAfterDays is "not supported for Debian Server or Ubuntu Server" (PatchRule, API Reference),
  so the Ubuntu template has no pApproveAfterDays.
"""

import json
from dataclasses import dataclass

from awacs import awslambda, ec2, resource_groups, states, tag
from awacs import iam as iam_actions, sns as sns_actions, ssm as ssm_actions
from awacs.aws import Allow, Condition, PolicyDocument, Statement, StringEquals
from troposphere import (
    And, Base64, Equals, Export, GetAtt, If, Not, NoValue, Or, Output, Ref, Select, Split, Sub, Tags, Template,
    iam, sns, ssm,
)

from .. import parameters as p
from ..policies import POLICY_VERSION, document, service_assume_role

BASELINE_GROUP = "Patch Baseline Information"
RULES_GROUP = "Approval Rules"
WINDOW_GROUP = "Maintenance Window"
TARGETS_GROUP = "Maintenance Window Targets"
TASKS_GROUP = "Maintenance Window Tasks"
ASSOCIATIONS_GROUP = "Compliance Scan and Inventory"

COMPLIANCE_LEVELS = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED"]
TASK_TYPES = ["RUN_COMMAND", "AUTOMATION", "LAMBDA", "STEP_FUNCTIONS"]
# Command documents that take Operation and RebootOption, the parameters the install task passes.
PATCH_DOCUMENTS = ["AWS-RunPatchBaseline", "AWS-RunPatchBaselineWithHooks"]
NOTIFICATION_EVENTS = ["Success", "Failed", "TimedOut", "Cancelled"]


@dataclass(frozen=True)
class Filter:
    """One approval-rule filter: its PatchFilter key, the values it allows and the default."""
    key: str
    values: tuple[str, ...]
    default: str


@dataclass(frozen=True)
class OperatingSystem:
    title: str
    operating_system: str  # AWS::SSM::PatchBaseline OperatingSystem
    product: Filter
    classification: Filter | None
    severity: Filter
    approve_after_days: bool = True


# updateinfo.xml update types (Amazon Linux, RHEL) and Amazon Linux advisory severities
# (also the sample SEVERITY values of DescribeAvailablePatches).
YUM_CLASSIFICATIONS = ("Security", "Bugfix", "Enhancement", "Recommended", "Newpackage")
AMAZON_LINUX_SEVERITIES = ("Critical", "Important", "Medium", "Low", "*")
# RHEL products name the minor release, as "RedhatEnterpriseLinux7.2" in the PatchSource reference.
RHEL_PRODUCTS = ("RedhatEnterpriseLinux7.9", *(f"RedhatEnterpriseLinux8.{minor}" for minor in range(11)),
                 *(f"RedhatEnterpriseLinux9.{minor}" for minor in range(5)))

OPERATING_SYSTEMS = {
    # Defaults are the design's (WindowsServer2019, CriticalUpdates, Critical).
    "windows": OperatingSystem(
        "Windows Server", "WINDOWS",
        product=Filter("PRODUCT", ("WindowsServer2012", "WindowsServer2012R2", "WindowsServer2016",
                                   "WindowsServer2019", "WindowsServer2022", "*"),
                       "WindowsServer2019"),
        classification=Filter("CLASSIFICATION", ("CriticalUpdates", "DefinitionUpdates", "Drivers",
                                                 "FeaturePacks", "SecurityUpdates", "ServicePacks", "Tools",
                                                 "UpdateRollups", "Updates", "Upgrades", "*"),
                              "CriticalUpdates"),
        severity=Filter("MSRC_SEVERITY", ("Critical", "Important", "Moderate", "Low", "Unspecified", "*"),
                        "Critical"),
    ),
    "amazon_linux_2023": OperatingSystem(
        "Amazon Linux 2023", "AMAZON_LINUX_2023",
        product=Filter("PRODUCT", ("AmazonLinux2023", "*"), "AmazonLinux2023"),
        classification=Filter("CLASSIFICATION", YUM_CLASSIFICATIONS + ("*",), "Security"),
        severity=Filter("SEVERITY", AMAZON_LINUX_SEVERITIES, "Critical,Important"),
    ),
    "amazon_linux_2": OperatingSystem(
        "Amazon Linux 2", "AMAZON_LINUX_2",
        product=Filter("PRODUCT", ("AmazonLinux2.0", "*"), "AmazonLinux2.0"),
        classification=Filter("CLASSIFICATION", YUM_CLASSIFICATIONS + ("*",), "Security"),
        severity=Filter("SEVERITY", AMAZON_LINUX_SEVERITIES, "Critical,Important"),
    ),
    "redhat": OperatingSystem(
        "Red Hat Enterprise Linux", "REDHAT_ENTERPRISE_LINUX",
        product=Filter("PRODUCT", RHEL_PRODUCTS + ("*",), "*"),
        classification=Filter("CLASSIFICATION", YUM_CLASSIFICATIONS + ("*",), "Security"),
        severity=Filter("SEVERITY", ("Critical", "Important", "Moderate", "Low", "*"), "Critical,Important"),
    ),
    "ubuntu": OperatingSystem(
        "Ubuntu Server", "UBUNTU",
        product=Filter("PRODUCT", ("Ubuntu16.04", "Ubuntu18.04", "Ubuntu20.04", "Ubuntu22.04", "Ubuntu24.04",
                                   "*"),
                       "*"),
        classification=None,  # Ubuntu filters by PRODUCT and PRIORITY only (DescribePatchProperties)
        severity=Filter("PRIORITY", ("Required", "Important", "Standard", "Optional", "Extra", "*"),
                        "Required,Important"),
        approve_after_days=False,
    ),
}


def file_name(os_key: str) -> str:
    return f"{os_key}_patch_baseline_maintenance_window.yml"


# Approval-rule parameter -> (console label, the OperatingSystem field with its filter).
FILTER_PARAMETERS = {"pProduct": ("Products", "product"), "pClassification": ("Classifications", "classification"),
                     "pSeverity": ("Severities", "severity")}


def add_parameters(t: Template, os: OperatingSystem) -> dict:
    """Every parameter, in the console groups of the design's step 2 table; returns name -> Parameter."""
    params = {}

    def param(name, group, label, **properties):
        params[name] = p.add(t, name, group, label, **properties)

    param("pOrganization", BASELINE_GROUP, "Organization", Default="Enquizit",
          Description="Organization name, used in resource names and tags.",
          Type="String", AllowedPattern=r"^[A-Za-z0-9_.-]{1,40}$",
          ConstraintDescription="must be 1-40 letters, digits, '_', '.' or '-'")
    param("pPatchBaselineName", BASELINE_GROUP, "Patch baseline name", Default="myPatchBaseline",
          Description="Name of the patch baseline (the organization and operating system are added).",
          **p.SSM_NAME)
    param("pPatchGroups", BASELINE_GROUP, "Patch groups", Default="Production",
          Description="Patch groups registered with the baseline (values of the Patch Group tag), separated "
                      "by commas.",
          Type="CommaDelimitedList", AllowedPattern=r"^[\w .:/=+@-]{1,256}$",
          ConstraintDescription="must be patch group names of 1-256 letters, digits, spaces and _.:/=+@-, "
                                "separated by commas")
    if os.approve_after_days:
        param("pApproveAfterDays", BASELINE_GROUP, "Approve after days", Default=7,
              Description="Days after release before a patch matched by the rule is approved.",
              **p.days(0, 360))

    for name, (label, field) in FILTER_PARAMETERS.items():
        if f := getattr(os, field):
            param(name, RULES_GROUP, label, Default=f.default, Type="CommaDelimitedList", AllowedValues=list(f.values),
                  Description=f"{label} the approval rule approves ({os.title} {f.key} filter), separated by "
                              "commas; * for all.",
                  ConstraintDescription=f"must be one or more of {', '.join(f.values)}, separated by commas")
    param("pComplianceLevel", RULES_GROUP, "Compliance level", Default="CRITICAL",
          Description="Compliance severity reported for a missing approved patch.",
          Type="String", AllowedValues=COMPLIANCE_LEVELS,
          ConstraintDescription="must be one of " + ", ".join(COMPLIANCE_LEVELS))

    param("pMaintenanceWindowName", WINDOW_GROUP, "Maintenance window name", Default="OSMaintenanceWindow",
          Description="Name of the maintenance window (the organization and operating system are added).",
          **p.SSM_NAME)
    param("pAllowUnassociatedTargets", WINDOW_GROUP, "Allow unassociated targets", Default="false",
          Description="Whether tasks may run on managed nodes not registered as targets of the window.",
          **p.BOOLEAN)
    param("pCutoff", WINDOW_GROUP, "Cutoff (hours)", Default=1,
          Description="Hours before the end of the window when no new task is started (less than the duration).",
          Type="Number", MinValue=0, MaxValue=23, ConstraintDescription="must be a whole number of hours from 0 to 23")
    param("pDuration", WINDOW_GROUP, "Duration (hours)", Default=2,
          Description="Length of the maintenance window in hours.",
          Type="Number", MinValue=1, MaxValue=24, ConstraintDescription="must be a whole number of hours from 1 to 24")
    param("pSchedule", WINDOW_GROUP, "Schedule", Default="cron(0 4 ? * * *)",
          Description="When the window opens: a cron or rate expression.", **p.SCHEDULE)
    param("pScheduleTimezone", WINDOW_GROUP, "Schedule time zone", Default="US/Eastern",
          Description="IANA time zone the schedule is read in.", **p.TIMEZONE)
    param("pNotificationEmailAddress", WINDOW_GROUP, "Notification email",
          Description="Email address told when the patching command succeeds, fails, times out or is cancelled "
                      "(confirm the subscription email).",
          **p.EMAIL)

    param("pMaintenanceWindowTargetName", TARGETS_GROUP, "Target name", Default="SSMPatchManager",
          Description="Name of the maintenance window target.", **p.SSM_NAME)
    param("pTargetsKey", TARGETS_GROUP, "Targets key", Default="tag:Patch Group",
          Description="How nodes are chosen: tag:<tag key>, tag-key, InstanceIds or resource-groups:Name.",
          Type="String", AllowedPattern=r"^(tag:[\w .:/=+@-]{1,128}|tag-key|InstanceIds|resource-groups:Name)$",
          ConstraintDescription="must be tag:<tag key>, tag-key, InstanceIds or resource-groups:Name")
    param("pTargetsValue", TARGETS_GROUP, "Targets values", Default="Production",
          Description="Values for the targets key (tag values, instance ids, ...), separated by commas.",
          Type="CommaDelimitedList", AllowedPattern=r"^[\w .:/=+@*-]{1,256}$",
          ConstraintDescription="must be values of 1-256 letters, digits, spaces and _.:/=+@*-, separated by commas")
    param("pOwnerInformation", TARGETS_GROUP, "Owner information", Default="SSM Patch manager",
          Description="Text included in the events raised while tasks run for these targets.",
          Type="String", AllowedPattern=r"^[\w .,:/=+@()-]{1,128}$",
          ConstraintDescription="must be 1-128 letters, digits, spaces and _.,:/=+@()-")

    param("pMaxConcurrency", TASKS_GROUP, "Max concurrency", Default="1",
          Description="Targets patched in parallel: a number or a percentage.", **p.CONCURRENCY)
    param("pMaxErrors", TASKS_GROUP, "Max errors", Default="1",
          Description="Errors after which the task stops being scheduled: a number or a percentage.",
          **p.ERROR_LIMIT)
    param("pPriority", TASKS_GROUP, "Priority", Default=0,
          Description="Task priority in the window; lower runs first, equal runs in parallel.",
          Type="Number", MinValue=0, MaxValue=99, ConstraintDescription="must be a whole number from 0 to 99")
    param("pTaskType", TASKS_GROUP, "Task type", Default="RUN_COMMAND",
          Description="RUN_COMMAND patches with pTaskArn (a patch document); AUTOMATION runs a runbook, LAMBDA "
                      "a function and STEP_FUNCTIONS a state machine for each target.",
          Type="String", AllowedValues=TASK_TYPES, ConstraintDescription="must be one of " + ", ".join(TASK_TYPES))
    param("pTaskArn", TASKS_GROUP, "Task document or ARN", Default="AWS-RunPatchBaseline",
          Description="RUN_COMMAND: AWS-RunPatchBaseline or AWS-RunPatchBaselineWithHooks; AUTOMATION: runbook name; "
                      "LAMBDA: function name or ARN; STEP_FUNCTIONS: state machine name or ARN (this account and "
                      "Region).",
          Type="String",
          AllowedPattern=(r"^(arn:aws[a-z-]*:(lambda:[a-z0-9-]+:\d{12}:function|states:[a-z0-9-]+:\d{12}:stateMachine)"
                          r":[\w.:-]{1,200}|[A-Za-z0-9_.-]{3,128})$"),
          ConstraintDescription="must be a document, runbook, function or state machine name, or a Lambda "
                                "function or state machine ARN")
    param("pRebootOption", TASKS_GROUP, "Reboot option", Default="RebootIfNeeded",
          Description="RUN_COMMAND: reboot after installing when a patch needs it, or never (the node then reports "
                      "InstalledPendingReboot).",
          Type="String", AllowedValues=["RebootIfNeeded", "NoReboot"],
          ConstraintDescription="must be RebootIfNeeded or NoReboot")
    param("pAutomationAssumeRoleArn", TASKS_GROUP, "Automation role ARN (optional)", Default="",
          Description="AUTOMATION: role the runbook runs as (its AutomationAssumeRole); empty for runbooks that "
                      "need none.",
          **p.optional(p.IAM_ROLE_ARN))
    param("pOutputS3BucketName", TASKS_GROUP, "Command output bucket (optional)", Default="",
          Description="Existing S3 bucket for command output of the install task and the scan; empty for none. "
                      "The nodes' instance profile must be allowed to write to it.",
          **p.optional(p.BUCKET_NAME))
    param("pOutputS3KeyPrefix", TASKS_GROUP, "Command output prefix", Default="patching",
          Description="Folder in the output bucket.", **p.BUCKET_PREFIX)

    param("pEnablePatchScan", ASSOCIATIONS_GROUP, "Daily compliance scan", Default="true",
          Description="Scan the same targets for missing patches on a schedule (AWS-RunPatchBaseline Scan), so "
                      "compliance stays fresh between install windows.",
          **p.BOOLEAN)
    param("pPatchScanSchedule", ASSOCIATIONS_GROUP, "Scan schedule", Default="rate(1 day)",
          Description="When the scan runs: a cron or rate expression.", **p.SCHEDULE)
    param("pEnableInventory", ASSOCIATIONS_GROUP, "Inventory collection", Default="true",
          Description="Collect software inventory from the same targets (AWS-GatherSoftwareInventory) for the "
                      "resource data sync. A node takes one inventory association: enable it in one stack only "
                      "when several stacks target the same nodes.",
          **p.BOOLEAN)
    param("pInventorySchedule", ASSOCIATIONS_GROUP, "Inventory schedule", Default="rate(12 hours)",
          Description="When inventory is collected: a cron or rate expression.", **p.SCHEDULE)
    return params


def add_conditions(t: Template, params: dict) -> None:
    p.has_value(t, params["pOutputS3BucketName"])  # HasOutputS3BucketName
    for task_type in TASK_TYPES:
        t.add_condition(condition_name(task_type), Equals(Ref(params["pTaskType"]), task_type))
    t.add_condition("TaskArnIsArn", Equals(Select(0, Split(":", Ref(params["pTaskArn"]))), "arn"))
    t.add_condition("EnablePatchScan", Equals(Ref(params["pEnablePatchScan"]), "true"))
    t.add_condition("EnableInventory", Equals(Ref(params["pEnableInventory"]), "true"))
    t.add_condition("PassAutomationRole", And(Equals(Ref(params["pTaskType"]), "AUTOMATION"),
                                              {"Condition": p.has_value(t, params["pAutomationAssumeRoleArn"])}))


def condition_name(task_type: str) -> str:
    """RUN_COMMAND -> IsRunCommand."""
    return "Is" + "".join(word.capitalize() for word in task_type.split("_"))


def add_rules(t: Template, params: dict) -> None:
    """Combinations the console refuses before anything is created."""
    duration, cutoff, task_type, task_arn = (Ref(params[n]) for n in ("pDuration", "pCutoff", "pTaskType", "pTaskArn"))
    t.add_rule("CutoffBeforeEnd", {"Assertions": [cutoff_assertion(cutoff, duration, hours) for hours in range(1, 24)]})
    t.add_rule("RunCommandRunsPatchDocument", {
        "RuleCondition": Equals(task_type, "RUN_COMMAND"),
        "Assertions": [{"Assert": {"Fn::Contains": [PATCH_DOCUMENTS, task_arn]},
                        "AssertDescription": "A RUN_COMMAND task passes Operation and RebootOption: pTaskArn must be "
                                             + " or ".join(PATCH_DOCUMENTS) + "."}],
    })
    t.add_rule("OtherTaskTypesNotOnPatchDocument", {
        "RuleCondition": {"Fn::Contains": [TASK_TYPES[1:], task_type]},
        "Assertions": [{"Assert": Not({"Fn::Contains": [PATCH_DOCUMENTS, task_arn]}),
                        "AssertDescription": "For AUTOMATION, LAMBDA and STEP_FUNCTIONS, pTaskArn must name a runbook, "
                                             "function or state machine, not a Run Command patch document."}],
    })
    t.add_rule("AutomationRoleOnlyForAutomation", {
        "RuleCondition": Not(Equals(Ref(params["pAutomationAssumeRoleArn"]), "")),
        "Assertions": [{"Assert": Equals(task_type, "AUTOMATION"),
                        "AssertDescription": "pAutomationAssumeRoleArn is used by AUTOMATION tasks only; leave it "
                                             "empty."}],
    })


def cutoff_assertion(cutoff: Ref, duration: Ref, hours: int) -> dict:
    """pCutoff = hours needs pDuration > hours. Rules cannot compare numbers, so the assertion lists
    durations: the refused ones (1..hours) or the allowed ones (hours+1..24), whichever is shorter."""
    refused, allowed = [str(d) for d in range(1, hours + 1)], [str(d) for d in range(hours + 1, 25)]
    duration_ok = (Not({"Fn::Contains": [refused, duration]}) if len(refused) <= len(allowed)
                   else {"Fn::Contains": [allowed, duration]})
    return {"Assert": Or(Not(Equals(cutoff, str(hours))), duration_ok),
            "AssertDescription": "pCutoff must be less than pDuration."}


def arn(service: str, resource: str, account: str = "${AWS::AccountId}") -> Sub:
    return Sub(f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:{account}:{resource}")


def window_role_policy(params: dict, notification_role: iam.Role) -> dict:
    """What the maintenance window may do with its service role, per task type (Fn::If), scoped to
    the task's document, runbook, function or state machine in this account and Region."""
    task_arn = params["pTaskArn"]
    run_command = [
        Statement(Sid="SendPatchCommand", Effect=Allow, Action=[ssm_actions.SendCommand],
                  Resource=[Sub("arn:${AWS::Partition}:ssm:${AWS::Region}::document/${pTaskArn}"),
                            arn("ec2", "instance/*"), arn("ssm", "managed-instance/*")]),
        Statement(Sid="PassNotificationRole", Effect=Allow, Action=[iam_actions.PassRole],
                  Resource=[GetAtt(notification_role, "Arn")],
                  Condition=Condition(StringEquals({"iam:PassedToService": "ssm.amazonaws.com"}))),
    ]
    automation = [
        Statement(Sid="StartRunbook", Effect=Allow, Action=[ssm_actions.StartAutomationExecution],
                  Resource=[arn("ssm", "automation-definition/${pTaskArn}:*", account="*")]),
        Statement(Sid="ReadRunbookExecution", Effect=Allow, Action=[ssm_actions.GetAutomationExecution],
                  Resource=[arn("ssm", "automation-execution/*")]),
    ]
    lambda_ = [Statement(Sid="InvokeFunction", Effect=Allow, Action=[awslambda.InvokeFunction], Resource=[
        If("TaskArnIsArn", Ref(task_arn), arn("lambda", "function:${pTaskArn}")),
        If("TaskArnIsArn", Sub("${pTaskArn}:*"), arn("lambda", "function:${pTaskArn}:*")),
    ])]
    step_functions = [
        Statement(Sid="StartStateMachine", Effect=Allow, Action=[states.StartExecution], Resource=[
            If("TaskArnIsArn", Ref(task_arn), arn("states", "stateMachine:${pTaskArn}"))]),
        Statement(Sid="ReadStateMachineExecution", Effect=Allow, Action=[states.DescribeExecution],
                  Resource=[arn("states", "execution:*:*")]),
    ]
    statements = [
        # Resolving targets and following commands: these actions have no resource-level permissions.
        Statement(Sid="ResolveTargetsAndFollowCommands", Effect=Allow, Resource=["*"], Action=[
            ec2.DescribeInstanceStatus, tag.GetResources, resource_groups.ListGroups,
            resource_groups.ListGroupResources, ssm_actions.ListCommands, ssm_actions.ListCommandInvocations,
            ssm_actions.GetCommandInvocation]),
    ]
    for condition, group in [("IsRunCommand", run_command), ("IsAutomation", automation),
                             ("IsLambda", lambda_), ("IsStepFunctions", step_functions)]:
        statements += [If(condition, statement, NoValue) for statement in group]
    statements.append(If("PassAutomationRole", Statement(
        Sid="PassAutomationRole", Effect=Allow, Action=[iam_actions.PassRole],
        Resource=[Ref(params["pAutomationAssumeRoleArn"])],
        Condition=Condition(StringEquals({"iam:PassedToService": "ssm.amazonaws.com"}))), NoValue))
    return document(*statements)


def task_invocation(params: dict, topic: sns.Topic, notification_role: iam.Role) -> ssm.TaskInvocationParameters:
    """The invocation parameters of each task type; Fn::If keeps only the chosen one."""
    has_bucket = "HasOutputS3BucketName"
    # Maintenance windows replace {{RESOURCE_ID}} with each target's id.
    target_input = json.dumps({"InstanceId": "{{RESOURCE_ID}}"})
    return ssm.TaskInvocationParameters(
        MaintenanceWindowRunCommandParameters=If("IsRunCommand", ssm.MaintenanceWindowRunCommandParameters(
            Comment="Install approved patches",
            Parameters={"Operation": ["Install"], "RebootOption": [Ref(params["pRebootOption"])]},
            NotificationConfig=ssm.NotificationConfig(
                NotificationArn=Ref(topic), NotificationEvents=NOTIFICATION_EVENTS, NotificationType="Command"),
            ServiceRoleArn=GetAtt(notification_role, "Arn"),
            OutputS3BucketName=If(has_bucket, Ref(params["pOutputS3BucketName"]), NoValue),
            OutputS3KeyPrefix=If(has_bucket, Ref(params["pOutputS3KeyPrefix"]), NoValue),
        ), NoValue),
        MaintenanceWindowAutomationParameters=If("IsAutomation", ssm.MaintenanceWindowAutomationParameters(
            DocumentVersion="$DEFAULT",
            Parameters={"InstanceId": ["{{RESOURCE_ID}}"],
                        "AutomationAssumeRole": If("PassAutomationRole",
                                                   [Ref(params["pAutomationAssumeRoleArn"])], NoValue)},
        ), NoValue),
        MaintenanceWindowLambdaParameters=If("IsLambda", ssm.MaintenanceWindowLambdaParameters(
            Payload=Base64(target_input)), NoValue),
        MaintenanceWindowStepFunctionsParameters=If("IsStepFunctions", ssm.MaintenanceWindowStepFunctionsParameters(
            Input=target_input), NoValue),
    )


def build(os_key: str = "windows") -> Template:
    os = OPERATING_SYSTEMS[os_key]
    t = Template(Description=(
        f"Source account, {os.title}: patch baseline, maintenance window with target and patching task, "
        "SNS alerts, and daily scan and inventory associations (design step 2)."))
    params = add_parameters(t, os)
    add_conditions(t, params)
    add_rules(t, params)
    ref = {name: Ref(parameter) for name, parameter in params.items()}
    tags = Tags(Organization=ref["pOrganization"], OperatingSystem=os.operating_system)
    suffix = os_key.replace("_", "-")

    topic = t.add_resource(sns.Topic(
        "NotificationTopic",
        DisplayName=Sub(f"${{pOrganization}} patching {os.title}"),
        KmsMasterKeyId="alias/aws/sns",  # AWS managed key: SNS encrypts at rest, senders in the account may use it
        Tags=tags,
    ))
    t.add_resource(sns.SubscriptionResource(
        "NotificationEmailSubscription", TopicArn=Ref(topic), Protocol="email",
        Endpoint=ref["pNotificationEmailAddress"]))
    notification_role = t.add_resource(iam.Role(
        "NotificationRole",
        Description="Lets Run Command publish patching results to the notification topic, and nothing else.",
        # Trusts ssm.amazonaws.com as the user guide's maintenance window and notification roles do;
        # the guide documents aws:SourceAccount/SourceArn for Automation and hybrid activations only.
        AssumeRolePolicyDocument=service_assume_role("ssm.amazonaws.com"),
        Policies=[iam.Policy(PolicyName="PublishToNotificationTopic", PolicyDocument=PolicyDocument(
            Version=POLICY_VERSION, Statement=[Statement(Effect=Allow, Action=[sns_actions.Publish],
                                                         Resource=[Ref(topic)])]))],
        Tags=tags,
    ))
    window_role = t.add_resource(iam.Role(
        "MaintenanceWindowRole",
        Description="Service role of the maintenance window task: runs the chosen task type on the targets.",
        AssumeRolePolicyDocument=service_assume_role("ssm.amazonaws.com"),
        Policies=[iam.Policy(PolicyName="RunPatchingTask",
                             PolicyDocument=window_role_policy(params, notification_role))],
        Tags=tags,
    ))

    approve = {"ApproveAfterDays": ref["pApproveAfterDays"]} if os.approve_after_days else {}
    rule = dict(ComplianceLevel=ref["pComplianceLevel"], **approve,
                PatchFilterGroup=ssm.PatchFilterGroup(PatchFilters=[
                    ssm.PatchFilter(Key=getattr(os, field).key, Values=ref[name])
                    for name, (_, field) in FILTER_PARAMETERS.items() if getattr(os, field)]))
    baseline = t.add_resource(ssm.PatchBaseline(
        "PatchBaseline",
        Name=Sub(f"${{pOrganization}}-${{pPatchBaselineName}}-{suffix}"),
        Description=Sub(f"${{pOrganization}} {os.title} patch baseline"),
        OperatingSystem=os.operating_system,
        PatchGroups=ref["pPatchGroups"],
        ApprovalRules=ssm.RuleGroup(PatchRules=[ssm.Rule(**rule)]),
        Tags=tags,
    ))
    window = t.add_resource(ssm.MaintenanceWindow(
        "MaintenanceWindow",
        Name=Sub(f"${{pOrganization}}-${{pMaintenanceWindowName}}-{suffix}"),
        Description=Sub(f"${{pOrganization}} {os.title} patching"),
        Schedule=ref["pSchedule"], ScheduleTimezone=ref["pScheduleTimezone"],
        Duration=ref["pDuration"], Cutoff=ref["pCutoff"],
        AllowUnassociatedTargets=ref["pAllowUnassociatedTargets"],
        Tags=tags,
    ))
    targets = [ssm.Targets(Key=ref["pTargetsKey"], Values=ref["pTargetsValue"])]
    target = t.add_resource(ssm.MaintenanceWindowTarget(
        "MaintenanceWindowTarget",
        WindowId=Ref(window), ResourceType="INSTANCE", Targets=targets,
        Name=Sub(f"${{pMaintenanceWindowTargetName}}-{suffix}"),
        OwnerInformation=ref["pOwnerInformation"],
    ))
    task = t.add_resource(ssm.MaintenanceWindowTask(
        "MaintenanceWindowTask",
        WindowId=Ref(window),
        Name=Sub(f"${{pOrganization}}-patch-{suffix}"),
        Description="Install approved patches (or run the chosen runbook, function or state machine) on the targets",
        TaskType=ref["pTaskType"], TaskArn=ref["pTaskArn"],
        ServiceRoleArn=GetAtt(window_role, "Arn"),
        Targets=[ssm.Targets(Key="WindowTargetIds", Values=[Ref(target)])],
        MaxConcurrency=ref["pMaxConcurrency"], MaxErrors=ref["pMaxErrors"], Priority=ref["pPriority"],
        TaskInvocationParameters=task_invocation(params, topic, notification_role),
    ))

    output_location = If("HasOutputS3BucketName", ssm.InstanceAssociationOutputLocation(
        S3Location=ssm.S3OutputLocation(OutputS3BucketName=ref["pOutputS3BucketName"],
                                        OutputS3KeyPrefix=ref["pOutputS3KeyPrefix"])), NoValue)
    t.add_resource(ssm.Association(
        "PatchScanAssociation", Condition="EnablePatchScan",
        AssociationName=Sub("${AWS::StackName}-patch-scan"),
        Name="AWS-RunPatchBaseline", Parameters={"Operation": ["Scan"]},
        # A scan changes nothing on the node, so it runs on all targets at once (no rate control).
        ScheduleExpression=ref["pPatchScanSchedule"], Targets=targets,
        OutputLocation=output_location,
    ))
    t.add_resource(ssm.Association(
        "InventoryAssociation", Condition="EnableInventory",
        AssociationName=Sub("${AWS::StackName}-inventory"),
        Name="AWS-GatherSoftwareInventory",
        ScheduleExpression=ref["pInventorySchedule"], Targets=targets,
        OutputLocation=output_location,
    ))

    for name, description, value in [
        ("PatchBaselineId", "Id of the patch baseline", Ref(baseline)),
        ("MaintenanceWindowId", "Id of the maintenance window", Ref(window)),
        ("MaintenanceWindowTargetId", "Id of the maintenance window target", Ref(target)),
        ("MaintenanceWindowTaskId", "Id of the maintenance window task", Ref(task)),
        ("NotificationTopicArn", "ARN of the patching notification topic", Ref(topic)),
    ]:
        t.add_output(Output(name, Description=description, Value=value,
                            Export=Export(Sub("${AWS::StackName}-" + name))))
    return t
