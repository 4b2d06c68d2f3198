"""The build: golden output, determinism, lint, all-or-nothing writes (also when killed), bad options,
freshness check."""

import gc
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import snapshot
from troposphere import Parameter, Template

from patch_templates import builder, transaction
from patch_templates.parts.common import TEMPLATE_BODY_LIMIT
from patch_templates.stacks import RECORDS, collector, stackset

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "output"
COLLECTOR = collector.RECORD


def run_build(*args, cwd=ROOT, env=None):
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_output_matches_a_fresh_build_exactly():
    built = {name: text for name, (text, _) in builder.build_all().items()}
    on_disk = {f.name: f.read_text() for f in OUTPUT.glob("*.y*ml")}
    assert sorted(on_disk) == sorted(built) == sorted(record.file for record in RECORDS)
    for name, text in built.items():
        assert on_disk[name] == text, f"output/{name} is stale: run make templates"


# The StackSet template and its patching member go through S3 (`make deploy` uploads them); every
# other template is sent inline, at most 51,200 bytes (common.TEMPLATE_BODY_LIMIT), and keeps 5 % spare.
THROUGH_S3 = {
    stackset.RECORD.file,
    *stackset.uploads({r.file: (OUTPUT / r.file).read_text() for r in stackset.MEMBERS})[stackset.RECORD.file][
        "files"
    ].values(),
}


def test_every_template_but_the_stackset_keeps_5_percent_of_the_inline_template_limit():
    files = {record.file for record in RECORDS}
    sizes = {name: len((OUTPUT / name).read_bytes()) for name in files if name not in THROUGH_S3}
    assert len(sizes) == len(files) - len(THROUGH_S3) and THROUGH_S3 <= files
    over = {name: size for name, size in sizes.items() if size > 0.95 * TEMPLATE_BODY_LIMIT}
    assert 0.95 * TEMPLATE_BODY_LIMIT == 48_640 and not over, over


def test_output_does_not_depend_on_the_environment(tmp_path):
    env = dict(os.environ, CFN_MAX_COL_WIDTH="20", LANG="C", TZ="Asia/Tokyo")
    result = run_build("--output-dir", str(tmp_path / "out"), "--docs-dir", str(tmp_path / "docs"), env=env)
    assert result.returncode == 0, result.stderr
    for record in RECORDS:
        assert (tmp_path / "out" / record.file).read_bytes() == (OUTPUT / record.file).read_bytes(), record.file


def test_every_template_is_clean_under_cfn_lint_with_informational_rules():
    """Lints every file of output/ that the lint cache does not already know as clean (the same
    text, cfn-lint version and arguments linted clean before; the cache is tested below)."""
    cache = builder.LintCache(ROOT / ".cache")
    unknown = [path for path in sorted(OUTPUT.glob("*.y*ml")) if not cache.clean(path.read_text())]
    assert builder.lint_in_parallel(unknown, "output") == []
    for path in unknown:
        cache.remember(path.read_text())


def test_lint_reports_file_line_rule_and_message(tmp_path):
    bad = Template()
    bad.add_parameter(Parameter("pUnused", Type="String"))  # W2001: parameter not used
    (tmp_path / "bad.yml").write_text(builder.render(bad))
    [finding] = builder.lint([tmp_path / "bad.yml"], "shown")
    assert finding.startswith("shown/bad.yml:") and " W2001 " in finding and "pUnused" in finding


def test_a_lint_failure_leaves_output_exactly_as_it_was(tmp_path, monkeypatch, capsys):
    out, docs = tmp_path / "output", tmp_path / "docs"
    shutil.copytree(OUTPUT, out)
    shutil.copytree(ROOT / "docs", docs)
    before = snapshot(tmp_path)
    broken = replace(COLLECTOR, build=unused_parameter(COLLECTOR))
    monkeypatch.setattr(builder, "RECORDS", (broken,))  # one template keeps the test quick
    assert builder.run(SimpleNamespace(check=False, output_dir=out, docs_dir=docs, cache_dir=None)) == 1
    assert snapshot(tmp_path) == before
    assert not (out / builder.STAGING).exists(), "staging directory left behind"
    err = capsys.readouterr().err
    assert f"{out}/{COLLECTOR.file}:" in err and "W2001" in err


def test_a_bad_option_stops_the_build_naming_it_and_writes_nothing():
    before = snapshot(OUTPUT)
    result = run_build("--outptu-dir", "elsewhere")
    assert result.returncode == 2 and "--outptu-dir" in result.stderr
    not_a_dir = run_build("--output-dir", "README.md")
    assert not_a_dir.returncode == 2 and "--output-dir" in not_a_dir.stderr
    assert snapshot(OUTPUT) == before


def test_check_passes_when_current_and_fails_with_a_diff_when_stale(tmp_path):
    out = tmp_path / "output"
    shutil.copytree(OUTPUT, out)
    assert run_build("--check", "--output-dir", str(out)).returncode == 0
    target = out / COLLECTOR.file
    target.write_text(target.read_text().replace("Retain", "Delete", 1))
    (out / "leftover.yml").write_text("x: 1\n")
    stale = run_build("--check", "--output-dir", str(out))
    assert stale.returncode == 1
    assert "-  DeletionPolicy: Delete" in stale.stdout or "+    DeletionPolicy: Retain" in stale.stdout
    assert "leftover.yml" in stale.stdout and "stale" in stale.stdout


def test_console_entry_point_builds_like_build_py(tmp_path):
    script = Path(sys.executable).parent / "patch-templates"
    result = subprocess.run([str(script), "build", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_parallel_lint_reports_findings_from_every_worker(tmp_path):
    bad = Template()
    bad.add_parameter(Parameter("pUnused", Type="String"))
    paths = []
    for name in ["a.yml", "b.yml", "c.yml"]:
        (tmp_path / name).write_text(builder.render(bad))
        paths.append(tmp_path / name)
    findings = builder.lint_in_parallel(paths, "shown")
    assert [f.split(":")[0] for f in findings] == ["shown/a.yml", "shown/b.yml", "shown/c.yml"]


# -- the lint cache ---------------------------------------------------------------------------


def unused_parameter(record):
    """The template's build, with a parameter nobody uses: cfn-lint W2001."""

    def build():
        template = record.build()
        template.add_parameter(Parameter("pNeverUsed", Type="String", Default="x"))
        return template

    return build


@pytest.fixture
def one_template(tmp_path, monkeypatch):
    """Build the collector alone into tmp_path, recording the files each lint run was given. A
    stand-in for cfn-lint finds W2001 where the text has pNeverUsed (the real linter's findings
    and its failure path are tested above; these tests are about which files get linted)."""
    monkeypatch.setattr(builder, "RECORDS", (COLLECTOR,))
    linted = []

    def recording(paths, shown):
        linted.append(sorted(path.name for path in paths))
        return [
            f"{shown}/{path.name}:1 W2001 pNeverUsed not used" for path in paths if "pNeverUsed" in path.read_text()
        ]

    monkeypatch.setattr(builder, "lint_in_parallel", recording)
    args = builder.parse_args(
        [
            "--output-dir",
            str(tmp_path / "out"),
            "--docs-dir",
            str(tmp_path / "docs"),
            "--cache-dir",
            str(tmp_path / "cache"),
        ]
    )
    return args, linted


def test_an_unchanged_template_is_linted_once(one_template, capsys):
    args, linted = one_template
    assert builder.run(args) == 0 and builder.run(args) == 0
    assert linted == [[COLLECTOR.file], []]
    assert f"{COLLECTOR.file:55}" in capsys.readouterr().out.split("ok (lint cached)")[0].rsplit("\n", 1)[-1]
    [entry] = (args.cache_dir / "lint").iterdir()
    assert entry.read_text() == entry.name  # the key, nothing else


def test_a_changed_template_is_always_linted(one_template, monkeypatch, capsys):
    args, linted = one_template
    assert builder.run(args) == 0
    monkeypatch.setattr(builder, "RECORDS", (replace(COLLECTOR, build=unused_parameter(COLLECTOR)),))
    assert builder.run(args) == 1 and builder.run(args) == 1  # findings are never cached
    assert linted == [[COLLECTOR.file]] * 3
    assert "W2001" in capsys.readouterr().err


def test_the_key_holds_content_linter_version_and_arguments(tmp_path, monkeypatch):
    cache = builder.LintCache(tmp_path)
    key = cache.key("a: 1\n")
    assert len({key, cache.key("a: 2\n")}) == 2
    cache.version = "0.0.1"
    assert cache.key("a: 1\n") != key
    cache.version = builder.LintCache(tmp_path).version
    monkeypatch.setattr(builder, "LINT_ARGS", [*builder.LINT_ARGS, "--ignore-checks", "W"])
    assert cache.key("a: 1\n") != key


@pytest.mark.parametrize("damage", ["missing", "corrupt", "directory", "unreadable-parent"])
def test_a_missing_or_corrupt_cache_only_costs_time(one_template, damage):
    args, linted = one_template
    assert builder.run(args) == 0
    [entry] = (args.cache_dir / "lint").iterdir()
    if damage == "missing":
        shutil.rmtree(args.cache_dir)
    elif damage == "corrupt":
        entry.write_bytes(b"\xff\xfe half-written")
    elif damage == "directory":
        entry.unlink()
        entry.mkdir()
    else:
        shutil.rmtree(args.cache_dir)
        args.cache_dir.write_text("a file where the cache directory should be")
    assert builder.run(args) == 0
    assert linted == [[COLLECTOR.file], [COLLECTOR.file]]


# -- the checkov scan is remembered by the content of output/ ---------------------------------


def test_make_scan_runs_once_per_content_of_output(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path)
    shutil.copytree(OUTPUT, tmp_path / "output")
    fake = tmp_path / "fake-checkov" / "bin" / "checkov"
    fake.parent.mkdir(parents=True)
    fake.write_text('#!/bin/sh\necho scanned "$@"\n')
    fake.chmod(0o755)

    def scan(*args):
        result = subprocess.run(
            ["make", "--no-print-directory", "scan", f"CHECKOV_VENV={fake.parent.parent}", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "scanned --quiet --compact --skip-download --framework cloudformation -d output" in scan()
    assert "scanned" not in scan()  # same files: remembered
    assert "scanned" in scan("CHECKOV_VERSION=0.0.1")  # another checkov scans again
    target = tmp_path / "output" / COLLECTOR.file
    target.write_text(target.read_text() + "# changed\n")
    assert "scanned" in scan()  # changed content scans again
    assert len(list((tmp_path / ".cache" / "checkov").iterdir())) == 3
    fake.write_text("#!/bin/sh\necho finding; exit 1\n")  # a scan that fails is not remembered
    target.write_text(target.read_text() + "# changed again\n")
    for _ in range(2):
        failed = subprocess.run(
            ["make", "scan", f"CHECKOV_VENV={fake.parent.parent}"], cwd=tmp_path, capture_output=True, text=True
        )
        assert failed.returncode != 0 and "finding" in failed.stdout
    assert len(list((tmp_path / ".cache" / "checkov").iterdir())) == 3


# -- all or nothing: a build killed at any point, a write that fails ---------------------------


def old_checkout(root: Path) -> dict[str, Path]:
    """output/ and docs/ under root as an older build left them: every generated file has a line
    more than the build writes, one the build no longer makes is there and one it makes is missing;
    beside them a hand-written page, and a staging directory that an earlier builder left."""
    roots = {"output": root / "output", "docs": root / "docs"}
    for key, directory in roots.items():
        shutil.copytree(ROOT / key, directory)
    for path in builder.owned(roots):
        path.write_text(path.read_text() + "old\n")
    (roots["output"] / "retired.yml").write_text("a template no longer built\n")
    (roots["docs"] / "templates" / f"{COLLECTOR.stem}.md").unlink()
    (roots["docs"] / "notes.md").write_text("## hand-written\n")
    (root / ".output-staging-x1y2").mkdir()
    (root / ".output-staging-x1y2" / COLLECTOR.file).write_text("linted by an older builder\n")
    return roots


def hashes(directory: Path) -> dict[str, str]:
    return {
        str(f.relative_to(directory)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(directory.rglob("*"))
        if f.is_file()
    }


def kill_builds(work: str, runs: int, seed: int) -> None:
    """Run by the test below in a Python process of its own. For each kill point it copies work/old
    to work/tree and forks a build into it (builder.main) that is killed with SIGKILL at that point:
    the Nth line the builder and transaction modules execute, one random line in each of `runs`
    equal strata of the lines a first build (not killed) counted. After each kill it runs what the
    next build runs first (builder.recover). Rendering is not what is killed: the builds write the
    committed output/ and docs/ (a fresh build's text, test_output_matches_a_fresh_build_exactly),
    which lint as clean (the lint cache knows them). Prints, as JSON, the files after the first
    build and, per point, after the kill and after recovering."""
    work = Path(work)
    tree = work / "tree"
    committed = builder.owned({"output": OUTPUT, "docs": ROOT / "docs"})
    files = {tree / path.relative_to(ROOT): path.read_text() for path in committed}
    built = {record.file: ((OUTPUT / record.file).read_text(), {}) for record in RECORDS}
    builder.build_all = lambda: built
    builder.all_files = lambda built, roots: files
    cache = builder.LintCache(work / "cache")
    for text, _ in built.values():
        cache.remember(text)
    options = [
        "--output-dir",
        str(tree / "output"),
        "--docs-dir",
        str(tree / "docs"),
        "--cache-dir",
        str(work / "cache"),
    ]
    traced = {builder.__file__, transaction.__file__}

    def build_killed_at(point: int) -> dict:
        shutil.rmtree(tree, ignore_errors=True)
        shutil.copytree(work / "old", tree)
        gc.freeze()  # a forked build then copies fewer of the pages it shares with this process
        pid = os.fork()
        if pid == 0:
            lines = 0

            def line(frame, event, arg):
                nonlocal lines
                if event == "line":
                    lines += 1
                    if lines == point:
                        os.kill(os.getpid(), signal.SIGKILL)
                return line

            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            sys.settrace(lambda frame, event, arg: line if frame.f_code.co_filename in traced else None)
            try:
                builder.main(options)
            except SystemExit as done:
                sys.settrace(None)
                (work / "lines").write_text(str(lines))
                os._exit(0 if done.code == 0 else 1)
        _, status = os.waitpid(pid, 0)
        journal = tree / "output" / builder.JOURNAL
        run = {
            "point": point,
            "killed": os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL,
            "journal": json.loads(journal.read_text())["state"] if journal.exists() else None,
            "after_kill": hashes(tree),
        }
        builder.recover(tree / "output")
        return {**run, "recovered": hashes(tree)}

    first = build_killed_at(0)
    total = int((work / "lines").read_text())
    width = total / runs
    rng = random.Random(seed)
    points = [1 + int(i * width) + rng.randrange(max(1, int(width))) for i in range(runs)]
    print(json.dumps({"lines": total, "first": first, "runs": [build_killed_at(point) for point in points]}))


KILLS = 48
EMPTY = hashlib.sha256(b"").hexdigest()


def test_a_build_killed_at_any_point_leaves_every_file_whole_and_the_set_old_or_new(tmp_path):
    """Every generated file differs between the old checkout and the build, so each file on disk
    is old, new or torn (any other content, an empty file included). The set is mixed when one
    generated file is old and another new (a file that should be missing counts as its state).
    After a kill, before anything else runs, no file is torn, hand-written files are untouched,
    and a mix exists only while the journal says committed; after what the next build runs first,
    the whole tree is exactly the old one or exactly the new one, nothing left beside it."""
    old_checkout(tmp_path / "old")
    old = {p: h for p, h in hashes(tmp_path / "old").items() if not p.startswith(".output-staging-")}
    seed = random.randrange(2**32)
    harness = f"import test_builder; test_builder.kill_builds({str(tmp_path)!r}, {KILLS}, {seed})"
    done = subprocess.run(
        [sys.executable, "-c", harness], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    new = report["first"]["after_kill"]
    assert not report["first"]["killed"] and report["first"]["recovered"] == new
    changed = {p for p in old.keys() | new.keys() if old.get(p) != new.get(p)}
    alike = old.keys() & new.keys() - changed
    assert len(changed) > 70 and "docs/notes.md" in alike
    assert "output/retired.yml" in old.keys() - new.keys() and len(new.keys() - old.keys()) == 1
    journals = {}
    for run in report["runs"]:
        where = f"seed {seed}, line {run['point']} of {report['lines']}"
        assert run["killed"], where
        on_disk = run["after_kill"]
        states = {
            p: "old" if on_disk.get(p) == old.get(p) else "new" if on_disk.get(p) == new.get(p) else "torn"
            for p in changed
        }
        assert "torn" not in states.values(), (where, [p for p, s in states.items() if s == "torn"])
        assert EMPTY not in {on_disk.get(p) for p in changed | alike}, where
        assert all(on_disk.get(p) == old[p] for p in alike), where
        mixed = {"old", "new"} <= set(states.values())
        assert not mixed or run["journal"] == transaction.COMMITTED, (where, run["journal"])
        assert run["recovered"] in (old, new), where
        journals.setdefault(run["journal"], []).append(mixed)
    print(
        f"\n{KILLS} kills over {report['lines']} lines (seed {seed}): "
        + ", ".join(f"{len(m)} with journal {j} ({sum(m)} mixed until recovered)" for j, m in journals.items())
    )
    assert {None, transaction.PREPARED, transaction.COMMITTED} <= journals.keys()
    assert any(journals[transaction.COMMITTED]), "no kill fell between two replacements"


def read_only(*directories: Path) -> None:
    for directory in directories:
        directory.chmod(0o555)
    probe = directories[0] / ".probe"
    try:
        probe.write_text("x")
    except PermissionError:
        return
    probe.unlink()
    for directory in directories:
        directory.chmod(0o755)
    pytest.skip("running as root: read-only permissions do not stop a write (the directory fault covers it)")


@pytest.mark.parametrize("fault", ["read-only parameters and docs", "a directory where a page goes"])
def test_a_write_that_fails_stops_with_one_line_naming_the_file_and_changes_nothing(tmp_path, monkeypatch, fault):
    roots = old_checkout(tmp_path)
    page = roots["docs"] / "parameters.md"  # written after every file of output/, so they are rolled back
    if fault.startswith("read-only"):
        read_only(roots["output"] / "parameters", roots["docs"])
        refused = roots["output"] / "parameters"
    else:
        page.unlink()
        (page / "notes.md").mkdir(parents=True)
        refused = page
    monkeypatch.setattr(builder, "RECORDS", (COLLECTOR,))  # the others' files go: more to undo
    monkeypatch.setattr(builder, "lint_in_parallel", lambda paths, shown: [])
    before = snapshot(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        builder.main(["--output-dir", str(roots["output"]), "--docs-dir", str(roots["docs"]), "--no-cache"])
    message = str(stopped.value.code)
    assert message.startswith(f"build failed: cannot write {refused}") and "\n" not in message, message
    assert message.endswith(f"{roots['output']}/ and {roots['docs']}/ are as they were"), message
    for directory in (roots["output"] / "parameters", roots["docs"]):
        directory.chmod(0o755)
    after = snapshot(tmp_path)
    assert after == {p: v for p, v in before.items() if not p.startswith(".output-staging-")}


def test_the_builder_keeps_yaml_and_yml_files_current(tmp_path):
    roots = {"output": tmp_path / "output", "docs": tmp_path / "docs"}
    roots["output"].mkdir()
    (roots["output"] / "old.yaml").write_text("x")
    (roots["output"] / "new.yaml").write_text("y")
    files = {roots["output"] / "new.yaml": "y"}
    assert [d.splitlines()[0] for d in builder.stale_files(files, roots)] == [f"--- {roots['output']}/old.yaml"]
    builder.write(files, roots)
    assert sorted(f.name for f in roots["output"].iterdir()) == ["new.yaml"]
