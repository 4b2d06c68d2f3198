"""The crawler initializer custom resource, run against moto's Glue with a local HTTP server on
127.0.0.1 standing in for CloudFormation's pre-signed response URL (conftest: server, answers).
Every path must answer exactly once."""

import time

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from conftest import Context, custom_resource_event, only_answer
from patch_templates.lambdas import consolidated_billing_crawler_initializer as initializer

CRAWLER = "patching-crawler"


@pytest.fixture
def glue(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("glue")
        client.create_database(DatabaseInput={"Name": "patching-database"})
        client.create_crawler(Name=CRAWLER, Role="arn:aws:iam::123456789012:role/crawler",
                              Targets={"CatalogTargets": [{"DatabaseName": "patching-database",
                                                           "Tables": ["patching_patchsummary"]}]})
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


def test_an_aws_error_fails_with_the_reason(server, answers, glue, monkeypatch):
    client = boto3.client("glue")
    stubber = Stubber(client)
    stubber.add_client_error("start_crawler", service_error_code="AccessDeniedException",
                             service_message="not authorized to perform glue:StartCrawler")
    stubber.activate()
    monkeypatch.setattr(initializer.boto3, "client", lambda service: client)
    sent = event(server, "Create")
    initializer.handler(sent, Context())
    body = only_answer(answers, sent)
    assert body["Status"] == "FAILED"
    assert "AccessDeniedException" in body["Reason"] and "glue:StartCrawler" in body["Reason"]
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize("broken", [
    {"RequestType": None},                      # no request type at all
    {"RequestType": "Upgrade"},                 # one CloudFormation never sends
    {"ResourceProperties": None},               # no properties, so no crawler name
    {"ResourceProperties": {"ServiceToken": "x"}},
])
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
    def slow_start(name):
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
    imports = {line.split()[1].split(".")[0] for line in source.splitlines()
               if line.startswith(("import ", "from "))}
    assert imports == {"json", "threading", "urllib", "boto3"}
