"""Collector account: the central alert path (step 2). Every member account-Region forwards
its patching alerts (alerts.EVENT_KINDS) to one event bus here; rules on that bus turn each kind
into readable text for one encrypted topic with one e-mail subscription and, optionally, a Slack
channel through AWS Chatbot. One person confirms one subscription for the whole organization."""

import json
from dataclasses import dataclass

from awacs import kms as kms_actions, sns as sns_actions
from awacs.aws import Allow, ArnEquals, BoolIfExists, Condition, Deny, PolicyDocument, Principal, Statement, StringLike
from troposphere import (
    And,
    Equals,
    GetAtt,
    If,
    Join,
    Not,
    NoValue,
    Or,
    Output,
    Parameter,
    Ref,
    Split,
    Sub,
    Template,
    chatbot,
    events,
    iam,
    kms,
    logs,
    sns,
)

from ..parts import alerts, parameters as p
from ..parts.common import add_exported_outputs, checkov_skip
from ..parts.policies import POLICY_VERSION, document, service_assume_role
from . import collector
from .record import Record

FILE = "central_alerts.yml"
EXAMPLE_EMAIL = "patching@example.com"
ALERTS_GROUP = "Alerts"
SOURCES_GROUP = "Who may send alerts"
SLACK_GROUP = "Slack channel through AWS Chatbot (optional)"
DATA_PATH_GROUP = "Data path in this account (the analytics stack's names)"
# Per-node events are counted here; a storm mails once, when the alarm turns to ALARM. The alarm
# stays in ALARM while any of the last STORM_PERIODS periods of 5 minutes saw a node event (an hour):
# a wave's windows fail within that hour, so they are one storm, one mail.
NODE_EVENTS_LOG_GROUP = "/patching/node-alerts"
STORM_PERIOD_SECONDS = 300
STORM_PERIODS = 12
METRIC_NAMESPACE = "PatchTemplates"
# CloudWatch Logs Insights queries over the node events, saved in the console (Logs Insights > Queries).
STORM_QUERIES = {
    "worst-accounts": "stats count(*) as node_events by account, region | sort node_events desc | limit 20",
    "nodes": "fields @timestamp, account, region, kind, node, status, severity | sort @timestamp desc | limit 10000",
}

EVENT_BUS_NAME = dict(
    Type="String",
    AllowedPattern=r"^(?!default$)(?!aws\.)[A-Za-z0-9._-]{1,256}$",
    ConstraintDescription="must be 1-256 letters, digits, '.', '_' or '-', not 'default' and not starting with 'aws.'",
)
# Slack ids as the AWS::Chatbot::SlackChannelConfiguration schema has them (SlackWorkspaceId,
# SlackChannelId); empty when no Slack channel is wanted.
SLACK_WORKSPACE_ID = dict(
    Type="String",
    AllowedPattern=r"^([0-9A-Z]{1,255})?$",
    ConstraintDescription="must be empty or a Slack workspace id: upper-case letters and digits",
)
SLACK_CHANNEL_ID = dict(
    Type="String",
    AllowedPattern=r"^([A-Za-z0-9]{1,255})?$",
    ConstraintDescription="must be empty or a Slack channel id: letters and digits",
)
EVENTS = Principal("Service", "events.amazonaws.com")
TOPICS_HERE = Sub("arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:*")


@dataclass(frozen=True)
class AlertParameters:
    bus: Parameter  # the central bus's name
    email: Parameter
    senders: p.Senders  # who may send alerts
    workspace: Parameter  # Slack, optional
    channel: Parameter
    has_slack_channel: str  # condition: both Slack ids given


def add_parameters(t: Template) -> AlertParameters:
    """The parameters, the Rules that refuse a bad combination, and the conditions that choose."""
    bus = p.add(
        t,
        "pEventBusName",
        ALERTS_GROUP,
        "Central event bus name",
        Default="patch-alerts",
        Description="Name of the central event bus that every account-Region forwards its patching alerts to.",
        **EVENT_BUS_NAME,
    )
    email = p.add(
        t,
        "pNotificationEmailAddress",
        ALERTS_GROUP,
        "Alert e-mail address",
        Description="The one address that receives the organization's patching alerts. AWS sends "
        "it a confirmation mail: nothing is delivered before someone clicks its link.",
        **p.EMAIL,
    )
    organization = p.add(
        t,
        "pOrganizationID",
        SOURCES_GROUP,
        "Organization id (optional)",
        Default="",
        Description="Admit every account of this AWS Organization (o-...) to the bus. Leave "
        "empty to admit the accounts listed below instead.",
        **p.optional(p.ORGANIZATION_ID),
    )
    accounts = p.add(
        t,
        "pDataSourceAccountID",
        SOURCES_GROUP,
        "Source account ids",
        Default="",
        Description="Without an organization id: account ids that may send alerts, separated "
        "by commas (this account is always admitted).",
        **p.optional(p.ACCOUNT_ID_LIST),
    )
    workspace = p.add(
        t,
        "pSlackWorkspaceId",
        SLACK_GROUP,
        "Slack workspace id (optional)",
        Default="",
        Description="Id of a Slack workspace already authorised in the AWS Chatbot console "
        "(for example T0123ABCD). Empty for e-mail only.",
        **SLACK_WORKSPACE_ID,
    )
    channel = p.add(
        t,
        "pSlackChannelId",
        SLACK_GROUP,
        "Slack channel id (optional)",
        Default="",
        Description="Id of the Slack channel that receives the alerts (for example C0123ABCD). "
        "Give it together with the workspace id.",
        **SLACK_CHANNEL_ID,
    )
    # the same names, constraints and defaults as the analytics stack's parameters
    for name, label, description, constraint, default in (
        (
            alerts.CRAWLER_NAME,
            "Crawler name",
            "The analytics stack's crawler: its failed runs are mailed.",
            p.GLUE_CRAWLER_NAME,
            "patching-crawler",
        ),
        (
            alerts.DAILY_WORKGROUP_NAME,
            "Daily compaction workgroup name",
            "The analytics stack's daily workgroup: its failed or cancelled queries are mailed.",
            p.ATHENA_WORKGROUP_NAME,
            "patching-daily",
        ),
    ):
        p.add(t, name, DATA_PATH_GROUP, label, Default=default, Description=description, **constraint)
    no_workspace, no_channel = Equals(Ref(workspace), ""), Equals(Ref(channel), "")
    t.add_rule(
        "SlackIdsTogether",
        {
            "Assertions": [
                {
                    "Assert": Or(And(no_workspace, no_channel), And(Not(no_workspace), Not(no_channel))),
                    "AssertDescription": f"Give both {workspace.title} and {channel.title}, or neither.",
                }
            ]
        },
    )
    return AlertParameters(
        bus,
        email,
        p.add_senders(t, organization, accounts),
        workspace,
        channel,
        has_slack_channel=t.add_condition("HasSlackChannel", And(Not(no_workspace), Not(no_channel))),
    )


def bus_policy(params: AlertParameters) -> dict:
    """Who may put events on the bus: every account of the organization (aws:PrincipalOrgID) or the
    listed accounts and this one, and only events of Systems Manager and CloudWatch (events:source),
    which is all the members forward: their patching events and their own alarm (EventBridge user
    guide, "Permissions for event buses in Amazon EventBridge" and its example policies for an
    organization and for events:source)."""
    sources = {"events:source": [alerts.SOURCE, alerts.ALARM.source]}
    bus_arn = Sub(
        f"arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}:event-bus/${{{params.bus.title}}}"
    )
    return document(
        If(
            params.senders.use_organization,
            {
                "Sid": "OrganizationSendsPatchingAlerts",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "events:PutEvents",
                "Resource": bus_arn,
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": Ref(params.senders.organization), **sources}},
            },
            {
                "Sid": "AccountsSendPatchingAlerts",
                "Effect": "Allow",
                "Principal": {
                    "AWS": Split(",", Join(",", [Ref("AWS::AccountId"), Join(",", Ref(params.senders.accounts))]))
                },
                "Action": "events:PutEvents",
                "Resource": bus_arn,
                "Condition": {"StringEquals": sources},
            },
        )
    )


def key_policy() -> PolicyDocument:
    """The topic's key: this account administers it (the KMS default key policy), and EventBridge may
    use it to publish to the encrypted topic (SNS developer guide, "Enable compatibility between
    event sources from AWS services and encrypted topics": a customer managed key whose policy
    gives the service kms:GenerateDataKey* and kms:Decrypt; the AWS managed alias/aws/sns key
    cannot be changed to allow it).

    EventBridge's use is limited to topics of this account and Region by the encryption context SNS
    gives KMS, kms:EncryptionContext:aws:sns:topicArn (the key policy of the GameLift FlexMatch guide,
    "Set up an SNS topic with server-side encryption"); the topics themselves cannot be named, as they
    name this key. aws:SourceAccount and aws:SourceArn are left out: AWS documents them as not
    supported in a key policy for EventBridge's delivery to an encrypted topic, where they would drop
    every alert (as aws/modern-data-architecture-accelerator notes in grantCloudWatchAlarmsTopicAccess);
    the topic policy holds the rules to aws:SourceArn instead (add_publish_policy).

    Grants go only to AWS services that use the key for a resource (kms:GrantIsForAWSResource), as AWS
    Control Tower's control CT.KMS.PV.1 ("Require an AWS KMS key policy to have a statement that limits
    creation of AWS KMS grants to AWS services") requires."""
    return PolicyDocument(
        Version=POLICY_VERSION,
        Statement=[
            Statement(
                Sid="AccountAdministersKey",
                Effect=Allow,
                Principal=Principal("AWS", Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")),
                Action=[kms_actions.Action("*")],
                Resource=["*"],
            ),
            Statement(
                Sid="EventBridgePublishesToEncryptedTopic",
                Effect=Allow,
                Principal=EVENTS,
                Action=[kms_actions.Action("GenerateDataKey*"), kms_actions.Decrypt],
                Resource=["*"],
                Condition=Condition(StringLike({"kms:EncryptionContext:aws:sns:topicArn": TOPICS_HERE})),
            ),
            # IfExists: a request without the key is refused too.
            Statement(
                Sid="GrantsOnlyForAWSResources",
                Effect=Deny,
                Principal=Principal("AWS", "*"),
                Action=[kms_actions.CreateGrant],
                Resource=["*"],
                Condition=Condition(BoolIfExists({"kms:GrantIsForAWSResource": "false"})),
            ),
        ],
    )


def add_publish_policy(t: Template, topic: sns.Topic, rules: list, **condition) -> None:
    """Only the central bus's rules may publish (EventBridge user guide, "Using resource-based
    policies for Amazon EventBridge", Amazon SNS permissions: aws:SourceArn is the rule). The rule
    targets name no RoleArn: the same page warns that a role can break delivery to KMS-encrypted
    SNS topics."""
    t.add_resource(
        sns.TopicPolicy(
            f"{topic.title}Policy",
            Topics=[Ref(topic)],
            **condition,
            PolicyDocument=PolicyDocument(
                Version=POLICY_VERSION,
                Statement=[
                    Statement(
                        Sid="CentralBusRulesPublish",
                        Effect=Allow,
                        Principal=EVENTS,
                        Action=[sns_actions.Publish],
                        Resource=[Ref(topic)],
                        Condition=Condition(ArnEquals({"aws:SourceArn": [GetAtt(rule, "Arn") for rule in rules]})),
                    )
                ],
            ),
        )
    )


def build() -> Template:
    t = Template(
        Description=(
            "Collector account: central event bus for the organization's patching alerts, rules that write "
            "them as readable text, one KMS-encrypted SNS topic with one e-mail subscription, and an optional "
            "Slack channel through AWS Chatbot."
        )
    )
    params = add_parameters(t)
    bus = t.add_resource(events.EventBus("AlertEventBus", Name=Ref(params.bus), Policy=bus_policy(params)))
    key = t.add_resource(
        kms.Key(
            "AlertTopicKey",
            Description="Encrypts the patching alert topic; EventBridge may use it to publish.",
            EnableKeyRotation=True,
            KeyPolicy=key_policy(),
            # The key protects alerts in transit only (SNS keeps no messages): deleting the stack may
            # schedule its deletion, after the shortest waiting period.
            DeletionPolicy="Delete",
            UpdateReplacePolicy="Delete",
            PendingWindowInDays=7,
        )
    )
    t.add_resource(
        kms.Alias("AlertTopicKeyAlias", AliasName=Sub("alias/${AWS::StackName}-alerts"), TargetKeyId=Ref(key))
    )
    topic = t.add_resource(sns.Topic("AlertTopic", DisplayName="Patching alerts", KmsMasterKeyId=GetAtt(key, "Arn")))
    t.add_resource(
        sns.SubscriptionResource(
            "AlertEmailSubscription", TopicArn=Ref(topic), Protocol="email", Endpoint=Ref(params.email)
        )
    )
    # AWS Chatbot shows only its own JSON format, which e-mail would show raw: chat has its own topic.
    chat_topic = t.add_resource(
        sns.Topic(
            "ChatAlertTopic",
            Condition=params.has_slack_channel,
            DisplayName="Patching alerts (chat)",
            KmsMasterKeyId=GetAtt(key, "Arn"),
        )
    )

    def alert_targets(kind: alerts.EventKind) -> list:
        return [
            events.Target(Id="AlertTopic", Arn=Ref(topic), InputTransformer=kind.input_transformer()),
            If(
                params.has_slack_channel,
                events.Target(
                    Id="ChatAlertTopic", Arn=Ref(chat_topic), InputTransformer=kind.input_transformer(chat=True)
                ),
                NoValue,
            ),
        ]

    def alert_rule(title: str, kind: alerts.EventKind, description: str, **bus) -> events.Rule:
        return t.add_resource(
            events.Rule(
                title,
                Description=description,
                EventPattern=kind.pattern,
                State="ENABLED",
                Targets=alert_targets(kind),
                **bus,
            )
        )

    node_events = add_node_event_count(t)
    on_bus = {"EventBusName": Ref(bus)}
    rules = [
        alert_rule(
            f"Alert{kind.title}Rule",
            kind,
            f"Writes {kind.detail_type} events from the organization as a readable alert.",
            **on_bus,
        )
        for kind in (*alerts.EVENT_KINDS, alerts.TEST_ALERT)
        if not kind.per_node
    ]
    # A member's own alarm: its alerts that could not be forwarded (parts/alerts.py add_forwarding).
    rules.append(
        alert_rule(
            f"AlertMember{alerts.ALARM.title}Rule",
            alerts.ALARM,
            "Writes the members' alarms (alerts they could not forward) as a readable alert.",
            **on_bus,
        )
    )
    for kind in alerts.EVENT_KINDS:
        if kind.per_node:
            t.add_resource(
                events.Rule(
                    f"Count{kind.title}Rule",
                    Description=f"Counts {kind.detail_type} events from the organization (one per node): "
                    "a storm mails once, through the node event alarm.",
                    EventPattern=kind.pattern,
                    State="ENABLED",
                    Targets=[
                        events.Target(
                            Id="NodeEventLogGroup",
                            Arn=GetAtt(node_events, "Arn"),
                            InputTransformer=kind.log_transformer(),
                        )
                    ],
                    **on_bus,
                )
            )
    # The collector's own data path: its services' events on this account's default bus.
    rules += [
        alert_rule(
            f"Alert{kind.title}Rule", kind, f"Writes {kind.detail_type} events of the data path as a readable alert."
        )
        for kind in alerts.DATA_PATH_KINDS
    ]
    add_publish_policy(t, topic, rules)
    add_publish_policy(t, chat_topic, rules, Condition=params.has_slack_channel)

    slack_role = t.add_resource(
        iam.Role(
            "SlackChannelRole",
            Condition=params.has_slack_channel,
            Description="Role of the AWS Chatbot Slack channel: it only relays the chat alert topic, so it has no permissions.",
            # No aws:SourceAccount: the role grants nothing a confused deputy could use (see service_assume_role).
            AssumeRolePolicyDocument=service_assume_role("chatbot.amazonaws.com"),
        )
    )
    t.add_resource(
        chatbot.SlackChannelConfiguration(
            "SlackChannel",
            Condition=params.has_slack_channel,
            ConfigurationName=Sub("${AWS::StackName}-alerts"),
            IamRoleArn=GetAtt(slack_role, "Arn"),
            SlackWorkspaceId=Ref(params.workspace),
            SlackChannelId=Ref(params.channel),
            SnsTopicArns=[Ref(chat_topic)],
            # Channel members can run nothing through Chatbot (the default guardrail is AdministratorAccess).
            GuardrailPolicies=[Sub("arn:${AWS::Partition}:iam::aws:policy/AWSDenyAll")],
            LoggingLevel="ERROR",
        )
    )

    add_exported_outputs(
        t,
        [
            (
                "CentralEventBusArn",
                "ARN of the central alert bus: the StackSet's pCentralEventBusArn",
                GetAtt(bus, "Arn"),
            ),
            ("AlertTopicArn", "ARN of the alert topic", Ref(topic)),
        ],
    )
    test = alerts.TEST_ALERT
    t.add_output(
        Output(
            "TestAlertCommand",
            Description="Run in this account after confirming the subscription: a test alert arrives within a minute.",
            Value=Sub(
                'aws events put-events --region ${AWS::Region} --entries \'[{"EventBusName":"${Bus}",'
                f'"Source":"{test.source}","DetailType":"{test.detail_type}",'
                '"Detail":"{\\"message\\":\\"test alert\\"}"}]\'',
                Bus=GetAtt(bus, "Arn"),
            ),
        )
    )
    return t


def add_node_event_count(t: Template) -> logs.LogGroup:
    """The log group that keeps every per-node event, its metric and the alarm that mails once per
    storm with the count, and the saved queries that list the worst accounts and the nodes. EventBridge
    writes to a log group whose resource policy lets it (EventBridge user guide, "Amazon CloudWatch
    Logs permissions"); an alarm changes state once per episode (CloudWatch user guide, "Alarm events
    and EventBridge"). E-mail delivery is throttled per subscription (SNS developer guide, "Amazon SNS
    email subscription setup and management": more than 10 messages a second suspends it)."""
    kms_key = p.add_kms_key(
        t,
        ALERTS_GROUP,
        f"Customer managed KMS key of the log group {NODE_EVENTS_LOG_GROUP}; {{no_key}} for CloudWatch Logs' own "
        "encryption. Its key policy must let logs.REGION.amazonaws.com use it (kms:Encrypt*, kms:Decrypt*, "
        "kms:ReEncrypt*, kms:GenerateDataKey*, kms:Describe*) for this log group (kms:EncryptionContext:aws:logs:arn).",
        name="pLogsKMSKeyArn",
        label="Log group KMS key ARN (optional)",
    )
    group = t.add_resource(
        logs.LogGroup(
            "NodeEventLogGroup",
            DeletionPolicy="Delete",  # copies of Systems Manager events, for a storm's count and node list
            UpdateReplacePolicy="Delete",
            Metadata=checkov_skip(
                CKV_AWS_158="Encrypted with pLogsKMSKeyArn when given, else by CloudWatch Logs with its own key "
                "(copies of Systems Manager events: node, status, account); checkov cannot evaluate the Fn::If."
            ),
            LogGroupName=NODE_EVENTS_LOG_GROUP,
            KmsKeyId=If(p.has_value(t, kms_key), Ref(kms_key), NoValue),
            RetentionInDays=365,
        )
    )
    t.add_resource(
        logs.ResourcePolicy(
            "NodeEventLogGroupPolicy",
            PolicyName=Sub("${AWS::StackName}-node-events"),
            PolicyDocument=Sub(
                json.dumps(
                    {
                        "Version": POLICY_VERSION,
                        "Statement": [
                            {
                                "Sid": "EventBridgeWritesNodeEvents",
                                "Effect": "Allow",
                                "Principal": {"Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]},
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                                "Resource": "${Group}",
                                "Condition": {"StringEquals": {"aws:SourceAccount": "${AWS::AccountId}"}},
                            }
                        ],
                    }
                ),
                Group=GetAtt(group, "Arn"),
            ),
        )
    )
    t.add_resource(
        logs.MetricFilter(
            "NodeEventMetricFilter",
            LogGroupName=Ref(group),
            FilterPattern='{ $.source = "aws.ssm" }',
            MetricTransformations=[
                logs.MetricTransformation(
                    MetricNamespace=METRIC_NAMESPACE, MetricName="NodeEvents", MetricValue="1", Unit="Count"
                )
            ],
        )
    )
    for name, query in STORM_QUERIES.items():
        t.add_resource(
            logs.QueryDefinition(
                f"NodeEventQuery{''.join(part.capitalize() for part in name.split('-'))}",
                Name=Sub("patching/${AWS::StackName}/" + name),
                LogGroupNames=[Ref(group)],
                QueryString=query,
            )
        )
    alerts.add_alarm(
        t,
        "NodeEventStormAlarm",
        "node-failures",
        Sub(
            "Failed patch runs and non-compliant nodes across the organization (their events are counted, "
            "not mailed). Worst accounts and the node list: CloudWatch > Logs Insights > Queries > "
            "patching/${AWS::StackName}/worst-accounts and /nodes (log group "
            + NODE_EVENTS_LOG_GROUP
            + "), or the reports' noncompliant_instances named query.",
        ),
        Namespace=METRIC_NAMESPACE,
        MetricName="NodeEvents",
        Statistic="Sum",
        Period=STORM_PERIOD_SECONDS,
        EvaluationPeriods=STORM_PERIODS,
        DatapointsToAlarm=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    return group


RECORD = Record(
    FILE,
    build,
    step=2,
    account="collector",
    stack="patch-alerts",
    does="central event bus, encrypted topic, one e-mail subscription",
    feeds=(("operators (e-mail / Slack)", "one readable alert per failure"),),
    examples={"pDataSourceAccountID": collector.EXAMPLE_ACCOUNTS, "pNotificationEmailAddress": EXAMPLE_EMAIL},
)
