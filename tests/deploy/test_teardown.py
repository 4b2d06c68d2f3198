"""make teardown: the stacks of the records, under their one name, deleted last-deployed first with each
delete waited for; retained buckets kept and named, or emptied 1,000 keys a request and deleted; what
only a person can do said. Against moto on 127.0.0.1 with the real AWS CLI, and make -n on the real plan."""

import functools
import json
import re
import shlex
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
from make_runner import PYTHON, make as run_make

from patch_templates.deploy import stacksets, teardown
from patch_templates.stacks import ANALYTICS, RECORDS
from patch_templates.stacks.record import BY_NAME

ROOT = Path(__file__).resolve().parents[2]
make = functools.partial(run_make, PYTHON)
AWS = str(Path(sys.executable).with_name("aws"))
BUCKET = "teardown-data"
VERSIONS = 1_000  # objects written: versions
MARKERS = 1  # a delete of one of them: a delete marker, the 1,001st entry (more than one request holds)
# Two stacks of one account: the later imports the earlier's export, so only that order deletes both.
BASE = {
    "Resources": {
        "Data": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {"BucketName": BUCKET, "VersioningConfiguration": {"Status": "Enabled"}},
        }
    },
    "Outputs": {"DataBucket": {"Value": {"Ref": "Data"}, "Export": {"Name": "teardown-data-bucket"}}},
}
READER = {
    "Resources": {
        "Topic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": {"Fn::Join": ["-", [{"Fn::ImportValue": "teardown-data-bucket"}, "t"]]}},
        }
    }
}
PLAN = [
    {"stack": "t-base", "template": "base.yml", "account": "collector", "step": 1, "buckets": ["Data"], "keys": {}},
    {"stack": "t-other", "template": "other.yml", "account": "management", "step": 2, "buckets": [], "keys": {}},
    {"stack": "t-reader", "template": "reader.yml", "account": "collector", "step": 3, "buckets": [], "keys": {"K": 9}},
]
# An AWS CLI that logs how many keys each delete-objects request carries, then runs the real one.
RECORDING_CLI = """#!{python}
import json, os, sys
args = sys.argv[1:]
if "delete-objects" in args:
    batch = json.loads(open(args[args.index("--delete") + 1].removeprefix("file://")).read())
    with open({log!r}, "a") as log:
        log.write(f"{{len(batch['Objects'])}}\\n")
os.execv({aws!r}, [{aws!r}, *args])
"""


@pytest.fixture
def clone(tmp_path) -> Path:
    """What make teardown needs (the Makefile, patch_templates/deploy/) with a plan of its own."""
    clone = tmp_path / "clone"
    shutil.copytree(ROOT / "patch_templates" / "deploy", clone / "patch_templates" / "deploy")
    shutil.copy(ROOT / "patch_templates" / "__init__.py", clone / "patch_templates")
    shutil.copy(ROOT / "Makefile", clone)
    (clone / "output").mkdir()
    (clone / "output" / "teardown.json").write_text(teardown.plan_file(PLAN))
    return clone


def test_the_plan_is_every_stack_deployed_by_name_under_its_record_name():
    plan = teardown.load_plan(ROOT / "output" / "teardown.json")
    by_name = [r for r in RECORDS if r.account in BY_NAME]
    assert [(s["stack"], s["template"], s["step"]) for s in plan] == [(r.stack, r.file, r.step) for r in by_name]
    assert len({s["stack"] for s in plan}) == len(plan)
    assert {s["stack"]: s["buckets"] for s in plan if s["buckets"]} == {
        "patch-collector": ["ResourceDataSyncBucket"],
        ANALYTICS.stack: ["AthenaResultsBucket"],
    }
    assert [s["stack"] for s in plan if s["keys"]] == ["patch-alerts"]
    assert [s["stack"] for s in plan if s["quicksight"]] == ["quicksight-dashboard"]


def test_make_n_deletes_in_reverse_order_and_waits_for_each(clone):
    result = make("teardown", "ACCOUNT=collector", "REGION=eu-west-1", dry_run=True, cwd=clone)
    assert result.returncode == 0, result.stderr
    commands = [shlex.split(line) for line in result.stdout.splitlines() if line.startswith("aws cloudformation")]
    deletes = [c[c.index("--stack-name") + 1] for c in commands if c[2] in ("delete-stack", "wait")]
    assert deletes == ["t-reader", "t-reader", "t-base", "t-base"]  # delete, wait; t-other is another account's
    assert all(c[c.index("--region") + 1] == "eu-west-1" for c in commands)
    assert "make teardown ACCOUNT=collector DELETE_BUCKETS=<Data>" in result.stdout
    emptied = make("teardown", "ACCOUNT=collector", "DELETE_BUCKETS=old-data", dry_run=True, cwd=clone).stdout
    assert "aws s3api delete-objects --bucket old-data" in emptied and "# bucket old-data: would be emptied" in emptied
    assert "the KMS key K of t-reader is pending deletion for 9 days" in result.stdout


def test_the_real_plan_under_make_n_names_each_record_stack_once(tmp_path):
    """On the repository's own output/: the accounts in their order, each stack deleted and waited for."""
    seen = []
    for account in ("management", "collector"):
        result = make("teardown", f"ACCOUNT={account}", dry_run=True, cwd=ROOT)
        assert result.returncode == 0, result.stderr
        seen += re.findall(r"^aws cloudformation delete-stack --stack-name (\S+)", result.stdout, re.M)
        assert result.stdout.count("wait stack-delete-complete") == result.stdout.count(" delete-stack ")
    assert seen == [r.stack for r in reversed(RECORDS) if r.account == "management"] + [
        r.stack for r in reversed(RECORDS) if r.account == "collector"
    ]
    collector = make("teardown", "ACCOUNT=collector", dry_run=True, cwd=ROOT).stdout
    assert "QuickSight subscription" in collector and "DeleteAccountSubscription" in collector
    assert "next:" not in collector  # the collector account goes last
    assert (
        "# next: make teardown ACCOUNT=collector"
        in make("teardown", "ACCOUNT=management", dry_run=True, cwd=ROOT).stdout
    )


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "ACCOUNT='': give the account whose stacks to delete, one of management, collector"),
        (["ACCOUNT=members"], "ACCOUNT='members': give the account"),
        (["ACCOUNT=collector", "DELETE_BUCKETS=a,B_d"], "DELETE_BUCKETS='a,B_d': bucket names"),
        (["ACCOUNT=collector", "TIMEOUT=0"], "TIMEOUT='0': whole minutes"),
    ],
)
def test_a_bad_value_is_refused_before_anything_runs(args, message):
    for dry_run in (False, True):
        result = make("AWS=false", "teardown", *args, dry_run=dry_run, cwd=ROOT)
        assert result.returncode != 0 and result.stdout == ""
        assert message in result.stderr and "make teardown refused, nothing was run" in result.stderr


def test_teardown_against_moto_keeps_then_empties_a_bucket_of_1001_versions(clone, moto_server, tmp_path):
    env = {**moto_server.environment, "AWS_ENDPOINT_URL": moto_server.url}
    for name, body in (("t-base", BASE), ("t-reader", READER)):
        subprocess.run(
            [AWS, "cloudformation", "create-stack", "--stack-name", name, "--template-body", json.dumps(body)],
            env=env,
            check=True,
            capture_output=True,
        )
    s3 = boto3.client(
        "s3", endpoint_url=moto_server.url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})  # moto's stack skips it
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda n: s3.put_object(Bucket=BUCKET, Key=f"history/{n}.parquet", Body=b"x"), range(VERSIONS)))
    s3.delete_object(Bucket=BUCKET, Key="history/0.parquet")
    listed = s3.list_object_versions(Bucket=BUCKET)  # a page holds at most 1,000
    assert listed["IsTruncated"] and len(listed.get("Versions", [])) + len(listed.get("DeleteMarkers", [])) == 1000

    log = tmp_path / "batches"
    cli = tmp_path / "aws"
    cli.write_text(RECORDING_CLI.format(python=sys.executable, log=str(log), aws=AWS))
    cli.chmod(0o755)

    kept = make(f"AWS={cli}", "teardown", "ACCOUNT=collector", env=env, cwd=clone)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    out = kept.stdout
    assert out.index("t-reader (step 3, output/reader.yml): deleted") < out.index("t-base (step 1, output/base.yml)")
    assert f"# kept: bucket {BUCKET} (retained by t-base" in out
    assert f"# to delete the data too: make teardown ACCOUNT=collector DELETE_BUCKETS={BUCKET}" in out
    assert "# only a person can: the KMS key K of t-reader is pending deletion for 9 days" in out
    stacks = subprocess.run(
        [AWS, "cloudformation", "list-stacks", "--stack-status-filter", "CREATE_COMPLETE", "--output", "json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert json.loads(stacks.stdout)["StackSummaries"] == []
    assert s3.head_bucket(Bucket=BUCKET)  # retained, with what it holds
    assert not log.exists()

    emptied = make(f"AWS={cli}", "teardown", "ACCOUNT=collector", f"DELETE_BUCKETS={BUCKET}", env=env, cwd=clone)
    assert emptied.returncode == 0, emptied.stdout + emptied.stderr
    assert "# t-base (step 1): no such stack in this account and Region, skipped" in emptied.stdout
    assert f"# bucket {BUCKET}: {VERSIONS + MARKERS} versions and delete markers deleted, then it" in emptied.stdout
    batches = [int(n) for n in log.read_text().split()]
    assert sum(batches) == VERSIONS + MARKERS and max(batches) == 1000 and len(batches) == 2
    assert BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_a_failed_delete_stops_with_its_reason(tmp_path):
    """A stack left in DELETE_FAILED: the run stops there, names the status and reason and what to run."""
    answers = {
        "delete-stack": {},
        "describe-stacks": {"Stacks": [{"StackStatus": "DELETE_FAILED", "StackStatusReason": "Export in use"}]},
    }
    calls = []

    class Canned(stacksets.Aws):
        def __call__(self, operation, *args, echo=False, dry_run_answer=None):
            calls.append(operation)
            if operation == "wait":
                raise stacksets.Failed("Waiter StackDeleteComplete failed")
            return answers[operation]

    plan = tmp_path / "teardown.json"
    plan.write_text(teardown.plan_file(PLAN))
    with pytest.raises(
        stacksets.Failed, match=r"t-reader: DELETE_FAILED \(Export in use\); aws cloudformation describe"
    ):
        teardown.run(Canned("aws", []), Canned("aws", [], service="s3api"), "collector", None, [], plan)
    assert calls.count("delete-stack") == 1  # t-base never touched
