"""Patch operations: the maintenance window, its target and install task, the window's service
role, and the scan and inventory associations. Used twice:

- by `patch_operations.yml`, the StackSet member: ONE set per account-Region whatever the operating
  systems, because AWS-RunPatchBaseline applies on each node the baseline registered for the node's
  patch group and OS. Everything it is given is a name; it builds ARNs in its own account and
  Region, and an optional parameter is the sentinel `none`, never empty (StackSets may refuse '').
- by the standalone `<os>_patch_baseline_maintenance_window.yml` (`standalone=True`): the design's
  parameters (pTaskArn takes a name or an ARN, optional values are empty), names with the OS, and
  an SNS topic with an e-mail subscription that the install task notifies.
"""

import json

from awacs import (
    awslambda,
    ec2,
    iam as iam_actions,
    resource_groups,
    sns as sns_actions,
    ssm as ssm_actions,
    states,
    tag,
)
from awacs.aws import Allow, Condition, PolicyDocument, Statement, StringEquals
from troposphere import (
    And,
    Base64,
    Condition as ConditionRef,
    Equals,
    GetAtt,
    If,
    Not,
    NoValue,
    Or,
    Ref,
    Select,
    Split,
    Sub,
    Template,
    iam,
    sns,
    ssm,
)

from . import parameters as p
from .policies import POLICY_VERSION, document, service_assume_role

WINDOW_GROUP = "Maintenance Window"
TARGETS_GROUP = "Maintenance Window Targets"
TASKS_GROUP = "Maintenance Window Tasks"
ASSOCIATIONS_GROUP = "Compliance Scan and Inventory"

TASK_TYPES = ["RUN_COMMAND", "AUTOMATION", "LAMBDA", "STEP_FUNCTIONS"]
# Command documents that take Operation and RebootOption, the parameters the install task passes.
PATCH_DOCUMENTS = ["AWS-RunPatchBaseline", "AWS-RunPatchBaselineWithHooks"]
NOTIFICATION_EVENTS = ["Success", "Failed", "TimedOut", "Cancelled"]
# A document, runbook, Lambda function or state machine name in this account and Region.
TASK_NAME = dict(
    Type="String",
    AllowedPattern=r"^[A-Za-z0-9_.-]{3,128}$",
    ConstraintDescription="must be a document, runbook, function or state machine name of 3-128 "
    "letters, digits, '_', '.' or '-'",
)


def task(standalone: bool) -> str:
    """The parameter naming what the task runs: the design's pTaskArn, or a name only in a member."""
    return "pTaskArn" if standalone else "pTaskName"


def automation_role(standalone: bool) -> str:
    return "pAutomationAssumeRoleArn" if standalone else "pAutomationAssumeRoleName"


def add_parameters(t: Template, standalone: bool) -> None:
    """Window, target, task and association parameters, in the design's console groups."""

    def param(name, group, label, **properties):
        p.add(t, name, group, label, **properties)

    # The standalone keeps the design's optional form (empty); a member takes the sentinel `none`.
    optional, none = (p.optional, "") if standalone else (p.optional_none, p.NONE)
    none_text = "empty" if standalone else "none"

    param(
        "pMaintenanceWindowName",
        WINDOW_GROUP,
        "Maintenance window name",
        Default="OSMaintenanceWindow",
        Description="Name of the maintenance window (the organization"
        + (" and operating system are" if standalone else " is")
        + " added).",
        **p.SSM_NAME,
    )
    param(
        "pAllowUnassociatedTargets",
        WINDOW_GROUP,
        "Allow unassociated targets",
        Default="false",
        Description="Whether tasks may run on managed nodes not registered as targets of the window.",
        **p.BOOLEAN,
    )
    param(
        "pCutoff",
        WINDOW_GROUP,
        "Cutoff (hours)",
        Default=1,
        Description="Hours before the end of the window when no new task is started (less than the duration).",
        Type="Number",
        MinValue=0,
        MaxValue=23,
        ConstraintDescription="must be a whole number of hours from 0 to 23",
    )
    param(
        "pDuration",
        WINDOW_GROUP,
        "Duration (hours)",
        Default=2,
        Description="Length of the maintenance window in hours.",
        Type="Number",
        MinValue=1,
        MaxValue=24,
        ConstraintDescription="must be a whole number of hours from 1 to 24",
    )
    param(
        "pSchedule",
        WINDOW_GROUP,
        "Schedule",
        Default="cron(0 4 ? * * *)",
        Description="When the window opens: a cron or rate expression.",
        **p.SCHEDULE,
    )
    param(
        "pScheduleTimezone",
        WINDOW_GROUP,
        "Schedule time zone",
        Default="US/Eastern",
        Description="IANA time zone the schedule is read in.",
        **p.TIMEZONE,
    )
    param(
        "pScheduleOffset",
        WINDOW_GROUP,
        "Schedule offset (days)",
        Default="0",
        Description="Days after the cron schedule's date that the window runs, 1-6: cron(0 4 ? * TUE#2 *) with 3 "
        "runs on the Friday after Patch Tuesday; 0 for none. Cron schedules only (a rate "
        "expression runs without it).",
        **p.SCHEDULE_OFFSET,
    )
    if standalone:
        param(
            "pNotificationEmailAddress",
            WINDOW_GROUP,
            "Notification email",
            Description="Email address told when the patching command succeeds, fails, times out or is "
            "cancelled (confirm the subscription email).",
            **p.EMAIL,
        )

    param(
        "pMaintenanceWindowTargetName",
        TARGETS_GROUP,
        "Target name",
        Default="SSMPatchManager",
        Description="Name of the maintenance window target.",
        **p.SSM_NAME,
    )
    # Key pattern of the MaintenanceWindowTarget/Task target schema (no '+').
    param(
        "pTargetsKey",
        TARGETS_GROUP,
        "Targets key",
        Default="tag:Patch Group",
        Description="How nodes are chosen: tag:<tag key>, tag-key, InstanceIds or resource-groups:Name (a "
        "resource group: the target's ResourceType becomes RESOURCE_GROUP).",
        Type="String",
        AllowedPattern=r"^(tag:[\w .:/=@-]{1,128}|tag-key|InstanceIds|resource-groups:Name)$",
        ConstraintDescription="must be tag:<tag key> (letters, digits, spaces and _.:/=@-), tag-key, InstanceIds "
        "or resource-groups:Name",
    )
    param(
        "pTargetsValue",
        TARGETS_GROUP,
        "Targets values",
        Default="Production",
        Description="Values for the targets key (tag values, instance ids, ...), separated by commas.",
        Type="CommaDelimitedList",
        AllowedPattern=r"^[\w .:/=+@*-]{1,256}$",
        ConstraintDescription="must be values of 1-256 letters, digits, spaces and _.:/=+@*-, separated by commas",
    )
    param(
        "pOwnerInformation",
        TARGETS_GROUP,
        "Owner information",
        Default="SSM Patch manager",
        Description="Text included in the events raised while tasks run for these targets.",
        Type="String",
        AllowedPattern=r"^[\w .,:/=+@()-]{1,128}$",
        ConstraintDescription="must be 1-128 letters, digits, spaces and _.,:/=+@()-",
    )

    param(
        "pMaxConcurrency",
        TASKS_GROUP,
        "Max concurrency",
        Default="1",
        Description="Targets patched in parallel: a number or a percentage.",
        **p.CONCURRENCY,
    )
    param(
        "pMaxErrors",
        TASKS_GROUP,
        "Max errors",
        Default="1",
        Description="Errors after which the task stops being scheduled: a number or a percentage.",
        **p.ERROR_LIMIT,
    )
    param(
        "pPriority",
        TASKS_GROUP,
        "Priority",
        Default=0,
        Description="Task priority in the window; lower runs first, equal runs in parallel.",
        Type="Number",
        MinValue=0,
        MaxValue=99,
        ConstraintDescription="must be a whole number from 0 to 99",
    )
    param(
        "pTaskType",
        TASKS_GROUP,
        "Task type",
        Default="RUN_COMMAND",
        Description=f"RUN_COMMAND patches with {task(standalone)} (a patch document); AUTOMATION runs a runbook, "
        "LAMBDA a function and STEP_FUNCTIONS a state machine for each target.",
        Type="String",
        AllowedValues=TASK_TYPES,
        ConstraintDescription="must be one of " + ", ".join(TASK_TYPES),
    )
    if standalone:
        param(
            "pTaskArn",
            TASKS_GROUP,
            "Task document or ARN",
            Default="AWS-RunPatchBaseline",
            Description="RUN_COMMAND: AWS-RunPatchBaseline or AWS-RunPatchBaselineWithHooks; AUTOMATION: runbook "
            "name; LAMBDA: function name or ARN; STEP_FUNCTIONS: state machine name or ARN (this "
            "account and Region).",
            Type="String",
            AllowedPattern=(
                r"^(arn:aws[a-z-]*:(lambda:[a-z0-9-]+:\d{12}:function|states:[a-z0-9-]+:\d{12}:"
                r"stateMachine):[\w.:-]{1,200}|[A-Za-z0-9_.-]{3,128})$"
            ),
            ConstraintDescription="must be a document, runbook, function or state machine name, or a Lambda "
            "function or state machine ARN",
        )
    else:
        param(
            "pTaskName",
            TASKS_GROUP,
            "Task document or name",
            Default="AWS-RunPatchBaseline",
            Description="RUN_COMMAND: AWS-RunPatchBaseline or AWS-RunPatchBaselineWithHooks; AUTOMATION: runbook "
            "name; LAMBDA: function name; STEP_FUNCTIONS: state machine name. A name, never an ARN: "
            "each account builds the ARN in its own account and Region.",
            **TASK_NAME,
        )
    param(
        "pRebootOption",
        TASKS_GROUP,
        "Reboot option",
        Default="RebootIfNeeded",
        Description="RUN_COMMAND: reboot after installing when a patch needs it, or never (the node then reports "
        "InstalledPendingReboot).",
        Type="String",
        AllowedValues=["RebootIfNeeded", "NoReboot"],
        ConstraintDescription="must be RebootIfNeeded or NoReboot",
    )
    if standalone:
        param(
            "pAutomationAssumeRoleArn",
            TASKS_GROUP,
            "Automation role ARN (optional)",
            Default="",
            Description="AUTOMATION: role the runbook runs as (its AutomationAssumeRole); empty for runbooks that "
            "need none.",
            **p.optional(p.IAM_ROLE_ARN),
        )
    else:
        param(
            "pAutomationAssumeRoleName",
            TASKS_GROUP,
            "Automation role name (optional)",
            Default=none,
            Description="AUTOMATION: name of the role the runbook runs as (its AutomationAssumeRole), in each "
            "account; none for runbooks that need none.",
            **optional(p.IAM_ROLE_NAME),
        )
    param(
        "pOutputS3BucketName",
        TASKS_GROUP,
        "Command output bucket (optional)",
        Default=none,
        Description=f"Existing S3 bucket for command output of the install task and the scan; {none_text} for "
        "none. The nodes' instance profile must be allowed to write to it.",
        **optional(p.BUCKET_NAME),
    )
    param(
        "pOutputS3KeyPrefix",
        TASKS_GROUP,
        "Command output prefix",
        Default="patching",
        Description="Folder in the output bucket.",
        **p.BUCKET_PREFIX,
    )

    param(
        "pEnablePatchScan",
        ASSOCIATIONS_GROUP,
        "Daily compliance scan",
        Default="true",
        Description="Scan the same targets for missing patches on a schedule (AWS-RunPatchBaseline Scan), so "
        "compliance stays fresh between install windows.",
        **p.BOOLEAN,
    )
    param(
        "pPatchScanSchedule",
        ASSOCIATIONS_GROUP,
        "Scan schedule",
        Default="rate(1 day)",
        Description="When the scan runs: a cron or rate expression.",
        **p.SCHEDULE,
    )
    param(
        "pEnableInventory",
        ASSOCIATIONS_GROUP,
        "Inventory collection",
        Default="true",
        Description="Collect software inventory from the same targets (AWS-GatherSoftwareInventory) for the "
        "resource data sync. A node takes one inventory association: enable it in one stack only "
        "when several stacks target the same nodes.",
        **p.BOOLEAN,
    )
    param(
        "pInventorySchedule",
        ASSOCIATIONS_GROUP,
        "Inventory schedule",
        Default="rate(12 hours)",
        Description="When inventory is collected: a cron or rate expression.",
        **p.SCHEDULE,
    )


def condition_name(task_type: str) -> str:
    """RUN_COMMAND -> IsRunCommand."""
    return "Is" + "".join(word.capitalize() for word in task_type.split("_"))


def add_conditions(t: Template, standalone: bool) -> None:
    p.has_value(t, t.parameters["pOutputS3BucketName"])  # HasOutputS3BucketName
    for task_type in TASK_TYPES:
        t.add_condition(condition_name(task_type), Equals(Ref("pTaskType"), task_type))
    if standalone:
        t.add_condition("TaskArnIsArn", Equals(Select(0, Split(":", Ref("pTaskArn"))), "arn"))
        # STEP_FUNCTIONS takes the state machine ARN only (user guide, maintenance window task options).
        t.add_condition("StateMachineByName", And(ConditionRef("IsStepFunctions"), Not(ConditionRef("TaskArnIsArn"))))
    t.add_condition("EnablePatchScan", Equals(Ref("pEnablePatchScan"), "true"))
    t.add_condition("EnableInventory", Equals(Ref("pEnableInventory"), "true"))
    # ScheduleOffset (1-6) works with cron schedules only ("Reference: Cron and rate expressions for
    # Systems Manager"). A Rule cannot test a prefix (Rules take no Fn::Select or Fn::Split,
    # cloudformation-coverage-roadmap#1260), so the offset is passed only with a cron schedule.
    t.add_condition(
        "ApplyScheduleOffset",
        And(Not(Equals(Ref("pScheduleOffset"), "0")), Equals(Select(0, Split("(", Ref("pSchedule"))), "cron")),
    )
    t.add_condition("TargetsResourceGroup", Equals(Ref("pTargetsKey"), "resource-groups:Name"))
    role = t.parameters[automation_role(standalone)]
    t.add_condition("PassAutomationRole", And(ConditionRef("IsAutomation"), ConditionRef(p.has_value(t, role))))


def add_rules(t: Template, standalone: bool) -> None:
    """Combinations the console refuses before anything is created."""
    duration, cutoff, task_type = Ref("pDuration"), Ref("pCutoff"), Ref("pTaskType")
    task_arn, role = Ref(task(standalone)), t.parameters[automation_role(standalone)]
    t.add_rule("CutoffBeforeEnd", {"Assertions": [cutoff_assertion(cutoff, duration, hours) for hours in range(1, 24)]})
    t.add_rule(
        "RunCommandRunsPatchDocument",
        {
            "RuleCondition": Equals(task_type, "RUN_COMMAND"),
            "Assertions": [
                {
                    "Assert": {"Fn::Contains": [PATCH_DOCUMENTS, task_arn]},
                    "AssertDescription": f"A RUN_COMMAND task passes Operation and RebootOption: {task(standalone)} "
                    "must be " + " or ".join(PATCH_DOCUMENTS) + ".",
                }
            ],
        },
    )
    t.add_rule(
        "OtherTaskTypesNotOnPatchDocument",
        {
            "RuleCondition": {"Fn::Contains": [TASK_TYPES[1:], task_type]},
            "Assertions": [
                {
                    "Assert": Not({"Fn::Contains": [PATCH_DOCUMENTS, task_arn]}),
                    "AssertDescription": f"For AUTOMATION, LAMBDA and STEP_FUNCTIONS, {task(standalone)} must name "
                    "a runbook, function or state machine, not a Run Command patch "
                    "document.",
                }
            ],
        },
    )
    empty = role.properties["Default"]
    t.add_rule(
        "AutomationRoleOnlyForAutomation",
        {
            "RuleCondition": Not(Equals(Ref(role), empty)),
            "Assertions": [
                {
                    "Assert": Equals(task_type, "AUTOMATION"),
                    "AssertDescription": f"{role.title} is used by AUTOMATION tasks only; leave it "
                    f"{repr(empty) if empty else 'empty'}.",
                }
            ],
        },
    )


def cutoff_assertion(cutoff: Ref, duration: Ref, hours: int) -> dict:
    """pCutoff = hours needs pDuration > hours. Rules cannot compare numbers, so the assertion lists
    durations: the refused ones (1..hours) or the allowed ones (hours+1..24), whichever is shorter."""
    refused, allowed = [str(d) for d in range(1, hours + 1)], [str(d) for d in range(hours + 1, 25)]
    duration_ok = (
        Not({"Fn::Contains": [refused, duration]})
        if len(refused) <= len(allowed)
        else {"Fn::Contains": [allowed, duration]}
    )
    return {
        "Assert": Or(Not(Equals(cutoff, str(hours))), duration_ok),
        "AssertDescription": "pCutoff must be less than pDuration.",
    }


def arn(service: str, resource: str, account: str = "${AWS::AccountId}", region: str = "${AWS::Region}") -> Sub:
    return Sub(f"arn:${{AWS::Partition}}:{service}:{region}:{account}:{resource}")


def task_arns(standalone: bool) -> dict:
    """TaskArn, the function and the state machine: from a name in this account and Region, or (the
    standalone's pTaskArn) as given when it is an ARN."""
    name = task(standalone)
    function, state_machine = arn("lambda", f"function:${{{name}}}"), arn("states", f"stateMachine:${{{name}}}")
    if standalone:
        task_arn = If("StateMachineByName", state_machine, Ref(name))
        function, state_machine = (If("TaskArnIsArn", Ref(name), built) for built in (function, state_machine))
    else:
        task_arn = If("IsLambda", function, If("IsStepFunctions", state_machine, Ref(name)))
    return {"task": task_arn, "function": function, "state_machine": state_machine}


def automation_role_arn(standalone: bool):
    if standalone:
        return Ref("pAutomationAssumeRoleArn")
    return Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${pAutomationAssumeRoleName}")


def window_role_policy(standalone: bool, notification_role: iam.Role | None) -> dict:
    """What the maintenance window may do with its service role, per task type (Fn::If), scoped to
    the task's document, runbook, function or state machine in this account and Region."""
    arns, name = task_arns(standalone), task(standalone)
    run_command = [
        Statement(
            Sid="SendPatchCommand",
            Effect=Allow,
            Action=[ssm_actions.SendCommand],
            Resource=[
                Sub(f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}::document/${{{name}}}"),
                arn("ec2", "instance/*"),
                arn("ssm", "managed-instance/*"),
            ],
        ),
    ]
    if notification_role:
        run_command.append(
            Statement(
                Sid="PassNotificationRole",
                Effect=Allow,
                Action=[iam_actions.PassRole],
                Resource=[GetAtt(notification_role, "Arn")],
                Condition=Condition(StringEquals({"iam:PassedToService": "ssm.amazonaws.com"})),
            )
        )
    automation = [
        Statement(
            Sid="StartRunbook",
            Effect=Allow,
            Action=[ssm_actions.StartAutomationExecution],
            Resource=[arn("ssm", f"automation-definition/${{{name}}}:*", account="*")],
        ),
        Statement(
            Sid="ReadRunbookExecution",
            Effect=Allow,
            Action=[ssm_actions.GetAutomationExecution],
            Resource=[arn("ssm", "automation-execution/*")],
        ),
    ]
    lambda_ = [
        Statement(
            Sid="InvokeFunction",
            Effect=Allow,
            Action=[awslambda.InvokeFunction],
            Resource=[arns["function"], Sub("${Function}:*", Function=arns["function"])],
        )
    ]
    step_functions = [
        Statement(
            Sid="StartStateMachine", Effect=Allow, Action=[states.StartExecution], Resource=[arns["state_machine"]]
        ),
        Statement(
            Sid="ReadStateMachineExecution",
            Effect=Allow,
            Action=[states.DescribeExecution],
            Resource=[arn("states", "execution:*:*")],
        ),
    ]
    statements = [
        # Resolving targets and following or cancelling commands: these actions have no resource-level
        # permissions. ssm:CancelCommand is in the user guide's base policy for a window service role.
        Statement(
            Sid="ResolveTargetsAndFollowCommands",
            Effect=Allow,
            Resource=["*"],
            Action=[
                ec2.DescribeInstanceStatus,
                tag.GetResources,
                resource_groups.ListGroups,
                resource_groups.ListGroupResources,
                ssm_actions.ListCommands,
                ssm_actions.ListCommandInvocations,
                ssm_actions.GetCommandInvocation,
                ssm_actions.CancelCommand,
            ],
        ),
        # Documents resolve {{ssm:...}} parameters (the base policy's ssm:GetParameters), in this account.
        Statement(
            Sid="ReadDocumentParameters",
            Effect=Allow,
            Action=[ssm_actions.GetParameters],
            Resource=[arn("ssm", "parameter/*")],
        ),
    ]
    for condition, group in [
        ("IsRunCommand", run_command),
        ("IsAutomation", automation),
        ("IsLambda", lambda_),
        ("IsStepFunctions", step_functions),
    ]:
        statements += [If(condition, statement, NoValue) for statement in group]
    statements.append(
        If(
            "PassAutomationRole",
            Statement(
                Sid="PassAutomationRole",
                Effect=Allow,
                Action=[iam_actions.PassRole],
                Resource=[automation_role_arn(standalone)],
                Condition=Condition(StringEquals({"iam:PassedToService": "ssm.amazonaws.com"})),
            ),
            NoValue,
        )
    )
    return document(*statements)


def task_invocation(
    standalone: bool, topic: sns.Topic | None, notification_role: iam.Role | None
) -> ssm.TaskInvocationParameters:
    """The invocation parameters of each task type; Fn::If keeps only the chosen one."""
    has_bucket = "HasOutputS3BucketName"
    # Maintenance windows replace {{RESOURCE_ID}} with each target's id.
    target_input = json.dumps({"InstanceId": "{{RESOURCE_ID}}"})
    notify = (
        dict(
            NotificationConfig=ssm.NotificationConfig(
                NotificationArn=Ref(topic), NotificationEvents=NOTIFICATION_EVENTS, NotificationType="Command"
            ),
            ServiceRoleArn=GetAtt(notification_role, "Arn"),
        )
        if topic
        else {}
    )
    return ssm.TaskInvocationParameters(
        MaintenanceWindowRunCommandParameters=If(
            "IsRunCommand",
            ssm.MaintenanceWindowRunCommandParameters(
                Comment="Install approved patches",
                Parameters={"Operation": ["Install"], "RebootOption": [Ref("pRebootOption")]},
                OutputS3BucketName=If(has_bucket, Ref("pOutputS3BucketName"), NoValue),
                OutputS3KeyPrefix=If(has_bucket, Ref("pOutputS3KeyPrefix"), NoValue),
                **notify,
            ),
            NoValue,
        ),
        MaintenanceWindowAutomationParameters=If(
            "IsAutomation",
            ssm.MaintenanceWindowAutomationParameters(
                DocumentVersion="$DEFAULT",
                Parameters={
                    "InstanceId": ["{{RESOURCE_ID}}"],
                    "AutomationAssumeRole": If("PassAutomationRole", [automation_role_arn(standalone)], NoValue),
                },
            ),
            NoValue,
        ),
        MaintenanceWindowLambdaParameters=If(
            "IsLambda", ssm.MaintenanceWindowLambdaParameters(Payload=Base64(target_input)), NoValue
        ),
        MaintenanceWindowStepFunctionsParameters=If(
            "IsStepFunctions", ssm.MaintenanceWindowStepFunctionsParameters(Input=target_input), NoValue
        ),
    )


def add_notifications(t: Template, title: str, tags) -> tuple[sns.Topic, iam.Role]:
    """The standalone's topic, its e-mail subscription, and the role Run Command publishes with."""
    topic = t.add_resource(
        sns.Topic(
            "NotificationTopic",
            DisplayName=Sub(f"${{pOrganization}} patching {title}"),
            KmsMasterKeyId="alias/aws/sns",  # AWS managed key: SNS encrypts at rest, senders in the account may use it
            Tags=tags,
        )
    )
    t.add_resource(
        sns.SubscriptionResource(
            "NotificationEmailSubscription",
            TopicArn=Ref(topic),
            Protocol="email",
            Endpoint=Ref("pNotificationEmailAddress"),
        )
    )
    role = t.add_resource(
        iam.Role(
            "NotificationRole",
            Description="Lets Run Command publish patching results to the notification topic, and nothing else.",
            # Trusts ssm.amazonaws.com as the user guide's maintenance window and notification roles do;
            # the guide documents aws:SourceAccount/SourceArn for Automation and hybrid activations only.
            AssumeRolePolicyDocument=service_assume_role("ssm.amazonaws.com"),
            Policies=[
                iam.Policy(
                    PolicyName="PublishToNotificationTopic",
                    PolicyDocument=PolicyDocument(
                        Version=POLICY_VERSION,
                        Statement=[Statement(Effect=Allow, Action=[sns_actions.Publish], Resource=[Ref(topic)])],
                    ),
                )
            ],
            Tags=tags,
        )
    )
    return topic, role


def add_operations(
    t: Template,
    tags,
    name_suffix: str = "",
    title: str = "",
    topic: sns.Topic | None = None,
    notification_role: iam.Role | None = None,
) -> dict:
    """Window role, window, target, install task, scan and inventory associations; name_suffix
    ('-windows') keeps the names of several standalone stacks in one account apart. Returns the
    resources by logical id."""
    standalone = topic is not None
    window_role = t.add_resource(
        iam.Role(
            "MaintenanceWindowRole",
            Description="Service role of the maintenance window task: runs the chosen task type on the targets.",
            AssumeRolePolicyDocument=service_assume_role("ssm.amazonaws.com"),
            Policies=[
                iam.Policy(
                    PolicyName="RunPatchingTask", PolicyDocument=window_role_policy(standalone, notification_role)
                )
            ],
            Tags=tags,
        )
    )
    window = t.add_resource(
        ssm.MaintenanceWindow(
            "MaintenanceWindow",
            Name=Sub(f"${{pOrganization}}-${{pMaintenanceWindowName}}{name_suffix}"),
            Description=Sub(f"${{pOrganization}} {title or 'patching of every operating system'}"),
            Schedule=Ref("pSchedule"),
            ScheduleTimezone=Ref("pScheduleTimezone"),
            ScheduleOffset=If("ApplyScheduleOffset", Ref("pScheduleOffset"), NoValue),
            Duration=Ref("pDuration"),
            Cutoff=Ref("pCutoff"),
            AllowUnassociatedTargets=Ref("pAllowUnassociatedTargets"),
            Tags=tags,
        )
    )
    targets = [ssm.Targets(Key=Ref("pTargetsKey"), Values=Ref("pTargetsValue"))]
    target = t.add_resource(
        ssm.MaintenanceWindowTarget(
            "MaintenanceWindowTarget",
            WindowId=Ref(window),
            # A resource-groups:Name target is a resource group (MaintenanceWindowTarget, API Reference).
            ResourceType=If("TargetsResourceGroup", "RESOURCE_GROUP", "INSTANCE"),
            Targets=targets,
            Name=Sub(f"${{pMaintenanceWindowTargetName}}{name_suffix}"),
            OwnerInformation=Ref("pOwnerInformation"),
        )
    )
    install = t.add_resource(
        ssm.MaintenanceWindowTask(
            "MaintenanceWindowTask",
            WindowId=Ref(window),
            Name=Sub(f"${{pOrganization}}-patch{name_suffix}"),
            Description="Install approved patches (or run the chosen runbook, function or state machine) on the targets",
            TaskType=Ref("pTaskType"),
            TaskArn=task_arns(standalone)["task"],
            ServiceRoleArn=GetAtt(window_role, "Arn"),
            Targets=[ssm.Targets(Key="WindowTargetIds", Values=[Ref(target)])],
            MaxConcurrency=Ref("pMaxConcurrency"),
            MaxErrors=Ref("pMaxErrors"),
            Priority=Ref("pPriority"),
            TaskInvocationParameters=task_invocation(standalone, topic, notification_role),
        )
    )

    output_location = If(
        "HasOutputS3BucketName",
        ssm.InstanceAssociationOutputLocation(
            S3Location=ssm.S3OutputLocation(
                OutputS3BucketName=Ref("pOutputS3BucketName"), OutputS3KeyPrefix=Ref("pOutputS3KeyPrefix")
            )
        ),
        NoValue,
    )
    # Names from the organization, not the stack name: a stack name of 128 characters would overflow
    # the 128-character AssociationName.
    scan = t.add_resource(
        ssm.Association(
            "PatchScanAssociation",
            Condition="EnablePatchScan",
            AssociationName=Sub(f"${{pOrganization}}-patch-scan{name_suffix}"),
            Name="AWS-RunPatchBaseline",
            Parameters={"Operation": ["Scan"]},
            # A scan changes nothing on the node, so it runs on all targets at once (no rate control).
            ScheduleExpression=Ref("pPatchScanSchedule"),
            Targets=targets,
            OutputLocation=output_location,
        )
    )
    inventory = t.add_resource(
        ssm.Association(
            "InventoryAssociation",
            Condition="EnableInventory",
            AssociationName=Sub(f"${{pOrganization}}-inventory{name_suffix}"),
            Name="AWS-GatherSoftwareInventory",
            ScheduleExpression=Ref("pInventorySchedule"),
            Targets=targets,
            OutputLocation=output_location,
        )
    )
    return {r.title: r for r in (window_role, window, target, install, scan, inventory)}


def outputs(resources: dict) -> list[tuple[str, str, object]]:
    return [
        ("MaintenanceWindowId", "Id of the maintenance window", Ref(resources["MaintenanceWindow"])),
        ("MaintenanceWindowTargetId", "Id of the maintenance window target", Ref(resources["MaintenanceWindowTarget"])),
        ("MaintenanceWindowTaskId", "Id of the maintenance window task", Ref(resources["MaintenanceWindowTask"])),
    ]
