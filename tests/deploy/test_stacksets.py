"""make status, wait, retry and drift. Through make, the real AWS CLI answered by a botocore Stubber
from canned responses (tests/deploy/aws_canned.py says why not moto) shows a FAILED instance with its
reason, retries exactly the failed instances with the preferences of the operation that failed them,
and starts drift detection on every StackSet. The wait's decisions (past the AWS CLI's 60 minutes,
no cap but TIMEOUT, a failed deploy) are tested in process with the same answers: the CLI costs
about a second a call. Nothing reaches AWS."""

import functools
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from make_runner import PYTHON, make as run_make

from patch_templates.deploy import stacksets

ROOT = Path(__file__).resolve().parents[2]
AWS = str(Path(sys.executable).with_name("aws"))
make = functools.partial(run_make, f"AWS={AWS}", PYTHON, timeout=120)
STACK = "patch-stacksets"
WINDOWS = "patch-management-windows:11111111-2222-3333-4444-555555555555"
SYNC = "patch-management-resource-data-sync:66666666-7777-8888-9999-000000000000"
REASON = "Account 210987654321 should have 'ap-east-1' region enabled to be able to create a stack instance."


def stack(status: str, reason: str | None = None) -> dict:
    found = {
        "StackName": STACK,
        "StackStatus": status,
        "CreationTime": "2026-11-10T04:00:00Z",
        "Parameters": [{"ParameterKey": "pCallAs", "ParameterValue": "DELEGATED_ADMIN"}],
    }
    return {"Stacks": [dict(found, StackStatusReason=reason) if reason else found]}


RESOURCES = {
    "StackResourceSummaries": [
        {
            "LogicalResourceId": logical_id,
            "ResourceType": kind,
            "ResourceStatus": "CREATE_COMPLETE",
            "LastUpdatedTimestamp": "2026-11-10T04:00:00Z",
            **({"PhysicalResourceId": physical} if physical else {}),
        }
        for logical_id, kind, physical in [
            ("WindowsStackSet", "AWS::CloudFormation::StackSet", WINDOWS),
            ("ResourceDataSyncStackSet", "AWS::CloudFormation::StackSet", SYNC),
            ("MacosStackSet", "AWS::CloudFormation::StackSet", None),  # its create failed: no StackSet
            ("SomethingElse", "AWS::SSM::Parameter", "not-a-stackset"),
        ]
    ]
}


def instance(account: str, region: str, status: str, detailed: str, reason: str | None = None, ou="ou-ab12-cd34ef56"):
    found = {
        "StackSetId": WINDOWS,
        "Account": account,
        "Region": region,
        "Status": status,
        "StackInstanceStatus": {"DetailedStatus": detailed},
        "OrganizationalUnitId": ou,
        "DriftStatus": "NOT_CHECKED",
        "LastOperationId": "op-create",
    }
    return dict(found, StatusReason=reason) if reason else found


FAILED_INSTANCES = {
    "Summaries": [
        instance("123456789012", "us-east-1", "CURRENT", "SUCCEEDED"),
        instance("123456789012", "ap-east-1", "OUTDATED", "FAILED", REASON.replace("210987654321", "123456789012")),
        instance("210987654321", "us-east-1", "CURRENT", "SUCCEEDED"),
        instance("210987654321", "ap-east-1", "OUTDATED", "FAILED", REASON),
        instance(
            "345678901234", "ap-east-1", "OUTDATED", "CANCELLED", "Cancelled since failure tolerance has exceeded"
        ),
        instance("345678901234", "eu-west-3", "OUTDATED", "FAILED", "Internal error", ou="ou-ab12-zz99yy88"),
        instance("456789012345", "us-east-1", "OUTDATED", "SKIPPED_SUSPENDED_ACCOUNT"),
    ]
}
GOOD_INSTANCES = {"Summaries": [instance("123456789012", "us-east-1", "CURRENT", "SUCCEEDED")]}


def operation(status: str, reason: str | None = None) -> dict:
    found = {
        "OperationId": "op-create",
        "Action": "CREATE",
        "Status": status,
        "CreationTimestamp": "2026-11-10T04:00:00Z",
    }
    return {"Summaries": [dict(found, StatusReason=reason) if reason else found]}


PREFERENCES = {
    "RegionConcurrencyType": "PARALLEL",
    "RegionOrder": ["us-east-1", "ap-east-1"],
    "FailureTolerancePercentage": 10,
    "MaxConcurrentPercentage": 25,
    "ConcurrencyMode": "STRICT_FAILURE_TOLERANCE",
}


def canned(tmp_path: Path, **answers) -> dict:
    """The environment for the real AWS CLI answered from `answers` (operation -> list of answers)."""
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    (tmp_path / "config").write_text("[default]\nregion = us-east-1\n[plugins]\ncanned = aws_canned\n")
    return {
        **os.environ,
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_CANNED": str(tmp_path),
        "PYTHONPATH": str(Path(__file__).parent),
    }


def calls(tmp_path: Path, operation: str) -> list[dict]:
    """The parameters of each call of `operation`, without the token the CLI makes up for it."""
    found = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]
    params = [call["params"] for call in found if call["operation"] == operation]
    for call in params:
        if operation in ("UpdateStackInstances", "DetectStackSetDrift"):
            assert len(call.pop("OperationId")) == 36  # a UUID: retrying the same command is idempotent
    return params


class Scripted:
    """The AWS CLI in process: each operation answers the next of its answers (the last repeats),
    keyed as aws_canned.py keys them."""

    dry_run = False

    def __init__(self, **answers):
        self.answers = answers
        self.taken = {}

    def __call__(self, operation: str, *args: str, echo: bool = False) -> dict:
        name = "".join(word.title() for word in operation.split("-"))
        index = self.taken[name] = self.taken.get(name, -1) + 1
        return json.loads(json.dumps(self.answers[name][min(index, len(self.answers[name]) - 1)]))


def wait(capsys, after_deploy: int | None = None, timeout: int | None = None, **answers) -> tuple[int, str]:
    status = stacksets.wait(stacksets.Stack(Scripted(**answers), STACK), timeout, after_deploy, interval=0)
    return status, capsys.readouterr().out


FAILED_STACK = dict(
    DescribeStacks=[stack("UPDATE_FAILED", "Resource handler returned message: WindowsStackSet failed")],
    ListStackResources=[RESOURCES],
    ListStackSetOperations=[operation("FAILED", "The Operation op-create has failed: failure tolerance exceeded")],
    ListStackInstances=[FAILED_INSTANCES],
)


def test_status_shows_each_stackset_with_a_failed_instance_and_its_reason(tmp_path):
    env = canned(tmp_path, **FAILED_STACK)
    result = make("status", f"STACK={STACK}", env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"stack {STACK}: UPDATE_FAILED (Resource handler returned message: WindowsStackSet failed)" in lines
    assert f"StackSet {WINDOWS} (WindowsStackSet)" in lines and f"StackSet {SYNC} (ResourceDataSyncStackSet)" in lines
    assert (
        "  last operation: CREATE FAILED 2026-11-10T04:00:00Z "
        "(The Operation op-create has failed: failure tolerance exceeded)" in lines
    )
    assert (
        "  7 instances: CURRENT 2, OUTDATED 5 | CANCELLED 1, FAILED 3, SKIPPED_SUSPENDED_ACCOUNT 1, SUCCEEDED 2"
        " | drift NOT_CHECKED 7" in lines
    )
    assert f"  FAILED 210987654321 ap-east-1: {REASON}" in lines
    assert "  CANCELLED 345678901234 ap-east-1: Cancelled since failure tolerance has exceeded" in lines
    assert f"failed instances are retried by: make retry STACK={STACK}" in lines
    # Every StackSet call is made as the stack's pCallAs says; the StackSet whose create failed is skipped.
    for name in ("ListStackSetOperations", "ListStackInstances"):
        assert [(c["StackSetName"], c["CallAs"]) for c in calls(tmp_path, name)] == [
            (WINDOWS, "DELEGATED_ADMIN"),
            (SYNC, "DELEGATED_ADMIN"),
        ]


def test_status_of_a_stack_that_succeeded_has_no_retry_hint(capsys):
    answers = Scripted(
        DescribeStacks=[stack("CREATE_COMPLETE")],
        ListStackResources=[RESOURCES],
        ListStackSetOperations=[operation("SUCCEEDED")],
        ListStackInstances=[GOOD_INSTANCES],
    )
    assert stacksets.report(stacksets.Stack(answers, STACK)) is True
    out = capsys.readouterr().out
    assert "1 instances: CURRENT 1 | SUCCEEDED 1 | drift NOT_CHECKED 1" in out and "make retry" not in out


def test_retry_updates_exactly_the_failed_instances_with_the_failed_operations_preferences(tmp_path):
    windows_only = {"StackResourceSummaries": RESOURCES["StackResourceSummaries"][:1]}
    env = canned(
        tmp_path,
        **dict(FAILED_STACK, ListStackResources=[windows_only]),
        DescribeStackSetOperation=[
            {
                "StackSetOperation": {
                    "OperationId": "op-create",
                    "Action": "CREATE",
                    "Status": "FAILED",
                    "OperationPreferences": PREFERENCES,
                }
            }
        ],
        UpdateStackInstances=[{"OperationId": "op-retry-1"}, {"OperationId": "op-retry-2"}],
    )
    result = make("retry", f"STACK={STACK}", env=env)
    assert result.returncode == 0, result.stderr
    updates = calls(tmp_path, "UpdateStackInstances")
    preferences = {key: value for key, value in PREFERENCES.items() if key != "RegionOrder"}
    # Accounts that failed in the same Regions share one operation, per StackSet.
    assert updates == [
        {
            "StackSetName": stackset,
            "CallAs": "DELEGATED_ADMIN",
            "DeploymentTargets": targets,
            "Regions": regions,
            "OperationPreferences": preferences,
        }
        for stackset in (WINDOWS,)
        for targets, regions in [
            (
                {
                    "OrganizationalUnitIds": ["ou-ab12-cd34ef56"],
                    "Accounts": ["123456789012", "210987654321"],
                    "AccountFilterType": "INTERSECTION",
                },
                ["ap-east-1"],
            ),
            (
                {
                    "OrganizationalUnitIds": ["ou-ab12-cd34ef56", "ou-ab12-zz99yy88"],
                    "Accounts": ["345678901234"],
                    "AccountFilterType": "INTERSECTION",
                },
                ["ap-east-1", "eu-west-3"],
            ),
        ]
    ]
    assert calls(tmp_path, "DescribeStackSetOperation")[0] == {
        "StackSetName": WINDOWS,
        "CallAs": "DELEGATED_ADMIN",
        "OperationId": "op-create",
    }
    assert result.stdout.count(f"{AWS} cloudformation update-stack-instances --stack-set-name") == 2
    assert "stack instances retried: 4; make wait STACK=patch-stacksets follows them" in result.stdout


def test_retry_with_nothing_failed_changes_nothing(capsys):
    answers = Scripted(
        DescribeStacks=[stack("CREATE_COMPLETE")], ListStackResources=[RESOURCES], ListStackInstances=[GOOD_INSTANCES]
    )
    assert stacksets.retry(stacksets.Stack(answers, STACK)) == 0
    assert "stack instances retried: 0" in capsys.readouterr().out and "UpdateStackInstances" not in answers.taken


def test_drift_starts_detection_on_every_stackset(tmp_path):
    env = canned(
        tmp_path,
        DescribeStacks=[stack("CREATE_COMPLETE")],
        ListStackResources=[RESOURCES],
        DetectStackSetDrift=[{"OperationId": "op-drift"}],
    )
    result = make("drift", f"STACK={STACK}", "REGION=eu-west-1", env=env)
    assert result.returncode == 0, result.stderr
    assert calls(tmp_path, "DetectStackSetDrift") == [
        {"StackSetName": WINDOWS, "CallAs": "DELEGATED_ADMIN"},
        {"StackSetName": SYNC, "CallAs": "DELEGATED_ADMIN"},
    ]
    assert "drift detection started on 2 StackSet(s)" in result.stdout


def test_wait_polls_until_the_stack_and_every_operation_end(capsys):
    status, out = wait(
        capsys,
        DescribeStacks=[stack("UPDATE_IN_PROGRESS"), stack("UPDATE_COMPLETE")],
        ListStackResources=[RESOURCES],
        # polls: Windows RUNNING, sync SUCCEEDED / Windows RUNNING, sync QUEUED / both SUCCEEDED
        ListStackSetOperations=[operation(s) for s in ("RUNNING", "SUCCEEDED", "RUNNING", "QUEUED", "SUCCEEDED")],
        ListStackInstances=[GOOD_INSTANCES],
    )
    assert status == 0, out
    assert [line for line in out.splitlines() if " min: stack " in line] == [
        "   0 min: stack UPDATE_IN_PROGRESS; StackSet operations in progress: 1",
        "   0 min: stack UPDATE_COMPLETE; StackSet operations in progress: 2",
    ]
    assert f"stack {STACK}: UPDATE_COMPLETE" in out and "make retry" not in out


def test_wait_after_a_deploy_that_failed_reports_and_keeps_its_exit_status(capsys):
    """The change set failed (nothing in progress): the deploy's failure stands."""
    status, out = wait(
        capsys,
        after_deploy=255,
        DescribeStacks=[stack("UPDATE_COMPLETE")],
        ListStackResources=[RESOURCES],
        ListStackSetOperations=[operation("SUCCEEDED")],
        ListStackInstances=[GOOD_INSTANCES],
    )
    assert status == 255 and "the deploy failed (exit status 255): see above and the stack's events" in out


def test_wait_after_the_cli_stopped_waiting_goes_on_to_the_end(capsys):
    """aws cloudformation deploy gives up after 60 minutes while the stack goes on: wait on, and the
    end decides (here a StackSet with failed instances: exit 1, and the failures shown)."""
    status, out = wait(
        capsys,
        after_deploy=255,
        DescribeStacks=[stack("UPDATE_IN_PROGRESS"), stack("UPDATE_IN_PROGRESS"), stack("UPDATE_FAILED", "one failed")],
        ListStackResources=[RESOURCES],
        ListStackSetOperations=[operation("RUNNING"), operation("SUCCEEDED"), operation("FAILED")],
        ListStackInstances=[FAILED_INSTANCES],
    )
    assert status == 1, out
    assert "the AWS CLI stopped waiting, the deploy goes on: waiting for it to end" in out
    assert f"  FAILED 210987654321 ap-east-1: {REASON}" in out


def test_wait_ends_well_only_when_everything_succeeded(capsys):
    """A stack that completed but a StackSet operation that stopped, or a stack left REVIEW_IN_PROGRESS
    by a change set that failed, is not a success."""
    for described, last in ((stack("UPDATE_COMPLETE"), "STOPPED"), (stack("REVIEW_IN_PROGRESS"), "SUCCEEDED")):
        status, out = wait(
            capsys,
            DescribeStacks=[described],
            ListStackResources=[RESOURCES],
            ListStackSetOperations=[operation(last)],
            ListStackInstances=[GOOD_INSTANCES],
        )
        assert status == 1 and " min: " not in out and "make retry" in out, out


def test_wait_has_no_cap_but_the_timeout(monkeypatch, capsys):
    clock = itertools.count(0, 600)  # ten minutes pass between two looks at the clock
    monkeypatch.setattr(stacksets.time, "monotonic", lambda: next(clock))
    status, out = wait(
        capsys,
        timeout=240,
        DescribeStacks=[stack("UPDATE_IN_PROGRESS")],
        ListStackResources=[RESOURCES],
        ListStackSetOperations=[operation("RUNNING")],
    )
    assert status == 2
    assert "still running after 240 minutes and going on: make wait STACK=patch-stacksets waits again" in out
    assert out.count(" min: stack UPDATE_IN_PROGRESS") == 24  # 10, 20, ..., 240 minutes
    # Without a timeout it goes on: here until the stack ends, 500 polls later.
    monkeypatch.setattr(stacksets.time, "monotonic", lambda: next(clock))
    status, out = wait(
        capsys,
        DescribeStacks=[stack("UPDATE_IN_PROGRESS")] * 500 + [stack("UPDATE_COMPLETE")],
        ListStackResources=[RESOURCES],
        ListStackSetOperations=[operation("SUCCEEDED")],
        ListStackInstances=[GOOD_INSTANCES],
    )
    assert status == 0 and out.count(" min: stack UPDATE_IN_PROGRESS") == 500


def test_make_n_prints_every_command_and_runs_none(tmp_path):
    env = canned(tmp_path)  # no answers: any call would fail
    expected = {
        "status": ["describe-stacks", "list-stack-resources", "list-stack-set-operations", "list-stack-instances"],
        "wait": ["describe-stacks", "list-stack-resources", "list-stack-set-operations", "list-stack-instances"],
        "retry": [
            "describe-stacks",
            "list-stack-resources",
            "list-stack-instances",
            "describe-stack-set-operation",
            "update-stack-instances",
        ],
        "drift": ["describe-stacks", "list-stack-resources", "detect-stack-set-drift"],
    }
    for goal, operations in expected.items():
        result = make(goal, f"STACK={STACK}", "PROFILE=ops", dry_run=True, env=env)
        assert result.returncode == 0, result.stderr
        commands = [line.split()[2] for line in result.stdout.splitlines() if line.startswith(f"{AWS} cloudformation")]
        assert [c for i, c in enumerate(commands) if c not in commands[:i]] == operations, (goal, result.stdout)
        assert all(
            line.endswith("--profile ops --output json") for line in result.stdout.splitlines() if line.startswith(AWS)
        )
        assert "--stack-set-name '<StackSet>' --call-as '<CallAs>'" in result.stdout
    assert not (tmp_path / "calls.jsonl").exists()


def test_an_aws_error_is_shown_without_a_traceback(tmp_path):
    env = canned(
        tmp_path, DescribeStacks=[{"Error": {"Code": "ValidationError", "Message": "Stack with id x does not exist"}}]
    )
    result = make("status", f"STACK={STACK}", env=env)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "cloudformation describe-stacks --stack-name patch-stacksets --output json failed:" in result.stderr
    assert "Stack with id x does not exist" in result.stderr


def test_a_canned_answer_that_aws_would_never_give_is_refused(tmp_path):
    """The Stubber checks every canned answer against the API's output shape."""
    env = canned(tmp_path, DescribeStacks=[{"Stacks": "not a list"}])
    result = subprocess.run(
        [AWS, "cloudformation", "describe-stacks", "--stack-name", STACK], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "Invalid type for parameter Stacks" in result.stderr


@pytest.mark.parametrize("goal", ["status", "wait", "retry", "drift"])
def test_each_target_is_listed_by_make_help(goal):
    help_text = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True).stdout
    assert f"  make {goal} " in help_text
