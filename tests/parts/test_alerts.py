"""The alert kinds and their forwarding (parts/alerts.py): the event patterns under EventBridge
matching (moto), the alert path end to end through the central alerts stack, the central bus ARN's
constraint, and the operator's test alert.

Sample events come from the Systems Manager user guide, "Amazon EventBridge event examples for
Systems Manager" (docs.aws.amazon.com/systems-manager/latest/userguide/
monitoring-systems-manager-event-examples.html; source file doc_source/
monitoring-systems-manager-event-examples.md of awsdocs/aws-systems-manager-user-guide), cited
per sample as DOC "<heading>". Where a sample is changed (a status, a document name), the change
is written next to it and the new value is one the Systems Manager API reference lists.

moto and real EventBridge differ in two ways that matter here, and the tests say so where they
rely on them:
- PutEvents with a Source starting with "aws." is refused by AWS (PutEventsResultEntry error
  NotAuthorizedForSourceException); moto accepts it. That is what lets a test put the documented
  aws.ssm samples on a bus; every put asserts moto accepted it, so a stricter moto fails loudly.
- When a rule forwards to a bus in another account or Region, moto puts a new event there with
  that account and Region in the envelope; AWS keeps the event's own (the EventBridge event
  structure: "region" is where the event originated). The end-to-end test does not assert the
  account or Region in the text for that reason; the input paths that read them are asserted on
  the rendered template instead.
- moto renders an input template only when it is JSON as a whole. The e-mail template (one quoted
  string a line) is not, so texts are rendered through the chat topic's JSON template, which
  carries the same lines (test_email_and_chat_carry_the_same_lines).
"""

import copy
import json
import re

import boto3
import pytest
from conftest import RADAR_ACCOUNT, WAVE_OUS, member_stacks, render, targets
from moto import mock_aws
from troposphere import Template, ssm

from patch_templates.builder import lint
from patch_templates.deploy.preflight import violation
from patch_templates.parts import alerts
from patch_templates.parts.common import render as render_yaml
from patch_templates.stacks import central_alerts

CENTRAL = central_alerts.RECORD
MEMBER_ACCOUNT, MEMBER_REGION = "123456789012", "eu-west-1"  # moto's default account
COLLECTOR_ACCOUNT, COLLECTOR_REGION = "111122223333", "us-east-1"
REQUIRED = {"pNotificationEmailAddress": "patching@example.com", "pDataSourceAccountID": "444455556666"}
WITH_SLACK = dict(REQUIRED, pSlackWorkspaceId="T0123ABCD", pSlackChannelId="C0456EFGH")

# -- sample events ------------------------------------------------------------------------------

# DOC "Run Command Invocation Status-change Notification" (document AWS-RunPowerShellScript, Success)
INVOCATION = {
    "detail-type": "EC2 Command Invocation Status-change Notification",
    "source": "aws.ssm",
    "resources": ["arn:aws:ec2:us-east-2:123456789012:instance/i-abcd1111"],
    "detail": {
        "command-id": "e8d3c0e4-71f7-4491-898f-c9b35bee5f3b",
        "document-name": "AWS-RunPowerShellScript",
        "instance-id": "i-9bb89e2b",
        "requested-date-time": "2016-07-10T21:51:30.049Z",
        "status": "Success",
    },
}
# DOC "Run Command Status-change Notification" (the per-command event, not forwarded by design)
COMMAND = {
    "detail-type": "EC2 Command Status-change Notification",
    "source": "aws.ssm",
    "resources": ["arn:aws:ec2:us-east-2:123456789012:instance/i-abcd1111"],
    "detail": {
        "command-id": "e8d3c0e4-71f7-4491-898f-c9b35bee5f3b",
        "document-name": "AWS-RunPowerShellScript",
        "expire-after": "2016-07-14T22:01:30.049Z",
        "parameters": {"executionTimeout": ["3600"], "commands": ["date"]},
        "requested-date-time": "2016-07-10T21:51:30.049Z",
        "status": "Success",
    },
}
# DOC "Window Execution Type" (status TIMED_OUT)
WINDOW_EXECUTION = {
    "detail-type": "Maintenance Window Execution State-change Notification",
    "source": "aws.ssm",
    "resources": ["arn:aws:ssm:us-east-2:123456789012:maintenancewindow/mw-123456789012345678"],
    "detail": {
        "start-time": "2016-11-16T01:00:56.427Z",
        "end-time": "2016-11-16T01:00:57.070Z",
        "window-id": "mw-0ed7251d3fcf6e0c2",
        "window-execution-id": "b60fb56e-776c-4e5c-84ee-123456789012",
        "status": "TIMED_OUT",
    },
}
# DOC "Task Target Processed" (status TIMED_OUT; the window execution event reports the run)
TASK_TARGET = {
    "detail-type": "Maintenance Window Task Target Invocation State-change Notification",
    "source": "aws.ssm",
    "resources": ["arn:aws:ssm:us-east-2:123456789012:maintenancewindow/mw-123456789012345678"],
    "detail": {
        "window-id": "mw-0ed7251d3fcf6e0c2",
        "window-execution-id": "b60fb56e-776c-4e5c-84ee-123456789012",
        "task-execution-id": "6417e808-7f35-4d1a-843f-123456789012",
        "window-target-id": "e7265f13-3cc5-4f2f-97a9-123456789012",
        "status": "TIMED_OUT",
        "owner-information": "Owner",
    },
}
# DOC "State Manager Association State Change" (document AWS-RunPowerShellScript, Success)
ASSOCIATION = {
    "detail-type": "EC2 State Manager Association State Change",
    "source": "aws.ssm",
    "resources": ["arn:aws:ssm:us-east-2::document/AWS-RunPowerShellScript"],
    "detail": {
        "association-id": "6e37940a-23ba-4ab0-9b96-5d0a1a05464f",
        "document-name": "AWS-RunPowerShellScript",
        "association-version": "1",
        "document-version": "Optional.empty",
        "targets": '[{"key":"InstanceIds","values":["i-12345678"]}]',
        "last-execution-date": "2017-05-16T23:00:01Z",
        "status": "Success",
        "association-status-aggregated-count": '{"Success":1}',
        "schedule-expression": "cron(0 */30 * * * ? *)",
        "association-cwe-version": "1.0",
    },
}
# DOC "Patch Non-Compliant"
PATCH_NON_COMPLIANT = {
    "detail-type": "Configuration Compliance State Change",
    "source": "aws.ssm",
    "resources": ["arn:aws:ssm:us-east-2:123456789012:managed-instance/i-01234567890abcdef"],
    "detail": {
        "resource-type": "managed-instance",
        "resource-id": "i-01234567890abcdef",
        "compliance-status": "non_compliant",
        "compliance-type": "Patch",
        "patch-baseline-id": "PB789",
        "severity": "critical",
    },
}
# DOC "Association Non-Compliant" (compliance of an association, not of patches)
ASSOCIATION_NON_COMPLIANT = {
    "detail-type": "Configuration Compliance State Change",
    "source": "aws.ssm",
    "resources": ["arn:aws:ssm:us-east-2:123456789012:managed-instance/i-01234567890abcdef"],
    "detail": {
        "last-runtime": "2017-01-01T10:10:10Z",
        "compliance-status": "non_compliant",
        "resource-type": "managed-instance",
        "resource-id": "i-01234567890abcdef",
        "compliance-type": "Association",
    },
}
# DOC "Automation Execution Status-change Notification" (runbook runcommand1, Success)
AUTOMATION = {
    "detail-type": "EC2 Automation Execution Status-change Notification",
    "source": "aws.ssm",
    "resources": [
        "arn:aws:ssm:us-east-2:123456789012:automation-execution/333ba70b-2333-48db-b17e-a5e69c6f4d1c",
        "arn:aws:ssm:us-east-2:123456789012:automation-definition/runcommand1:1",
    ],
    "detail": {
        "ExecutionId": "333ba70b-2333-48db-b17e-a5e69c6f4d1c",
        "Definition": "runcommand1",
        "DefinitionVersion": 1.0,
        "Status": "Success",
        "StartTime": "Nov 29, 2016 7:43:20 PM",
        "EndTime": "Nov 29, 2016 7:43:26 PM",
        "Time": 5753.0,
        "ExecutedBy": "arn:aws:iam::123456789012:user/userName",
    },
}
# DOC "Automation Step Status-change Notification" (a step of the same run, Success)
AUTOMATION_STEP = {
    "detail-type": "EC2 Automation Step Status-change Notification",
    "source": "aws.ssm",
    "resources": AUTOMATION["resources"],
    "detail": {
        "ExecutionId": "333ba70b-2333-48db-b17e-a5e69c6f4d1c",
        "Definition": "runcommand1",
        "DefinitionVersion": 1.0,
        "Status": "Success",
        "EndTime": "Nov 29, 2016 7:43:25 PM",
        "StartTime": "Nov 29, 2016 7:43:23 PM",
        "Time": 2630.0,
        "StepName": "runFixedCmds",
        "Action": "aws:runCommand",
    },
}
# DOC "Create Parameter" (Parameter Store: another Systems Manager capability)
PARAMETER_STORE = {
    "detail-type": "Parameter Store Change",
    "source": "aws.ssm",
    "resources": ["arn:aws:ssm:us-east-2:123456789012:parameter/MyExampleParameter"],
    "detail": {
        "operation": "Create",
        "name": "MyExampleParameter",
        "type": "String",
        "description": "Sample Parameter",
    },
}
# Another service: EventBridge user guide, "Amazon EventBridge events" (example event of EC2).
EC2_STATE = {
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}


def changed(event: dict, **detail) -> dict:
    """The sample with some detail fields replaced (keys written with '_' for '-')."""
    new = copy.deepcopy(event)
    new["detail"].update({key.replace("_", "-"): value for key, value in detail.items()})
    return new


PATCH = alerts.PATCH_DOCUMENT
# (sample, the kinds it must reach: titles of alerts.EVENT_KINDS; empty for none)
CASES = [
    # Install runs: statuses of CommandInvocation.Status (API reference)
    (changed(INVOCATION, document_name=PATCH, status="Failed"), {"InstallRun"}),
    # the install task's other allowed document matches as AWS-RunPatchBaseline does
    (changed(INVOCATION, document_name="AWS-RunPatchBaselineWithHooks", status="Failed"), {"InstallRun"}),
    (changed(INVOCATION, document_name=PATCH, status="TimedOut"), {"InstallRun"}),
    (changed(INVOCATION, document_name=PATCH, status="Cancelled"), {"InstallRun"}),
    (changed(INVOCATION, document_name=PATCH, status="Success"), set()),
    (changed(INVOCATION, document_name=PATCH, status="InProgress"), set()),
    (changed(INVOCATION, document_name=PATCH, status="Delayed"), set()),
    (changed(INVOCATION, status="Failed"), set()),  # another document fails: not patching
    (INVOCATION, set()),  # the sample as documented: a successful run
    (changed(COMMAND, document_name=PATCH, status="Failed"), set()),  # per command: nodes alert instead
    # Window runs: statuses of MaintenanceWindowExecution.Status (API reference)
    (WINDOW_EXECUTION, {"WindowExecution"}),  # as documented: TIMED_OUT
    (changed(WINDOW_EXECUTION, status="FAILED"), {"WindowExecution"}),
    (changed(WINDOW_EXECUTION, status="CANCELLED"), {"WindowExecution"}),
    (changed(WINDOW_EXECUTION, status="SKIPPED_OVERLAPPING"), {"WindowExecution"}),
    (changed(WINDOW_EXECUTION, status="SUCCESS"), set()),
    (changed(WINDOW_EXECUTION, status="IN_PROGRESS"), set()),
    (TASK_TARGET, set()),
    # Associations: statuses of AssociationStatus.Name (API reference)
    (changed(ASSOCIATION, document_name=PATCH, status="Failed"), {"Association"}),
    (changed(ASSOCIATION, document_name=alerts.INVENTORY_DOCUMENT, status="Failed"), {"Association"}),
    (changed(ASSOCIATION, document_name="AWS-RunPatchBaselineWithHooks", status="Failed"), {"Association"}),
    (changed(ASSOCIATION, document_name=PATCH, status="Success"), set()),
    (changed(ASSOCIATION, status="Failed"), set()),  # someone else's association
    (ASSOCIATION, set()),
    # Patch compliance
    (PATCH_NON_COMPLIANT, {"PatchCompliance"}),  # as documented: non_compliant
    (changed(PATCH_NON_COMPLIANT, compliance_status="NON_COMPLIANT"), {"PatchCompliance"}),  # the API's spelling
    # DOC "Patch Compliant" is PATCH_NON_COMPLIANT with compliance-status "compliant"; its source there
    # reads "aws.123456789012", which would fail on the source alone, so aws.ssm is kept.
    (changed(PATCH_NON_COMPLIANT, compliance_status="compliant"), set()),
    (changed(PATCH_NON_COMPLIANT, compliance_status="COMPLIANT"), set()),
    (ASSOCIATION_NON_COMPLIANT, set()),
    # Patch-now runs: statuses of AutomationExecution.AutomationExecutionStatus (API reference); the
    # runbook named as in its own account or by the ARN of the account that shares it
    (changed(AUTOMATION, Definition=alerts.RUNBOOK_NAME, Status="Failed"), {"PatchNowRun"}),
    (changed(AUTOMATION, Definition=alerts.RUNBOOK_NAME, Status="TimedOut"), {"PatchNowRun"}),
    (changed(AUTOMATION, Definition=alerts.RUNBOOK_NAME, Status="Cancelled"), {"PatchNowRun"}),
    (changed(AUTOMATION, Definition=alerts.RUNBOOK_NAME, Status="CompletedWithFailure"), {"PatchNowRun"}),
    (
        changed(
            AUTOMATION, Definition=f"arn:aws:ssm:us-east-2:111122223333:document/{alerts.RUNBOOK_NAME}", Status="Failed"
        ),
        {"PatchNowRun"},
    ),
    (changed(AUTOMATION, Definition=alerts.RUNBOOK_NAME, Status="Success"), set()),
    (changed(AUTOMATION, Definition=alerts.RUNBOOK_NAME, Status="InProgress"), set()),
    (changed(AUTOMATION, Definition=alerts.RUNBOOK_NAME, Status="Waiting"), set()),
    (changed(AUTOMATION, Definition=f"x{alerts.RUNBOOK_NAME}", Status="Failed"), set()),  # another runbook
    (changed(AUTOMATION, Status="Failed"), set()),  # someone else's runbook fails
    (AUTOMATION, set()),
    (changed(AUTOMATION_STEP, Definition=alerts.RUNBOOK_NAME, Status="Failed"), set()),  # per step: the run alerts
    # Other events
    (PARAMETER_STORE, set()),
    (EC2_STATE, set()),
]


def put(client, event: dict, bus: str = "default") -> None:
    result = client.put_events(
        Entries=[
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "Resources": event["resources"],
                "EventBusName": bus,
            }
        ]
    )
    # AWS refuses Source aws.* here (NotAuthorizedForSourceException); moto must accept it for the
    # documented samples to be put at all.
    assert result["FailedEntryCount"] == 0, result


def drain(sqs, queue_url: str) -> list[str]:
    bodies = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", MEMBER_REGION)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        yield


def session_in(account: str, region: str) -> boto3.Session:
    """Credentials of another account in moto: those of a role assumed there."""
    credentials = boto3.client("sts", region_name=region).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/test", RoleSessionName="test"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


# -- the patterns, with EventBridge matching (moto) ---------------------------------------------


def test_cases_cover_every_kind_both_ways():
    reached = {kind for _, kinds in CASES for kind in kinds}
    assert reached == {kind.title for kind in alerts.EVENT_KINDS}
    for kind in alerts.EVENT_KINDS:  # each kind has a sample of its own detail-type that must not match
        assert any(event["detail-type"] == kind.detail_type and not kinds for event, kinds in CASES), kind.title


def test_each_sample_reaches_exactly_the_kinds_it_must(aws):
    """A rule per kind with its pattern, each to its own queue; each sample is put on the bus and
    must arrive in the queues of its kinds and in no other. Successful runs, compliant nodes,
    other documents and other services' events arrive nowhere."""
    events, sqs = boto3.client("events"), boto3.client("sqs")
    queues = {}
    for kind in alerts.EVENT_KINDS:
        url = sqs.create_queue(QueueName=kind.title)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=kind.title, EventPattern=json.dumps(kind.pattern))
        events.put_targets(Rule=kind.title, Targets=[{"Id": "queue", "Arn": arn}])
        queues[kind.title] = url
    for event, kinds in CASES:
        put(events, event)
        arrived = {
            title
            for title, url in queues.items()
            for body in drain(sqs, url)
            if json.loads(body)["detail"] == event["detail"]
        }
        assert arrived == kinds, (event["detail-type"], event["detail"].get("status"), arrived)


# -- the alert path, end to end through moto ----------------------------------------------------


def member_template(bus_arn: str, region: str = MEMBER_REGION) -> dict:
    """The operations member as one account-Region gets it: the StackSet rendered with its example
    values and this bus, then the member body rendered with the values the StackSet passes."""
    return member_stacks(overrides={"pCentralEventBusArn": bus_arn}, region=region)["PatchingStackSet"]


def central_rules_to_queue(events, sqs, rendered: dict, bus_arn: str, logs=None) -> str:
    """The central template's rules, patterns and input transformers as rendered, on a bus in moto
    (the data path rules on the account's default bus, where they are): the chat topic replaced by one
    queue (moto's EventBridge cannot deliver to SNS), and the per-node events' log group made in moto's
    CloudWatch Logs when `logs` is given.

    moto renders a transformer whose template is JSON; the e-mail template (one quoted string a
    line) is not JSON as a whole, so the text is rendered through the chat template, and
    test_email_and_chat_carry_the_same_lines ties the two templates line by line."""
    url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if logs:
        logs.create_log_group(logGroupName=central_alerts.NODE_EVENTS_LOG_GROUP)
        (group,) = logs.describe_log_groups(logGroupNamePrefix=central_alerts.NODE_EVENTS_LOG_GROUP)["logGroups"]
    for name, resource in rendered["Resources"].items():
        if resource["Type"] != "AWS::Events::Rule":
            continue
        bus = bus_arn if "EventBusName" in resource["Properties"] else "default"
        events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(resource["Properties"]["EventPattern"]))
        found = {target["Arn"]: target for target in targets(resource)}
        if "NodeEventLogGroup.Arn" in found:  # cloud-radar's GetAtt
            assert set(found) == {"NodeEventLogGroup.Arn"}, name  # counted, never mailed
            if logs:
                target = found["NodeEventLogGroup.Arn"]
                events.put_targets(
                    Rule=name,
                    EventBusName=bus,
                    Targets=[
                        {
                            "Id": target["Id"],
                            "Arn": group["arn"].removesuffix(":*"),
                            "InputTransformer": target["InputTransformer"],
                        }
                    ],
                )
            continue
        target = found["ChatAlertTopic"]
        events.put_targets(
            Rule=name,
            EventBusName=bus,
            Targets=[{"Id": target["Id"], "Arn": arn, "InputTransformer": target["InputTransformer"]}],
        )
    return url


def texts_arriving(sqs, queue_url: str) -> list[str]:
    """The alert texts that arrived: each chat notification's title and description lines."""
    messages = [json.loads(body) for body in drain(sqs, queue_url)]
    for message in messages:
        assert (message["version"], message["source"], message["content"]["textType"]) == (
            "1.0",
            "custom",
            "client-markdown",
        )  # AWS Chatbot's custom notification format
    return [message["content"]["title"] + "\n" + message["content"]["description"] for message in messages]


def node_events(logs) -> list[dict]:
    """Every per-node event in the central log group, as Logs Insights reads it (one JSON object each)."""
    found, token = [], {}
    while True:
        page = logs.filter_log_events(logGroupName=central_alerts.NODE_EVENTS_LOG_GROUP, **token)
        found += [json.loads(event["message"]) for event in page["events"]]
        if not page.get("nextToken"):
            return found
        token = {"nextToken": page["nextToken"]}


def email_body(text: str) -> str:
    """What the e-mail shows for an alert text: each line as the quoted string EventBridge sends."""
    return "\n".join(json.dumps(line) for line in text.split("\n"))


def test_member_event_arrives_as_readable_text_through_the_central_bus(aws):
    """Member default bus (moto account, eu-west-1) -> central bus (collector account, us-east-1)
    -> the central rule's input transformer -> text, mailed for the member's own window, counted in
    the log group for a node. The member's rules are the rendered ones."""
    collector = session_in(COLLECTOR_ACCOUNT, COLLECTOR_REGION)
    central_events, central_sqs, central_logs = (collector.client(name) for name in ("events", "sqs", "logs"))
    bus_arn = central_events.create_event_bus(Name="patch-alerts")["EventBusArn"]
    queue = central_rules_to_queue(central_events, central_sqs, render(CENTRAL, WITH_SLACK), bus_arn, central_logs)

    member_events = boto3.client("events")
    for name, resource in member_template(bus_arn)["Resources"].items():
        if resource["Type"] == "AWS::Events::Rule":
            member_events.put_rule(Name=name, EventPattern=json.dumps(resource["Properties"]["EventPattern"]))
            member_events.put_targets(Rule=name, Targets=resource["Properties"]["Targets"])

    # cloud-radar renders the Ref of the member's window as its logical id: that is its window id here
    put(member_events, changed(WINDOW_EXECUTION, window_id="MaintenanceWindow", status="FAILED"))
    (text,) = texts_arriving(central_sqs, queue)
    assert text.startswith("PATCHING ALERT: maintenance window MaintenanceWindow run FAILED.\n")
    put(member_events, changed(WINDOW_EXECUTION, status="FAILED"))  # another window of the account
    assert drain(central_sqs, queue) == []

    failed = changed(INVOCATION, document_name=alerts.PATCH_DOCUMENT, status="Failed")
    put(member_events, failed)
    assert drain(central_sqs, queue) == []  # a node's failure is counted, not mailed
    (event,) = node_events(central_logs)
    assert (event["kind"], event["node"], event["status"], event["document"]) == (
        "InstallRun",
        "i-9bb89e2b",
        "Failed",
        "AWS-RunPatchBaseline",
    )
    assert event["text"].startswith("PATCHING ALERT: AWS-RunPatchBaseline Failed on node i-9bb89e2b.\n")
    assert (
        "aws ssm get-command-invocation --region" in event["text"]
        and "--command-id e8d3c0e4-71f7-4491-898f-c9b35bee5f3b --instance-id i-9bb89e2b" in event["text"]
    )

    put(member_events, changed(INVOCATION, document_name=alerts.PATCH_DOCUMENT, status="Success"))
    put(member_events, changed(PATCH_NON_COMPLIANT, compliance_status="compliant"))
    assert drain(central_sqs, queue) == [] and len(node_events(central_logs)) == 1  # successes never alert


def rendered_alert_texts() -> dict:
    """Each kind's first matching sample, as its central rule's transformer writes it (moto): the
    mailed kinds from the topic, the per-node kinds from the log group."""
    with mock_aws():
        events, sqs, logs = (boto3.client(name, region_name=COLLECTOR_REGION) for name in ("events", "sqs", "logs"))
        bus_arn = events.create_event_bus(Name="patch-alerts")["EventBusArn"]
        queue = central_rules_to_queue(events, sqs, render(CENTRAL, WITH_SLACK), bus_arn, logs)
        per_node = {kind.title for kind in alerts.EVENT_KINDS if kind.per_node}
        texts = {}
        for event, kinds in CASES:
            if kinds and not texts.keys() & kinds:
                put(events, event, bus_arn)
                (title,) = kinds
                if title in per_node:
                    texts[title] = node_events(logs)[-1]["text"]
                else:
                    (texts[title],) = texts_arriving(sqs, queue)
        return texts


def test_every_alert_says_account_region_what_failed_and_where_to_look(monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    texts = rendered_alert_texts()
    assert set(texts) == {kind.title for kind in alerts.EVENT_KINDS}
    for title, text in texts.items():
        assert re.search(r"\nAccount \d{12}, Region [a-z]{2}-[a-z]+-\d\.", text), title
        assert "\nWhere to look, in that account: aws ssm " in text and "\nConsole: Systems Manager > " in text, title
        assert "<" not in text, title  # every placeholder filled
    assert "node i-01234567890abcdef is NON_COMPLIANT for patches (severity critical)" in texts["PatchCompliance"]
    assert "maintenance window mw-0ed7251d3fcf6e0c2 run TIMED_OUT" in texts["WindowExecution"]
    assert "association 6e37940a-23ba-4ab0-9b96-5d0a1a05464f (AWS-RunPatchBaseline) Failed" in texts["Association"]
    # docs/alerts.md shows the operator what arrives, word for word, with the documentation's
    # example source account in place of moto's.
    page = open("docs/alerts.md").read()
    mailed = texts["WindowExecution"].replace(f"Account {MEMBER_ACCOUNT}", "Account 444455556666")
    assert email_body(mailed) in page
    logged = texts["InstallRun"].replace(f"Account {MEMBER_ACCOUNT}", "Account 444455556666")
    assert "```text\n" + logged + "\n```" in page


def test_operator_test_alert_command_delivers_a_test_alert(aws):
    """The TestAlertCommand output, run as printed (its entries parsed from the command line),
    reaches the topic's rule as readable text; the bus policy does not need to admit it because
    the operator's own account puts it."""
    events, sqs = boto3.client("events"), boto3.client("sqs")
    bus_arn = events.create_event_bus(Name="patch-alerts")["EventBusArn"]
    rendered = render(CENTRAL, WITH_SLACK)
    queue = central_rules_to_queue(events, sqs, rendered, bus_arn)
    command = rendered["Outputs"]["TestAlertCommand"]["Value"]
    assert command.startswith("aws events put-events --region us-east-1 --entries '")
    (entry,) = json.loads(command.split("--entries '", 1)[1].rstrip("'"))
    assert entry["EventBusName"] == "AlertEventBus.Arn"  # cloud-radar's GetAtt: the bus this stack creates
    entry["EventBusName"] = bus_arn
    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
    (text,) = texts_arriving(sqs, queue)
    assert text.startswith(f"PATCHING ALERT TEST from account {MEMBER_ACCOUNT}, Region {MEMBER_REGION}: test alert\n")
    # The test source is not aws.ssm: no member forwards it, and the bus policy admits no one else to send it.
    assert alerts.TEST_ALERT.source != alerts.SOURCE


def test_email_and_chat_carry_the_same_lines():
    """The e-mail template is the chat template's title and description lines, each one quoted
    string: what moto renders through the chat template is what the e-mail says."""
    stack = render(CENTRAL, WITH_SLACK)["Resources"]
    mailed = {
        f"Alert{kind.title}Rule"
        for kind in (*alerts.EVENT_KINDS, *alerts.DATA_PATH_KINDS, alerts.TEST_ALERT)
        if not kind.per_node
    } | {"AlertMemberAlarmRule"}
    assert {name for name, r in stack.items() if name.startswith("Alert") and name.endswith("Rule")} == mailed
    for name in mailed:
        email, chat = targets(stack[name])
        assert (email["Arn"], chat["Arn"]) == ("AlertTopic", "ChatAlertTopic") and "RoleArn" not in chat
        assert email["InputTransformer"]["InputPathsMap"] == chat["InputTransformer"]["InputPathsMap"]
        content = json.loads(chat["InputTransformer"]["InputTemplate"])["content"]
        text = content["title"] + "\n" + content["description"]
        assert email["InputTransformer"]["InputTemplate"] == email_body(text)
        lines = email["InputTransformer"]["InputTemplate"].split("\n")
        assert len(lines) >= 2 and all(json.loads(line) for line in lines)  # each line one JSON string


# -- the alert path, rendered (cloud-radar) -----------------------------------------------------


@pytest.mark.parametrize(
    "bus_arn",
    [
        "arn:aws:events:us-east-1:111122223333:event-bus/patch-alerts",
        "arn:aws-us-gov:events:us-gov-west-1:444455556666:event-bus/ops.alerts",
    ],
)
def test_member_forwards_each_kind_to_the_central_bus_with_a_role_for_that_bus_only(bus_arn):
    stack = member_template(bus_arn, region="eu-west-1")["Resources"]
    rules = {name: r["Properties"] for name, r in stack.items() if r["Type"] == "AWS::Events::Rule"}
    # window runs: only the member's own window (cloud-radar renders its Ref as the logical id); alarms:
    # only its own forwarding alarm, by name
    own = {
        "WindowExecution": {"window-id": ["MaintenanceWindow"]},
        "Alarm": {"alarmName": [stack["AlertForwardingDeadLetterAlarm"]["Properties"]["AlarmName"]]},
    }
    assert {name: rule["EventPattern"] for name, rule in rules.items()} == {
        f"Forward{kind.title}Rule": {**kind.pattern, "detail": {**kind.detail, **own.get(kind.title, {})}}
        for kind in (*alerts.EVENT_KINDS, alerts.ALARM)
    }
    assert own["Alarm"]["alarmName"] == ["patching-alert-my-cloud-radar-stack-forwarding-failed"]  # cloud-radar's stack
    assert stack["MaintenanceWindow"]["Type"] == "AWS::SSM::MaintenanceWindow"
    for rule in rules.values():
        assert "EventBusName" not in rule  # the account's default bus, where Systems Manager sends
        assert rule["Targets"] == [
            {
                "Id": "CentralEventBus",
                "Arn": bus_arn,
                "RoleArn": "AlertForwardingRole.Arn",
                "DeadLetterConfig": {"Arn": "AlertForwardingDeadLetterQueue.Arn"},
                "RetryPolicy": {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 185},
            }
        ]
    role = stack["AlertForwardingRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]  # its conditions: tests/stacks/test_privileges.py
    assert trust["Principal"] == {"Service": "events.amazonaws.com"} and trust["Action"] == ["sts:AssumeRole"]
    (policy,) = role["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Action": ["events:PutEvents"], "Resource": [bus_arn]}
    ]
    assert "ManagedPolicyArns" not in role


@pytest.mark.parametrize(
    "region,account,wave",
    [("eu-west-1", "210987654321", ""), ("ap-southeast-2", "123456789012", "Wave2")],
)
def test_member_dead_letter_queue_admits_only_this_stacks_forwarding_rules(region, account, wave):
    """Every rule with a dead-letter queue is named in the queue policy's aws:SourceArn, and nothing else
    is; the queue is encrypted (SSE-SQS) and keeps 14 days. Two waves' members (their windows differ) in
    two Regions."""
    stack = member_stacks(
        ou=WAVE_OUS[f"p{wave}OrganizationalUnitIds"],
        overrides={"pCentralEventBusArn": f"arn:aws:events:{region}:{account}:event-bus/alerts"},
        region=region,
    )[f"Patching{wave}StackSet"]
    resources = stack["Resources"]
    dead_lettered = {
        f"{name}.Arn"
        for name, resource in resources.items()
        if resource["Type"] == "AWS::Events::Rule"
        for target in resource["Properties"]["Targets"]
        if target["DeadLetterConfig"] == {"Arn": "AlertForwardingDeadLetterQueue.Arn"}
    }
    assert len(dead_lettered) == len(alerts.EVENT_KINDS) + 1  # and the alarm's own rule
    policy = resources["AlertForwardingDeadLetterQueuePolicy"]["Properties"]
    assert policy["Queues"] == ["AlertForwardingDeadLetterQueue"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Principal"], statement["Action"], statement["Resource"]) == (
        "Allow",
        {"Service": "events.amazonaws.com"},
        ["sqs:SendMessage"],
        ["AlertForwardingDeadLetterQueue.Arn"],
    )
    condition = statement["Condition"]
    assert set(condition) == {"ArnEquals", "StringEquals"}
    assert set(condition["ArnEquals"]["aws:SourceArn"]) == dead_lettered
    assert len(condition["ArnEquals"]["aws:SourceArn"]) == len(dead_lettered)
    assert condition["StringEquals"] == {"aws:SourceAccount": RADAR_ACCOUNT}  # cloud-radar's AWS::AccountId
    queue = resources["AlertForwardingDeadLetterQueue"]
    assert queue["Properties"] == {"SqsManagedSseEnabled": True, "MessageRetentionPeriod": 14 * 24 * 3600}
    assert "KmsMasterKeyId" not in queue["Properties"]  # aws/sqs would refuse EventBridge


def test_member_forwarding_is_small_and_lint_clean(tmp_path):
    """What the operations member pays for alerts, linted as the build lints (cfn-lint -I)."""
    t = Template(Description="member")
    window = t.add_resource(
        ssm.MaintenanceWindow(
            "Window",
            Name="patching",
            Schedule="cron(0 4 ? * SUN *)",
            Duration=2,
            Cutoff=1,
            AllowUnassociatedTargets=False,
        )
    )
    alerts.add_forwarding(t, CENTRAL.file, window=window)
    text = render_yaml(t)
    # 10,057 bytes: the rules of five kinds and of the alarm, their targets' retry and dead-letter settings, the role,
    # the queue, its policy and its alarm
    assert len(text.encode()) < 10_500
    (tmp_path / "member.yml").write_text(text)
    assert lint([tmp_path / "member.yml"], "tmp") == []


# -- bad values ---------------------------------------------------------------------------------

BUS_ARN_BAD = [
    "",
    "patch-alerts",
    "arn:aws:events:us-east-1:111122223333:event-bus/default",
    "arn:aws:events:us-east-1:111122223333:event-bus/aws.partner",
    "arn:aws:sns:us-east-1:111122223333:patch",
    "arn:aws:events:us-east-1:11112222333:event-bus/patch-alerts",
    "arn:aws:events:useast1:111122223333:event-bus/patch-alerts",
    "arn:aws:events:us-east-1:111122223333:rule/patch-alerts",
    "arn:aws:events:us-east-1:111122223333:event-bus/patch alerts",
    "none",
]


def test_central_bus_arn_refuses_bad_values():
    for value in [
        "arn:aws:events:us-east-1:111122223333:event-bus/patch-alerts",
        "arn:aws-cn:events:cn-north-1:111122223333:event-bus/org.alerts_2",
    ]:
        assert violation(alerts.CENTRAL_BUS_ARN, value) is None, value
    for value in BUS_ARN_BAD:
        assert violation(alerts.CENTRAL_BUS_ARN, value) is not None, value
