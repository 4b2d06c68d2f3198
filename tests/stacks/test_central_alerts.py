"""The central alerts stack (stacks/central_alerts.py), rendered with cloud-radar: who may put events
on the bus, the readable text each rule writes, the encrypted topic and its one subscription, the
optional Slack channel, the Rules, the outputs the members need, and bad values refused. The alert
path end to end is in tests/parts/test_alerts.py."""

import json
import re

import pytest
from conftest import check_constraint, render, rules_refusing, targets, template_dict

from patch_templates.deploy.preflight import violation
from patch_templates.parts import alerts
from patch_templates.reference import examples
from patch_templates.stacks import ANALYTICS, central_alerts

CENTRAL = central_alerts.RECORD
REQUIRED = {"pNotificationEmailAddress": "patching@example.com", "pDataSourceAccountID": "444455556666"}
WITH_SLACK = dict(REQUIRED, pSlackWorkspaceId="T0123ABCD", pSlackChannelId="C0456EFGH")


def test_central_bus_admits_the_listed_accounts_and_this_one_for_ssm_events_only():
    stack = render(CENTRAL, dict(REQUIRED, pDataSourceAccountID="444455556666,777788889999"))["Resources"]
    (statement,) = stack["AlertEventBus"]["Properties"]["Policy"]["Statement"]
    assert statement["Principal"] == {"AWS": ["555555555555", "444455556666", "777788889999"]}  # cloud-radar's account
    assert statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == "arn:aws:events:us-east-1:555555555555:event-bus/patch-alerts"
    assert statement["Condition"] == {"StringEquals": {"events:source": ["aws.ssm", "aws.cloudwatch"]}}


def test_central_bus_admits_the_organization_when_given():
    stack = render(
        CENTRAL,
        dict(REQUIRED, pOrganizationID="o-a1b2c3d4e5", pDataSourceAccountID="", pEventBusName="org-alerts"),
        region="eu-central-1",
    )["Resources"]
    (statement,) = stack["AlertEventBus"]["Properties"]["Policy"]["Statement"]
    assert statement["Principal"] == "*"
    assert statement["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5", "events:source": ["aws.ssm", "aws.cloudwatch"]}
    }
    assert statement["Resource"] == "arn:aws:events:eu-central-1:555555555555:event-bus/org-alerts"
    assert stack["AlertEventBus"]["Properties"]["Name"] == "org-alerts"


def mailing_rules() -> list[str]:
    """The rules that may publish to the topics, in the template's order: the organization's kinds on the
    central bus, the members' own alarms there, the collector's data path on its default bus."""
    on_bus = [kind for kind in (*alerts.EVENT_KINDS, alerts.TEST_ALERT) if not kind.per_node]
    return [
        *(f"Alert{kind.title}Rule" for kind in on_bus),
        "AlertMemberAlarmRule",
        *(f"Alert{kind.title}Rule" for kind in alerts.DATA_PATH_KINDS),
    ]


def test_central_bus_mails_the_members_own_alarms_with_the_alarm_kind():
    rule = render(CENTRAL, REQUIRED)["Resources"]["AlertMemberAlarmRule"]
    assert rule["Properties"]["EventBusName"] == "AlertEventBus"  # forwarded by the members, not the collector's
    assert rule["Properties"]["EventPattern"] == alerts.ALARM.pattern
    (target,) = targets(rule)
    assert target["Arn"] == "AlertTopic" and target["InputTransformer"] == alerts.ALARM.input_transformer().to_dict()


def test_central_rules_write_each_kind_to_the_topic_as_text():
    stack = render(CENTRAL, dict(REQUIRED, pCFNCrawlerName="crawl-2", pAthenaDailyWorkGroupName="compaction"))[
        "Resources"
    ]
    kinds = [kind for kind in (*alerts.EVENT_KINDS, alerts.TEST_ALERT, *alerts.DATA_PATH_KINDS) if not kind.per_node]
    for kind in kinds:
        rule = stack[f"Alert{kind.title}Rule"]["Properties"]
        if kind in alerts.DATA_PATH_KINDS:  # the collector's own services: its default bus
            assert "EventBusName" not in rule
            assert rule["EventPattern"]["source"] == [kind.source]
        else:
            assert rule["EventBusName"] == "AlertEventBus"
            assert rule["EventPattern"] == kind.pattern
        (target,) = targets(stack[f"Alert{kind.title}Rule"])  # no chat topic without Slack
        assert target["Arn"] == "AlertTopic" and "RoleArn" not in target
        transformer = target["InputTransformer"]
        assert transformer["InputPathsMap"]["account"] == "$.account"
        assert transformer["InputPathsMap"]["region"] == "$.region"
        lines = [json.loads(line) for line in transformer["InputTemplate"].split("\n")]  # quoted strings
        assert set(re.findall(r"<([a-z]+)>", " ".join(lines))) == set(transformer["InputPathsMap"])
    policy = stack["AlertTopicPolicy"]["Properties"]["PolicyDocument"]
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"} and statement["Action"] == ["sns:Publish"]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": [f"{rule}.Arn" for rule in mailing_rules()]}}


def test_topic_is_encrypted_with_a_rotating_key_that_eventbridge_may_use():
    stack = render(CENTRAL, REQUIRED)["Resources"]
    assert stack["AlertTopic"]["Properties"]["KmsMasterKeyId"] == "AlertTopicKey.Arn"
    key = stack["AlertTopicKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    statements = {s["Sid"]: s for s in key["KeyPolicy"]["Statement"]}
    assert statements["EventBridgePublishesToEncryptedTopic"]["Principal"] == {"Service": "events.amazonaws.com"}
    assert statements["EventBridgePublishesToEncryptedTopic"]["Action"] == ["kms:GenerateDataKey*", "kms:Decrypt"]
    assert statements["AccountAdministersKey"]["Principal"] == {"AWS": "arn:aws:iam::555555555555:root"}
    assert len(statements) == 3  # and GrantsOnlyForAWSResources (tests/stacks/test_privileges.py)


def test_one_email_subscription_for_the_organization():
    stack = render(CENTRAL, dict(REQUIRED, pNotificationEmailAddress="ops@example.org"))["Resources"]
    subscriptions = [r["Properties"] for r in stack.values() if r["Type"] == "AWS::SNS::Subscription"]
    assert subscriptions == [{"TopicArn": "AlertTopic", "Protocol": "email", "Endpoint": "ops@example.org"}]


def test_slack_channel_only_with_both_ids_and_with_a_role_that_can_do_nothing():
    without = render(CENTRAL, REQUIRED)["Resources"]
    assert not {"SlackChannel", "SlackChannelRole", "ChatAlertTopic", "ChatAlertTopicPolicy"} & set(without)
    stack = render(CENTRAL, WITH_SLACK)["Resources"]
    channel = stack["SlackChannel"]["Properties"]
    assert (channel["SlackWorkspaceId"], channel["SlackChannelId"]) == ("T0123ABCD", "C0456EFGH")
    assert channel["SnsTopicArns"] == ["ChatAlertTopic"] and channel["IamRoleArn"] == "SlackChannelRole.Arn"
    assert stack["ChatAlertTopic"]["Properties"]["KmsMasterKeyId"] == "AlertTopicKey.Arn"
    assert not [
        r
        for r in stack.values()
        if r["Type"] == "AWS::SNS::Subscription" and r["Properties"]["TopicArn"] != "AlertTopic"
    ]
    (statement,) = stack["ChatAlertTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Resource"] == ["ChatAlertTopic"]
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == [f"{rule}.Arn" for rule in mailing_rules()]
    assert channel["GuardrailPolicies"] == ["arn:aws:iam::aws:policy/AWSDenyAll"]
    role = stack["SlackChannelRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": ["chatbot.amazonaws.com"]}
    assert "Policies" not in role and "ManagedPolicyArns" not in role


def test_rules_refuse_no_senders_and_a_lone_slack_id():
    assert rules_refusing(CENTRAL, REQUIRED) == []
    assert rules_refusing(CENTRAL, {"pNotificationEmailAddress": "a@example.com"}) == ["SourceAccountsOrOrganization"]
    assert rules_refusing(CENTRAL, dict(REQUIRED, pDataSourceAccountID="444455556666,")) == [
        "SourceAccountsOrOrganization"
    ]  # an empty item, which the per-item pattern lets through
    assert rules_refusing(CENTRAL, dict(REQUIRED, pDataSourceAccountID="", pOrganizationID="o-a1b2c3d4e5")) == []
    assert rules_refusing(CENTRAL, dict(REQUIRED, pSlackWorkspaceId="T0123ABCD")) == ["SlackIdsTogether"]
    assert rules_refusing(CENTRAL, dict(REQUIRED, pSlackChannelId="C0456EFGH")) == ["SlackIdsTogether"]
    assert rules_refusing(CENTRAL, dict(REQUIRED, pSlackWorkspaceId="T0123ABCD", pSlackChannelId="C0456EFGH")) == []


def test_outputs_give_the_operator_the_bus_arn_the_members_need():
    outputs = template_dict(CENTRAL)["Outputs"]
    assert outputs["CentralEventBusArn"]["Value"] == {"Fn::GetAtt": ["AlertEventBus", "Arn"]}
    assert outputs["AlertTopicArn"]["Value"] == {"Ref": "AlertTopic"}
    for name in ("CentralEventBusArn", "AlertTopicArn"):
        assert outputs[name]["Export"] == {"Name": {"Fn::Sub": "${AWS::StackName}-" + name}}
    # The ARN the stack creates for its default and example bus names passes the members' constraint.
    definition = template_dict(CENTRAL)["Parameters"]["pEventBusName"]
    arn = f"arn:aws:events:us-east-1:111122223333:event-bus/{definition['Default']}"
    assert violation(alerts.CENTRAL_BUS_ARN, arn) is None
    # The StackSet's example parameter file (examples.CANDIDATES) names that bus in the collector account.
    assert examples.example_value("pCentralEventBusArn", alerts.CENTRAL_BUS_ARN) == arn


BAD_VALUES = {
    "pEventBusName": (
        ["patch-alerts", "org.alerts_2", "a" * 256],
        ["", "default", "aws.alerts", "patch alerts", "bus/child", "a" * 257, "alerts!"],
    ),
    "pNotificationEmailAddress": (
        ["patching@example.com", "ops.team+patch@mail.example.org"],
        ["", "patching", "patching@", "@example.com", "a b@example.com", "a@example"],
    ),
    "pOrganizationID": (["", "o-a1b2c3d4e5"], ["o-", "o-ABCDEFGHIJ", "a1b2c3d4e5", "o-a1b2c3d4e5 ", "r-a1b2"]),
    "pDataSourceAccountID": (
        ["", "444455556666", "444455556666,777788889999"],
        ["44445555666", "4444555566667", "444455556666;777788889999", "abcdabcdabcd"],
    ),
    "pSlackWorkspaceId": (["", "T0123ABCD"], ["t0123abcd", "T0123-ABCD", "T0123 ABCD", "A" * 256]),
    "pSlackChannelId": (["", "C0456EFGH", "c0456efgh"], ["C0456-EFGH", "#general", "C0456 EFGH", "C" * 256]),
    "pCFNCrawlerName": (["patching-crawler", "crawler_2"], ["", "has space", "dot.name", "x" * 256]),
    "pAthenaDailyWorkGroupName": (["patching-daily", "Daily.2025_a-b"], ["", "has space", "x" * 129, "daily!"]),
    "pLogsKMSKeyArn": (
        ["none", "", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
        ["None", "alias/logs", "arn:aws:kms:eu-west-1:111122223333:alias/logs", "1234abcd-12ab-34cd-56ef"],
    ),
}


def test_data_path_names_are_the_analytics_stack_parameters():
    """The rules match the crawler and the daily workgroup by the names the analytics stack gives them."""
    mine, theirs = template_dict(CENTRAL)["Parameters"], template_dict(ANALYTICS)["Parameters"]
    for name in (alerts.CRAWLER_NAME, alerts.DAILY_WORKGROUP_NAME):
        assert {k: v for k, v in mine[name].items() if k not in ("Description",)} == {
            k: v for k, v in theirs[name].items() if k not in ("Description",)
        }, name


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_central_parameters_refuse_bad_values(name):
    good, bad = BAD_VALUES[name]
    assert check_constraint(CENTRAL, name, good, bad) == len(bad) >= 4


def test_every_new_parameter_has_bad_values_tried():
    assert set(BAD_VALUES) == set(template_dict(CENTRAL)["Parameters"])
