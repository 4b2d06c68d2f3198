"""Custom resource: start the Glue crawler named by the CrawlerName property on Create and
Update (a running crawler counts as started), nothing on Delete. It always answers
CloudFormation, once: FAILED with the reason on any error, and FAILED from a timer shortly
before the Lambda's own time-out, so a stack never hangs. Stdlib and boto3 only: this file is
the function's inline code."""
import json
import threading
import urllib.request

import boto3

MARGIN_MS = 5000  # answer this long before the Lambda times out


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


def start_crawler(name):
    """Start the crawler; a crawler that is already running is fine."""
    glue = boto3.client("glue")
    try:
        glue.start_crawler(Name=name)
        return "Started crawler " + name
    except glue.exceptions.CrawlerRunningException:
        return "Crawler " + name + " is already running"


def handler(event, context):
    if "ResponseURL" not in event:  # nobody to answer: not a CloudFormation request
        print("Ignored event without ResponseURL:", json.dumps(event)[:500])
        return
    timer = threading.Timer(max(context.get_remaining_time_in_millis() - MARGIN_MS, 0) / 1000,
                            answer, (event, context, "FAILED", "Timed out starting the crawler"))
    timer.daemon = True
    timer.start()
    try:
        kind = event["RequestType"]
        if kind == "Delete":
            reason = "Nothing to do on Delete"
        elif kind in ("Create", "Update"):
            reason = start_crawler(event["ResourceProperties"]["CrawlerName"])
        else:
            raise ValueError("Unknown RequestType " + repr(kind))
        status = "SUCCESS"
    except Exception as error:  # noqa: BLE001 - any error must still be answered
        status, reason = "FAILED", type(error).__name__ + ": " + str(error)
    finally:
        timer.cancel()
    answer(event, context, status, reason)
