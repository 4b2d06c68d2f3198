"""The generated rollout page (reference/rollout.py): its counts, copy step and calendar are the
build's, and the sizes it links to (reference/limits.py)."""

import json
import re

from conftest import OUTPUT, ROOT

from patch_templates.stacks import stackset

PAGE = (ROOT / "docs" / "rollout.md").read_text()


def test_counts_and_sizes_are_the_built_templates():
    assert "| 1 | 2 | 2 | 8,000 |" in PAGE and f"| {1 + len(stackset.WAVES)} | 4 | 2 | 8,000 |" in PAGE
    limits = (ROOT / "docs" / "limits.md").read_text()
    for record in (stackset.RECORD, *stackset.MEMBERS):
        assert f"| `{record.file}` | {len((OUTPUT / record.file).read_bytes()):,} |" in limits


def test_the_console_copy_step_names_the_key_the_stackset_reads():
    files = json.loads((OUTPUT / "constraints.json").read_text())["uploads"][stackset.RECORD.file]["files"]
    copies = re.findall(r"^aws s3 cp output/(\S+) s3://<bucket>/(\S+)$", PAGE, re.M)
    assert copies == [(file, key) for key, file in files.items()] and copies
    assert all(key in (OUTPUT / stackset.RECORD.file).read_text() for _, key in copies)


def test_every_wave_installs_every_month_with_the_example_values():
    rows = re.findall(r"^\| (wave \d) \| (.*) \|$", PAGE, re.M)
    assert [name for name, _ in rows] == ["wave 1", "wave 2", "wave 3"]
    assert [set(cells.split(" | ")) for _, cells in rows] == [{"3"}, {"10"}, {"17"}]
    assert "```mermaid\ngantt" in PAGE and "never installed" not in PAGE
