"""How a custom resource's Lambda function answers CloudFormation: once, in time, and never after a
change it did not report. Shared by the functions of this folder: the build embeds it in each
function's inline code (patch_templates/parts/lambda_code.py).

CloudFormation invokes the function asynchronously ("Using AWS Lambda with CloudFormation", Lambda
developer guide) and waits for one answer PUT to the request's pre-signed ResponseURL, for at most
the resource's ServiceTimeout ("CloudFormation custom resource request and response reference").
"""

import json
import threading
import time
import urllib.request
from urllib.parse import parse_qs, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# The time budget of one invocation, counted from the time Lambda says is left when it starts:
# - the answer: PUT_ATTEMPTS tries of at most PUT_TIMEOUT_S (per socket operation), after pauses of
#   PAUSE_S, 2 x PAUSE_S and 4 x PAUSE_S: 4 x 3 + 0.5 + 1 + 2 = 15.5 s, so the timer answers FAILED
#   MARGIN_S before Lambda stops the function and even its last try ends in time.
PUT_TIMEOUT_S = 3
PUT_ATTEMPTS = 4
PAUSE_S = 0.5
MARGIN_S = 16
# - an AWS call: botocore's standard retry mode, 3 attempts of at most 2 s to connect and 5 s per read,
#   with back-offs of at most 1 s and 2 s: 3 x (2 + 5) + 1 + 2 = 24 s = CALL_S. A call starts only
#   when it can end before the timer fires.
CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 3})
CALL_S = 24
# - AccessDenied, while IAM has not yet applied a role or policy created with the stack, is tried
#   again every RETRY_S while another call still fits; then it is the answer.
RETRY_S = 5
# Lambda keeps an event at most MAX_AGE_S and retries none (the function's EventInvokeConfig), but
# its queue may deliver an event twice ("How Lambda handles errors and retries with asynchronous
# invocation"). A request signed longer ago is such a duplicate: it changes nothing and answers
# nothing, so it cannot undo what CloudFormation did after the first answer.
MAX_AGE_S = 60


def stale(url):
    """Whether CloudFormation signed the ResponseURL more than MAX_AGE_S ago (no X-Amz-Date: no)."""
    signed = parse_qs(urlsplit(url).query).get("X-Amz-Date", [""])[0]  # 20250701T120000Z sorts as time
    return "" < signed < time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - MAX_AGE_S))


class Request:
    """One CloudFormation request: its event, the physical id a failure answers, the time by which
    its AWS calls must end, and whether it is answered."""

    def __init__(self, event, context, physical_id):
        self.event, self.physical_id, self.log_stream = event, physical_id, context.log_stream_name
        self.deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - MARGIN_S
        self.lock = threading.Lock()  # held by an AWS call in flight and by the answer being decided
        self.answered = False

    def client(self, service):
        return boto3.client(service, config=CONFIG)

    def call(self, method, **params):
        """An AWS call, made only when it can end before the timer fires; the timer's answer waits
        for a call in flight, so no change lands after the answer."""
        denied = None
        while True:
            with self.lock:
                if time.monotonic() + CALL_S > self.deadline:
                    raise denied or TimeoutError("Too little time left to call " + method.__name__)
                try:
                    return method(**params)
                except ClientError as error:
                    if error.response["Error"]["Code"] not in ("AccessDenied", "AccessDeniedException"):
                        raise
                    denied = error
            time.sleep(RETRY_S)

    def answer(self, status, reason, physical_id=None, data=None):
        """PUT the answer to the ResponseURL, tried PUT_ATTEMPTS times; only the first answer counts."""
        with self.lock:
            if self.answered:
                return
            self.answered = True
        body = {key: self.event.get(key) for key in ("StackId", "RequestId", "LogicalResourceId")}
        body.update(Status=status, Reason=f"{reason[:800]} (log stream: {self.log_stream})", Data=data or {})
        body["PhysicalResourceId"] = physical_id or self.physical_id
        print(status, reason)
        put = urllib.request.Request(
            self.event["ResponseURL"], json.dumps(body).encode(), {"Content-Type": ""}, method="PUT"
        )
        for attempt in range(PUT_ATTEMPTS):
            if attempt:
                time.sleep(PAUSE_S * 2 ** (attempt - 1))
            try:
                with urllib.request.urlopen(put, timeout=PUT_TIMEOUT_S) as response:
                    return response.read()
            except Exception as error:  # an HTTP error status, a refused connection, a time-out
                print(f"Answer {attempt + 1} of {PUT_ATTEMPTS} not delivered: {error!r}")


def serve(event, context, work, physical_id):
    """Answer a request with work(request) -> (reason, physical id, data): SUCCESS with what it
    returns, FAILED with what it raises, or FAILED from a timer MARGIN_S before Lambda's time-out.
    `physical_id` is the one a failure answers."""
    if "ResponseURL" not in event or stale(event["ResponseURL"]):
        print("Ignored: no ResponseURL, or a late duplicate", json.dumps(event)[:900])
        return
    request = Request(event, context, physical_id)
    timer = threading.Timer(max(request.deadline - time.monotonic(), 0), request.answer, ("FAILED", "Timed out"))
    timer.start()
    data = {}
    try:
        if event["RequestType"] not in ("Create", "Update", "Delete"):
            raise ValueError("Unknown RequestType " + event["RequestType"])
        reason, physical_id, data = work(request)
        status = "SUCCESS"
    except Exception as error:  # any error must still be answered
        status, reason = "FAILED", f"{type(error).__name__}: {error}"
    finally:
        timer.cancel()
        timer.join()  # a timer that fired ends its answer first: Lambda freezes what runs after return
    request.answer(status, reason, physical_id, data)
