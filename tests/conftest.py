"""Shared test helpers: the built templates as dicts, rendering with parameter values, running
good and bad values through a parameter's constraint, a local stand-in for CloudFormation's
response URL with a Lambda context for the custom resource functions, and a moto server on
127.0.0.1 for the real AWS CLI."""

import functools
import hashlib
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from cloud_radar.cf.unit import Template as RadarTemplate

from patch_templates.deploy import rules
from patch_templates.parts import parameters
from patch_templates.reference import docs
from patch_templates.stacks import TEMPLATES


@functools.cache
def template_dict(name: str) -> dict:
    """The template as CloudFormation JSON data (what the YAML in output/ says)."""
    return json.loads(TEMPLATES[name]().to_json())


def render(name: str, params: dict, region: str = "us-east-1", imports: dict | None = None) -> dict:
    """The template as a stack would get it with these parameter values: conditions, Ref, Sub,
    Join, Split, If and ImportValue (from `imports`, else example_exports()) resolved offline by
    cloud-radar, skipped resources removed."""
    template = json.loads(json.dumps(template_dict(name)))
    if imports is None and "Fn::ImportValue" in json.dumps(template):
        imports = example_exports()
    return RadarTemplate(template, imports=imports).render(params, region=region)


@functools.cache
def example_exports() -> dict:
    """Every output a built template exports as <stack name>-<output>, for the stack name its
    generated deploy command uses, with its lower-case export name standing in for the value."""
    found = {}
    for file_name in TEMPLATES:
        stack = docs.stem(file_name).replace("_", "-")
        for key, output in template_dict(file_name).get("Outputs", {}).items():
            if output.get("Export", {}).get("Name") == {"Fn::Sub": "${AWS::StackName}-" + key}:
                found[f"{stack}-{key}"] = f"{stack}-{key}".lower()
    return found


# A value of one's own for each placeholder of the example files (docs.PLACEHOLDERS).
OWN = {
    "111122223333": "123456789012",
    "444455556666": "210987654321",
    "777788889999": "345678901234",
    "example.com": "ops.corp.test",
    "o-a1b2c3d4e5": "o-zz9y8x7w6v",
    "ou-ab12-": "ou-zz99-",
    "1234abcd-12ab-34cd-56ef-1234567890ab": "0fedcba9-8765-4321-0fed-cba987654321",
}


def own_values(name: str) -> list[dict]:
    """The template's example parameter file with every placeholder replaced by a value of one's own."""
    text = (Path(__file__).parent.parent / "output" / "parameters" / f"{docs.stem(name)}.json").read_text()
    for placeholder, own in OWN.items():
        text = text.replace(placeholder, own)
    return json.loads(text)


# The account id cloud-radar renders templates in.
RADAR_ACCOUNT = "555555555555"


def automations_of_this_account(sid: str) -> dict:
    """A rendered trust statement: Systems Manager automations of the rendered account only may assume
    the role (patch now's administration and execution roles)."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": "ssm.amazonaws.com"},
        "Action": ["sts:AssumeRole"],
        "Condition": {
            "StringEquals": {"aws:SourceAccount": RADAR_ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:ssm:*:{RADAR_ACCOUNT}:automation-execution/*"},
        },
    }


def statements(document: dict) -> list[dict]:
    """A rendered policy's statements as deployed: cloud-radar leaves an Fn::If that chose
    AWS::NoValue in a list as ""; CloudFormation drops it."""
    return [statement for statement in document["Statement"] if statement != ""]


def snapshot(directory) -> dict:
    """Every file under directory with its content hash and modification time: equal snapshots
    mean nothing was written."""
    return {
        str(f.relative_to(directory)): (hashlib.sha256(f.read_bytes()).hexdigest(), f.stat().st_mtime_ns)
        for f in sorted(directory.rglob("*"))
        if f.is_file()
    }


def check_constraint(name: str, parameter: str, good: list[str], bad: list[str]) -> int:
    """Assert each good value passes and each bad value is refused; returns the bad values tried."""
    definition = template_dict(name)["Parameters"][parameter]
    for value in good:
        assert parameters.violation(definition, value) is None, (parameter, value)
    for value in bad:
        assert parameters.violation(definition, value) is not None, (parameter, value)
    return len(bad)


def rules_refusing(name: str, params: dict, region: str = "us-east-1") -> list[str]:
    """The template Rules that refuse these parameter values (defaults for the rest): what
    CloudFormation refuses before creating anything. cloud-radar does not evaluate Rules."""
    template = template_dict(name)
    values = {
        key: str(params.get(key, definition.get("Default", ""))) for key, definition in template["Parameters"].items()
    }
    values["AWS::Region"] = region
    return sorted({failure.split(":")[0] for failure in rules.failures(template, values)})


# -- custom resource functions: CloudFormation's pre-signed response URL on 127.0.0.1 -----------


class Receiver(http.server.BaseHTTPRequestHandler):
    """Records every PUT it gets, as CloudFormation's response URL would."""

    received: list = []

    def do_PUT(self):  # noqa: N802 - the http.server naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()


@pytest.fixture
def answers(server):
    Receiver.received = []
    return Receiver.received


class Context:
    log_stream_name = "2025/06/30/[$LATEST]abc"

    def __init__(self, remaining_ms=60000):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self):
        return self.remaining_ms


def custom_resource_event(server, request_type: str, logical_id: str, properties: dict, **extra) -> dict:
    """A CloudFormation custom resource request whose answer goes to the local server."""
    request_id = str(uuid.uuid4())
    return {
        "RequestType": request_type,
        "ResponseURL": f"http://127.0.0.1:{server.server_port}/response/{request_id}",
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
    assert path.endswith(sent["RequestId"])
    assert body["RequestId"] == sent["RequestId"] and body["StackId"] == sent["StackId"]
    assert body["LogicalResourceId"] == sent["LogicalResourceId"] and body["PhysicalResourceId"]
    return body


# -- the real AWS CLI against moto_server on 127.0.0.1 -------------------------------------------


@dataclass(frozen=True)
class MotoServer:
    url: str
    environment: dict  # for the aws CLI: test credentials, no configuration files, us-east-1


@pytest.fixture(scope="module")
def moto_server():
    """A moto server on a free port of 127.0.0.1, for the module's tests; nothing leaves the machine."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    environment = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    yield MotoServer(f"http://127.0.0.1:{port}", environment)
    process.terminate()
    process.wait(10)
