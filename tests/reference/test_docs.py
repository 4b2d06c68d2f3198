"""The generated reference (reference/docs.py): a file for every template, and the build's handling
of docs/ and the example parameter files: freshness, all or nothing."""

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT, snapshot
from test_pictures import full_registry

from patch_templates import builder
from patch_templates.reference import docs
from patch_templates.stacks import ANALYTICS, RECORDS, collector, shared_member, stackset


def test_generate_covers_every_template():
    files = docs.generate(RECORDS, full_registry())
    assert {f"docs/templates/{record.stem}.md" for record in RECORDS} <= set(files)
    assert {f"output/parameters/{record.stem}.json" for record in RECORDS} <= set(files)
    assert f"docs/templates/{ANALYTICS.file.removesuffix('.yaml')}.md" in files  # the stem of a .yaml file
    page = files[f"docs/templates/{shared_member.RECORD.stem}.md"]
    assert f"- **Step:** 3, deployed by `{stackset.RECORD.file}` or alone in one account" in page
    assert "deployed by" not in files[f"docs/templates/{collector.RECORD.stem}.md"]


# -- the build: freshness of docs/, all or nothing --------------------------------------------


@pytest.fixture
def checkout(tmp_path):
    """A copy of output/ and docs/ to build into."""
    for folder in ("output", "docs"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def build(root: Path, *options: str) -> int:
    return builder.run(
        builder.parse_args(["--output-dir", str(root / "output"), "--docs-dir", str(root / "docs"), *options])
    )


def test_check_passes_on_the_committed_docs(checkout, capsys):
    assert build(checkout, "--check") == 0
    assert "are current" in capsys.readouterr().out


@pytest.mark.parametrize("change", ["edit", "delete", "extra"])
def test_check_fails_when_docs_or_parameter_files_are_stale(checkout, capsys, change):
    target = {
        "edit": checkout / "docs" / "parameters.md",
        "delete": checkout / "output" / "parameters" / f"{collector.RECORD.stem}.json",
        "extra": checkout / "docs" / "templates" / "removed_template.md",
    }[change]
    if change == "edit":
        target.write_text(target.read_text().replace("Bucket name", "Bucket"))
    elif change == "delete":
        target.unlink()
    else:
        target.write_text("# removed_template.yml\n")
    before = snapshot(checkout)
    assert build(checkout, "--check") == 1
    out = capsys.readouterr().out
    assert str(target) in out and "stale: run make templates" in out
    assert snapshot(checkout) == before


def test_build_rewrites_stale_docs_and_leaves_hand_written_files(checkout):
    (checkout / "docs" / "notes.md").write_text("## hand-written\n")
    (checkout / "docs" / "parameters.md").write_text("stale\n")
    (checkout / "docs" / "templates" / "removed_template.md").write_text("old\n")
    assert build(checkout) == 0
    assert (checkout / "docs" / "parameters.md").read_text() == (ROOT / "docs" / "parameters.md").read_text()
    assert not (checkout / "docs" / "templates" / "removed_template.md").exists()
    assert (checkout / "docs" / "notes.md").read_text() == "## hand-written\n"
    assert build(checkout, "--check") == 0


def test_a_refused_example_value_stops_the_build_untouched(checkout, monkeypatch):
    refused = replace(collector.RECORD, examples={"pResourceDataSyncBucketName": "Not_A_Bucket"})
    monkeypatch.setattr(builder, "RECORDS", (refused,))
    before = snapshot(checkout)
    message = (
        rf"example parameters of {re.escape(refused.file)} are refused: pResourceDataSyncBucketName='Not_A_Bucket'"
    )
    with pytest.raises(builder.BuildError, match=message):
        build(checkout)
    with pytest.raises(SystemExit, match="build failed: " + message):
        builder.main(["--output-dir", str(checkout / "output"), "--docs-dir", str(checkout / "docs")])
    assert snapshot(checkout) == before


def test_a_lint_finding_leaves_stale_docs_untouched(checkout, monkeypatch, capsys):
    (checkout / "docs" / "parameters.md").write_text("stale\n")
    (checkout / "docs" / "templates" / "removed_template.md").write_text("old\n")
    monkeypatch.setattr(
        builder, "lint_in_parallel", lambda paths, shown: [f"{shown}/{collector.RECORD.file}:1 E0000 made up"]
    )
    before = snapshot(checkout)
    assert build(checkout, "--no-cache") == 1
    assert f"{checkout / 'docs'}/ left unchanged" in capsys.readouterr().err
    assert snapshot(checkout) == before


def test_bad_docs_dir_option_is_named_and_nothing_is_written(checkout, capsys):
    not_a_dir = checkout / "file"
    not_a_dir.write_text("x")
    before = snapshot(checkout)
    with pytest.raises(SystemExit) as stopped:
        builder.main(["--output-dir", str(checkout / "output"), "--docs-dir", str(not_a_dir)])
    assert stopped.value.code == 2
    assert f"--docs-dir: {not_a_dir} exists and is not a directory" in capsys.readouterr().err
    assert snapshot(checkout) == before
