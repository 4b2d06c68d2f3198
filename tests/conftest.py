"""Shared test helpers: the built templates as dicts (tests reach a template through its record),
rendering with parameter values, the StackSet's members as one account-Region gets them, running
good and bad values through a parameter's constraint, the local servers of the custom resource
functions (custom_resources.py), and a moto server on 127.0.0.1 for the real AWS CLI."""

import functools
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from cfnlint.decode import decode_str
from cloud_radar.cf.unit import Template as RadarTemplate
from custom_resources import AwsApi, Receiver, serving

from patch_templates.deploy import rules
from patch_templates.deploy.preflight import violation
from patch_templates.stacks import RECORDS, stackset
from patch_templates.stacks.record import Record

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "output"


def pytest_make_parametrize_id(config, val, argname):
    """A record's test id is its file name."""
    return val.file if isinstance(val, Record) else None


@functools.cache
def template_dict(record: Record) -> dict:
    """The template as CloudFormation JSON data (what the YAML in output/ says)."""
    return json.loads(record.build().to_json())


def example(record: Record) -> dict:
    """The values of the template's example parameter file in output/parameters/."""
    example = json.loads((OUTPUT / "parameters" / f"{record.stem}.json").read_text())
    return {p["ParameterKey"]: p["ParameterValue"] for p in example}


def render(record: Record, params: dict, region: str = "us-east-1", imports: dict | None = None) -> dict:
    """The template as a stack would get it with these parameter values: conditions, Ref, Sub,
    Join, Split, If and ImportValue (from `imports`, else example_exports()) resolved offline by
    cloud-radar, skipped resources removed."""
    template = json.loads(json.dumps(template_dict(record)))
    if imports is None and "Fn::ImportValue" in json.dumps(template):
        imports = example_exports()
    return RadarTemplate(template, imports=imports).render(params, region=region)


@functools.cache
def example_exports() -> dict:
    """Every output a built template exports as <stack name>-<output>, for the stack name its
    generated deploy command uses, with its lower-case export name standing in for the value."""
    found = {}
    for record in RECORDS:
        for key, output in template_dict(record).get("Outputs", {}).items():
            if output.get("Export", {}).get("Name") == {"Fn::Sub": "${AWS::StackName}-" + key}:
                found[f"{record.stack}-{key}"] = f"{record.stack}-{key}".lower()
    return found


def rendered(template: dict, params: dict, region: str = "us-east-1") -> dict:
    return RadarTemplate(json.loads(json.dumps(template))).render(params, region=region)


# One OU per rollout wave (waves 2 and 3 exist where the StackSet template has them).
WAVE_OUS = {
    "pOrganizationalUnitIds": "ou-ab12-11111111",
    "pWave2OrganizationalUnitIds": "ou-ab12-22222222",
    "pWave3OrganizationalUnitIds": "ou-ab12-33333333",
}


def member_text(root: Path, properties: dict) -> str:
    """A StackSet's member template: its TemplateBody, or the file in output/ that `make deploy`
    uploads under the key its TemplateURL names (constraints.json's uploads)."""
    if "TemplateBody" in properties:
        return properties["TemplateBody"]
    uploads = json.loads((root / "output" / "constraints.json").read_text())["uploads"][stackset.RECORD.file]
    (file,) = (file for key, file in uploads["files"].items() if properties["TemplateURL"].endswith("/" + key))
    return (root / "output" / file).read_text()


def member_stacks(
    root: Path = ROOT,
    ou: str = WAVE_OUS["pOrganizationalUnitIds"],
    overrides: dict | None = None,
    region: str = "us-east-1",
) -> dict[str, dict]:
    """StackSet logical id -> the member stack as deployed into one account-Region of the OU `ou`:
    the StackSet rendered with the example parameter file (changed by `overrides`), every pDeploy*
    switch on (every OS and every wave) and one OU per wave, then each member body that targets
    `ou` rendered in `region` with the Parameters its StackSet passes."""
    stack_sets, _ = decode_str((root / "output" / stackset.RECORD.file).read_text())
    example = json.loads((root / "output" / "parameters" / f"{stackset.RECORD.stem}.json").read_text())
    values = {p["ParameterKey"]: p["ParameterValue"] for p in example}
    values.update({name: "true" for name in stack_sets["Parameters"] if name.startswith("pDeploy")})
    values.update({name: value for name, value in WAVE_OUS.items() if name in stack_sets["Parameters"]})
    values.update(overrides or {})
    stacks = {}
    for logical_id, resource in rendered(stack_sets, values)["Resources"].items():
        if resource["Type"] != "AWS::CloudFormation::StackSet":
            continue
        targets = {
            target
            for group in resource["Properties"]["StackInstancesGroup"]
            if group
            for target in group["DeploymentTargets"]["OrganizationalUnitIds"]
        }
        if ou not in targets:
            continue
        body, _ = decode_str(member_text(root, resource["Properties"]))
        # cloud-radar drops a value that renders empty ("" is its AWS::NoValue).
        passed = {p["ParameterKey"]: p.get("ParameterValue", "") for p in resource["Properties"].get("Parameters", [])}
        stacks[logical_id] = rendered(body, passed, region)
    return stacks


# A value of one's own for each placeholder of the example files (examples.PLACEHOLDERS).
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
    text = (OUTPUT / "parameters" / f"{Path(name).stem}.json").read_text()
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


def every_statement(node):
    """Every statement of a policy document (or of anything holding documents), in both branches of any Fn::If."""
    if isinstance(node, list):
        for item in node:
            yield from every_statement(item)
    elif isinstance(node, dict):
        if "Effect" in node:
            yield node
        elif "Fn::If" in node:
            yield from every_statement(node["Fn::If"][1:])
        else:
            for value in node.values():
                yield from every_statement(value)


def targets(rule: dict) -> list[dict]:
    """A rendered rule's targets as deployed: cloud-radar leaves an Fn::If that chose
    AWS::NoValue in a list as ""; CloudFormation drops it."""
    return [target for target in rule["Properties"]["Targets"] if target != ""]


def snapshot(directory) -> dict:
    """Every file under directory with its content hash and modification time: equal snapshots
    mean nothing was written."""
    return {
        str(f.relative_to(directory)): (hashlib.sha256(f.read_bytes()).hexdigest(), f.stat().st_mtime_ns)
        for f in sorted(directory.rglob("*"))
        if f.is_file()
    }


def check_constraint(record: Record, parameter: str, good: list[str], bad: list[str]) -> int:
    """Assert each good value passes and each bad value is refused; returns the bad values tried."""
    definition = template_dict(record)["Parameters"][parameter]
    for value in good:
        assert violation(definition, value) is None, (parameter, value)
    for value in bad:
        assert violation(definition, value) is not None, (parameter, value)
    return len(bad)


def rules_refusing(record: Record, params: dict, region: str = "us-east-1") -> list[str]:
    """The template Rules that refuse these parameter values (defaults for the rest): what
    CloudFormation refuses before creating anything. cloud-radar does not evaluate Rules."""
    template = template_dict(record)
    values = {
        key: str(params.get(key, definition.get("Default", ""))) for key, definition in template["Parameters"].items()
    }
    values["AWS::Region"] = region
    return sorted({failure.split(":")[0] for failure in rules.failures(template, values)})


# -- custom resource functions: CloudFormation's response URL and an AWS API on 127.0.0.1 -------


@pytest.fixture(scope="module")
def server():
    with serving(Receiver) as httpd:
        yield httpd


@pytest.fixture
def answers(server):
    """The answers the response URL took; Receiver.script makes it fail, Receiver.tries has every try."""
    Receiver.received, Receiver.tries, Receiver.script = [], [], []
    return Receiver.received


@pytest.fixture(scope="module")
def aws_server():
    with serving(AwsApi) as httpd:
        yield httpd


@pytest.fixture
def aws_api(aws_server, monkeypatch):
    """AwsApi answering every Systems Manager and Glue call of boto3 (AWS_ENDPOINT_URL_<SERVICE>)."""
    endpoint = f"http://127.0.0.1:{aws_server.server_port}"
    for name, value in {
        "AWS_ENDPOINT_URL_SSM": endpoint,
        "AWS_ENDPOINT_URL_GLUE": endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    AwsApi.operations, AwsApi.faults, AwsApi.calls = {}, {}, []
    return AwsApi


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
