"""The data path's alerts and the storm (stacks/central_alerts.py, parts/alerts.py DATA_PATH_KINDS):
each documented sample event routed through the rendered central rules in moto, and 5,000 node
failures from 50 accounts counted, not mailed.

Samples, each as its documentation shows it (cited as DOC), with the names changed to the stack's:
- Glue: EventBridge user guide, AWS Glue events, "Crawler Failed".
- Athena: Athena user guide, "Monitor Athena query events with EventBridge", the FAILED example.
- Step Functions: Step Functions developer guide, "Automating Step Functions event delivery with
  EventBridge", the "Step Functions Execution Status Change" example (status FAILED).
- CloudWatch: CloudWatch user guide, "Alarm events and EventBridge", the state change example.

moto renders an input transformer only when its template is JSON: texts are read through the chat
template, which carries the e-mail's lines (tests/parts/test_alerts.py). moto does not evaluate
CloudWatch alarms or run Logs Insights queries: the storm test puts the alarm's state change event
through the rule (once, as CloudWatch sends it once per change of state) and counts the logged
node events per account in Python, as the saved worst-accounts query does.
"""

import json
from collections import Counter

import boto3
import pytest
import sample_data
from conftest import example, render
from moto import mock_aws
from test_alerts import (
    COLLECTOR_ACCOUNT,
    COLLECTOR_REGION,
    INVOCATION,
    MEMBER_REGION,
    PATCH_NON_COMPLIANT,
    WINDOW_EXECUTION,
    WITH_SLACK,
    central_rules_to_queue,
    changed,
    drain,
    member_template,
    node_events,
    put,
    session_in,
    texts_arriving,
)

from patch_templates.parts import alerts
from patch_templates.stacks import RECORDS, central_alerts, collector, compliance_reports, quicksight_dashboard

REGION = "us-east-1"
QUICKSIGHT = quicksight_dashboard.RECORD
# Numbers the SQL takes through Fn::Sub as text: cloud-radar substitutes only strings.
BASE_NUMBERS = {compliance_reports.RECORD.file: sample_data.BASE}
PARAMS = dict(WITH_SLACK, pCFNCrawlerName="patching-crawler", pAthenaDailyWorkGroupName="patching-daily")

CRAWLER_FAILED = {  # DOC "Crawler Failed"
    "detail-type": "Glue Crawler State Change",
    "source": "aws.glue",
    "resources": [],
    "detail": {
        "crawlerName": "patching-crawler",
        "errorMessage": "Internal Service Exception",
        "accountId": "1234",
        "cloudWatchLogLink": "https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEventViewer:"
        "group=/aws-glue/crawlers;stream=patching-crawler",
        "state": "Failed",
        "message": "Crawler Failed",
    },
}
QUERY_FAILED = {  # DOC Athena, FAILED
    "detail-type": "Athena Query State Change",
    "source": "aws.athena",
    "resources": [],
    "detail": {
        "versionId": "0",
        "currentState": "FAILED",
        "previousState": "RUNNING",
        "statementType": "DML",
        "queryExecutionId": "01234567-0123-0123-0123-012345678901",
        "workgroupName": "patching-daily",
        "sequenceNumber": "3",
    },
}
EXECUTION_FAILED = {  # DOC Step Functions, status FAILED
    "detail-type": "Step Functions Execution Status Change",
    "source": "aws.states",
    "resources": ["arn:aws:states:us-east-1:111122223333:execution:patch-reports-daily-compaction:e1"],
    "detail": {
        "executionArn": "arn:aws:states:us-east-1:111122223333:execution:patch-reports-daily-compaction:e1",
        "stateMachineArn": "arn:aws:states:us-east-1:111122223333:stateMachine:patch-reports-daily-compaction",
        "name": "e1",
        "status": "FAILED",
        "startDate": 1551225014968,
        "stopDate": 1551225017576,
        "input": "{}",
        "output": None,
        "error": "States.TaskFailed",
        "cause": "Athena query failed",
    },
}


def alarm_changed(name: str, description: str, value: str, reason: str) -> dict:
    """DOC CloudWatch alarm state change, for one alarm."""
    return {
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "resources": [f"arn:aws:cloudwatch:us-east-1:111122223333:alarm:{name}"],
        "detail": {
            "alarmName": name,
            "state": {"value": value, "reason": reason, "timestamp": "2019-10-02T17:20:48.551+0000"},
            "previousState": {"value": "OK", "reason": "", "timestamp": "2019-10-02T17:04:40.985+0000"},
            "configuration": {"description": description, "metrics": []},
        },
    }


@pytest.fixture
def central(monkeypatch):
    """The rendered central rules in moto: (events, sqs, logs, queue of the mailed texts, bus ARN, stack)."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        events, sqs, logs = (boto3.client(name, region_name=REGION) for name in ("events", "sqs", "logs"))
        bus_arn = events.create_event_bus(Name="patch-alerts")["EventBusArn"]
        stack = render(central_alerts.RECORD, PARAMS)
        queue = central_rules_to_queue(events, sqs, stack, bus_arn, logs)
        yield events, sqs, logs, queue, bus_arn, stack


def storm_alarm(stack: dict) -> dict:
    return stack["Resources"]["NodeEventStormAlarm"]["Properties"]


# (sample, the first line of the text it must give, or None when it must give none)
CASES = [
    (CRAWLER_FAILED, "PATCHING DATA PATH ALERT: Glue crawler patching-crawler failed: Internal Service Exception."),
    (changed(CRAWLER_FAILED, state="Succeeded", message="Crawler Succeeded"), None),
    (changed(CRAWLER_FAILED, crawlerName="someone-elses-crawler"), None),
    (QUERY_FAILED, "PATCHING DATA PATH ALERT: a daily compaction query FAILED in Athena workgroup patching-daily."),
    (
        changed(QUERY_FAILED, currentState="CANCELLED"),
        "PATCHING DATA PATH ALERT: a daily compaction query CANCELLED in Athena workgroup patching-daily.",
    ),
    (changed(QUERY_FAILED, currentState="SUCCEEDED"), None),
    (changed(QUERY_FAILED, workgroupName="patching"), None),  # the reports' workgroup: people's own queries
    (
        EXECUTION_FAILED,
        "PATCHING DATA PATH ALERT: the daily compaction run FAILED: today's reports and trend are missing a day.",
    ),
    (
        changed(EXECUTION_FAILED, status="TIMED_OUT"),
        "PATCHING DATA PATH ALERT: the daily compaction run TIMED_OUT: today's reports and trend are missing a day.",
    ),
    (changed(EXECUTION_FAILED, status="SUCCEEDED"), None),
    (changed(EXECUTION_FAILED, stateMachineArn="arn:aws:states:us-east-1:111122223333:stateMachine:other"), None),
    (
        alarm_changed("patching-alert-reports-compaction-start", "The daily compaction did not start.", "ALARM", "x"),
        "PATCHING ALERT: patching-alert-reports-compaction-start.",
    ),
    (alarm_changed("patching-alert-reports-compaction-start", "d", "OK", "back to normal"), None),
    (alarm_changed("someone-elses-alarm", "d", "ALARM", "x"), None),
]


def test_each_data_path_sample_reaches_the_topic_as_readable_text_or_not_at_all(central):
    events, sqs, _, queue, _, _ = central
    for event, first_line in CASES:
        put(events, event)  # the collector's default bus, where its services send
        texts = texts_arriving(sqs, queue)
        if first_line is None:
            assert texts == [], event["detail"]
            continue
        (text,) = texts
        assert text.startswith(first_line + "\n"), text
        assert "\nAccount 123456789012, Region us-east-1." in text  # moto's account
        assert "<" not in text  # every placeholder filled
    # every data path kind has a sample that reaches it
    assert {kind.source for kind in alerts.DATA_PATH_KINDS} == {event["source"] for event, line in CASES if line}


def test_a_storm_of_5000_node_failures_from_50_accounts_mails_once_and_lists_every_node(central):
    """Each account's wave: 100 nodes fail their install (50 with AWS-RunPatchBaselineWithHooks) and
    report NON_COMPLIANT, and one account's window times out. The person receives the window's mail
    and the storm alarm's, and the log group lists all 5,000 failed nodes."""
    events, sqs, logs, queue, bus_arn, stack = central
    accounts = [f"{100000000000 + n:012d}" for n in range(50)]
    sent = Counter()
    for account in accounts:
        for n in range(100):
            document = alerts.PATCH_DOCUMENTS[n % 2]
            failed = changed(INVOCATION, document_name=document, status="Failed", instance_id=f"i-{account}{n:05d}")
            # the envelope's account: a forwarded event keeps the member's (moto would write its own)
            put(events, failed, bus_arn)
            sent[account] += 1
        put(events, changed(PATCH_NON_COMPLIANT, resource_id=f"i-{account}00000"), bus_arn)
    put(events, WINDOW_EXECUTION, bus_arn)
    mails = texts_arriving(sqs, queue)
    assert len(mails) == 1 and mails[0].startswith("PATCHING ALERT: maintenance window mw-0ed7251d3fcf6e0c2 run")

    logged = node_events(logs)
    failures = [event for event in logged if event["kind"] == "InstallRun"]
    assert len(failures) == 5_000 and len({event["node"] for event in failures}) == 5_000
    assert Counter(event["document"] for event in failures) == {
        "AWS-RunPatchBaseline": 2_500,
        "AWS-RunPatchBaselineWithHooks": 2_500,
    }
    assert sum(event["kind"] == "PatchCompliance" for event in logged) == 50
    assert all(event["text"].startswith("PATCHING ALERT: ") for event in logged)

    # The alarm: one state change to ALARM while node events keep arriving within the hour
    alarm = storm_alarm(stack)
    assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (300, 12, 1)
    assert (alarm["Threshold"], alarm["ComparisonOperator"], alarm["TreatMissingData"]) == (
        1,
        "GreaterThanOrEqualToThreshold",
        "notBreaching",
    )
    reason = (
        "Threshold Crossed: 1 out of the last 12 datapoints [5050.0 (02/12/26 04:05:00)] was greater than or "
        "equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition)."
    )
    put(events, alarm_changed(alarm["AlarmName"], alarm["AlarmDescription"], "ALARM", reason))
    (mail,) = texts_arriving(sqs, queue)
    assert mail.startswith(f"PATCHING ALERT: {alarm['AlarmName']}.\n")
    assert "[5050.0 " in mail  # the count
    assert "worst-accounts" in mail and "/nodes" in mail and central_alerts.NODE_EVENTS_LOG_GROUP in mail
    print(f"\nstorm: 5,050 node events from 50 accounts -> {len(mails) + 1} e-mails (1 window, 1 storm alarm)")

    # The saved queries group by the logged "account", the envelope's account ($.account): the member's
    # in AWS (EventBridge event structure), moto's own here (it cannot put from 50 accounts on one bus).
    # The node ids carry their account in this test, so the same grouping is shown on them.
    assert all(event["account"] == "123456789012" for event in logged)
    per_account = Counter(event["node"][2:14] for event in failures)
    assert per_account == sent and len(per_account) == 50 and set(per_account.values()) == {100}
    assert drain(sqs, queue) == []


def test_the_storm_alarm_counts_the_log_group_and_its_queries_read_it():
    stack = render(central_alerts.RECORD, PARAMS)["Resources"]
    metric = stack["NodeEventMetricFilter"]["Properties"]
    assert metric["LogGroupName"] == "NodeEventLogGroup"
    assert metric["FilterPattern"] == '{ $.source = "aws.ssm" }'
    (transformation,) = metric["MetricTransformations"]
    alarm = stack["NodeEventStormAlarm"]["Properties"]
    assert (transformation["MetricNamespace"], transformation["MetricName"]) == (
        alarm["Namespace"],
        alarm["MetricName"],
    )
    assert alarm["Statistic"] == "Sum" and "AlarmActions" not in alarm  # mailed by its state change event
    assert alarm["AlarmName"].startswith(alerts.ALARM_PREFIX)
    queries = {
        r["Properties"]["Name"].rpartition("/")[2]: r["Properties"]
        for r in stack.values()
        if r["Type"] == "AWS::Logs::QueryDefinition"
    }
    assert set(queries) == set(central_alerts.STORM_QUERIES) == {"worst-accounts", "nodes"}
    for name, query in queries.items():
        assert (
            query["LogGroupNames"] == ["NodeEventLogGroup"]
            and query["QueryString"] == central_alerts.STORM_QUERIES[name]
        )
    assert "by account, region" in queries["worst-accounts"]["QueryString"]
    # the fields the queries read are those the log transformer writes
    for kind in alerts.EVENT_KINDS:
        if kind.per_node:
            (target,) = stack[f"Count{kind.title}Rule"]["Properties"]["Targets"]
            assert target["InputTransformer"]["InputPathsMap"]["account"] == "$.account"
            assert '"kind": "' + kind.title in target["InputTransformer"]["InputTemplate"]
    policy = stack["NodeEventLogGroupPolicy"]["Properties"]["PolicyDocument"]
    assert '"logs:PutLogEvents"' in policy and '"aws:SourceAccount"' in policy
    for kind in alerts.EVENT_KINDS:
        assert (f"Count{kind.title}Rule" in stack) == kind.per_node == (f"Alert{kind.title}Rule" not in stack)
    assert {kind.title for kind in alerts.EVENT_KINDS if kind.per_node} == {"InstallRun", "PatchCompliance"}


@pytest.mark.parametrize("hours,prefix", [(26, "inventory"), (40, "org/sync")])
def test_the_sync_silence_alarm_fires_after_n_hours_without_a_write_under_the_sync_prefix(central, hours, prefix):
    """The collector bucket counts PUT requests under the sync prefix; an hour without one is missing
    data, which breaches, so N silent hours in a row turn the alarm to ALARM and the topic is mailed."""
    events, sqs, _, queue, _, _ = central
    record = collector.RECORD
    stack = render(record, {**example(record), "pSyncSilenceAlarmHours": hours, "pBucketPrefix": prefix})
    resources = stack["Resources"]
    (metrics,) = resources["ResourceDataSyncBucket"]["Properties"]["MetricsConfigurations"]
    assert metrics == {"Id": "sync-writes", "Prefix": prefix + "/"}  # the sync writes <prefix>/<type>/...
    alarm = resources["SyncSilenceAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/S3", "PutRequests", "Sum")
    assert alarm["Dimensions"] == [
        {"Name": "BucketName", "Value": "ResourceDataSyncBucket"},  # cloud-radar's Ref of the bucket
        {"Name": "FilterId", "Value": metrics["Id"]},
    ]
    assert alarm["Period"] * alarm["EvaluationPeriods"] == hours * 3600 and "DatapointsToAlarm" not in alarm
    assert (alarm["Threshold"], alarm["ComparisonOperator"], alarm["TreatMissingData"]) == (
        1,
        "LessThanThreshold",
        "breaching",
    )
    assert (
        f"s3://{example(record)['pResourceDataSyncBucketName']}/{prefix}/ for {hours} hours"
        in (alarm["AlarmDescription"])
    )
    assert alarm["AlarmName"] == alerts.ALARM_PREFIX + "my-cloud-radar-stack-sync-silent"  # cloud-radar's stack name
    put(events, alarm_changed(alarm["AlarmName"], alarm["AlarmDescription"], "ALARM", "Threshold Crossed"))
    (text,) = texts_arriving(sqs, queue)
    assert text.startswith(f"PATCHING ALERT: {alarm['AlarmName']}.\n") and f"for {hours} hours" in text
    put(events, alarm_changed(alarm["AlarmName"], alarm["AlarmDescription"], "OK", "a write arrived"))
    assert texts_arriving(sqs, queue) == []


def test_every_alarm_of_every_template_reaches_the_topic_with_its_description(central):
    """The compaction's failed starts, the SPICE refreshes and the storm: each alarm, rendered with its
    template's example values, turns to ALARM once and is mailed with its description."""
    events, sqs, _, queue, _, _ = central
    found = {}
    for record in RECORDS:
        rendered = render(record, {**example(record), **BASE_NUMBERS.get(record.file, {})})
        for title, resource in rendered["Resources"].items():
            if resource["Type"] == "AWS::CloudWatch::Alarm":
                found[title] = resource["Properties"]
    assert set(found) == {
        "NodeEventStormAlarm",
        "DailyCompactionDeadLetterAlarm",
        "QuickSightComplianceDataSetIngestionAlarm",
        "QuickSightExposureDataSetIngestionAlarm",
        "QuickSightSlaDataSetIngestionAlarm",
        "SyncSilenceAlarm",
        "AlertForwardingDeadLetterAlarm",
    }
    assert found["DailyCompactionDeadLetterAlarm"]["Dimensions"] == [
        {"Name": "QueueName", "Value": "DailyCompactionDeadLetterQueue.QueueName"}  # cloud-radar's GetAtt
    ]
    dashboard = render(QUICKSIGHT, example(QUICKSIGHT))["Resources"]
    for key in ("Compliance", "Exposure", "Sla"):  # the DataSetId of each data set
        (dimension,) = found[f"QuickSight{key}DataSetIngestionAlarm"]["Dimensions"]
        assert dimension == {
            "Name": "DatasetId",
            "Value": dashboard[f"QuickSight{key}DataSet"]["Properties"]["DataSetId"],
        }
    for alarm in found.values():
        assert alarm["AlarmName"].startswith(alerts.ALARM_PREFIX) and "AlarmActions" not in alarm
        put(events, alarm_changed(alarm["AlarmName"], alarm["AlarmDescription"], "ALARM", "Threshold Crossed"))
        (text,) = texts_arriving(sqs, queue)
        assert text == f"PATCHING ALERT: {alarm['AlarmName']}.\nAccount 123456789012, Region us-east-1.\n" + (
            f"{alarm['AlarmDescription']}\nThreshold Crossed"
        )


# -- a member's failed forwarding ----------------------------------------------------------------


def dead_letter_alarms() -> dict:
    """Both dead-letter queues' alarms (parts/alerts.py add_dead_letter_queue), rendered: the reports
    stack's and a member's."""
    reports = render(compliance_reports.RECORD, {**example(compliance_reports.RECORD), **sample_data.BASE})
    member = member_template("arn:aws:events:us-east-1:111122223333:event-bus/patch-alerts")
    return {
        name: resources[name]["Properties"]
        for resources in (reports["Resources"], member["Resources"])
        for name in resources
        if name.endswith("DeadLetterAlarm")
    }


def test_each_dead_letter_alarm_fires_on_one_message_in_its_own_queue():
    alarms = dead_letter_alarms()
    assert set(alarms) == {"DailyCompactionDeadLetterAlarm", "AlertForwardingDeadLetterAlarm"}
    for name, alarm in alarms.items():
        queue = name.removesuffix("Alarm") + "Queue"
        assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": f"{queue}.QueueName"}]  # cloud-radar's GetAtt
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "Maximum",
        )
        assert (alarm["Threshold"], alarm["ComparisonOperator"], alarm["EvaluationPeriods"], alarm["Period"]) == (
            1,
            "GreaterThanOrEqualToThreshold",
            1,
            300,
        )
        assert alarm["TreatMissingData"] == "notBreaching"  # no datum is no dead letter
    assert alarms["AlertForwardingDeadLetterAlarm"]["AlarmName"] == (
        "patching-alert-my-cloud-radar-stack-forwarding-failed"  # cloud-radar's stack name
    )


def test_the_forwarding_alarm_says_where_what_and_how_within_the_length_cloudwatch_takes():
    """Which account-Region, what was lost, the queue and how to read it (the dead-letter message attributes
    of the EventBridge user guide, "Using dead-letter queues to process undelivered events in EventBridge"),
    what to fix; under the 1,024 characters of AlarmDescription (PutMetricAlarm) with the longest values."""
    bus = "arn:aws:events:ap-southeast-2:210987654321:event-bus/" + "b" * 256
    text = member_template(bus, region="ap-southeast-2")["Resources"]["AlertForwardingDeadLetterAlarm"]["Properties"][
        "AlarmDescription"
    ]
    for part in (
        "account 555555555555, Region ap-southeast-2",  # cloud-radar's account
        f"central bus {bus}",
        "queue AlertForwardingDeadLetterQueue",  # cloud-radar's Ref: the queue URL, which ends in its name
        "aws sqs receive-message --attribute-names All --message-attribute-names All",
        "ERROR_CODE, ERROR_MESSAGE",
        "RULE_ARN: which kind",
        "TARGET_ARN",
        "pDataSourceAccountID",
        "purge-queue",
    ):
        assert part in text, part
    # a queue URL as long as SQS makes it: https://sqs.<Region>.amazonaws.com/<account>/<80 characters>
    url = "https://sqs.ap-southeast-2.amazonaws.com/210987654321/" + "q" * 80
    assert len(text.replace("AlertForwardingDeadLetterQueue", url)) <= 1024


@pytest.fixture
def member_and_central(monkeypatch):
    """The rendered member rules on moto's default bus of a member account-Region, forwarding to the
    rendered central rules on the central bus of the collector account: (member events, central sqs, queue
    of the mailed texts, member stack)."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", MEMBER_REGION)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        collector = session_in(COLLECTOR_ACCOUNT, COLLECTOR_REGION)
        central_events, central_sqs = collector.client("events"), collector.client("sqs")
        bus_arn = central_events.create_event_bus(Name="patch-alerts")["EventBusArn"]
        queue = central_rules_to_queue(central_events, central_sqs, render(central_alerts.RECORD, PARAMS), bus_arn)
        member = member_template(bus_arn)
        member_events, member_sqs = boto3.client("events"), boto3.client("sqs")
        dead_letters = member_sqs.get_queue_attributes(
            QueueUrl=member_sqs.create_queue(QueueName="AlertForwardingDeadLetterQueue")["QueueUrl"],
            AttributeNames=["QueueArn"],
        )["Attributes"]["QueueArn"]
        for name, resource in member["Resources"].items():
            if resource["Type"] == "AWS::Events::Rule":
                member_events.put_rule(Name=name, EventPattern=json.dumps(resource["Properties"]["EventPattern"]))
                (target,) = resource["Properties"]["Targets"]
                assert target["DeadLetterConfig"] == {"Arn": "AlertForwardingDeadLetterQueue.Arn"}
                member_events.put_targets(Rule=name, Targets=[{**target, "DeadLetterConfig": {"Arn": dead_letters}}])
        yield member_events, central_sqs, queue, member


def test_a_member_alarm_reaches_the_topic_once_as_readable_text_and_its_return_to_ok_mails_nothing(
    member_and_central,
):
    """The member's forwarding alarm turns to ALARM (its state change event, as CloudWatch sends it, on the
    member's default bus): its rendered rule forwards it, the central bus's rendered rules mail it once;
    OK, or an alarm of another stack in the account-Region, mails nothing."""
    member_events, sqs, queue, member = member_and_central
    alarm = member["Resources"]["AlertForwardingDeadLetterAlarm"]["Properties"]
    name, description = alarm["AlarmName"], alarm["AlarmDescription"]
    reason = "Threshold Crossed: 1 out of the last 1 datapoints [3.0 (03/12/26 05:00:00)] was greater than or equal to"
    put(member_events, alarm_changed(name, description, "ALARM", reason))
    (text,) = texts_arriving(sqs, queue)
    first, where, *rest = text.split("\n")
    assert first == f"PATCHING ALERT: {name}."
    assert where.startswith("Account ") and ", Region " in where  # moto rewrites them when forwarding
    assert rest == [description, reason]
    put(member_events, alarm_changed(name, description, "OK", "Threshold Crossed: no datapoints"))
    put(member_events, alarm_changed(alerts.ALARM_PREFIX + "other-stack-forwarding-failed", "d", "ALARM", reason))
    assert drain(sqs, queue) == []
