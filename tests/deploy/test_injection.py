"""No value of a deploy variable reaches a shell or make as code: crafted values (quotes, $(...),
backticks, ;, &&, line breaks, make functions) in every deploy variable, each on the command line
and in the environment, with make and make -n. Each would create a canary file if it ran; none may,
and each run prints the refusal and nothing else."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from patch_templates.stacks import default_host_management

ROOT = Path(__file__).resolve().parents[2]
WINDOWS = default_host_management.RECORD.file  # deployable with PARAMS= (every parameter has a default)
# A plausible value of each variable, and a goal that uses it; the payload follows the value.
VARIABLES = {
    "STACK": ("my-stack", ["status", "STACK=my-stack"]),
    "TEMPLATE": (f"output/{WINDOWS}", ["deploy", "STACK=s", "PARAMS="]),
    "PARAMS": ("my-values.json", ["deploy", "STACK=s", f"TEMPLATE=output/{WINDOWS}"]),
    "REGION": ("eu-west-1", ["retry", "STACK=s"]),
    "PROFILE": ("ops", ["drift", "STACK=s"]),
    "ARTIFACTS_BUCKET": ("my-bucket", ["package", f"TEMPLATE=output/{WINDOWS}"]),
    "TIMEOUT": ("30", ["wait", "STACK=s"]),
    "CAPABILITIES": ("CAPABILITY_IAM", ["deploy", "STACK=s", f"TEMPLATE=output/{WINDOWS}", "PARAMS="]),
    # The programs the recipes run: refused before anything, whatever the goal.
    "AWS": ("echo", ["describe", "STACK=s"]),
    "PYTHON": (sys.executable, ["status", "STACK=s"]),
    "TARGETS": ("ou-ab12-cd34ef56", ["patch-now", "REGIONS=us-east-1"]),
    "ACCOUNT": ("collector", ["teardown"]),
    "DELETE_BUCKETS": ("my-bucket", ["teardown", "ACCOUNT=collector"]),
}
PAYLOADS = [
    "'; touch {canary}; echo '",  # out of single quotes, then ;
    '"; touch {canary} #',  # out of double quotes
    "$(shell touch {canary})$(touch {canary})",  # a make function, a shell command substitution
    "`touch {canary}`",
    "\ntouch {canary}",  # a line break
]
DEFAULTS = {"AWS": "echo", "PYTHON": sys.executable}
CASES = [(variable, payload) for variable in VARIABLES for payload in PAYLOADS]
WAYS = [("command line", False), ("command line", True), ("environment", False), ("environment", True)]


def run(variable: str, value: str, way: str, dry_run: bool) -> subprocess.CompletedProcess:
    plausible, goal = VARIABLES[variable]
    args = [f"{name}={v}" for name, v in ((variable, value),)] if way == "command line" else []
    others = [word for word in goal if word.split("=")[0] != variable]
    env = {**os.environ, **({variable: value} if way == "environment" else {})}
    return subprocess.run(
        [
            "make",
            "--no-print-directory",
            *(["-n"] if dry_run else []),
            *(f"{name}={default}" for name, default in DEFAULTS.items() if name != variable),
            *others,
            *args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_at_least_forty_crafted_values_in_every_deploy_variable():
    assert len(CASES) >= 40 and {variable for variable, _ in CASES} == set(VARIABLES)


@pytest.mark.parametrize("variable, payload", CASES)
def test_a_crafted_value_runs_nothing_but_the_refusal(tmp_path, variable, payload):
    canary = tmp_path / "canary"
    value = VARIABLES[variable][0] + payload.format(canary=canary)
    for way, dry_run in WAYS:
        result = run(variable, value, way, dry_run)
        assert not canary.exists(), (way, dry_run, result.stdout, result.stderr)
        assert result.returncode != 0, (way, dry_run, result.stdout)
        assert "refused, nothing was run" in result.stderr or "refused" in result.stderr.splitlines()[-1]
        assert result.stdout == "", (way, dry_run, result.stdout)


@pytest.mark.parametrize("payload", PAYLOADS[:4])
def test_any_command_line_variable_is_text_to_make(tmp_path, payload):
    """A variable the Makefile never reads (a CI job's branch name) is not expanded either: make
    would otherwise expand a command-line value when it hands it to a recipe's environment."""
    canary = tmp_path / "canary"
    result = subprocess.run(
        ["make", "--no-print-directory", "help", f"BRANCH=main{payload.format(canary=canary)}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "make deploy" in result.stdout
    assert not canary.exists()
