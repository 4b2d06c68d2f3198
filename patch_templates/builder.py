"""Build every registered template, lint it, and write it to the output directory.

All or nothing: templates are rendered and linted in a staging directory beside the output
directory; only when every template is clean are the files moved into place, so a failed build
leaves the output directory exactly as it was.
"""

import argparse
import difflib
import shutil
import sys
import tempfile
import time
from pathlib import Path

import cfn_flip
from cfn_flip import yaml_dumper

from .common import BuildError
from .stacks import TEMPLATES

# cfn-flip folds long strings at a width read from the environment (CFN_MAX_COL_WIDTH); fix it
# so the output does not depend on the machine.
YAML_WIDTH = 200
LINT_ARGS = ["--include-checks", "I", "--non-zero-exit-code", "informational"]


def render(template) -> str:
    """Deterministic YAML for a troposphere Template (sorted keys, fixed line width)."""
    cfn_flip.config.max_col_width = YAML_WIDTH
    yaml_dumper.STR_MAX_LENGTH_QUOTED = YAML_WIDTH
    return template.to_yaml()


def build_all() -> dict[str, tuple[str, int, int]]:
    """file name -> (YAML text, resource count, parameter count) for every registered template."""
    built = {}
    for name, builder in TEMPLATES.items():
        template = builder()
        built[name] = (render(template), len(template.resources), len(template.parameters))
    return built


def lint(paths: list[Path], shown_dir: str) -> list[str]:
    """Run cfn-lint once over all files (one start-up); findings as 'dir/file:line RULE message'."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    matches = Runner(ConfigMixIn([*LINT_ARGS, "--", *map(str, paths)])).run()
    return sorted(f"{shown_dir}/{Path(m.filename).name}:{m.linenumber} {m.rule.id} {m.message}"
                  for m in matches)


def templates_in(out_dir: Path) -> list[Path]:
    """The template files in out_dir: the design names some .yml and some .yaml."""
    return [f for pattern in ("*.yml", "*.yaml") for f in out_dir.glob(pattern)]


def stale_files(files: dict[str, str], out_dir: Path) -> list[str]:
    """Unified diffs of every file that differs from, is missing from or is extra in out_dir."""
    diffs = []
    existing = {f.name for f in templates_in(out_dir)} if out_dir.is_dir() else set()
    for name in sorted(existing | set(files)):
        old = (out_dir / name).read_text().splitlines(True) if name in existing else []
        new = files.get(name, "").splitlines(True)
        if old != new:
            diffs.append("".join(difflib.unified_diff(old, new, f"{out_dir}/{name}", f"built/{name}", n=1)))
    return diffs


def write(files: dict[str, str], out_dir: Path, staging: Path) -> None:
    """Move the linted files from staging into out_dir and remove templates no longer built."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in files:
        (staging / name).replace(out_dir / name)
    for old in templates_in(out_dir):
        if old.name not in files:
            old.unlink()


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="patch-templates build", description=__doc__)
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 with a diff when the output directory is stale")
    parser.add_argument("--output-dir", default="output", type=Path,
                        help="directory for the templates (default: output)")
    args = parser.parse_args(argv)
    if args.output_dir.exists() and not args.output_dir.is_dir():
        parser.error(f"--output-dir: {args.output_dir} exists and is not a directory")
    return args


def run(args) -> int:
    started = time.monotonic()
    built = build_all()
    files = {name: text for name, (text, _, _) in built.items()}
    if args.check:
        diffs = stale_files(files, args.output_dir)
        for diff in diffs:
            print(diff, end="")
        print(f"{args.output_dir}/ is {'stale: run make templates' if diffs else 'current'}")
        return 1 if diffs else 0

    parent = args.output_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".output-staging-", dir=parent))
    try:
        for name, text in files.items():
            (staging / name).write_text(text)
        findings = lint([staging / name for name in files], str(args.output_dir))
        for name, (_, resources, parameters) in built.items():
            result = "FAIL" if any(f.startswith(f"{args.output_dir}/{name}:") for f in findings) else "ok"
            print(f"{name:55} {resources:3} resources {parameters:3} parameters  {result}")
        if findings:
            print("\n".join(findings), file=sys.stderr)
            print(f"build failed: {len(findings)} cfn-lint finding(s); {args.output_dir}/ left unchanged",
                  file=sys.stderr)
            return 1
        write(files, args.output_dir, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(f"built {len(files)} templates into {args.output_dir}/ in {time.monotonic() - started:.2f} s")
    return 0


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["build"]:  # `patch-templates build ...` is the same as `python build.py ...`
        argv = argv[1:]
    try:
        sys.exit(run(parse_args(argv)))
    except BuildError as error:
        sys.exit(f"build failed: {error}")
