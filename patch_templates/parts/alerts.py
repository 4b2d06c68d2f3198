"""Central alerts: which Systems Manager events are an alert (one table, EVENT_KINDS), and the
member side that forwards them from every account-Region to the collector's central event bus.

The same patterns run twice: on each member's default bus (forward only what is an alert) and on
the central bus (turn each kind into readable text for the topic, stacks/central_alerts.py).
Successful runs never match.

Event names and fields are those of the Systems Manager user guide, "Amazon EventBridge event
examples for Systems Manager" (monitoring-systems-manager-event-examples), and of the EventBridge
events reference, "Amazon EC2 Systems Manager events" (events-ref-ssm). Status values are those of
the Systems Manager API reference for each object, cited per kind below.
"""

import json
from dataclasses import dataclass, field

from awacs import events as events_actions, sqs as sqs_actions
from awacs.aws import Allow, ArnEquals, Condition, PolicyDocument, Principal, Statement, StringEquals
from troposphere import GetAtt, Ref, Sub, Template, cloudwatch, events, iam, sqs

from ..deploy.patch_now import RUNBOOK_NAME
from . import parameters as p
from .common import checkov_skip, sub
from .policies import POLICY_VERSION, document, service_role_trust

SOURCE = "aws.ssm"
# The documents whose runs are patching: AWS-RunPatchBaseline installs (window task) and scans
# (association), AWS-RunPatchBaselineWithHooks installs with hooks (the other task document the window
# allows); AWS-GatherSoftwareInventory is the inventory association.
PATCH_DOCUMENT = "AWS-RunPatchBaseline"
PATCH_DOCUMENTS = [PATCH_DOCUMENT, "AWS-RunPatchBaselineWithHooks"]
INVENTORY_DOCUMENT = "AWS-GatherSoftwareInventory"


@dataclass(frozen=True)
class EventKind:
    """One kind of alert: the event pattern, and the text the operator reads (an EventBridge input
    transformer: `paths` maps <placeholders> in `text` to JSON paths of the event)."""

    title: str  # CamelCase, part of logical IDs: Forward<title>Rule, Alert<title>Rule
    detail_type: str
    detail: dict  # the pattern's "detail" part
    text: str
    paths: dict = field(default_factory=dict)
    source: str = SOURCE
    # One event per node: in a storm thousands arrive within minutes, so the central bus counts them
    # (stacks/central_alerts.py: a log group, a metric filter and one alarm per storm), never mails them.
    per_node: bool = False
    # The detail field that names a resource of the member (its maintenance window, its alarm): a member
    # forwards only the events of its own.
    own_field: str = ""

    @property
    def pattern(self) -> dict:
        return {"source": [self.source], "detail-type": [self.detail_type], "detail": self.detail}

    def member_pattern(self, own) -> dict:
        """The pattern a member forwards: for a kind with an own_field, only events whose field is `own`
        (the Ref of its AWS::SSM::MaintenanceWindow, which is the window id; its alarm's name)."""
        if not self.own_field:
            return self.pattern
        return {**self.pattern, "detail": {**self.detail, self.own_field: [own]}}

    def input_transformer(self, chat: bool = False) -> events.InputTransformer:
        """For e-mail, text: each line one quoted string, as EventBridge sends a string template to
        its target with its quotes ("Amazon EventBridge input transformation": a string template
        must be quoted; output "instance i-0123456789 is in RUNNING"), one line after the other.
        For chat, the custom notification AWS Chatbot renders (Chatbot administrator guide, "Custom
        notifications": version "1.0", source "custom", content title and description); it shows
        nothing else."""
        title, _, description = self.text.partition("\n")
        template = (
            json.dumps(
                {
                    "version": "1.0",
                    "source": "custom",
                    "content": {"textType": "client-markdown", "title": title, "description": description},
                }
            )
            if chat
            else "\n".join(json.dumps(line) for line in self.text.split("\n"))
        )
        return events.InputTransformer(
            InputPathsMap={"account": "$.account", "region": "$.region", **self.paths}, InputTemplate=template
        )

    def log_transformer(self) -> events.InputTransformer:
        """For the central log group of per-node events: one JSON object a node event, its fields named
        for Logs Insights (account, region, kind, node, status...) and its readable text."""
        fields = {"account": "<account>", "region": "<region>", **{name: f"<{name}>" for name in self.paths}}
        return events.InputTransformer(
            InputPathsMap={"account": "$.account", "region": "$.region", **self.paths},
            InputTemplate=json.dumps({"source": self.source, "kind": self.title, **fields, "text": self.text}),
        )


WHERE = "Account <account>, Region <region>."
LOOK = "\nWhere to look, in that account: aws ssm "

EVENT_KINDS = (
    # Run Command, one event per node and run ("EC2 Command Invocation Status-change Notification";
    # fields command-id, document-name, instance-id, status). The per-command event ("EC2 Command
    # Status-change Notification") would repeat the same failure without the node, so it is left out.
    # Status values of a command invocation (API reference, CommandInvocation.Status): Pending |
    # InProgress | Delayed | Success | Cancelled | TimedOut | Failed | Cancelling. Anything that is
    # neither success nor still running is an alert, including statuses added later.
    EventKind(
        "InstallRun",
        "EC2 Command Invocation Status-change Notification",
        {
            "document-name": PATCH_DOCUMENTS,
            "status": [{"anything-but": ["Pending", "InProgress", "Delayed", "Success", "Cancelling"]}],
        },
        "PATCHING ALERT: <document> <status> on node <node>.\n"
        + WHERE
        + " Command <command>."
        + LOOK
        + "get-command-invocation --region <region> --command-id <command> --instance-id <node>"
        + "\nConsole: Systems Manager > Run Command > Command history > <command>",
        {
            "status": "$.detail.status",
            "node": "$.detail.instance-id",
            "command": "$.detail.command-id",
            "document": "$.detail.document-name",
        },
        per_node=True,
    ),
    # Maintenance windows, one event per window run ("Maintenance Window Execution State-change
    # Notification"; fields window-id, window-execution-id, status). Status values (API reference,
    # MaintenanceWindowExecution.Status): PENDING | IN_PROGRESS | SUCCESS | FAILED | TIMED_OUT |
    # CANCELLING | CANCELLED | SKIPPED_OVERLAPPING; a skipped run also means nodes went unpatched.
    EventKind(
        "WindowExecution",
        "Maintenance Window Execution State-change Notification",
        {"status": [{"anything-but": ["PENDING", "IN_PROGRESS", "SUCCESS", "CANCELLING"]}]},
        "PATCHING ALERT: maintenance window <window> run <status>.\n"
        + WHERE
        + " Window execution <execution>."
        + LOOK
        + "describe-maintenance-window-execution-tasks --region <region> --window-execution-id <execution>"
        + "\nConsole: Systems Manager > Maintenance Windows > <window> > History",
        {"status": "$.detail.status", "window": "$.detail.window-id", "execution": "$.detail.window-execution-id"},
        own_field="window-id",
    ),
    # State Manager, one event when an association's overall status changes ("EC2 State Manager
    # Association State Change"; fields association-id, document-name, status). Status values (API
    # reference, AssociationStatus.Name): Pending | Success | Failed. Only the patch scan and
    # inventory associations.
    EventKind(
        "Association",
        "EC2 State Manager Association State Change",
        {"document-name": [*PATCH_DOCUMENTS, INVENTORY_DOCUMENT], "status": ["Failed"]},
        "PATCHING ALERT: association <association> (<document>) <status>.\n"
        + WHERE
        + LOOK
        + "describe-association-executions --region <region> --association-id <association>"
        + "\nConsole: Systems Manager > State Manager > <association> > Execution history",
        {"status": "$.detail.status", "association": "$.detail.association-id", "document": "$.detail.document-name"},
    ),
    # Compliance, one event when a node's patch compliance changes ("Configuration Compliance State
    # Change"; fields resource-id, compliance-type, compliance-status, patch-baseline-id, severity).
    # The user guide's samples write the status in lower case (non_compliant) while the Compliance
    # API writes NON_COMPLIANT; patterns match exact strings, so both are listed.
    EventKind(
        "PatchCompliance",
        "Configuration Compliance State Change",
        {"compliance-type": ["Patch"], "compliance-status": ["non_compliant", "NON_COMPLIANT"]},
        "PATCHING ALERT: node <node> is NON_COMPLIANT for patches (severity <severity>).\n"
        + WHERE
        + " Patch baseline <baseline>."
        + LOOK
        + "describe-instance-patches --region <region> --instance-id <node> "
        + "--filters Key=State,Values=Missing,Failed"
        + "\nConsole: Systems Manager > Patch Manager > Compliance reporting",
        {"node": "$.detail.resource-id", "severity": "$.detail.severity", "baseline": "$.detail.patch-baseline-id"},
        per_node=True,
    ),
    # Patch now (make patch-now), one event per run of the runbook in each target account-Region ("EC2
    # Automation Execution Status-change Notification"; fields ExecutionId, Definition, Status). Status values
    # (API reference, AutomationExecution.AutomationExecutionStatus) include approvals and change calendars,
    # so the failures are listed: Failed | TimedOut | Cancelled | CompletedWithFailure. A run in a member
    # account uses the runbook shared by the administration account, which it may name by its document ARN
    # (user guide, "Using shared SSM documents"), so both forms are matched. The nodes' own failures arrive
    # as InstallRun alerts (the run sends AWS-RunPatchBaseline).
    EventKind(
        "PatchNowRun",
        "EC2 Automation Execution Status-change Notification",
        {
            "Definition": [RUNBOOK_NAME, {"suffix": f":document/{RUNBOOK_NAME}"}],
            "Status": ["Failed", "TimedOut", "Cancelled", "CompletedWithFailure"],
        },
        "PATCHING ALERT: patch-now run <status> (runbook <runbook>).\n"
        + WHERE
        + " Automation execution <execution>."
        + LOOK
        + "get-automation-execution --region <region> --automation-execution-id <execution>"
        + "\nConsole: Systems Manager > Automation > <execution>",
        {"status": "$.detail.Status", "runbook": "$.detail.Definition", "execution": "$.detail.ExecutionId"},
    ),
)

# A custom event the operator puts on the central bus to see an alert arrive (docs/alerts.md).
# Sources starting with "aws." are reserved for AWS services, so the test uses its own.
TEST_ALERT = EventKind(
    "Test",
    "Patch alert test",
    {"message": [{"exists": True}]},
    "PATCHING ALERT TEST from account <account>, Region <region>: <message>\n"
    "Alerts from the central bus reach you here. Nothing needs to be done.",
    {"message": "$.detail.message"},
    source="patch-templates.test",
)

# The data path in the collector account: its failures go straight to the central topic (rules on the
# collector's default bus, stacks/central_alerts.py), matched on the names the analytics stack's
# parameters give (the central alerts stack takes the same parameters with the same defaults).
CRAWLER_NAME = "pCFNCrawlerName"
DAILY_WORKGROUP_NAME = "pAthenaDailyWorkGroupName"
# The daily compaction's state machine is named <reports stack>-daily-compaction.
DAILY_JOB_SUFFIX = "-daily-compaction"
# Every alarm of these templates is named so; its ALARM state is mailed with its reason and description.
ALARM_PREFIX = "patching-alert-"
DATA_WHERE = "\nAccount <account>, Region <region>."
# CloudWatch, "CloudWatch Alarm State Change" (CloudWatch user guide, "Alarm events and EventBridge":
# fields alarmName, state.value, state.reason, configuration.description). An alarm changes state once
# per episode, so each alarm mails once, however many data points crossed its threshold. The collector's
# alarms reach the topic from its default bus; a member forwards its own alarm (add_forwarding).
ALARM = EventKind(
    "Alarm",
    "CloudWatch Alarm State Change",
    {"alarmName": [{"prefix": ALARM_PREFIX}], "state": {"value": ["ALARM"]}},
    "PATCHING ALERT: <alarm>." + DATA_WHERE + "\n<description>\n<reason>",
    {
        "alarm": "$.detail.alarmName",
        "description": "$.detail.configuration.description",
        "reason": "$.detail.state.reason",
    },
    source="aws.cloudwatch",
    own_field="alarmName",
)
DATA_PATH_KINDS = (
    # Glue, "Glue Crawler State Change" (EventBridge user guide, AWS Glue events: "Crawler Failed",
    # fields crawlerName, state, errorMessage, cloudWatchLogLink).
    EventKind(
        "CrawlerRun",
        "Glue Crawler State Change",
        {"crawlerName": [Ref(CRAWLER_NAME)], "state": ["Failed"]},
        "PATCHING DATA PATH ALERT: Glue crawler <crawler> failed: <error>."
        + DATA_WHERE
        + " New accounts and Regions get no partitions until it runs again."
        + "\nWhere to look: the crawler's log, <log>",
        {"crawler": "$.detail.crawlerName", "error": "$.detail.errorMessage", "log": "$.detail.cloudWatchLogLink"},
        source="aws.glue",
    ),
    # Athena, "Athena Query State Change" (Athena user guide, "Monitor Athena query events with
    # EventBridge": fields currentState, queryExecutionId, workgroupName; states QUEUED | RUNNING |
    # SUCCEEDED | FAILED | CANCELLED). Only the daily workgroup: its statements are the compaction's.
    EventKind(
        "DailyQuery",
        "Athena Query State Change",
        {"workgroupName": [Ref(DAILY_WORKGROUP_NAME)], "currentState": ["FAILED", "CANCELLED"]},
        "PATCHING DATA PATH ALERT: a daily compaction query <state> in Athena workgroup <workgroup>."
        + DATA_WHERE
        + " A CANCELLED statement may have scanned more than the workgroup's limit (pDailyBytesScannedCutoff)."
        + "\nWhere to look: aws athena get-query-execution --region <region> --query-execution-id <query>",
        {"state": "$.detail.currentState", "workgroup": "$.detail.workgroupName", "query": "$.detail.queryExecutionId"},
        source="aws.athena",
    ),
    # Step Functions, "Step Functions Execution Status Change" (Step Functions developer guide, "Automating
    # Step Functions event delivery with EventBridge": fields executionArn, stateMachineArn, status).
    EventKind(
        "DailyCompaction",
        "Step Functions Execution Status Change",
        {"stateMachineArn": [{"suffix": DAILY_JOB_SUFFIX}], "status": ["FAILED", "TIMED_OUT", "ABORTED"]},
        "PATCHING DATA PATH ALERT: the daily compaction run <status>: today's reports and trend are missing a day."
        + DATA_WHERE
        + "\nWhere to look: aws stepfunctions describe-execution --region <region> --execution-arn <execution>",
        {"status": "$.detail.status", "execution": "$.detail.executionArn"},
        source="aws.states",
    ),
    ALARM,
)


def add_alarm(t: Template, title: str, name: str, description, **metric) -> cloudwatch.Alarm:
    """An alarm the central alerts stack mails when it turns to ALARM (its Alarm kind matches the name
    <ALARM_PREFIX><stack name>-<name>), with its description and the reason CloudWatch gives: it needs
    no action, topic or key of its own. Missing data does not breach unless `metric` says so."""
    return t.add_resource(
        cloudwatch.Alarm(
            title,
            AlarmName=Sub(ALARM_PREFIX + "${AWS::StackName}-" + name),
            AlarmDescription=description,
            **{"TreatMissingData": "notBreaching", **metric},
        )
    )


def add_dead_letter_queue(
    t: Template, title: str, alarm_name: str, description: str, **variables
) -> tuple[sqs.Queue, cloudwatch.Alarm]:
    """A dead-letter queue `title` and its alarm (add_alarm), in ALARM while a message waits in it: what a
    sender could not deliver is kept 14 days, the longest SQS keeps a message (Amazon SQS API Reference,
    SetQueueAttributes, MessageRetentionPeriod), and mailed once. `description` is a Sub text that may
    name ${Queue} (the queue's name), ${QueueUrl} and `variables`.

    Encrypted with SQS managed keys (SSE-SQS), which need no key policy: a queue under a KMS key admits
    an AWS service that sends to it only when a customer managed key's policy lets that service use it,
    and the AWS managed key aws/sqs cannot be changed to (SQS developer guide, "Amazon SQS Key management")."""
    queue = t.add_resource(
        sqs.Queue(
            title,
            DeletionPolicy="Delete",  # failed deliveries, already alerted on: not report data
            UpdateReplacePolicy="Delete",
            Metadata=checkov_skip(
                CKV_AWS_27="Encrypted at rest with SQS managed keys (SqsManagedSseEnabled, SSE-SQS); the check "
                "looks for KmsMasterKeyId only."
            ),
            SqsManagedSseEnabled=True,
            MessageRetentionPeriod=14 * 24 * 3600,
        )
    )
    alarm = add_alarm(
        t,
        title.removesuffix("Queue") + "Alarm",
        alarm_name,
        sub(description, {"Queue": GetAtt(queue, "QueueName"), "QueueUrl": Ref(queue), **variables}),
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=[cloudwatch.MetricDimension(Name="QueueName", Value=GetAtt(queue, "QueueName"))],
        Statistic="Maximum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    return queue, alarm


FORWARD_GROUP = "Central alerts"
# How long a member's target retries an undelivered alert before its dead-letter queue takes it.
FORWARD_RETRY_SECONDS = 3600
CENTRAL_BUS_ARN = dict(
    Type="String",
    AllowedPattern=p.arn_pattern("events", r"event-bus/(?!default$)(?!aws\.)[A-Za-z0-9._-]{1,256}"),
    ConstraintDescription=(
        "must be the ARN of the central custom event bus "
        "(arn:PARTITION:events:REGION:ACCOUNT:event-bus/NAME), output CentralEventBusArn "
        "of the collector's central alerts stack"
    ),
)


def add_forwarding(t: Template, central_file: str, *, window) -> None:
    """Forward this account-Region's patching alerts (EVENT_KINDS) from its default event bus to the
    collector's central bus; of the maintenance windows, only this member's own `window`. What cannot be
    delivered waits in a dead-letter queue, whose alarm is forwarded the same way (ALARM): when the
    central bus refuses this account altogether, that alarm is refused too, and stays in ALARM here
    (docs/alerts.md).

    pCentralEventBusArn is required, with no default: the collector's stack (step 2) creates the bus
    before the StackSet (step 3), its ARN is the same for every account, and a member that silently
    forwarded nowhere would be the failure this design removes. A required value also never crosses
    a StackSet as ''.

    A rule may target an event bus in another account and another Region when it has a role that
    EventBridge assumes with events:PutEvents on that bus (EventBridge user guide, "Sending and
    receiving events between AWS accounts" and "Sending and receiving events between AWS Regions";
    the destination Region must be a supported cross-Region destination).
    """
    bus_arn = p.add(
        t,
        "pCentralEventBusArn",
        FORWARD_GROUP,
        "Central event bus ARN",
        Description=f"ARN of the collector's central alert bus (output CentralEventBusArn of {central_file}). "
        "Patching failures and non-compliant nodes of this account-Region are forwarded there.",
        **CENTRAL_BUS_ARN,
    )
    role = t.add_resource(
        iam.Role(
            "AlertForwardingRole",
            Description="Lets EventBridge put this account's patching alerts on the central alert bus, and nothing else.",
            # Only EventBridge rules of this account-Region may assume it: EventBridge gives the rule as
            # aws:SourceArn and its account as aws:SourceAccount (EventBridge user guide, "Using IAM policy
            # conditions in Amazon EventBridge"; the same trust in CrowdStrike/terraform-aws-cloud-registration#64).
            # The rules name the role, so the trust names no rule. The role can do one thing only: PutEvents
            # on the one central bus.
            AssumeRolePolicyDocument=service_role_trust(
                "events.amazonaws.com", Sub("arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/*")
            ),
            Policies=[
                iam.Policy(
                    PolicyName="PutEventsOnCentralBus",
                    PolicyDocument=PolicyDocument(
                        Version=POLICY_VERSION,
                        Statement=[Statement(Effect=Allow, Action=[events_actions.PutEvents], Resource=[Ref(bus_arn)])],
                    ),
                )
            ],
        )
    )
    dead_letters, alarm = add_dead_letter_queue(
        t,
        "AlertForwardingDeadLetterQueue",
        "forwarding-failed",
        "Patching alerts of account ${AWS::AccountId}, Region ${AWS::Region} did not reach the central bus ${Bus}: "
        "nobody was mailed. They wait 14 days in SQS queue ${QueueUrl}. Read them: aws sqs receive-message "
        "--attribute-names All --message-attribute-names All --queue-url <that URL> (ERROR_CODE, ERROR_MESSAGE: "
        "why; RULE_ARN: which kind; TARGET_ARN: the bus). Fix the central alerts stack's pOrganizationID or "
        "pDataSourceAccountID, pCentralEventBusArn or AlertForwardingRole; THROTTLING needs no fix. Then purge the "
        "queue (aws sqs purge-queue) and the alarm returns to OK.",
        Bus=Ref(bus_arn),
    )
    # Retries cover passing errors (a throttled PutEvents in a storm); a refusal (no permission) goes to the
    # queue at once (EventBridge user guide, "Using dead-letter queues to process undelivered events in
    # EventBridge"). An alert is for the patch window it reports on: after an hour of retries its queue's
    # alarm says more than the default 24 hours would. The attempts are the maximum, so the hour ends the retries.
    target = events.Target(
        Id="CentralEventBus",
        Arn=Ref(bus_arn),
        RoleArn=GetAtt(role, "Arn"),
        DeadLetterConfig=events.DeadLetterConfig(Arn=GetAtt(dead_letters, "Arn")),
        RetryPolicy=events.RetryPolicy(MaximumEventAgeInSeconds=FORWARD_RETRY_SECONDS, MaximumRetryAttempts=185),
    )
    # this stack's own alarm by its name: another stack's alarms in the account-Region are its own to forward
    forwarded = [*((kind, Ref(window)) for kind in EVENT_KINDS), (ALARM, alarm.AlarmName)]
    rules = [
        t.add_resource(
            events.Rule(
                f"Forward{kind.title}Rule",
                Description=f"Forwards patching alerts ({kind.detail_type}) to the central alert bus.",
                EventPattern=kind.member_pattern(own),
                State="ENABLED",
                Targets=[target],
            )
        )
        for kind, own in forwarded
    ]
    # Only this stack's forwarding rules may write to its queue (the same page, "Granting permissions to
    # the dead-letter queue": aws:SourceArn is the rule).
    t.add_resource(
        sqs.QueuePolicy(
            "AlertForwardingDeadLetterQueuePolicy",
            Queues=[Ref(dead_letters)],
            PolicyDocument=document(
                Statement(
                    Sid="ForwardingRulesSendDeadLetters",
                    Effect=Allow,
                    Principal=Principal("Service", "events.amazonaws.com"),
                    Action=[sqs_actions.SendMessage],
                    Resource=[GetAtt(dead_letters, "Arn")],
                    Condition=Condition(
                        [
                            ArnEquals({"aws:SourceArn": [GetAtt(rule, "Arn") for rule in rules]}),
                            StringEquals({"aws:SourceAccount": Ref("AWS::AccountId")}),
                        ]
                    ),
                )
            ),
        )
    )
