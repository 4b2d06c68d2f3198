"""The generated Markdown pages (reference/pages.py): the parameter table in console groups, table
cells, and deploy commands that go through S3 only where the inline limit needs it."""

import re

from conftest import OUTPUT, ROOT, template_dict
from test_pictures import SAMPLE
from troposphere import Template

from patch_templates.parts.common import TEMPLATE_BODY_LIMIT
from patch_templates.reference import pages
from patch_templates.reference.examples import example_parameters, grouped_parameters
from patch_templates.stacks import RECORDS, stackset
from patch_templates.stacks.record import Record


def test_parameter_table_lists_each_parameter_once_in_console_groups():
    text = (ROOT / "docs" / "parameters.md").read_text()
    for record in RECORDS:
        section = text.split(f"## {record.file}\n", 1)[1].split("\n## ", 1)[0]
        groups = grouped_parameters(template_dict(record))
        rows = re.findall(r"^\| (?:\*\*|`)?.*$", section, re.M)
        expected = [f"| | **{group}** | |" for group, _ in groups]
        assert [r for r in rows if r.startswith("| | **")] == expected
        shown = re.findall(r"^\| `(\w+)`", section, re.M)
        assert shown == [p for _, names in groups for p in names]
        assert sorted(shown) == sorted(template_dict(record).get("Parameters", {}))


def test_table_cells_escape_pipes():
    record = Record("m.yml", Template, step=9, account="source", does="sample")
    text = pages.parameters_markdown([record], {"m.yml": SAMPLE}, {"m.yml": example_parameters(record, SAMPLE)})
    assert "| `pName`<br>Name | a \\| b | Default: `abc`<br>three letters |" in text


def test_deploy_commands_go_through_s3_only_for_templates_over_the_inline_limit():
    for record in RECORDS:
        page = (ROOT / "docs" / "templates" / f"{record.stem}.md").read_text()
        over = (OUTPUT / record.file).stat().st_size > TEMPLATE_BODY_LIMIT
        assert ("--s3-bucket my-artifacts-bucket" in page) == over, record.file
        assert ("ARTIFACTS_BUCKET=my-artifacts-bucket" in page) == over, record.file
    assert (OUTPUT / stackset.RECORD.file).stat().st_size > TEMPLATE_BODY_LIMIT
