"""Custom resource: start the Glue crawler named by the CrawlerName property on Create and
Update (a running crawler counts as started), nothing on Delete. It always answers
CloudFormation, once: FAILED with the reason on any error, and FAILED from a timer shortly
before the Lambda's own time-out, so a stack never hangs. Stdlib and boto3 only: this file is
the function's inline code."""
import json
import threading
import time
import urllib.request

import boto3

MARGIN_MS = 5000  # answer this long before the Lambda times out
# A role created with the stack can be refused for a while (IAM is eventually consistent):
# AccessDenied is retried every RETRY_S seconds for at most RETRY_LIMIT_S.
RETRY_S = 5
RETRY_LIMIT_S = 90


def answer(event, context, status, reason, lock=threading.Lock(), sent=set()):
    """PUT the response to the pre-signed ResponseURL; only the first call per request counts."""
    with lock:
        if event.get("RequestId") in sent:
            return
        sent.add(event.get("RequestId"))
    body = json.dumps({
        "Status": status,
        "Reason": reason[:800] + " (log stream: " + context.log_stream_name + ")",
        "PhysicalResourceId": event.get("PhysicalResourceId") or "CrawlerInitializer",
        "StackId": event.get("StackId"),
        "RequestId": event.get("RequestId"),
        "LogicalResourceId": event.get("LogicalResourceId"),
        "Data": {},
    }).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT",
                                     headers={"Content-Type": ""})
    print(status, reason)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
    except Exception:
        sent.discard(event.get("RequestId"))  # let Lambda's retry answer
        raise


def start_crawler(name, deadline):
    """Start the crawler; a crawler that is already running is fine."""
    glue = boto3.client("glue")
    while True:
        try:
            glue.start_crawler(Name=name)
            return "Started crawler " + name
        except glue.exceptions.CrawlerRunningException:
            return "Crawler " + name + " is already running"
        except glue.exceptions.AccessDeniedException:
            if time.monotonic() + RETRY_S > deadline:
                raise
        time.sleep(RETRY_S)


def handler(event, context):
    if "ResponseURL" not in event:  # nobody to answer: not a CloudFormation request
        print("Ignored event without ResponseURL:", json.dumps(event)[:500])
        return
    left = (context.get_remaining_time_in_millis() - MARGIN_MS) / 1000
    # retries stop a margin before the timer, so the answer says why
    deadline = time.monotonic() + min(RETRY_LIMIT_S, left - MARGIN_MS / 1000)
    timer = threading.Timer(max(left, 0), answer, (event, context, "FAILED", "Timed out starting the crawler"))
    timer.daemon = True
    timer.start()
    try:
        kind = event["RequestType"]
        if kind == "Delete":
            reason = "Nothing to do on Delete"
        elif kind in ("Create", "Update"):
            reason = start_crawler(event["ResourceProperties"]["CrawlerName"], deadline)
        else:
            raise ValueError("Unknown RequestType " + repr(kind))
        status = "SUCCESS"
    except Exception as error:  # noqa: BLE001 - any error must still be answered
        status, reason = "FAILED", type(error).__name__ + ": " + str(error)
    finally:
        timer.cancel()
    answer(event, context, status, reason)
