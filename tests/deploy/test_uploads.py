"""Members by TemplateURL, the deploy's side of the contract: output/constraints.json lists under
"uploads" {template: {"parameter": <the parameter that takes the bucket>, "files": {S3 key: file in
output/}}}. make deploy of a listed template requires ARTIFACTS_BUCKET, uploads each file with
`aws s3 cp output/<file> s3://<bucket>/<key>` before the deploy, and passes <parameter>=<bucket>.
The build does not write "uploads" yet: these tests make their own constraints file, in a copy of
the deploy files, and deploy it with the real AWS CLI against moto on 127.0.0.1."""

import functools
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from make_runner import PYTHON, make as run_make

from patch_templates.deploy import preflight
from patch_templates.stacks import patching_member, stackset

ROOT = Path(__file__).resolve().parents[2]
make = functools.partial(run_make, PYTHON)
AWS = str(Path(sys.executable).with_name("aws"))
TINY = "tiny_stackset.yml"
# A template that creates a StackSet (so it is deployed without rollback of all and waited for)
# and takes the bucket its members are uploaded to. moto creates the topic and skips the StackSet.
TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {
        "pArtifactsBucket": {
            "Type": "String",
            "AllowedPattern": "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            "ConstraintDescription": "must be an S3 bucket name",
        },
        "pTopicName": {
            "Type": "String",
            "Default": "tiny",
            "AllowedPattern": "^[A-Za-z0-9_-]{1,256}$",
            "ConstraintDescription": "must be a topic name",
        },
    },
    "Resources": {
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Ref": "pTopicName"}}},
        "MemberStackSet": {
            "Type": "AWS::CloudFormation::StackSet",
            "Properties": {
                "StackSetName": "tiny-member",
                "PermissionModel": "SERVICE_MANAGED",
                "TemplateURL": {"Fn::Sub": "https://${pArtifactsBucket}.s3.amazonaws.com/members/member-1a2b3c.yml"},
            },
        },
    },
}
MEMBERS = {"members/member-1a2b3c.yml": "member.yml", "members/other-4d5e6f.yml": "other.yml"}


@pytest.fixture
def clone(tmp_path) -> Path:
    """The files make deploy needs, with a template of its own listed under uploads."""
    clone = tmp_path / "clone"
    shutil.copytree(ROOT / "patch_templates" / "deploy", clone / "patch_templates" / "deploy")
    shutil.copy(ROOT / "patch_templates" / "__init__.py", clone / "patch_templates")
    shutil.copy(ROOT / "Makefile", clone)
    output = clone / "output"
    (output / "parameters").mkdir(parents=True)
    (output / TINY).write_text(json.dumps(TEMPLATE, indent=1))
    (output / "member.yml").write_text("Resources: {Topic: {Type: AWS::SNS::Topic}}\n")
    (output / "other.yml").write_text("Resources: {Queue: {Type: AWS::SQS::Queue}}\n")
    (output / "parameters" / "tiny_stackset.json").write_text("[]\n")
    uploads = {TINY: {"parameter": "pArtifactsBucket", "files": MEMBERS}}
    (output / "constraints.json").write_text(preflight.constraints_file({TINY: TEMPLATE}, ["111122223333"], uploads))
    return clone


def test_the_constraints_file_carries_the_uploads_contract(clone):
    data = preflight.load_constraints(clone / "output" / "constraints.json")
    assert data["uploads"] == {TINY: {"parameter": "pArtifactsBucket", "files": MEMBERS}}
    assert data["stacksets"] == [TINY]
    # The build lists the StackSet template's members that go by TemplateURL (tests/stacks/test_stackset.py).
    member = patching_member.RECORD
    built = json.loads((ROOT / "output" / "constraints.json").read_text())
    assert built["uploads"] == {
        stackset.RECORD.file: {
            "parameter": stackset.BUCKET,
            "files": {stackset.member_key(member, (ROOT / "output" / member.file).read_text()): member.file},
        }
    }


def test_make_n_uploads_each_member_then_deploys_with_the_bucket_and_waits(clone, tmp_path):
    params = tmp_path / "params.json"
    params.write_text(json.dumps([{"ParameterKey": "pTopicName", "ParameterValue": "ops"}]))
    result = make(
        "AWS=aws", "deploy", "STACK=tiny", f"TEMPLATE=output/{TINY}", f"PARAMS={params}", "ARTIFACTS_BUCKET=art",
        "REGION=eu-west-1", dry_run=True, cwd=clone,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    uploads = [shlex.split(line) for line in lines if line.startswith("aws s3 cp")]
    assert uploads == [
        ["aws", "s3", "cp", "--region", "eu-west-1", f"output/{file}", f"s3://art/{key}"]
        for key, file in sorted(MEMBERS.items())
    ]
    deploy = next(i for i, line in enumerate(lines) if line.startswith("aws cloudformation deploy"))
    assert max(i for i, line in enumerate(lines) if line.startswith("aws s3 cp")) < deploy  # uploads first
    command, _, wait = lines[deploy].partition("; ")
    words = shlex.split(command)
    assert words[words.index("--parameter-overrides") + 1 :] == [
        "pTopicName=ops",
        "pArtifactsBucket=art",
        "--disable-rollback",
    ]
    assert wait.endswith(" wait --after-deploy=$?") and "--stack='tiny'" in wait


def test_a_listed_template_needs_the_bucket_and_the_same_value(clone, tmp_path):
    no_bucket = make("AWS=aws", "deploy", "STACK=tiny", f"TEMPLATE=output/{TINY}", "PARAMS=", dry_run=True, cwd=clone)
    assert no_bucket.returncode != 0 and no_bucket.stdout == ""
    assert f"TEMPLATE=output/{TINY}: its member templates go to S3 first: give ARTIFACTS_BUCKET=" in no_bucket.stderr
    params = tmp_path / "params.json"
    for value, refused in (("other-bucket", True), ("art", False)):
        params.write_text(json.dumps([{"ParameterKey": "pArtifactsBucket", "ParameterValue": value}]))
        result = make(
            "AWS=aws", "deploy", "STACK=tiny", f"TEMPLATE=output/{TINY}", f"PARAMS={params}",
            "ARTIFACTS_BUCKET=art", dry_run=True, cwd=clone,
        )  # fmt: skip
        assert (result.returncode != 0) == refused, result.stderr
        if refused:
            assert (
                f"{params}: pArtifactsBucket='other-bucket', but the members are uploaded to ARTIFACTS_BUCKET=art"
                in (result.stderr)
            )
        else:
            assert result.stdout.count("pArtifactsBucket=art") == 1


def test_a_member_file_missing_from_output_is_refused(clone):
    (clone / "output" / "other.yml").unlink()
    result = make(
        "AWS=aws", "deploy", "STACK=tiny", f"TEMPLATE=output/{TINY}", "PARAMS=", "ARTIFACTS_BUCKET=art", cwd=clone
    )
    assert result.returncode != 0 and result.stdout == ""
    assert f"output/other.yml, to upload for {TINY}, is missing: run make templates" in result.stderr


def test_deploy_uploads_the_members_and_deploys_against_moto(clone, moto_server):
    """The real AWS CLI, every service on moto at 127.0.0.1: the members land under their keys with
    their bytes, the stack gets the bucket, and the wait reports the stack as complete."""
    # moto finds a TemplateURL's bucket in the path only for a 'localhost' address (moto's
    # cloudformation/utils.py get_stack_from_s3_url): localhost is the same server on 127.0.0.1.
    endpoint = moto_server.url.replace("127.0.0.1", "localhost")
    env = {**moto_server.environment, "AWS_ENDPOINT_URL": endpoint}
    subprocess.run([AWS, "s3", "mb", "s3://tiny-artifacts"], env=env, check=True, capture_output=True)
    result = make(
        f"AWS={AWS}", "deploy", "STACK=tiny", f"TEMPLATE=output/{TINY}", "PARAMS=",
        "ARTIFACTS_BUCKET=tiny-artifacts", env=env, cwd=clone,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    for key, file in MEMBERS.items():
        copy = clone / "downloaded"
        subprocess.run(
            [AWS, "s3", "cp", f"s3://tiny-artifacts/{key}", str(copy)], env=env, check=True, capture_output=True
        )
        assert copy.read_bytes() == (clone / "output" / file).read_bytes()
    described = subprocess.run(
        [AWS, "cloudformation", "describe-stacks", "--stack-name", "tiny", "--output", "json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    stack = json.loads(described.stdout)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["pArtifactsBucket"] == "tiny-artifacts"
    assert "stack tiny: CREATE_COMPLETE" in result.stdout
