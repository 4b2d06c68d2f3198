"""`make` run as an operator runs it, for the tests of the Makefile's goals."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The interpreter running the tests, for a checkout without .venv (the Makefile's default is python3).
PYTHON = f"PYTHON={sys.executable}"


def make(*args: str, cwd: Path = ROOT, env: dict | None = None, dry_run: bool = False, timeout: int = 300):
    """make with `args` (goals and VAR=value) in `cwd`: with dry_run only printed (-n), not run.
    Nothing reads standard input, so a prompt answers no."""
    return subprocess.run(
        ["make", "--no-print-directory", *(["-n"] if dry_run else []), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )
