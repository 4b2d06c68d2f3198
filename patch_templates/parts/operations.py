"""Patch operations: the maintenance window, its target and install task, the window's service
role, and the scan and inventory associations, built by one code in two forms (a `Variant`):

- MEMBER, the StackSet member (stacks/patch_operations.py): ONE set per account-Region whatever the
  operating systems, because AWS-RunPatchBaseline applies on each node the baseline registered for
  the node's patch group and OS. Everything it is given is a name; it builds ARNs in its own account
  and Region, and an optional parameter is the sentinel `none`, never empty (StackSets may refuse '').
- STANDALONE, one operating system in one account (stacks/patching.py): the task takes a name or an
  ARN, optional values are empty, names carry the OS, and an SNS topic with an e-mail subscription
  hears of every install run.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

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
    Parameter,
    Ref,
    Select,
    Split,
    Sub,
    Template,
    iam,
    sns,
    ssm,
)

from ..deploy.calendar import ROLLOUT_DEFAULTS
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
# A window target of every EC2 instance of the account-Region, whatever its tags: a resource-type
# query ("RegisterTargetWithMaintenanceWindow", API Reference: Key=resource-groups:ResourceTypeFilters,
# Values=AWS::EC2::Instance with ResourceType RESOURCE_GROUP). Associations take no resource-type
# query; they reach every managed node with InstanceIds * ("CreateAssociation" Targets, API Reference).
EVERY_INSTANCE = "resource-groups:ResourceTypeFilters"
# A document, runbook, Lambda function or state machine name in this account and Region.
TASK_NAME = dict(
    Type="String",
    AllowedPattern=r"^[A-Za-z0-9_.-]{3,128}$",
    ConstraintDescription="must be a document, runbook, function or state machine name of 3-128 "
    "letters, digits, '_', '.' or '-'",
)


def arn(service: str, resource: str, account: str = "${AWS::AccountId}", region: str = "${AWS::Region}") -> Sub:
    return Sub(f"arn:${{AWS::Partition}}:{service}:{region}:{account}:{resource}")


@dataclass(frozen=True)
class TaskArns:
    """What the task runs, as TaskArn, and the function and state machine the window role may use."""

    task: object
    function: object
    state_machine: object


def task_arns_from_name(t: Template, task: Parameter, conditions: dict[str, str]) -> TaskArns:
    """A name, made an ARN in this account and Region for LAMBDA and STEP_FUNCTIONS."""
    function, state_machine = (
        arn("lambda", f"function:${{{task.title}}}"),
        arn("states", f"stateMachine:${{{task.title}}}"),
    )
    task_arn = If(conditions["LAMBDA"], function, If(conditions["STEP_FUNCTIONS"], state_machine, Ref(task)))
    return TaskArns(task_arn, function, state_machine)


def task_arns_from_name_or_arn(t: Template, task: Parameter, conditions: dict[str, str]) -> TaskArns:
    """An ARN as given, or a name made an ARN in this account and Region."""
    is_arn = t.add_condition("TaskArnIsArn", Equals(Select(0, Split(":", Ref(task))), "arn"))
    # STEP_FUNCTIONS takes the state machine ARN only (user guide, maintenance window task options).
    by_name = t.add_condition(
        "StateMachineByName", And(ConditionRef(conditions["STEP_FUNCTIONS"]), Not(ConditionRef(is_arn)))
    )
    function, state_machine = (
        arn("lambda", f"function:${{{task.title}}}"),
        arn("states", f"stateMachine:${{{task.title}}}"),
    )
    return TaskArns(
        If(by_name, state_machine, Ref(task)),
        If(is_arn, Ref(task), function),
        If(is_arn, Ref(task), state_machine),
    )


def role_arn_from_name(role: Parameter) -> Sub:
    return Sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/${{{role.title}}}")


@dataclass(frozen=True)
class Variant:
    """What the member and the standalone forms of the operations do differently."""

    window_name: str  # how the window name's description says what is added to it
    empty: str  # the value of an optional parameter left out: '' or the StackSet sentinel none
    task: dict  # the parameter naming what the task runs: p.add's name, label and properties
    task_arns: Callable[[Template, Parameter, dict[str, str]], TaskArns]
    role: dict  # the parameter naming the role an AUTOMATION runbook runs as
    role_arn: Callable[[Parameter], object]
    email: bool  # an SNS topic with an e-mail subscription hears of every install run
    every_instance: bool = False  # pTargetsKey may be resource-groups:ResourceTypeFilters (no tag needed)
    defaults: Mapping[str, object] = field(default_factory=dict)  # parameter -> Default other than the original

    def optional(self, constraint: dict) -> dict:
        return (p.optional_none if self.empty == p.NONE else p.optional)(constraint)


MEMBER = Variant(
    window_name=" is",
    empty=p.NONE,
    task=dict(
        name="pTaskName",
        label="Task document or name",
        Description="RUN_COMMAND: AWS-RunPatchBaseline or AWS-RunPatchBaselineWithHooks; AUTOMATION: runbook "
        "name; LAMBDA: function name; STEP_FUNCTIONS: state machine name. A name, never an ARN: "
        "each account builds the ARN in its own account and Region.",
        **TASK_NAME,
    ),
    task_arns=task_arns_from_name,
    role=dict(
        name="pAutomationAssumeRoleName",
        label="Automation role name (optional)",
        Description="AUTOMATION: name of the role the runbook runs as (its AutomationAssumeRole), in each "
        "account; none for runbooks that need none.",
        **p.optional_none(p.IAM_ROLE_NAME),
    ),
    role_arn=role_arn_from_name,
    email=False,
    every_instance=True,
    # Safe at 1,000 accounts: monthly on the Friday after Patch Tuesday (wave 1 of the patch calendar,
    # deploy/calendar.py ROLLOUT_DEFAULTS), a tenth of the nodes at a time and a stop after a twentieth
    # fail, and every EC2 instance of the account-Region without a tag.
    defaults={
        "pSchedule": ROLLOUT_DEFAULTS[0].schedule.expression,
        "pScheduleTimezone": ROLLOUT_DEFAULTS[0].schedule.timezone,
        "pScheduleOffset": str(ROLLOUT_DEFAULTS[0].schedule.offset),
        "pMaxConcurrency": "10%",
        "pMaxErrors": "5%",
        "pTargetsKey": EVERY_INSTANCE,
        "pTargetsValue": "AWS::EC2::Instance",
    },
)
STANDALONE = Variant(
    window_name=" and operating system are",
    empty="",
    task=dict(
        name="pTaskArn",
        label="Task document or ARN",
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
    ),
    task_arns=task_arns_from_name_or_arn,
    role=dict(
        name="pAutomationAssumeRoleArn",
        label="Automation role ARN (optional)",
        Description="AUTOMATION: role the runbook runs as (its AutomationAssumeRole); empty for runbooks that "
        "need none.",
        **p.optional(p.IAM_ROLE_ARN),
    ),
    role_arn=Ref,
    email=True,
)


@dataclass(frozen=True)
class OperationsParameters:
    """The parameters of the operations and the conditions they decide."""

    variant: Variant
    window_name: Parameter
    allow_unassociated_targets: Parameter
    cutoff: Parameter
    duration: Parameter
    schedule: Parameter
    timezone: Parameter
    offset: Parameter
    email: Parameter | None  # the standalone's notification address
    target_name: Parameter
    targets_key: Parameter
    targets_value: Parameter
    owner_information: Parameter
    max_concurrency: Parameter
    max_errors: Parameter
    priority: Parameter
    task_type: Parameter
    task: Parameter
    reboot_option: Parameter
    role: Parameter  # the automation role, optional
    output_bucket: Parameter  # optional
    output_prefix: Parameter
    enable_scan: Parameter
    scan_schedule: Parameter
    enable_inventory: Parameter
    inventory_schedule: Parameter
    # conditions
    is_task_type: dict[str, str]  # task type -> its condition (IsRunCommand, ...)
    has_output_bucket: str
    scan: str
    inventory: str
    apply_offset: str
    targets_resource_group: str
    targets_every_instance: str | None  # MEMBER: pTargetsKey is EVERY_INSTANCE
    pass_automation_role: str


def add_parameters(t: Template, variant: Variant) -> OperationsParameters:
    """Window, target, task and association parameters in their console groups, their conditions,
    and the Rules that refuse a bad combination."""

    def param(name, group, label, **properties):
        if name in variant.defaults:
            properties["Default"] = variant.defaults[name]
        return p.add(t, name, group, label, **properties)

    window_name = param(
        "pMaintenanceWindowName",
        WINDOW_GROUP,
        "Maintenance window name",
        Default="OSMaintenanceWindow",
        Description=f"Name of the maintenance window (the organization{variant.window_name} added).",
        **p.SSM_NAME,
    )
    allow_unassociated_targets = param(
        "pAllowUnassociatedTargets",
        WINDOW_GROUP,
        "Allow unassociated targets",
        Default="false",
        Description="Whether tasks may run on managed nodes not registered as targets of the window.",
        **p.BOOLEAN,
    )
    cutoff = param(
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
    duration = param(
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
    schedule = param(
        "pSchedule",
        WINDOW_GROUP,
        "Schedule",
        Default="cron(0 4 ? * * *)",
        Description="When the window opens: a cron or rate expression.",
        **p.SCHEDULE,
    )
    timezone = param(
        "pScheduleTimezone",
        WINDOW_GROUP,
        "Schedule time zone",
        Default="US/Eastern",
        Description="IANA time zone the schedule is read in.",
        **p.TIMEZONE,
    )
    offset = param(
        "pScheduleOffset",
        WINDOW_GROUP,
        "Schedule offset (days)",
        Default="0",
        Description="Days after the cron schedule's date that the window runs, 1-6: cron(0 4 ? * TUE#2 *) with 3 "
        "runs on the Friday after Patch Tuesday; 0 for none. Cron schedules only (a rate "
        "expression runs without it).",
        **p.SCHEDULE_OFFSET,
    )
    email = (
        param(
            "pNotificationEmailAddress",
            WINDOW_GROUP,
            "Notification email",
            Description="Email address told when the patching command succeeds, fails, times out or is "
            "cancelled (confirm the subscription email).",
            **p.EMAIL,
        )
        if variant.email
        else None
    )

    target_name = param(
        "pMaintenanceWindowTargetName",
        TARGETS_GROUP,
        "Target name",
        Default="SSMPatchManager",
        Description="Name of the maintenance window target.",
        **p.SSM_NAME,
    )
    # Key pattern of the MaintenanceWindowTarget/Task target schema (no '+').
    every = f"|{EVERY_INSTANCE}" if variant.every_instance else ""
    targets_key = param(
        "pTargetsKey",
        TARGETS_GROUP,
        "Targets key",
        Default="tag:Patch Group",
        Description="How nodes are chosen: tag:<tag key>, tag-key, InstanceIds or resource-groups:Name (a "
        "resource group: the target's ResourceType becomes RESOURCE_GROUP)"
        + (
            f"; {EVERY_INSTANCE} with the value AWS::EC2::Instance: every EC2 instance of the account-Region, "
            "without a tag (the scan and inventory then take every managed node: InstanceIds *)."
            if every
            else "."
        ),
        Type="String",
        AllowedPattern=rf"^(tag:[\w .:/=@-]{{1,128}}|tag-key|InstanceIds|resource-groups:Name{every})$",
        ConstraintDescription="must be tag:<tag key> (letters, digits, spaces and _.:/=@-), tag-key, InstanceIds"
        + (f", resource-groups:Name or {EVERY_INSTANCE}" if every else " or resource-groups:Name"),
    )
    targets_value = param(
        "pTargetsValue",
        TARGETS_GROUP,
        "Targets values",
        Default="Production",
        Description="Values for the targets key (tag values, instance ids, ...), separated by commas.",
        Type="CommaDelimitedList",
        AllowedPattern=r"^[\w .:/=+@*-]{1,256}$",
        ConstraintDescription="must be values of 1-256 letters, digits, spaces and _.:/=+@*-, separated by commas",
    )
    owner_information = param(
        "pOwnerInformation",
        TARGETS_GROUP,
        "Owner information",
        Default="SSM Patch manager",
        Description="Text included in the events raised while tasks run for these targets.",
        Type="String",
        AllowedPattern=r"^[\w .,:/=+@()-]{1,128}$",
        ConstraintDescription="must be 1-128 letters, digits, spaces and _.,:/=+@()-",
    )

    max_concurrency = param(
        "pMaxConcurrency",
        TASKS_GROUP,
        "Max concurrency",
        Default="1",
        Description="Targets patched in parallel: a number or a percentage.",
        **p.CONCURRENCY,
    )
    max_errors = param(
        "pMaxErrors",
        TASKS_GROUP,
        "Max errors",
        Default="1",
        Description="Errors after which the task stops being scheduled: a number or a percentage.",
        **p.ERROR_LIMIT,
    )
    priority = param(
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
    task_type = param(
        "pTaskType",
        TASKS_GROUP,
        "Task type",
        Default="RUN_COMMAND",
        Description=f"RUN_COMMAND patches with {variant.task['name']} (a patch document); AUTOMATION runs a "
        "runbook, LAMBDA a function and STEP_FUNCTIONS a state machine for each target.",
        Type="String",
        AllowedValues=TASK_TYPES,
        ConstraintDescription="must be one of " + ", ".join(TASK_TYPES),
    )
    task = param(group=TASKS_GROUP, Default="AWS-RunPatchBaseline", **variant.task)
    reboot_option = param(
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
    role = param(group=TASKS_GROUP, Default=variant.empty, **variant.role)
    output_bucket = param(
        "pOutputS3BucketName",
        TASKS_GROUP,
        "Command output bucket (optional)",
        Default=variant.empty,
        Description=f"Existing S3 bucket for command output of the install task and the scan; {variant.empty or 'empty'} "
        "for none. The nodes' instance profile must be allowed to write to it.",
        **variant.optional(p.BUCKET_NAME),
    )
    output_prefix = param(
        "pOutputS3KeyPrefix",
        TASKS_GROUP,
        "Command output prefix",
        Default="patching",
        Description="Folder in the output bucket.",
        **p.BUCKET_PREFIX,
    )

    enable_scan = param(
        "pEnablePatchScan",
        ASSOCIATIONS_GROUP,
        "Daily compliance scan",
        Default="true",
        Description="Scan the same targets for missing patches on a schedule (AWS-RunPatchBaseline Scan), so "
        "compliance stays fresh between install windows.",
        **p.BOOLEAN,
    )
    scan_schedule = param(
        "pPatchScanSchedule",
        ASSOCIATIONS_GROUP,
        "Scan schedule",
        Default="rate(1 day)",
        Description="When the scan runs: a cron or rate expression.",
        **p.SCHEDULE,
    )
    enable_inventory = param(
        "pEnableInventory",
        ASSOCIATIONS_GROUP,
        "Inventory collection",
        Default="true",
        Description="Collect software inventory from the same targets (AWS-GatherSoftwareInventory) for the "
        "resource data sync. A node takes one inventory association: enable it in one stack only "
        "when several stacks target the same nodes.",
        **p.BOOLEAN,
    )
    inventory_schedule = param(
        "pInventorySchedule",
        ASSOCIATIONS_GROUP,
        "Inventory schedule",
        Default="rate(12 hours)",
        Description="When inventory is collected: a cron or rate expression.",
        **p.SCHEDULE,
    )

    is_task_type = {kind: t.add_condition(condition_name(kind), Equals(Ref(task_type), kind)) for kind in TASK_TYPES}
    add_rules(t, duration, cutoff, task_type, task, role)
    every_instance = None
    if variant.every_instance:
        every_instance = t.add_condition("TargetsEveryInstance", Equals(Ref(targets_key), EVERY_INSTANCE))
        t.add_rule(
            "EveryInstanceIsEc2",
            {
                "RuleCondition": Equals(Ref(targets_key), EVERY_INSTANCE),
                "Assertions": [
                    {
                        "Assert": {"Fn::EachMemberIn": [Ref(targets_value), ["AWS::EC2::Instance"]]},
                        "AssertDescription": f"{targets_key.title} {EVERY_INSTANCE} takes the one value "
                        f"AWS::EC2::Instance in {targets_value.title}.",
                    }
                ],
            },
        )
    return OperationsParameters(
        variant,
        window_name,
        allow_unassociated_targets,
        cutoff,
        duration,
        schedule,
        timezone,
        offset,
        email,
        target_name,
        targets_key,
        targets_value,
        owner_information,
        max_concurrency,
        max_errors,
        priority,
        task_type,
        task,
        reboot_option,
        role,
        output_bucket,
        output_prefix,
        enable_scan,
        scan_schedule,
        enable_inventory,
        inventory_schedule,
        is_task_type=is_task_type,
        has_output_bucket=p.has_value(t, output_bucket),
        scan=t.add_condition("EnablePatchScan", Equals(Ref(enable_scan), "true")),
        inventory=t.add_condition("EnableInventory", Equals(Ref(enable_inventory), "true")),
        # ScheduleOffset (1-6) works with cron schedules only ("Reference: Cron and rate expressions for
        # Systems Manager"). A Rule cannot test a prefix (Rules take no Fn::Select or Fn::Split,
        # cloudformation-coverage-roadmap#1260), so the offset is passed only with a cron schedule.
        apply_offset=t.add_condition(
            "ApplyScheduleOffset",
            And(Not(Equals(Ref(offset), "0")), Equals(Select(0, Split("(", Ref(schedule))), "cron")),
        ),
        targets_resource_group=t.add_condition(
            "TargetsResourceGroup",
            Or(Equals(Ref(targets_key), "resource-groups:Name"), ConditionRef(every_instance))
            if every_instance
            else Equals(Ref(targets_key), "resource-groups:Name"),
        ),
        targets_every_instance=every_instance,
        pass_automation_role=t.add_condition(
            "PassAutomationRole",
            And(ConditionRef(is_task_type["AUTOMATION"]), ConditionRef(p.has_value(t, role))),
        ),
    )


def condition_name(task_type: str) -> str:
    """RUN_COMMAND -> IsRunCommand."""
    return "Is" + "".join(word.capitalize() for word in task_type.split("_"))


def add_rules(t: Template, duration: Parameter, cutoff: Parameter, task_type: Parameter, task: Parameter, role) -> None:
    """Combinations the console refuses before anything is created."""
    t.add_rule(
        "CutoffBeforeEnd",
        {"Assertions": [cutoff_assertion(Ref(cutoff), Ref(duration), hours) for hours in range(1, 24)]},
    )
    t.add_rule(
        "RunCommandRunsPatchDocument",
        {
            "RuleCondition": Equals(Ref(task_type), "RUN_COMMAND"),
            "Assertions": [
                {
                    "Assert": {"Fn::Contains": [PATCH_DOCUMENTS, Ref(task)]},
                    "AssertDescription": f"A RUN_COMMAND task passes Operation and RebootOption: {task.title} "
                    "must be " + " or ".join(PATCH_DOCUMENTS) + ".",
                }
            ],
        },
    )
    t.add_rule(
        "OtherTaskTypesNotOnPatchDocument",
        {
            "RuleCondition": {"Fn::Contains": [TASK_TYPES[1:], Ref(task_type)]},
            "Assertions": [
                {
                    "Assert": Not({"Fn::Contains": [PATCH_DOCUMENTS, Ref(task)]}),
                    "AssertDescription": f"For AUTOMATION, LAMBDA and STEP_FUNCTIONS, {task.title} must name "
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
                    "Assert": Equals(Ref(task_type), "AUTOMATION"),
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


def window_role_policy(params: OperationsParameters, arns: TaskArns, notification_role: iam.Role | None) -> dict:
    """What the maintenance window may do with its service role, per task type (Fn::If), scoped to
    the task's document, runbook, function or state machine in this account and Region."""
    name = params.task.title
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
            Resource=[arns.function, Sub("${Function}:*", Function=arns.function)],
        )
    ]
    step_functions = [
        Statement(Sid="StartStateMachine", Effect=Allow, Action=[states.StartExecution], Resource=[arns.state_machine]),
        Statement(
            Sid="ReadStateMachineExecution",
            Effect=Allow,
            Action=[states.DescribeExecution],
            Resource=[arn("states", "execution:*:*")],
        ),
    ]
    # No ssm:GetParameters (in the user guide's base policy for a window service role): it resolves
    # {{ssm:...}} values in task parameters, and the tasks here pass none (task_invocation).
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
                ssm_actions.ListCommands,
                ssm_actions.ListCommandInvocations,
                ssm_actions.GetCommandInvocation,
                ssm_actions.CancelCommand,
            ],
        ),
        # ListGroupResources takes a group (Service Authorization Reference, AWS Resource Groups): the
        # groups of this account and Region.
        Statement(
            Sid="ListResourceGroupMembers",
            Effect=Allow,
            Action=[resource_groups.ListGroupResources],
            Resource=[arn("resource-groups", "group/*")],
        ),
    ]
    for kind, group in [
        ("RUN_COMMAND", run_command),
        ("AUTOMATION", automation),
        ("LAMBDA", lambda_),
        ("STEP_FUNCTIONS", step_functions),
    ]:
        statements += [If(params.is_task_type[kind], statement, NoValue) for statement in group]
    statements.append(
        If(
            params.pass_automation_role,
            Statement(
                Sid="PassAutomationRole",
                Effect=Allow,
                Action=[iam_actions.PassRole],
                Resource=[params.variant.role_arn(params.role)],
                Condition=Condition(StringEquals({"iam:PassedToService": "ssm.amazonaws.com"})),
            ),
            NoValue,
        )
    )
    return document(*statements)


@dataclass(frozen=True)
class Notifications:
    """The standalone's topic and the role Run Command publishes to it with."""

    topic: sns.Topic
    role: iam.Role


def task_invocation(params: OperationsParameters, notifications: Notifications | None) -> ssm.TaskInvocationParameters:
    """The invocation parameters of each task type; Fn::If keeps only the chosen one."""
    has_bucket = params.has_output_bucket
    # Maintenance windows replace {{RESOURCE_ID}} with each target's id.
    target_input = json.dumps({"InstanceId": "{{RESOURCE_ID}}"})
    notify = (
        dict(
            NotificationConfig=ssm.NotificationConfig(
                NotificationArn=Ref(notifications.topic),
                NotificationEvents=NOTIFICATION_EVENTS,
                NotificationType="Command",
            ),
            ServiceRoleArn=GetAtt(notifications.role, "Arn"),
        )
        if notifications
        else {}
    )
    return ssm.TaskInvocationParameters(
        MaintenanceWindowRunCommandParameters=If(
            params.is_task_type["RUN_COMMAND"],
            ssm.MaintenanceWindowRunCommandParameters(
                Comment="Install approved patches",
                Parameters={"Operation": ["Install"], "RebootOption": [Ref(params.reboot_option)]},
                OutputS3BucketName=If(has_bucket, Ref(params.output_bucket), NoValue),
                OutputS3KeyPrefix=If(has_bucket, Ref(params.output_prefix), NoValue),
                **notify,
            ),
            NoValue,
        ),
        MaintenanceWindowAutomationParameters=If(
            params.is_task_type["AUTOMATION"],
            ssm.MaintenanceWindowAutomationParameters(
                DocumentVersion="$DEFAULT",
                Parameters={
                    "InstanceId": ["{{RESOURCE_ID}}"],
                    "AutomationAssumeRole": If(
                        params.pass_automation_role, [params.variant.role_arn(params.role)], NoValue
                    ),
                },
            ),
            NoValue,
        ),
        MaintenanceWindowLambdaParameters=If(
            params.is_task_type["LAMBDA"], ssm.MaintenanceWindowLambdaParameters(Payload=Base64(target_input)), NoValue
        ),
        MaintenanceWindowStepFunctionsParameters=If(
            params.is_task_type["STEP_FUNCTIONS"],
            ssm.MaintenanceWindowStepFunctionsParameters(Input=target_input),
            NoValue,
        ),
    )


def add_notifications(
    t: Template, params: OperationsParameters, organization: Parameter, title: str, tags
) -> Notifications:
    """The standalone's topic, its e-mail subscription, and the role Run Command publishes with."""
    if params.email is None:
        raise ValueError("e-mail notifications need the standalone variant's pNotificationEmailAddress")
    topic = t.add_resource(
        sns.Topic(
            "NotificationTopic",
            DisplayName=Sub(f"${{{organization.title}}} patching {title}"),
            KmsMasterKeyId="alias/aws/sns",  # AWS managed key: SNS encrypts at rest, senders in the account may use it
            Tags=tags,
        )
    )
    t.add_resource(
        sns.SubscriptionResource(
            "NotificationEmailSubscription",
            TopicArn=Ref(topic),
            Protocol="email",
            Endpoint=Ref(params.email),
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
    return Notifications(topic, role)


@dataclass(frozen=True)
class Operations:
    window: ssm.MaintenanceWindow
    target: ssm.MaintenanceWindowTarget
    task: ssm.MaintenanceWindowTask

    def outputs(self) -> list[tuple[str, str, object]]:
        return [
            ("MaintenanceWindowId", "Id of the maintenance window", Ref(self.window)),
            ("MaintenanceWindowTargetId", "Id of the maintenance window target", Ref(self.target)),
            ("MaintenanceWindowTaskId", "Id of the maintenance window task", Ref(self.task)),
        ]


def add_operations(
    t: Template,
    params: OperationsParameters,
    organization: Parameter,
    tags,
    name_suffix: str = "",
    title: str = "",
    notifications: Notifications | None = None,
) -> Operations:
    """Window role, window, target, install task, scan and inventory associations; name_suffix
    ('-windows') keeps the names of several standalone stacks in one account apart."""
    arns = params.variant.task_arns(t, params.task, params.is_task_type)
    window_role = t.add_resource(
        iam.Role(
            "MaintenanceWindowRole",
            Description="Service role of the maintenance window task: runs the chosen task type on the targets.",
            # No aws:SourceAccount/SourceArn: the user guide's trust for this role has none ("Control access to
            # maintenance windows using the AWS CLI"), and its "Cross-service confused deputy prevention" gives
            # them for hybrid activations and Automation only (see service_assume_role).
            AssumeRolePolicyDocument=service_assume_role("ssm.amazonaws.com"),
            Policies=[
                iam.Policy(
                    PolicyName="RunPatchingTask",
                    PolicyDocument=window_role_policy(params, arns, notifications and notifications.role),
                )
            ],
            Tags=tags,
        )
    )
    org = f"${{{organization.title}}}"
    window = t.add_resource(
        ssm.MaintenanceWindow(
            "MaintenanceWindow",
            Name=Sub(f"{org}-${{{params.window_name.title}}}{name_suffix}"),
            Description=Sub(f"{org} {title or 'patching of every operating system'}"),
            Schedule=Ref(params.schedule),
            ScheduleTimezone=Ref(params.timezone),
            ScheduleOffset=If(params.apply_offset, Ref(params.offset), NoValue),
            Duration=Ref(params.duration),
            Cutoff=Ref(params.cutoff),
            AllowUnassociatedTargets=Ref(params.allow_unassociated_targets),
            Tags=tags,
        )
    )
    targets = [ssm.Targets(Key=Ref(params.targets_key), Values=Ref(params.targets_value))]
    target = t.add_resource(
        ssm.MaintenanceWindowTarget(
            "MaintenanceWindowTarget",
            WindowId=Ref(window),
            # A resource-groups:Name target is a resource group (MaintenanceWindowTarget, API Reference).
            ResourceType=If(params.targets_resource_group, "RESOURCE_GROUP", "INSTANCE"),
            Targets=targets,
            Name=Sub(f"${{{params.target_name.title}}}{name_suffix}"),
            OwnerInformation=Ref(params.owner_information),
        )
    )
    install = t.add_resource(
        ssm.MaintenanceWindowTask(
            "MaintenanceWindowTask",
            WindowId=Ref(window),
            Name=Sub(f"{org}-patch{name_suffix}"),
            Description="Install approved patches (or run the chosen runbook, function or state machine) on the targets",
            TaskType=Ref(params.task_type),
            TaskArn=arns.task,
            ServiceRoleArn=GetAtt(window_role, "Arn"),
            Targets=[ssm.Targets(Key="WindowTargetIds", Values=[Ref(target)])],
            MaxConcurrency=Ref(params.max_concurrency),
            MaxErrors=Ref(params.max_errors),
            Priority=Ref(params.priority),
            TaskInvocationParameters=task_invocation(params, notifications),
        )
    )

    # Associations reach every managed node where the window targets every EC2 instance.
    association_targets = (
        If(params.targets_every_instance, [ssm.Targets(Key="InstanceIds", Values=["*"])], targets)
        if params.targets_every_instance
        else targets
    )
    output_location = If(
        params.has_output_bucket,
        ssm.InstanceAssociationOutputLocation(
            S3Location=ssm.S3OutputLocation(
                OutputS3BucketName=Ref(params.output_bucket), OutputS3KeyPrefix=Ref(params.output_prefix)
            )
        ),
        NoValue,
    )
    # Names from the organization, not the stack name: a stack name of 128 characters would overflow
    # the 128-character AssociationName.
    t.add_resource(
        ssm.Association(
            "PatchScanAssociation",
            Condition=params.scan,
            AssociationName=Sub(f"{org}-patch-scan{name_suffix}"),
            Name="AWS-RunPatchBaseline",
            Parameters={"Operation": ["Scan"]},
            # A scan changes nothing on the node, so it runs on all targets at once (no rate control).
            ScheduleExpression=Ref(params.scan_schedule),
            Targets=association_targets,
            OutputLocation=output_location,
        )
    )
    t.add_resource(
        ssm.Association(
            "InventoryAssociation",
            Condition=params.inventory,
            AssociationName=Sub(f"{org}-inventory{name_suffix}"),
            Name="AWS-GatherSoftwareInventory",
            ScheduleExpression=Ref(params.inventory_schedule),
            Targets=association_targets,
            OutputLocation=output_location,
        )
    )
    return Operations(window, target, install)
