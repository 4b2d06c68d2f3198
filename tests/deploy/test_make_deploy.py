"""The deploy path: `make deploy` / `make package` check TEMPLATE, STACK and PARAMS with the standard
library before anything runs (patch_templates/deploy/preflight.py), refuse mistakes with the file and the
problem, and print the full command. AWS=echo stands in for the AWS CLI, so nothing reaches AWS."""

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from patch_templates.deploy import preflight
from patch_templates.reference import examples
from patch_templates.stacks import RECORDS, collector

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = [record.file for record in RECORDS]
COLLECTOR = collector.RECORD.file
# A value of one's own for each placeholder of the example files.
OWN = {
    "111122223333": "123456789012",
    "444455556666": "210987654321",
    "777788889999": "345678901234",
    "example.com": "ops.corp.test",
    "o-a1b2c3d4e5": "o-zz9y8x7w6v",
    "ou-ab12-": "ou-zz99-",
    "1234abcd-12ab-34cd-56ef-1234567890ab": "0fedcba9-8765-4321-0fed-cba987654321",
}


def example_text(name: str) -> str:
    return (ROOT / "output" / "parameters" / f"{Path(name).stem}.json").read_text()


def own_values(name: str) -> list[dict]:
    """The template's example file with every placeholder replaced by a value of one's own."""
    text = example_text(name)
    for placeholder, own in OWN.items():
        text = text.replace(placeholder, own)
    return json.loads(text)


def make(*args: str, cwd: Path = ROOT, dry_run: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *(["-n"] if dry_run else []), "AWS=echo", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
    )


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


@pytest.mark.parametrize("name", TEMPLATES)
def test_a_good_file_prints_and_runs_the_full_command(tmp_path, name):
    values = own_values(name)
    result = make(
        "deploy", "STACK=my-stack", f"TEMPLATE=output/{name}", f"PARAMS={write(tmp_path, values)}", "REGION=eu-west-1"
    )
    assert result.returncode == 0, result.stderr
    printed, ran = result.stdout.strip().splitlines()[-2:]
    assert printed.startswith("echo cloudformation deploy --region eu-west-1 --stack-name my-stack")
    words = shlex.split(printed)
    # A template without parameters (Default Host Management) is deployed without overrides.
    overrides = words[words.index("--parameter-overrides") + 1 :] if values else []
    assert "--parameter-overrides" in words or not values
    assert overrides == [f"{p['ParameterKey']}={p['ParameterValue']}" for p in values]
    assert ran == " ".join(words[1:])  # what echo received: the same words


def test_make_n_on_a_fresh_clone_shows_the_values_without_a_virtual_environment(tmp_path):
    """Only the Makefile, the standard-library check and output/ are needed to deploy."""
    clone = tmp_path / "clone"
    (clone / "patch_templates").mkdir(parents=True)
    shutil.copy(ROOT / "Makefile", clone)
    for module in ("__init__.py", "deploy/__init__.py", "deploy/preflight.py"):
        (clone / "patch_templates" / module).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "patch_templates" / module, clone / "patch_templates" / module)
    shutil.copytree(ROOT / "output", clone / "output")
    params = write(tmp_path, own_values(COLLECTOR))
    result = make(
        "deploy", "STACK=patch-collector", f"TEMPLATE=output/{COLLECTOR}", f"PARAMS={params}", cwd=clone, dry_run=True
    )
    assert result.returncode == 0, result.stderr
    assert "pResourceDataSyncBucketName=patch-inventory-123456789012" in result.stdout
    assert "pDataSourceAccountID=210987654321,345678901234" in result.stdout
    assert not (clone / ".venv").exists()


def test_artifacts_bucket_packages_first_and_deploys_through_s3(tmp_path):
    params = write(tmp_path, own_values(COLLECTOR))
    result = make(
        "deploy", "STACK=s", f"TEMPLATE=output/{COLLECTOR}", "ARTIFACTS_BUCKET=art", f"PARAMS={params}", dry_run=True
    )
    lines = result.stdout.strip().splitlines()
    packaged = f"build/{Path(COLLECTOR).stem}.packaged.yml"
    assert lines[-2] == (
        f"echo cloudformation package --template-file output/{COLLECTOR} --s3-bucket art "
        f"--output-template-file {packaged}"
    )
    assert lines[-1].startswith(
        "echo cloudformation deploy --stack-name s --template-file "
        + packaged
        + " --s3-bucket art --capabilities CAPABILITY_NAMED_IAM"
    )


def test_empty_params_deploys_with_the_template_defaults():
    result = make("deploy", "STACK=s", f"TEMPLATE=output/{COLLECTOR}", "PARAMS=", dry_run=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("--no-fail-on-empty-changeset")


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
            "params.json: not valid JSON: Expecting ',' delimiter: line 1 column 53",
        ),
        ({"pSyncName": "x"}, "params.json: not a JSON list of parameters"),
        ([{"ParameterKey": "pSyncName"}], 'params.json: entry 1 is {"ParameterKey": "pSyncName"}; each entry must be'),
        ([{"ParameterKey": "pSyncName", "ParameterValue": 5}], "params.json: entry 1 is"),
        (
            [{"ParameterKey": "pSyncNmae", "ParameterValue": "x"}],
            f"params.json: pSyncNmae is not a parameter of {COLLECTOR}; did you mean pSyncName?",
        ),
        (
            [
                {"ParameterKey": "pSyncName", "ParameterValue": "a"},
                {"ParameterKey": "pSyncName", "ParameterValue": "b"},
            ],
            "params.json: pSyncName is given twice",
        ),
        (
            entries(pResourceDataSyncBucketName="My_Bucket"),
            "params.json: pResourceDataSyncBucketName='My_Bucket' is refused: 'My_Bucket' does not match",
        ),
        (
            entries(pDataSourceAccountID="210987654321,12345"),
            "params.json: pDataSourceAccountID='210987654321,12345' is refused: '12345' does not match",
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
    result = make("deploy", "STACK=s", f"TEMPLATE=output/{name}", dry_run=True)
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
            "TEMPLATE=output/nope.yml: no such template; the templates are:\n  output/",
        ),
        (["deploy", "STACK=s", "PARAMS="], "TEMPLATE=: no such template"),
        (["package", "TEMPLATE=output/nope.yml", "ARTIFACTS_BUCKET=b"], "TEMPLATE=output/nope.yml: no such template"),
        (["deploy", "STACK=1st stack", f"TEMPLATE=output/{COLLECTOR}", "PARAMS="], "STACK=1st stack: a stack name is"),
        (["deploy", f"TEMPLATE=output/{COLLECTOR}", "PARAMS="], "STACK=: a stack name is"),
        (
            ["deploy", "STACK=s", f"TEMPLATE=output/{COLLECTOR}", "PARAMS=missing.json"],
            "PARAMS=missing.json: cannot read the parameter file (No such file or directory)",
        ),
        (["package", f"TEMPLATE=output/{COLLECTOR}"], "ARTIFACTS_BUCKET is required"),
        (["describe"], "STACK is required"),
    ],
)
def test_make_targets_refuse_bad_variables(args, message):
    result = make(*args)
    assert result.returncode != 0 and message in result.stderr
    assert "cloudformation" not in result.stdout


def test_every_template_is_listed_when_one_is_missing():
    result = make("package", "TEMPLATE=output/nope.yml", "ARTIFACTS_BUCKET=b")
    assert all(f"  output/{name}\n" in result.stderr for name in TEMPLATES)


def test_missing_constraints_file_says_to_build(tmp_path):
    with pytest.raises(preflight.Refused, match=r"cannot read the parameter constraints .*run make templates"):
        preflight.check(f"output/{COLLECTOR}", None, constraints=tmp_path / "constraints.json")


def test_list_types_are_checked_item_by_item():
    numbers = {"Type": "List<Number>", "MinValue": 1, "MaxValue": 9}
    assert preflight.violation(numbers, "1,9") is None
    assert preflight.violation(numbers, "1,10") == "10 is above 9"
    assert (
        preflight.violation({"Type": "CommaDelimitedList", "AllowedValues": ["a", "b"]}, "a,c")
        == "'c' is not one of ['a', 'b']"
    )
    assert preflight.violation({"Type": "String", "MinLength": 2, "MaxLength": 3}, "abcd") == "'abcd' is longer than 3"
