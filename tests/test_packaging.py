"""Packaging: the package installs without setuptools warnings and carries its data files; the
console command writes only where its options say; the licence is the Apache-2.0 text."""

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import snapshot

ROOT = Path(__file__).resolve().parent.parent


def test_build_py_has_no_setuptools_warning_and_ships_queries_and_lambdas(tmp_path):
    """`setup.py build_py` with warnings as errors: a data folder missing from `packages` (the
    40-line 'Package would be ignored' warning of every install) fails it."""
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path)
    shutil.copytree(
        ROOT / "patch_templates", tmp_path / "patch_templates", ignore=shutil.ignore_patterns("__pycache__")
    )
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-c",
            "from setuptools import setup; setup()",
            "-q",
            "build_py",
            "--build-lib",
            "lib",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stderr
    lib = tmp_path / "lib" / "patch_templates"
    shipped = {str(p.relative_to(lib)) for p in lib.rglob("*") if p.is_file()}
    expected = {
        str(p.relative_to(ROOT / "patch_templates"))
        for p in (ROOT / "patch_templates").rglob("*")
        if p.is_file() and p.suffix in (".py", ".sql") and "__pycache__" not in p.parts
    }
    assert shipped == expected
    assert any(name.startswith("queries/") for name in shipped) and any(name.startswith("lambdas/") for name in shipped)


def console(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    script = Path(sys.executable).parent / "patch-templates"
    return subprocess.run([str(script), "build", *args], cwd=cwd, capture_output=True, text=True)


def warm_cache(directory: Path) -> None:
    """A copy of this checkout's lint cache, when it has one: the tests then lint nothing."""
    if (ROOT / ".cache").is_dir():
        shutil.copytree(ROOT / ".cache", directory, dirs_exist_ok=True)


def test_console_command_writes_only_where_its_options_say(tmp_path):
    work = tmp_path / "cwd"
    work.mkdir()
    warm_cache(tmp_path / "cache")
    options = [
        "--output-dir",
        str(tmp_path / "out"),
        "--docs-dir",
        str(tmp_path / "ref"),
        "--cache-dir",
        str(tmp_path / "cache"),
    ]
    result = console(*options, cwd=work)
    assert result.returncode == 0, result.stderr
    assert list(work.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "cwd", "out", "ref"]
    assert (tmp_path / "out" / "constraints.json").is_file() and (tmp_path / "ref" / "architecture.md").is_file()
    before = snapshot(tmp_path)
    rerun = console(*options, cwd=work)
    assert rerun.returncode == 0 and "(0 linted)" in rerun.stdout
    assert snapshot(tmp_path) == before  # nothing changed, nothing written


def test_console_command_defaults_are_output_docs_and_cache_in_the_current_directory(tmp_path):
    assert console("--check", cwd=tmp_path).returncode == 1
    assert list(tmp_path.iterdir()) == []  # --check writes nothing
    warm_cache(tmp_path / ".cache")
    result = console(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [".cache", "docs", "output"]
    help_text = " ".join(console("--help", cwd=tmp_path).stdout.split())
    assert "(default: output)" in help_text and "(default: docs)" in help_text and "(default: .cache)" in help_text


def test_licence_is_the_apache_2_text():
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert text.rstrip().endswith("END OF TERMS AND CONDITIONS") and len(text.splitlines()) >= 170
    assert "license = Apache-2.0" in (ROOT / "setup.cfg").read_text()
