"""The crawler initializer custom resource, run against moto's Glue with a local HTTP server on
127.0.0.1 standing in for CloudFormation's pre-signed response URL (conftest: server, answers).
Every path must answer exactly once."""

import time

import boto3
import pytest
from botocore.stub import Stubber
from conftest import Context, custom_resource_event, only_answer
from moto import mock_aws

from patch_templates.lambdas import consolidated_billing_crawler_initializer as initializer

CRAWLER = "patching-crawler"


@pytest.fixture
def glue(monkeypatch):
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


def event(server, request_type="Create", crawler=CRAWLER, **extra):
    return custom_resource_event(server, request_type, "CrawlerInitializer", {"CrawlerName": crawler}, **extra)


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_create_and_update_start_the_crawler(server, answers, glue, request_type):
    sent = event(server, request_type, PhysicalResourceId="CrawlerInitializer")
    initializer.handler(sent, Context())
    body = only_answer(answers, sent)
    assert body["Status"] == "SUCCESS", body
    assert body["Reason"].startswith(f"Started crawler {CRAWLER}")
    assert glue.get_crawler(Name=CRAWLER)["Crawler"]["State"] == "RUNNING"


def test_a_running_crawler_counts_as_success(server, answers, glue):
    glue.start_crawler(Name=CRAWLER)
    sent = event(server, "Update", PhysicalResourceId="CrawlerInitializer")
    initializer.handler(sent, Context())
    body = only_answer(answers, sent)
    assert body["Status"] == "SUCCESS"
    assert "already running" in body["Reason"]


def test_delete_answers_success_without_touching_the_crawler(server, answers, glue):
    sent = event(server, "Delete", crawler="no-such-crawler", PhysicalResourceId="CrawlerInitializer")
    initializer.handler(sent, Context())
    body = only_answer(answers, sent)
    assert (body["Status"], body["PhysicalResourceId"]) == ("SUCCESS", "CrawlerInitializer")
    assert glue.get_crawler(Name=CRAWLER)["Crawler"]["State"] == "READY"


def test_a_missing_crawler_fails_with_the_reason(server, answers, glue):
    sent = event(server, "Create", crawler="no-such-crawler")
    initializer.handler(sent, Context())
    body = only_answer(answers, sent)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("EntityNotFoundException")


def stubbed_glue(monkeypatch, errors: int, code="AccessDeniedException", then_start=False) -> Stubber:
    """A Glue client that refuses StartCrawler `errors` times with `code` (then starts it)."""
    client = boto3.client("glue")
    stubber = Stubber(client)
    for _ in range(errors):
        stubber.add_client_error(
            "start_crawler", service_error_code=code, service_message="not authorized to perform glue:StartCrawler"
        )
    if then_start:
        stubber.add_response("start_crawler", {}, {"Name": CRAWLER})
    stubber.activate()
    monkeypatch.setattr(initializer.boto3, "client", lambda service: client)
    return stubber


class Clock:
    """Stands in for the initializer's time module: sleeping moves the clock on at once."""

    def __init__(self):
        self.now, self.sleeps = 1000.0, []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_another_aws_error_fails_at_once_with_the_reason(server, answers, glue, monkeypatch):
    stubber = stubbed_glue(monkeypatch, 1, code="OperationTimeoutException")
    clock = Clock()
    monkeypatch.setattr(initializer, "time", clock)
    sent = event(server, "Create")
    initializer.handler(sent, Context())
    body = only_answer(answers, sent)
    assert body["Status"] == "FAILED"
    assert "OperationTimeoutException" in body["Reason"] and "glue:StartCrawler" in body["Reason"]
    assert clock.sleeps == []
    stubber.assert_no_pending_responses()


def test_a_new_role_refused_at_first_is_retried_until_the_crawler_starts(server, answers, glue, monkeypatch):
    stubber = stubbed_glue(monkeypatch, 3, then_start=True)
    clock = Clock()
    monkeypatch.setattr(initializer, "time", clock)
    sent = event(server, "Create")
    initializer.handler(sent, Context())
    body = only_answer(answers, sent)
    assert body["Status"] == "SUCCESS" and body["Reason"].startswith(f"Started crawler {CRAWLER}")
    assert clock.sleeps == [initializer.RETRY_S] * 3
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    "remaining_ms, calls",
    [
        (60_000, 11),  # limited by the time left: retries end 10 s (two margins) before the time-out
        (900_000, 19),  # limited by RETRY_LIMIT_S (90 s)
    ],
)
def test_access_denied_is_retried_for_a_bounded_time_then_answered(
    server, answers, glue, monkeypatch, remaining_ms, calls
):
    stubber = stubbed_glue(monkeypatch, calls)
    clock = Clock()
    monkeypatch.setattr(initializer, "time", clock)
    sent = event(server, "Create")
    started = clock.now
    initializer.handler(sent, Context(remaining_ms=remaining_ms))
    body = only_answer(answers, sent)
    assert body["Status"] == "FAILED" and body["Reason"].startswith("AccessDeniedException")
    stubber.assert_no_pending_responses()  # exactly `calls` tries
    waited = clock.now - started
    assert waited <= min(initializer.RETRY_LIMIT_S, remaining_ms / 1000 - 2 * initializer.MARGIN_MS / 1000)


@pytest.mark.parametrize(
    "broken",
    [
        {"RequestType": None},  # no request type at all
        {"RequestType": "Upgrade"},  # one CloudFormation never sends
        {"ResourceProperties": None},  # no properties, so no crawler name
        {"ResourceProperties": {"ServiceToken": "x"}},
    ],
)
def test_a_malformed_event_fails_with_the_reason(server, answers, glue, broken):
    sent = event(server)
    for key, value in broken.items():
        if value is None:
            del sent[key]
        else:
            sent[key] = value
    initializer.handler(sent, Context())
    body = only_answer(answers, sent)
    assert body["Status"] == "FAILED"
    assert body["Reason"].split(":")[0] in {"KeyError", "ValueError"}


def test_an_answer_that_could_not_be_sent_is_sent_by_the_retry(server, answers, glue, monkeypatch):
    """A failed PUT raises, so Lambda retries the event; the retry answers, once."""
    real_urlopen = initializer.urllib.request.urlopen
    calls = []

    def flaky_urlopen(request, timeout):
        calls.append(request.full_url)
        if len(calls) == 1:
            raise OSError("connection reset")
        return real_urlopen(request, timeout=timeout)

    monkeypatch.setattr(initializer.urllib.request, "urlopen", flaky_urlopen)
    sent = event(server, "Delete", PhysicalResourceId="CrawlerInitializer")
    with pytest.raises(OSError):
        initializer.handler(sent, Context())
    assert answers == []
    initializer.handler(sent, Context())
    assert only_answer(answers, sent)["Status"] == "SUCCESS"
    assert len(calls) == 2


def test_an_event_without_a_response_url_is_ignored(server, answers, glue):
    sent = event(server)
    del sent["ResponseURL"]
    assert initializer.handler(sent, Context()) is None
    time.sleep(0.05)
    assert answers == []


def test_it_answers_failed_before_its_own_timeout(server, answers, glue, monkeypatch):
    """A Glue call that hangs: the timer answers FAILED, and the late result is not sent."""

    def slow_start(name, deadline):
        time.sleep(0.4)
        return "Started crawler " + name

    monkeypatch.setattr(initializer, "start_crawler", slow_start)
    sent = event(server, "Create")
    started = time.monotonic()
    initializer.handler(sent, Context(remaining_ms=initializer.MARGIN_MS + 100))
    body = only_answer(answers, sent)
    assert body["Status"] == "FAILED" and body["Reason"].startswith("Timed out")
    assert time.monotonic() - started < 1


def test_the_inline_source_fits_and_uses_only_stdlib_and_boto3():
    source = open(initializer.__file__, encoding="utf-8").read()
    assert len(source.encode()) <= 4096
    imports = {line.split()[1].split(".")[0] for line in source.splitlines() if line.startswith(("import ", "from "))}
    assert imports == {"json", "threading", "time", "urllib", "boto3"}
