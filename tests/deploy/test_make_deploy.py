"""The deploy path: `make deploy` / `make package` check TEMPLATE, STACK and PARAMS with the standard
library before anything runs (patch_templates/deploy/preflight.py), refuse mistakes with the file and the
problem, and print the full command. AWS=echo stands in for the AWS CLI, so nothing reaches AWS.
tests/deploy/ holds the injection, file-robustness, StackSet and upload tests."""

import functools
import json
import shlex
import shutil
import sys
from pathlib import Path

import pytest
from conftest import OWN, own_values
from make_runner import PYTHON, make as run_make

from patch_templates.deploy import preflight
from patch_templates.reference import examples
from patch_templates.stacks import (
    RECORDS,
    central_alerts,
    collector,
    default_host_management,
    patching_member,
    stackset,
)

ROOT = Path(__file__).resolve().parents[2]
make = functools.partial(run_make, "AWS=echo", PYTHON)
TEMPLATES = [record.file for record in RECORDS]
COLLECTOR = collector.RECORD.file
CENTRAL = central_alerts.RECORD.file
MEMBER = patching_member.RECORD.file  # over 51,200 bytes, no uploads of its own


def example_text(name: str) -> str:
    return (ROOT / "output" / "parameters" / f"{Path(name).stem}.json").read_text()


def write(tmp_path: Path, content) -> str:
    path = tmp_path / "params.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_own_values_cover_every_placeholder():
    assert set(OWN) == set(examples.PLACEHOLDERS)


def test_every_invented_example_value_holds_a_placeholder():
    """The refusal list cannot drift from the example table: each example value is either a real
    choice (USABLE) or holds a placeholder that make deploy refuses."""
    for value in [*(value for record in RECORDS for value in record.examples.values()), *examples.CANDIDATES]:
        assert value in examples.USABLE or any(p in value for p in examples.PLACEHOLDERS), value
    constraints = json.loads((ROOT / "output" / "constraints.json").read_text())
    assert constraints["placeholders"] == sorted(examples.PLACEHOLDERS)
    assert set(constraints["templates"]) == set(TEMPLATES)


STACKSETS = stackset.RECORD.file


def deploy_words(stdout: str) -> tuple[list[str], str]:
    """The words of the printed aws cloudformation deploy command, and what follows it on its line."""
    line = next(line for line in stdout.splitlines() if line.startswith("echo cloudformation deploy"))
    command, _, after = line.partition("; ")
    return shlex.split(command), after


@pytest.mark.parametrize("name", TEMPLATES)
def test_a_good_file_prints_and_runs_the_full_command(tmp_path, name):
    # A template whose members go to S3 takes their bucket from ARTIFACTS_BUCKET (the file leaves it out).
    upload = json.loads((ROOT / "output" / "constraints.json").read_text()).get("uploads", {}).get(name)
    values = [p for p in own_values(name) if not upload or p["ParameterKey"] != upload["parameter"]]
    args = [
        "deploy",
        "STACK=my-stack",
        f"TEMPLATE=output/{name}",
        f"PARAMS={write(tmp_path, values)}",
        "REGION=eu-west-1",
    ]
    # A template over 51,200 bytes goes through a bucket; one that creates StackSets is waited for,
    # which an echoing AWS CLI cannot answer: make -n shows its commands.
    large = (ROOT / "output" / name).stat().st_size > preflight.INLINE_TEMPLATE_BYTES
    result = make(*args, *(["ARTIFACTS_BUCKET=my-bucket"] if large else []), dry_run=name == STACKSETS)
    assert result.returncode == 0, result.stderr
    words, after = deploy_words(result.stdout)
    template = [f"build/{Path(name).stem}.packaged.yml", "--s3-bucket", "my-bucket"] if large else [f"output/{name}"]
    assert (
        words[:9]
        == [
            "echo",
            "cloudformation",
            "deploy",
            "--region",
            "eu-west-1",
            "--stack-name",
            "my-stack",
            "--template-file",
            *template,
        ][:9]
    )
    # A template without parameters (Default Host Management) is deployed without overrides.
    expected = [f"{p['ParameterKey']}={p['ParameterValue']}" for p in values]
    expected += [f"{upload['parameter']}=my-bucket"] if upload else []
    overrides = words[words.index("--parameter-overrides") + 1 :] if values else []
    if name == STACKSETS:
        assert overrides[-1] == "--disable-rollback" and after.startswith(
            f"{sys.executable} -S -m patch_templates.deploy.stacksets"
        )
        assert after.endswith(" wait --after-deploy=$?")
        overrides = overrides[:-1]
    else:
        assert "--disable-rollback" not in words and not after
        assert result.stdout.strip().splitlines()[-1] == " ".join(words[1:])  # what echo received: the same words
    assert overrides == expected


def test_make_n_on_a_fresh_clone_shows_the_values_without_a_virtual_environment(tmp_path):
    """Only the Makefile, the standard-library deploy modules and output/ are needed to deploy."""
    clone = tmp_path / "clone"
    shutil.copytree(ROOT / "patch_templates" / "deploy", clone / "patch_templates" / "deploy")
    shutil.copy(ROOT / "patch_templates" / "__init__.py", clone / "patch_templates")
    shutil.copy(ROOT / "Makefile", clone)
    shutil.copytree(ROOT / "output", clone / "output")
    params = write(tmp_path, own_values(COLLECTOR))
    result = make(
        "deploy", "STACK=patch-collector", f"TEMPLATE=output/{COLLECTOR}", f"PARAMS={params}", cwd=clone, dry_run=True
    )
    assert result.returncode == 0, result.stderr
    assert "pResourceDataSyncBucketName=patch-inventory-123456789012" in result.stdout
    assert "pDataSourceAccountID=210987654321,345678901234" in result.stdout
    status = make("status", "STACK=patch-collector", cwd=clone, dry_run=True)
    assert (
        status.returncode == 0
        and "echo cloudformation list-stack-resources --stack-name patch-collector" in status.stdout
    )
    assert not (clone / ".venv").exists()


def test_artifacts_bucket_packages_first_and_deploys_through_s3(tmp_path):
    params = write(tmp_path, own_values(COLLECTOR))
    result = make(
        "deploy", "STACK=s", f"TEMPLATE=output/{COLLECTOR}", "ARTIFACTS_BUCKET=art", f"PARAMS={params}", dry_run=True
    )
    lines = [shlex.split(line) for line in result.stdout.strip().splitlines()]
    packaged = f"build/{Path(COLLECTOR).stem}.packaged.yml"
    assert lines[-2] == [
        *"echo cloudformation package --template-file".split(),
        f"output/{COLLECTOR}",
        *"--s3-bucket art --output-template-file".split(),
        packaged,
    ]
    assert lines[-1][:9] == [
        *"echo cloudformation deploy --stack-name s --template-file".split(),
        packaged,
        "--s3-bucket",
        "art",
    ]


def test_empty_params_deploys_with_the_template_defaults():
    name = default_host_management.RECORD.file  # every parameter has a default
    result = make("deploy", "STACK=s", f"TEMPLATE=output/{name}", "PARAMS=", dry_run=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("--no-fail-on-empty-changeset")


def test_empty_params_is_refused_when_a_parameter_has_no_default():
    result = make("deploy", "STACK=s", f"TEMPLATE=output/{COLLECTOR}", "PARAMS=", dry_run=True)
    assert result.returncode != 0 and result.stdout == ""
    assert "PARAMS=: pResourceDataSyncBucketName has no default; give it a value (examples in " in result.stderr


GOOD = own_values(COLLECTOR)


def entries(**changes) -> list[dict]:
    return [
        {"ParameterKey": p["ParameterKey"], "ParameterValue": changes.get(p["ParameterKey"], p["ParameterValue"])}
        for p in GOOD
    ]


@pytest.mark.parametrize(
    "content, message",
    [
        (
            '[{"ParameterKey": "pSyncName", "ParameterValue": "x"',
            "params.json: not valid JSON (Expecting ',' delimiter, line 1 column 53); it should hold a JSON list",
        ),
        ({"pSyncName": "x"}, "params.json: holds a JSON object; it should hold a JSON list"),
        (
            [{"ParameterKey": "pSyncName"}],
            "params.json: entry 1 has 'ParameterKey'; each entry has exactly ParameterKey",
        ),
        (
            [{"ParameterKey": "pSyncName", "ParameterValue": 5}],
            'params.json: entry 1: ParameterValue is a JSON number; write it as a string, "ParameterValue": "5"',
        ),
        (
            [{"ParameterKey": "pSyncNmae", "ParameterValue": "x"}],
            f"params.json: pSyncNmae is not a parameter of {COLLECTOR}; did you mean pSyncName?",
        ),
        (
            [
                {"ParameterKey": "pSyncName", "ParameterValue": "a"},
                {"ParameterKey": "pSyncName", "ParameterValue": "b"},
            ],
            "params.json: pSyncName is given 2 times; keep one",
        ),
        (
            entries(pResourceDataSyncBucketName="My_Bucket"),
            "params.json: pResourceDataSyncBucketName is refused: 'My_Bucket' does not match",
        ),
        (
            entries(pDataSourceAccountID="210987654321,12345"),
            "params.json: pDataSourceAccountID is refused: '12345' does not match",
        ),
        (
            entries(pResourceDataSyncBucketName="patch-inventory-111122223333"),
            "still holds the example placeholder '111122223333'",
        ),
        (
            entries(pDataSourceAccountID="210987654321,777788889999"),
            "still holds the example placeholder '777788889999'",
        ),
        (entries(pOrganizationID="o-a1b2c3d4e5"), "still holds the example placeholder 'o-a1b2c3d4e5'"),
    ],
)
def test_a_bad_parameter_file_is_refused_before_anything_runs(tmp_path, content, message):
    params = write(tmp_path, content)
    for dry_run in (False, True):
        result = make("deploy", "STACK=s", f"TEMPLATE=output/{COLLECTOR}", f"PARAMS={params}", dry_run=dry_run)
        assert result.returncode != 0
        assert message in result.stderr and "make deploy refused, nothing was run" in result.stderr
        assert result.stdout == ""


@pytest.mark.parametrize("name", TEMPLATES)
def test_an_unedited_example_file_is_refused(name):
    """Without PARAMS, the example file: refused when it holds a placeholder, else deployed as it is
    (a baseline member's example values are all usable defaults)."""
    result = make("deploy", "STACK=s", f"TEMPLATE=output/{name}", "ARTIFACTS_BUCKET=my-bucket", dry_run=True)
    holds = [p for p in examples.PLACEHOLDERS if p in example_text(name)]
    if not holds:
        assert result.returncode == 0 and "cloudformation deploy" in result.stdout, result.stderr
        return
    assert result.returncode != 0 and f"{Path(name).stem}.json" in result.stderr
    assert all(f"still holds the example placeholder {p!r}" in result.stderr for p in holds)
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["deploy", "STACK=s", "TEMPLATE=output/nope.yml", "PARAMS="],
            f"TEMPLATE=output/nope.yml: not a template built into output/; ls output/*.y*ml lists the {len(TEMPLATES)} templates",
        ),
        (
            ["deploy", "STACK=s", f"TEMPLATE=output/{CENTRAL.replace('s.yml', '.yml')}", "PARAMS="],
            f"TEMPLATE=output/{CENTRAL.replace('s.yml', '.yml')}: not a template built into output/; "
            f"did you mean output/{CENTRAL}?",
        ),
        (["deploy", "STACK=s", "PARAMS="], "TEMPLATE is required, e.g. make deploy TEMPLATE=output/<template>"),
        (["package", "TEMPLATE=output/nope.yml", "ARTIFACTS_BUCKET=b12"], "TEMPLATE=output/nope.yml: not a template"),
        (
            ["deploy", "STACK=1st stack", f"TEMPLATE=output/{COLLECTOR}", "PARAMS="],
            "STACK='1st stack': a stack name is 1-128 letters",
        ),
        (["deploy", f"TEMPLATE=output/{COLLECTOR}", "PARAMS="], "STACK is required, e.g. make deploy STACK=my-stack"),
        (
            ["deploy", "STACK=s", f"TEMPLATE=output/{COLLECTOR}", "PARAMS=missing.json"],
            "PARAMS=missing.json: cannot read the parameter file (No such file or directory)",
        ),
        (["package", f"TEMPLATE=output/{COLLECTOR}"], "ARTIFACTS_BUCKET is required, e.g. make package"),
        (
            ["deploy", "STACK=s", f"TEMPLATE=output/{STACKSETS}", "PARAMS="],
            f"TEMPLATE=output/{STACKSETS}: its member templates go to S3 first: give ARTIFACTS_BUCKET=",
        ),
        (
            ["deploy", "STACK=s", f"TEMPLATE=output/{MEMBER}", "PARAMS="],
            f"TEMPLATE=output/{MEMBER}: it is {(ROOT / 'output' / MEMBER).stat().st_size:,} bytes, over 51,200: "
            "give ARTIFACTS_BUCKET=",
        ),
        (["describe"], "STACK is required, e.g. make describe STACK=my-stack"),
        (["status", "STACK=s", "REGION=Europe"], "REGION='Europe': a Region code such as eu-west-1"),
        (["wait", "STACK=s", "TIMEOUT=1.5"], "TIMEOUT='1.5': whole minutes to wait at most"),
        (["retry", "STACK=s", "PROFILE=my profile"], "PROFILE='my profile': a profile of the AWS CLI's config"),
        (["drift"], "STACK is required, e.g. make drift STACK=my-stack"),
        (
            ["deploy", "STACK=s", f"TEMPLATE=output/{COLLECTOR}", "PARAMS=", "CAPABILITIES=CAPABILITY_ALL"],
            "CAPABILITIES='CAPABILITY_ALL': CAPABILITY_IAM, CAPABILITY_NAMED_IAM or CAPABILITY_AUTO_EXPAND",
        ),
    ],
)
def test_make_targets_refuse_bad_variables(args, message):
    for dry_run in (False, True):
        result = make(*args, dry_run=dry_run)
        assert result.returncode != 0 and message in result.stderr, result.stderr
        assert "nothing was run" in result.stderr and result.stdout == ""


def test_a_foreign_file_with_a_built_name_is_refused(tmp_path):
    """TEMPLATE must resolve to output/<name>: a file elsewhere with a built name would be deployed
    while the built template's constraints are checked."""
    name = default_host_management.RECORD.file  # deployable with PARAMS= (every parameter has a default)
    shutil.copy(ROOT / "output" / name, tmp_path / name)
    for template in (str(tmp_path / name), f"../{tmp_path.name}/{name}", f"output/../{name}"):
        result = make("deploy", "STACK=s", f"TEMPLATE={template}", "PARAMS=", dry_run=True)
        assert result.returncode != 0 and result.stdout == ""
        assert f"TEMPLATE={template}: give output/{name}; make deploys only the files built into output/" in (
            result.stderr
        )
    same = make("deploy", "STACK=s", f"TEMPLATE=./output/../output/{name}", "PARAMS=", dry_run=True)
    assert same.returncode == 0 and f"--template-file output/{name} " in " ".join(deploy_words(same.stdout)[0]) + " "


def test_missing_constraints_file_says_to_build(tmp_path):
    with pytest.raises(preflight.Refused, match=r"cannot read the parameter constraints .*run make templates"):
        preflight.check(
            ["deploy"], {"STACK": "s", "TEMPLATE": f"output/{COLLECTOR}"}, constraints=tmp_path / "constraints.json"
        )


def test_list_types_are_checked_item_by_item():
    numbers = {"Type": "List<Number>", "MinValue": 1, "MaxValue": 9}
    assert preflight.violation(numbers, "1,9") is None
    assert preflight.violation(numbers, "1,10") == "10 is above 9"
    assert (
        preflight.violation({"Type": "CommaDelimitedList", "AllowedValues": ["a", "b"]}, "a,c")
        == "'c' is not one of ['a', 'b']"
    )
    assert preflight.violation({"Type": "String", "MinLength": 2, "MaxLength": 3}, "abcd") == "'abcd' is longer than 3"


def test_make_n_deploy_of_the_stackset_step_uploads_deploys_without_rollback_and_waits(tmp_path):
    """The StackSet step: the patching member copied to its content-hashed key first, then the deploy
    with --disable-rollback (a failed StackSet leaves the others in place), then the wait without the
    AWS CLI's 60 minutes; the bucket goes to pTemplateBucketName."""
    values = [p for p in own_values(STACKSETS) if p["ParameterKey"] != stackset.BUCKET]
    args = ["deploy", "STACK=org", f"TEMPLATE=output/{STACKSETS}", f"PARAMS={write(tmp_path, values)}"]
    result = make(*args, "ARTIFACTS_BUCKET=my-bucket", dry_run=True)
    assert result.returncode == 0, result.stderr
    print("\n" + result.stdout)
    lines = result.stdout.splitlines()
    key = stackset.member_key(patching_member.RECORD, (ROOT / "output" / MEMBER).read_text())
    upload = lines.index(f"echo s3 cp 'output/{MEMBER}' 's3://my-bucket/{key}'")
    (deploy,) = (i for i, line in enumerate(lines) if line.startswith("echo cloudformation deploy"))
    assert upload < deploy
    assert f"{stackset.BUCKET}=my-bucket" in shlex.split(lines[deploy].partition(";")[0])
    assert lines[deploy].endswith(" --disable-rollback; " + lines[deploy].partition("; ")[2])
    assert " wait --after-deploy=$?" in lines[deploy]
