"""What the custom resource functions talk to, on 127.0.0.1: CloudFormation's pre-signed response
URL (Receiver) and a JSON-protocol AWS API (AwsApi, the protocol of Systems Manager and Glue) that
botocore reaches through AWS_ENDPOINT_URL_<SERVICE>, so its retries and time-outs run for real. Each
can be told to fail: an HTTP status, an AWS error code, or "hang" (no answer until the caller gives
up). The fixtures are in conftest.py."""

import http.server
import json
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

from botocore.config import Config
from cfnlint.decode import decode_str

from patch_templates.lambdas import custom_resource

OUTPUT = Path(__file__).resolve().parent.parent / "output"

# How long a "hang" holds a request: longer than any time-out of the small budget below.
HANG_S = 2
# The functions' time budget (patch_templates/lambdas/custom_resource.py) scaled down for tests, with
# time-outs a loaded machine still meets: answers of 4 tries of 0.5 s and pauses of 0.01 + 0.02 +
# 0.04 s (2.07 s), AWS calls of 2 attempts of 0.5 s to connect and 1 s to read with one back-off of
# at most 1 s (4 s).
SMALL_BUDGET = {
    "PUT_TIMEOUT_S": 0.5,
    "PAUSE_S": 0.01,
    "MARGIN_S": 2.1,
    "CONFIG": Config(connect_timeout=0.5, read_timeout=1, retries={"mode": "standard", "total_max_attempts": 2}),
    "CALL_S": 4,
    "RETRY_S": 0.05,
}


class Receiver(http.server.BaseHTTPRequestHandler):
    """CloudFormation's response URL. It answers each PUT with the next entry of `script` (200 once
    that is empty; a float: 200 after that many seconds), keeps every PUT in `tries` as
    (time.monotonic(), Content-Type, body) and the ones it took in `received` as (path, body)."""

    received: list = []
    tries: list = []
    script: list = []

    def do_PUT(self):  # noqa: N802 - the http.server naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.tries.append((time.monotonic(), self.headers.get("Content-Type"), body))
        status = self.script.pop(0) if self.script else 200
        if status == "hang":
            time.sleep(HANG_S)
            return
        if isinstance(status, float):
            time.sleep(status)
            status = 200
        if status == 200:
            self.received.append((urlsplit(self.path).path, body))
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


class AwsApi(http.server.BaseHTTPRequestHandler):
    """A JSON-protocol AWS API: `operations` answer by name (X-Amz-Target), unless `faults` holds
    something for that operation: its next entry is answered instead (an int: that HTTP status; a
    string: that AWS error code, or "hang"). Every request is kept in `calls` as (operation, params)."""

    operations: dict = {}
    faults: dict = {}
    calls: list = []

    def do_POST(self):  # noqa: N802 - the http.server naming
        operation = self.headers["X-Amz-Target"].split(".")[-1]
        params = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        self.calls.append((operation, params))
        fault = self.faults.get(operation, []).pop(0) if self.faults.get(operation) else None
        if fault == "hang":
            time.sleep(HANG_S)
            return
        if isinstance(fault, int):
            status, answer = fault, {"__type": "InternalServerError", "message": "injected"}
        elif fault:
            status, answer = 400, {"__type": fault, "message": f"injected {fault}"}
        else:
            status, answer = 200, self.operations[operation](params)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@contextmanager
def serving(handler):
    """An HTTP server with `handler` on a free port of 127.0.0.1, for the duration."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


class Context:
    """The Lambda context: the time left when the function starts, and its log stream."""

    log_stream_name = "2025/06/30/[$LATEST]abc"

    def __init__(self, remaining_ms=60000):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self):
        return self.remaining_ms


def custom_resource_event(server, request_type: str, logical_id: str, properties: dict, age_s=0, **extra) -> dict:
    """A CloudFormation custom resource request whose answer goes to the local server, its URL
    signed (X-Amz-Date) `age_s` seconds ago as CloudFormation signs it."""
    request_id = str(uuid.uuid4())
    signed = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - age_s))
    return {
        "RequestType": request_type,
        "ResponseURL": f"http://127.0.0.1:{server.server_port}/response/{request_id}"
        f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={signed}&X-Amz-SignedHeaders=host&X-Amz-Expires=7200",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/patching/abc",
        "RequestId": request_id,
        "LogicalResourceId": logical_id,
        "ResourceType": "Custom::" + logical_id,
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:x", **properties},
        **extra,
    }


def only_answer(answers, sent):
    """The one answer for this request, after giving a late timer the chance to send another."""
    time.sleep(0.05)
    assert len(answers) == 1, answers
    path, body = answers[0]
    assert path == "/response/" + sent["RequestId"]
    assert body["RequestId"] == sent["RequestId"] and body["StackId"] == sent["StackId"]
    assert body["LogicalResourceId"] == sent["LogicalResourceId"] and body["PhysicalResourceId"]
    return body


def answered(function, answers, sent, remaining_ms=60_000) -> dict:
    """The one answer of the function to `sent`, which came within the time Lambda gave it."""
    timed(function.handler, sent, Context(remaining_ms))
    return only_answer(answers, sent)


def timed(handler, event, context) -> float:
    """Run the handler; the seconds it took, which must be within the time Lambda gave it."""
    started = time.monotonic()
    handler(event, context)
    took = time.monotonic() - started
    assert took < context.remaining_ms / 1000, took
    return took


def inline_module(template_file: str, function: str) -> ModuleType:
    """The inline code of `function` in output/<template_file>, loaded as Lambda loads index.py."""
    template, _ = decode_str((OUTPUT / template_file).read_text())
    module = ModuleType("index")
    exec(compile(template["Resources"][function]["Properties"]["Code"]["ZipFile"], "index.py", "exec"), vars(module))
    return module


def loaded(kind: str, module: ModuleType, template_file: str, function: str, monkeypatch) -> ModuleType:
    """The function as the package `module` ("source") or as the inline code of output/ ("inline"),
    on the small time budget."""
    if kind == "source":
        loaded = module
    else:
        loaded = inline_module(template_file, function)
    for name, value in SMALL_BUDGET.items():
        monkeypatch.setattr(budget(loaded), name, value)
    return loaded


def budget(function: ModuleType) -> ModuleType:
    """Where the function's time budget lives: custom_resource for a package module, else its own code."""
    return function if function.__name__ == "index" else custom_resource


def overrun(function: ModuleType, work: str, monkeypatch, seconds=0.5) -> None:
    """Make the function's work (`work`, what it passes to serve) start `seconds` late, and let
    its AWS calls start however late: only the answered timer can stop them."""
    on_time = getattr(function, work)
    monkeypatch.setattr(function, work, lambda request: time.sleep(seconds) or on_time(request))
    monkeypatch.setattr(budget(function), "CALL_S", 0)


def timer_after(function: ModuleType, seconds: float, monkeypatch) -> Context:
    """A Lambda context of 5 s in which the function's timer fires `seconds` after the start (a
    margin stretched to fit): the timer fires early, and a loaded test machine still has room."""
    monkeypatch.setattr(budget(function), "MARGIN_S", 5 - seconds)
    return Context(5000)
