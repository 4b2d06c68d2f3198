"""The crawler initializer custom resource, run twice over: as the package module and as the inline
code of output/ (what is deployed). Glue is moto's in-process mock, or the local AwsApi where a fault
is injected (botocore's own retries and time-outs run against it); CloudFormation's response URL is
the local Receiver. Each case asserts one answer, its status within the time Lambda gave, and the
crawler after it."""

import time

import boto3
import pytest
from cfnlint.decode import decode_str
from conftest import template_dict
from custom_resources import (
    OUTPUT,
    SMALL_BUDGET,
    Context,
    Receiver,
    answered,
    custom_resource_event,
    loaded,
    only_answer,
    overrun,
    timed,
    timer_after,
)
from moto import mock_aws

from patch_templates.lambdas import consolidated_billing_crawler_initializer as source, custom_resource
from patch_templates.parts import common
from patch_templates.parts.common import INLINE_CODE_LIMIT
from patch_templates.stacks import ANALYTICS, analytics

NAME = ANALYTICS
CRAWLER = "patching-crawler"


@pytest.fixture(params=["source", "inline"])
def initializer(request, monkeypatch):
    """The function as the package module and as output/'s inline code, on the small time budget."""
    return loaded(request.param, source, NAME.file, "CrawlerInitializerFunction", monkeypatch)


@pytest.fixture
def glue(monkeypatch):
    """moto's Glue with the crawler."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("glue")
        client.create_database(DatabaseInput={"Name": "patching-database"})
        client.create_crawler(
            Name=CRAWLER,
            Role="arn:aws:iam::123456789012:role/crawler",
            Targets={"CatalogTargets": [{"DatabaseName": "patching-database", "Tables": ["patching_patchsummary"]}]},
        )
        yield client


@pytest.fixture
def starts(aws_api) -> list:
    """Glue as the local AwsApi, for injected faults: the names of the crawlers it started."""
    started = []
    aws_api.operations["StartCrawler"] = lambda params: started.append(params["Name"]) or {}
    boto3.client("glue")  # load the service model, which takes longer than the small budget's margins
    return started


def event(server, request_type="Create", crawler=CRAWLER, **extra):
    return custom_resource_event(server, request_type, "CrawlerInitializer", {"CrawlerName": crawler}, **extra)


def state(glue) -> str:
    return glue.get_crawler(Name=CRAWLER)["Crawler"]["State"]


# Against moto's Glue ------------------------------------------------------------------------


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_create_and_update_start_the_crawler(initializer, server, answers, glue, request_type):
    body = answered(initializer, answers, event(server, request_type, PhysicalResourceId="CrawlerInitializer"))
    assert (body["Status"], body["PhysicalResourceId"]) == ("SUCCESS", "CrawlerInitializer")
    assert body["Reason"].startswith(f"Started crawler {CRAWLER}")
    assert state(glue) == "RUNNING"


def test_a_running_crawler_counts_as_success(initializer, server, answers, glue):
    glue.start_crawler(Name=CRAWLER)
    body = answered(initializer, answers, event(server, "Update", PhysicalResourceId="CrawlerInitializer"))
    assert body["Status"] == "SUCCESS" and "already running" in body["Reason"]
    assert state(glue) == "RUNNING"


def test_delete_answers_success_without_touching_the_crawler(initializer, server, answers, glue):
    sent = event(server, "Delete", crawler="no-such-crawler", PhysicalResourceId="CrawlerInitializer")
    body = answered(initializer, answers, sent)
    assert (body["Status"], body["PhysicalResourceId"]) == ("SUCCESS", "CrawlerInitializer")
    assert state(glue) == "READY"


def test_a_missing_crawler_fails_with_the_reason(initializer, server, answers, glue):
    body = answered(initializer, answers, event(server, crawler="no-such-crawler"))
    assert body["Status"] == "FAILED" and body["Reason"].startswith("EntityNotFoundException")
    assert state(glue) == "READY"


@pytest.mark.parametrize(
    "broken",
    [
        {"RequestType": None},  # no request type at all
        {"RequestType": "Upgrade"},  # one CloudFormation never sends
        {"ResourceProperties": None},  # no properties, so no crawler name
        {"ResourceProperties": {"ServiceToken": "x"}},
    ],
)
def test_a_malformed_event_fails_with_the_reason(initializer, server, answers, glue, broken):
    sent = event(server)
    for key, value in broken.items():
        if value is None:
            del sent[key]
        else:
            sent[key] = value
    body = answered(initializer, answers, sent)
    assert body["Status"] == "FAILED" and body["Reason"].split(":")[0] in {"KeyError", "ValueError"}
    assert state(glue) == "READY"


def test_an_event_without_a_response_url_is_ignored(initializer, server, answers, glue):
    sent = event(server)
    del sent["ResponseURL"]
    assert initializer.handler(sent, Context()) is None
    time.sleep(0.05)
    assert answers == [] and state(glue) == "READY"


def test_a_late_duplicate_starts_nothing_and_answers_nothing(initializer, server, answers, glue):
    timed(initializer.handler, event(server, age_s=custom_resource.MAX_AGE_S + 120), Context())
    time.sleep(0.05)
    assert answers == [] and state(glue) == "READY"


# Faults of Glue (the local AwsApi) ----------------------------------------------------------


@pytest.mark.parametrize("fault", ["ThrottlingException", 500])
def test_a_throttled_or_failing_start_is_retried_by_botocore(initializer, server, answers, aws_api, starts, fault):
    aws_api.faults = {"StartCrawler": [fault]}
    body = answered(initializer, answers, event(server))
    assert body["Status"] == "SUCCESS" and starts == [CRAWLER] and len(aws_api.calls) == 2


@pytest.mark.parametrize(
    "fault, error",
    [("ThrottlingException", "ThrottlingException"), ("OperationTimeoutException", "OperationTimeoutException")],
)
def test_an_aws_error_to_the_end_fails_with_the_reason(initializer, server, answers, aws_api, starts, fault, error):
    aws_api.faults = {"StartCrawler": [fault] * 2}
    body = answered(initializer, answers, event(server))
    assert body["Status"] == "FAILED" and body["Reason"].startswith(error + ": ") and starts == []


def test_a_new_role_refused_at_first_is_tried_again_until_the_crawler_starts(
    initializer, server, answers, aws_api, starts
):
    aws_api.faults = {"StartCrawler": ["AccessDeniedException"] * 3}
    body = answered(initializer, answers, event(server))
    assert body["Status"] == "SUCCESS" and body["Reason"].startswith(f"Started crawler {CRAWLER}")
    assert starts == [CRAWLER] and len(aws_api.calls) == 4


def test_access_denied_to_the_end_is_answered_in_time(initializer, server, answers, aws_api, starts):
    aws_api.faults = {"StartCrawler": ["AccessDeniedException"] * 1000}
    remaining_s = SMALL_BUDGET["MARGIN_S"] + SMALL_BUDGET["CALL_S"] + 0.5  # calls may start for 0.5 s
    body = answered(initializer, answers, event(server), int(remaining_s * 1000))
    assert body["Status"] == "FAILED" and body["Reason"].startswith("AccessDeniedException: ")
    assert starts == [] and 1 < len(aws_api.calls) <= 0.5 / SMALL_BUDGET["RETRY_S"] + 1


def test_almost_no_time_left_answers_failed_without_starting(initializer, server, answers, aws_api, starts):
    remaining_ms = int((SMALL_BUDGET["MARGIN_S"] + SMALL_BUDGET["CALL_S"] - 0.1) * 1000)
    body = answered(initializer, answers, event(server), remaining_ms)
    assert body["Status"] == "FAILED" and body["Reason"].startswith("TimeoutError: Too little time left")
    assert aws_api.calls == [] and starts == []


def test_after_the_timer_answered_failed_nothing_is_started(initializer, server, answers, aws_api, starts, monkeypatch):
    overrun(initializer, "start", monkeypatch)
    sent = event(server)
    timed(initializer.handler, sent, timer_after(initializer, 0.1, monkeypatch))
    body = only_answer(answers, sent)
    assert (body["Status"], body["Reason"].split(" (")[0]) == ("FAILED", "Timed out")
    assert aws_api.calls == [] and starts == []


# Faults of the response URL -----------------------------------------------------------------


def test_a_response_url_failing_three_times_gets_the_fourth_answer(initializer, server, answers, aws_api, starts):
    Receiver.script = [500, 502, 500]
    body = answered(initializer, answers, event(server))
    assert body["Status"] == "SUCCESS" and starts == [CRAWLER]
    assert [tried for _, _, tried in Receiver.tries] == [body] * 4


@pytest.mark.parametrize("failure", [500, "hang"])
def test_a_response_url_that_never_takes_the_answer_ends_the_handler_in_time(
    initializer, server, answers, aws_api, starts, failure
):
    Receiver.script = [failure] * 4
    took = timed(initializer.handler, event(server), Context())
    assert answers == [] and len(Receiver.tries) == 4 and starts == [CRAWLER]
    assert took < SMALL_BUDGET["MARGIN_S"] + 2  # 4 tries of at most 0.2 s (a hang lasts 1.5 s) and pauses


# The inline code and the custom resource ------------------------------------------------------


def test_the_inline_code_is_the_compacted_source_within_the_limit(capsys):
    deployed, _ = decode_str((OUTPUT / NAME.file).read_text())
    code = deployed["Resources"]["CrawlerInitializerFunction"]["Properties"]["Code"]["ZipFile"]
    assert code == common.inline_code(analytics.INITIALIZER)
    assert len(code.encode()) <= INLINE_CODE_LIMIT
    with capsys.disabled():
        print(f"\n{analytics.INITIALIZER.name}: {len(code.encode()):,} of {INLINE_CODE_LIMIT:,} bytes of inline code")


def test_lambda_retries_nothing_and_cloudformation_waits_minutes_not_an_hour():
    found = template_dict(NAME)["Resources"]
    assert found["CrawlerInitializerFunctionEventInvokeConfig"]["Properties"] == {
        "FunctionName": {"Ref": "CrawlerInitializerFunction"},
        "Qualifier": "$LATEST",
        "MaximumRetryAttempts": 0,
        "MaximumEventAgeInSeconds": custom_resource.MAX_AGE_S,
    }
    resource = found["CrawlerInitializer"]
    assert resource["DependsOn"] == ["CrawlerInitializerFunctionEventInvokeConfig"]
    timeout = found["CrawlerInitializerFunction"]["Properties"]["Timeout"]
    assert resource["Properties"]["ServiceTimeout"] == custom_resource.MAX_AGE_S + timeout + 60 == 240
    skips = found["CrawlerInitializerFunction"]["Metadata"]["checkov"]["skip"]
    assert "asynchronously" in {skip["id"]: skip["comment"] for skip in skips}["CKV_AWS_116"]
