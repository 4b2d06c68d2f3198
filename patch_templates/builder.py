"""Build every registered template, lint it, and write it to the output directory, with the
example parameter files (output/parameters/) and the generated docs (docs/).

All or nothing: every file is generated in memory and the templates are linted in a staging
directory; only when every template is clean and every doc was generated are the files written,
as one set (transaction.py): a reader sees each file whole, old or new; a build that fails leaves
both directories exactly as they were, and one that is killed leaves a journal from which the next
build finishes or undoes the set before it writes anything.

Fast when little changed: a template that cfn-lint found clean is remembered in the cache
directory by its content, the cfn-lint version and the lint arguments, and not linted again.
"""

import argparse
import contextlib
import difflib
import hashlib
import importlib.metadata
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from . import transaction
from .parts.common import BuildError, render
from .reference import docs
from .stacks import RECORDS

LINT_ARGS = ["--include-checks", "I", "--non-zero-exit-code", "informational"]
# cfn-lint is single-threaded and most of the build's time: lint on both cores of a small machine.
LINT_WORKERS = 2
# The files the build owns in each directory (relative globs); anything else there is left alone,
# such as a hand-written page in docs/.
GENERATED = {
    "output": ("*.yml", "*.yaml", "parameters/*.json", "constraints.json", "teardown.json"),
    "docs": ("parameters.md", "architecture.md", "limits.md", "rollout.md", "templates/*.md", "dashboard/*.svg"),
}
# In the output directory, while a build runs: the templates being linted, and the journal of the
# files being replaced; what a killed build left there is recovered and removed by the next one.
STAGING = ".build-staging"
JOURNAL = ".build-journal.json"


def build_all() -> dict[str, tuple[str, dict]]:
    """file name -> (YAML text, template as data) for every registered template."""
    built = {}
    for record in RECORDS:
        template = record.build()
        built[record.file] = (render(template), template.to_dict())
    return built


def all_files(built: dict[str, tuple[str, dict]], roots: dict[str, Path]) -> dict[Path, str]:
    """Every generated file (templates, parameter files, docs) by its path under roots."""
    generated = docs.generate(
        RECORDS, {name: data for name, (_, data) in built.items()}, {name: text for name, (text, _) in built.items()}
    )
    files = {roots["output"] / name: text for name, (text, _) in built.items()}
    for relative, text in generated.items():
        root, _, rest = relative.partition("/")
        files[roots[root] / rest] = text
    return files


def owned(roots: dict[str, Path]) -> set[Path]:
    """The generated files now on disk."""
    return {path for key, root in roots.items() for pattern in GENERATED[key] for path in root.glob(pattern)}


def lint(paths: list[Path], shown_dir: str) -> list[str]:
    """Run cfn-lint once over these files (one start-up); findings as 'dir/file:line RULE message'."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    matches = Runner(ConfigMixIn([*LINT_ARGS, "--", *map(str, paths)])).run()
    return sorted(f"{shown_dir}/{Path(m.filename).name}:{m.linenumber} {m.rule.id} {m.message}" for m in matches)


def lint_in_parallel(paths: list[Path], shown_dir: str) -> list[str]:
    """Lint in up to LINT_WORKERS processes, each given about the same number of bytes (one file
    is linted here: a worker's start-up would cost more than it saves)."""
    if len(paths) <= 1:
        return lint(paths, shown_dir) if paths else []
    workers = min(LINT_WORKERS, len(paths))
    groups: list[list[Path]] = [[] for _ in range(workers)]
    sizes = [0] * workers
    for path in sorted(paths, key=lambda path: -path.stat().st_size):
        smallest = sizes.index(min(sizes))
        groups[smallest].append(path)
        sizes[smallest] += path.stat().st_size
    with ProcessPoolExecutor(workers) as pool:
        return sorted(f for found in pool.map(lint, groups, [shown_dir] * workers) for f in found)


class LintCache:
    """Templates cfn-lint found clean, one entry per hash of (content, cfn-lint version, lint
    arguments) under `directory`/lint. Only clean results are kept, so a changed or failing
    template is always linted; a missing, unreadable or corrupt entry is a miss (it costs time only)."""

    def __init__(self, directory: Path | None):
        self.directory = directory / "lint" if directory else None
        self.version = importlib.metadata.version("cfn-lint")

    def key(self, text: str) -> str:
        return hashlib.sha256(json.dumps([text, self.version, LINT_ARGS]).encode()).hexdigest()

    def clean(self, text: str) -> bool:
        if self.directory is None:
            return False
        key = self.key(text)
        try:
            return (self.directory / key).read_text() == key
        except (OSError, UnicodeDecodeError):
            return False

    def remember(self, text: str) -> None:
        if self.directory is None:
            return
        key = self.key(text)
        partial = self.directory / f".{key}.{os.getpid()}"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            partial.write_text(key)
            partial.replace(self.directory / key)  # whole or absent, even with two builds at once
        except OSError:  # a cache that cannot be written only costs time
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)


def stale_files(files: dict[Path, str], roots: dict[str, Path]) -> list[str]:
    """Unified diffs of every generated file that differs from, is missing from or is extra on disk."""
    diffs = []
    existing = owned(roots)
    for path in sorted(existing | set(files)):
        old = path.read_text().splitlines(True) if path in existing else []
        new = files.get(path, "").splitlines(True)
        if old != new:
            diffs.append("".join(difflib.unified_diff(old, new, str(path), f"built/{path}", n=1)))
    return diffs


def holds(path: Path, text: str) -> bool:
    try:
        return path.read_text() == text
    except (OSError, UnicodeDecodeError):  # missing, unreadable or not a file: to be written
        return False


def write(files: dict[Path, str], roots: dict[str, Path]) -> None:
    """Write the files that changed and remove generated files no longer built, all or nothing."""
    changes: dict[Path, str | None] = dict.fromkeys(sorted(owned(roots) - set(files)))
    changes.update({path: text for path, text in files.items() if not holds(path, text)})
    try:
        transaction.replace_files(changes, roots["output"] / JOURNAL)
    except OSError as error:
        unchanged = f"{roots['output']}/ and {roots['docs']}/ are as they were"
        raise BuildError(f"cannot write {error.filename}: {error.strerror}; {unchanged}") from error


def recover(output_dir: Path) -> None:
    """Finish or undo the writing of a build that was killed, and remove its staging directory (and
    the .output-staging-* ones that builders before the journal made beside the output directory)."""
    try:
        transaction.recover(output_dir / JOURNAL)
    except (OSError, ValueError) as error:
        raise BuildError(f"cannot recover the interrupted build from {output_dir / JOURNAL}: {error}") from error
    for stale in [output_dir / STAGING, *output_dir.resolve().parent.glob(".output-staging-*")]:
        shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def staged(output_dir: Path) -> Iterator[Path]:
    """A new staging directory, with the output directory locked against another build and what a
    killed build left recovered; removed at the end."""
    output_dir.mkdir(parents=True, exist_ok=True)
    with transaction.locked(output_dir):
        recover(output_dir)
        staging = output_dir / STAGING
        staging.mkdir()
        try:
            yield staging
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="patch-templates build", description=__doc__)
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff when the output or docs directory is stale",
    )
    parser.add_argument(
        "--output-dir",
        default="output",
        type=Path,
        help="directory for the templates and parameters/ (default: output)",
    )
    parser.add_argument(
        "--docs-dir",
        default="docs",
        type=Path,
        help="directory for the generated reference and pictures (default: docs)",
    )
    parser.add_argument(
        "--cache-dir",
        default=".cache",
        type=Path,
        help="directory for the lint results kept between builds (default: .cache)",
    )
    parser.add_argument(
        "--no-cache",
        dest="cache_dir",
        action="store_const",
        const=None,
        help="lint every template, read and write no cache",
    )
    args = parser.parse_args(argv)
    for option, path in [("--output-dir", args.output_dir), ("--docs-dir", args.docs_dir)]:
        if path.exists() and not path.is_dir():
            parser.error(f"{option}: {path} exists and is not a directory")
    return args


def run(args) -> int:
    return check(args) if args.check else build(args)


def check(args) -> int:
    """Compare a fresh build with the directories; write nothing."""
    built = build_all()
    roots = {"output": args.output_dir, "docs": args.docs_dir}
    diffs = stale_files(all_files(built, roots), roots)
    for diff in diffs:
        print(diff, end="")
    print(f"{args.output_dir}/ and {args.docs_dir}/ are {'stale: run make templates' if diffs else 'current'}")
    return 1 if diffs else 0


def build(args) -> int:
    started = time.monotonic()
    built = build_all()
    roots = {"output": args.output_dir, "docs": args.docs_dir}
    files = all_files(built, roots)
    cache = LintCache(args.cache_dir)
    to_lint = [name for name, (text, _) in built.items() if not cache.clean(text)]
    with staged(args.output_dir) as staging:
        for name in to_lint:
            (staging / name).write_text(built[name][0])
        findings = lint_in_parallel([staging / name for name in to_lint], str(args.output_dir))
        for name, (text, data) in built.items():
            failed = any(f.startswith(f"{args.output_dir}/{name}:") for f in findings)
            if name in to_lint and not failed:
                cache.remember(text)
            result = "FAIL" if failed else "ok" if name in to_lint else "ok (lint cached)"
            print(
                f"{name:55} {len(data.get('Resources', {})):3} resources "
                f"{len(data.get('Parameters', {})):3} parameters  {result}"
            )
        if findings:
            print("\n".join(findings), file=sys.stderr)
            print(
                f"build failed: {len(findings)} cfn-lint finding(s); {args.output_dir}/ and {args.docs_dir}/ "
                "left unchanged",
                file=sys.stderr,
            )
            return 1
        write(files, roots)
    print(
        f"built {len(built)} templates into {args.output_dir}/ ({len(to_lint)} linted) and "
        f"{len(files) - len(built)} parameter files and docs in {time.monotonic() - started:.2f} s"
    )
    return 0


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["build"]:  # `patch-templates build ...` is the same as `python build.py ...`
        argv = argv[1:]
    try:
        sys.exit(run(parse_args(argv)))
    except (BuildError, OSError) as error:  # an OSError names its file, such as a read-only output directory
        sys.exit(f"build failed: {error}")
