"""`make patch-now`: every value checked before anything runs (also under make -n), each refusal one
message with nothing run (AWS= a canary that records every call), the exact command under make -n,
the runbook shared through the real AWS CLI against moto_server, and the start command as sent.

moto implements neither StartAutomationExecution nor the multi-account run, so the start call is
recorded, not run: what Systems Manager does with it is verified only offline (docs/patch-now.md)."""

import functools
import json
import shlex
import shutil
import sys
from pathlib import Path

import boto3
import pytest
from conftest import render
from make_runner import make as run_make

from patch_templates.deploy import patch_now
from patch_templates.stacks import patch_now_administration

ROOT = Path(__file__).resolve().parents[2]
# without PYTHON: the goal must run with the Makefile's python3 and the standard library
make = functools.partial(run_make, "patch-now")
TWO_OUS = "TARGETS=ou-ab12-cd34ef56,ou-ab12-ef56gh78"
TWO_REGIONS = "REGIONS=us-east-1,eu-west-1"
REFUSED = "make patch-now refused, nothing was run: "


@pytest.fixture
def canary(tmp_path) -> tuple[str, Path]:
    """AWS= a program that records each call (one JSON line of its arguments) and answers nothing:
    what it recorded is everything that would have reached AWS."""
    log, program = tmp_path / "calls.jsonl", tmp_path / "aws-canary"
    program.write_text(
        f"#!{sys.executable}\nimport json, sys\nopen({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
    )
    program.chmod(0o755)
    return f"AWS={program}", log


# -- refusals: one message each, nothing run, also under make -n ----------------------------------

# (arguments, the message after REFUSED): the refusals of the issue, through make
MAKE_REFUSALS = [
    ((TWO_REGIONS,), "TARGETS is required: an OU id (ou-xxxx-xxxxxxxx) or an account id (12 digits), separated"),
    (
        ("TARGETS=r-ab12", TWO_REGIONS),
        "TARGETS: r-ab12 is the root: every account of the organization. Add ALL=yes to mean it",
    ),
    ((TWO_OUS, TWO_REGIONS, "OPERATION=Install"), "OPERATION=Install installs patches and may reboot nodes: confirm"),
    (("TARGETS=ou-ab12-cd34", TWO_REGIONS), "TARGETS: 'ou-ab12-cd34' is not an OU id (ou-xxxx-xxxxxxxx) or an account"),
    (("TARGETS=12345678901", TWO_REGIONS), "TARGETS: '12345678901' is not an OU id"),
    (("TARGETS=ou-ab12-cd34ef56' $(touch pwned) '", TWO_REGIONS), "TARGETS: \"ou-ab12-cd34ef56' $(touch pwned) '\""),
]
# Every other value, checked the same way by the same function (make passes each as --NAME=VALUE).
CHECK_REFUSALS = [
    ({"TARGETS": "ou-ab12-cd34ef56,r-ab12cd", "ALL": "true"}, "ALL='true': give ALL=yes or leave it out"),
    ({"OPERATION": "Install", "CONFIRM": "y"}, "CONFIRM='y': give CONFIRM=yes or leave it out"),
    ({"TARGETS": "OU-AB12-CD34EF56"}, "TARGETS: 'OU-AB12-CD34EF56' is not an OU id"),
    ({"TARGETS": "111122223333,"}, "TARGETS: '' is not an OU id"),
    ({"TARGETS": "111122223333,111122223333"}, "TARGETS: 111122223333 given twice"),
    ({"TARGETS": ",".join(f"{n:012d}" for n in range(51))}, "TARGETS: 51 given; one run takes at most 50"),
    ({"TARGETS": "ou-ab12-cd34ef56;touch pwned"}, "TARGETS: 'ou-ab12-cd34ef56;touch pwned' is not an OU"),
    ({"REGIONS": ""}, "REGIONS is required: a Region code such as us-east-1, separated by commas"),
    ({"REGIONS": "us-east-1,Europe"}, "REGIONS: 'Europe' is not a Region code such as us-east-1"),
    ({"REGIONS": ",".join(f"us-east-{n}" for n in range(51))}, "REGIONS: 51 given; one run takes at most 50"),
    ({"REGION": "mars"}, "REGION='mars' is not a Region code such as us-east-1"),
    ({"OPERATION": "scan"}, "OPERATION='scan' is not one of Scan, Install"),
    ({"REBOOT": "Always"}, "REBOOT='Always' is not one of RebootIfNeeded, NoReboot"),
    ({"MAX_CONCURRENCY": "0"}, "MAX_CONCURRENCY='0' is not a number of nodes or 1%-100%"),
    ({"MAX_CONCURRENCY": "12345678"}, "MAX_CONCURRENCY='12345678' is not a number of nodes or 1%-100%"),
    ({"MAX_ERRORS": "101%"}, "MAX_ERRORS='101%' is not a number of errors or 0%-100%"),
    ({"LOCATION_CONCURRENCY": "0%"}, "LOCATION_CONCURRENCY='0%' is not a number of account-Region pairs or 1%-100%"),
    ({"LOCATION_ERRORS": "-1"}, "LOCATION_ERRORS='-1' is not a number of errors or 0%-100%"),
]


@pytest.mark.parametrize("dry_run", [False, True], ids=["make", "make -n"])
@pytest.mark.parametrize("arguments, message", MAKE_REFUSALS, ids=[message[:40] for _, message in MAKE_REFUSALS])
def test_each_refusal_is_one_message_and_nothing_runs(canary, tmp_path, arguments, message, dry_run):
    aws, log = canary
    result = make(*arguments, aws, dry_run=dry_run)
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert lines[0].startswith(REFUSED + message), lines
    assert len(lines) == 2 and "nothing was run (the reason is above)" in lines[1], lines
    assert result.stdout == ""  # not even the commands of make -n
    assert not log.exists()  # AWS was never called
    assert not (ROOT / "pwned").exists() and not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("values, message", CHECK_REFUSALS, ids=[message[:40] for _, message in CHECK_REFUSALS])
def test_every_bad_value_is_refused_by_name(values, message):
    good = {"TARGETS": "ou-ab12-cd34ef56", "REGIONS": "us-east-1,eu-west-1"}
    with pytest.raises(patch_now.Refused) as refused:
        patch_now.check({**good, **values}, ask=lambda question: "yes")
    assert str(refused.value).startswith(message)


# -- make -n: the exact commands ------------------------------------------------------------------


def test_make_n_shows_the_exact_commands_for_a_scan_of_two_ous_in_two_regions(canary):
    aws, log = canary
    result = make(TWO_OUS, TWO_REGIONS, "AWS=aws", dry_run=True)
    assert result.returncode == 0, result.stderr
    arguments = (
        "--region us-east-1 --document-name PatchNow-RunPatchBaseline --parameters "
        """'{"Operation":["Scan"],"RebootOption":["RebootIfNeeded"],"MaxConcurrency":["10%"],"MaxErrors":["5%"]}' """
        """--target-locations '[{"Accounts":["ou-ab12-cd34ef56","ou-ab12-ef56gh78"],"Regions":["us-east-1","""
        """"eu-west-1"],"IncludeChildOrganizationUnits":true,"ExecutionRoleName":"PatchNow-Execution","""
        """"TargetLocationMaxConcurrency":"10%","TargetLocationMaxErrors":"5%"}]'"""
    )
    assert result.stdout.splitlines() == [
        f"python3 -S -m patch_templates.deploy.patch_now share --aws='aws' -- {arguments}",
        f"aws ssm start-automation-execution {arguments}",
    ]
    assert not log.exists()


def test_make_n_carries_every_choice_into_the_command():
    result = make(
        "TARGETS=r-ab12cd,111122223333",
        "REGIONS=eu-central-1",
        "ALL=yes",
        "OPERATION=Install",
        "CONFIRM=yes",
        "REBOOT=NoReboot",
        "MAX_CONCURRENCY=2",
        "MAX_ERRORS=0",
        "LOCATION_CONCURRENCY=3",
        "LOCATION_ERRORS=1",
        "REGION=us-west-2",
        "PROFILE=org admin",
        "AWS=aws",
        dry_run=True,
    )
    assert result.returncode == 0, result.stderr
    words = shlex.split(result.stdout.splitlines()[1])
    assert words[:6] == ["aws", "ssm", "start-automation-execution", "--region", "us-west-2", "--profile"]
    assert words[6] == "org admin"
    assert json.loads(words[words.index("--parameters") + 1]) == {
        "Operation": ["Install"],
        "RebootOption": ["NoReboot"],
        "MaxConcurrency": ["2"],
        "MaxErrors": ["0"],
    }
    (location,) = json.loads(words[words.index("--target-locations") + 1])
    assert location == {
        "Accounts": ["r-ab12cd", "111122223333"],
        "Regions": ["eu-central-1"],
        "IncludeChildOrganizationUnits": True,
        "ExecutionRoleName": "PatchNow-Execution",
        "TargetLocationMaxConcurrency": "3",
        "TargetLocationMaxErrors": "1",
    }


def test_make_n_needs_only_the_makefile_and_the_standard_library(tmp_path):
    """A fresh clone without .venv: the check imports nothing but the standard library."""
    clone = tmp_path / "clone"
    shutil.copy(ROOT / "Makefile", tmp_path)
    (clone / "patch_templates" / "deploy").mkdir(parents=True)
    shutil.move(tmp_path / "Makefile", clone / "Makefile")
    for module in ("__init__.py", "deploy/__init__.py", "deploy/identifiers.py", "deploy/patch_now.py"):
        shutil.copy(ROOT / "patch_templates" / module, clone / "patch_templates" / module)
    result = make(TWO_OUS, TWO_REGIONS, "AWS=aws", cwd=clone, dry_run=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("aws ssm start-automation-execution --region us-east-1 ")
    assert not (clone / ".venv").exists()


# -- confirmation ----------------------------------------------------------------------------------


def test_install_asks_and_runs_only_on_yes():
    asked = []

    def answer(reply):
        return lambda question: asked.append(question) or reply

    values = {"TARGETS": "ou-ab12-cd34ef56", "REGIONS": "us-east-1,eu-west-1", "OPERATION": "Install"}
    assert patch_now.check(values, ask=answer("yes\n")).operation == "Install"
    assert asked[0] == (
        "Install approved patches now on the nodes the windows target, in ou-ab12-cd34ef56 x us-east-1, "
        "eu-west-1, rebooting where a patch needs it? Type yes: "
    )
    for reply in ("no\n", "y\n", "YES\n", ""):
        with pytest.raises(patch_now.Refused, match="confirm with CONFIRM=yes"):
            patch_now.check(values, ask=answer(reply))
    asked.clear()
    patch_now.check({**values, "CONFIRM": "yes"}, ask=answer("no"))
    patch_now.check({**values, "OPERATION": "Scan"}, ask=answer("no"))
    assert asked == []  # CONFIRM=yes and Scan never ask


def test_check_prints_words_the_shell_gives_back_unchanged(capsys):
    assert patch_now.main(["check", "--TARGETS=111122223333", "--REGIONS=ap-southeast-2", "--PROFILE=it's me"]) == 0
    words = shlex.split(capsys.readouterr().out)
    expected = patch_now.check({"TARGETS": "111122223333", "REGIONS": "ap-southeast-2", "PROFILE": "it's me"})
    assert words == expected.arguments()


# -- sharing the runbook and starting, against moto_server ----------------------------------------


def client(moto_server, service: str, region: str):
    return boto3.client(
        service,
        endpoint_url=moto_server.url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def organization(moto_server) -> dict:
    """An organization in moto with 25 member accounts, and the runbook in both Regions as the
    administration stack creates it, already shared with 5 of them in us-east-1; the management
    account is moto's 123456789012."""
    organizations = client(moto_server, "organizations", "us-east-1")
    organizations.create_organization(FeatureSet="ALL")
    for number in range(25):
        organizations.create_account(AccountName=f"member{number}", Email=f"member{number}@example.com")
    stack = render(
        patch_now_administration.RECORD, {"pOrganizationID": "o-a1b2c3d4e5", "pAdministrationRoleRegion": "us-east-1"}
    )
    content = stack["Resources"]["PatchNowRunbook"]["Properties"]["Content"]
    for region in ("us-east-1", "eu-west-1"):
        ssm = client(moto_server, "ssm", region)
        ssm.create_document(Name=patch_now.RUNBOOK_NAME, Content=json.dumps(content), DocumentType="Automation")
    members = {account["Id"] for account in organizations.list_accounts()["Accounts"]} - {"123456789012"}
    client(moto_server, "ssm", "us-east-1").modify_document_permission(
        Name=patch_now.RUNBOOK_NAME, PermissionType="Share", AccountIdsToAdd=sorted(members)[:5]
    )
    return {"members": members, "environment": {**moto_server.environment, "AWS_ENDPOINT_URL": moto_server.url}}


def recording_cli(tmp_path: Path, fail_on: str = "") -> tuple[str, Path]:
    """AWS= the real AWS CLI for every call but the start (and `fail_on`, which fails), each call
    recorded: moto implements no StartAutomationExecution."""
    log, program = tmp_path / "calls.jsonl", tmp_path / "aws-recording"
    cli = Path(sys.executable).with_name("aws")
    program.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        f"open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        f"if {fail_on!r} and {fail_on!r} in sys.argv:\n"
        "    sys.exit('An error occurred (AccessDeniedException): not allowed')\n"
        "if 'start-automation-execution' not in sys.argv:\n"
        f"    os.execv({str(cli)!r}, [{str(cli)!r}, *sys.argv[1:]])\n"
        "print(json.dumps({'AutomationExecutionId': '4f7ca192-7e9a-40fe-9192-5cb15EXAMPLE'}))\n"
    )
    program.chmod(0o755)
    return f"AWS={program}", log


def shared(moto_server, region: str) -> set[str]:
    ssm = client(moto_server, "ssm", region)
    return set(ssm.describe_document_permission(Name=patch_now.RUNBOOK_NAME, PermissionType="Share")["AccountIds"])


def test_make_patch_now_shares_the_runbook_in_each_region_then_starts_one_run(organization, moto_server, tmp_path):
    aws, log = recording_cli(tmp_path)
    result = make(TWO_OUS, TWO_REGIONS, aws, env=organization["environment"])
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stdout.splitlines() if line.startswith(patch_now.RUNBOOK_NAME)] == [
        "PatchNow-RunPatchBaseline in us-east-1: shared with 20 more of 25 accounts",  # 5 were shared before
        "PatchNow-RunPatchBaseline in eu-west-1: shared with 25 more of 25 accounts",
    ]
    for region in ("us-east-1", "eu-west-1"):
        assert shared(moto_server, region) == organization["members"]  # every member, not the management account
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    added = [[word for word in call if word.isdigit()] for call in calls if "modify-document-permission" in call]
    assert [len(ids) for ids in added] == [20, 20, 5]  # at most 20 accounts a call
    (start,) = [call for call in calls if "start-automation-execution" in call]
    expected = patch_now.check({"TARGETS": TWO_OUS.split("=")[1], "REGIONS": TWO_REGIONS.split("=")[1]})
    assert start == ["ssm", "start-automation-execution", *expected.arguments()]
    assert calls[-1] == start  # shared first, then started


def test_a_failed_share_stops_before_the_run_starts(organization, tmp_path):
    aws, log = recording_cli(tmp_path, fail_on="list-accounts")
    result = make(TWO_OUS, TWO_REGIONS, aws, env=organization["environment"])
    assert result.returncode != 0
    assert "make patch-now stopped, the run was not started: aws organizations list-accounts failed" in result.stderr
    assert "AccessDeniedException" in result.stderr
    assert not any("start-automation-execution" in line for line in log.read_text().splitlines())


def test_the_share_quota_is_named_when_aws_refuses_more_accounts(tmp_path):
    refusing = tmp_path / "aws"
    refusing.write_text("#!/bin/sh\necho 'An error occurred (DocumentPermissionLimit): limit' >&2\nexit 254\n")
    refusing.chmod(0o755)
    with pytest.raises(patch_now.Stopped, match="at most 1,000 accounts unless the quota is raised"):
        patch_now.aws_json([str(refusing)], "ssm", "modify-document-permission")
