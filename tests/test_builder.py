"""The build: golden output, determinism, lint, all-or-nothing writes, bad options, freshness check."""

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import snapshot
from troposphere import Parameter, Template

from patch_templates import builder
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


# Only the StackSet template goes through S3 (`make deploy` uploads it); every other template is
# sent inline, at most 51,200 bytes (common.TEMPLATE_BODY_LIMIT), and keeps 5 % of that spare.
THROUGH_S3 = {stackset.RECORD.file}


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
    assert not list(tmp_path.glob(".output-staging-*")), "staging directory left behind"
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


def test_the_builder_keeps_yaml_and_yml_files_current(tmp_path):
    roots = {"output": tmp_path / "output", "docs": tmp_path / "docs"}
    roots["output"].mkdir()
    (roots["output"] / "old.yaml").write_text("x")
    (roots["output"] / "new.yaml").write_text("y")
    files = {roots["output"] / "new.yaml": "y"}
    assert [d.splitlines()[0] for d in builder.stale_files(files, roots)] == [f"--- {roots['output']}/old.yaml"]
    builder.write(files, roots)
    assert sorted(f.name for f in roots["output"].iterdir()) == ["new.yaml"]
