"""The records and the registry (stacks/record.py, stacks/__init__.py): one record per template, in
deployment order, and a template's file name written in its own module only."""

import functools
import inspect
from pathlib import Path

import pytest
from conftest import ROOT, template_dict
from troposphere import Template

from patch_templates.stacks import RECORDS, stackset
from patch_templates.stacks.record import ACCOUNTS, Record

SOURCES = [path for folder in ("patch_templates", "tests", "benchmarks") for path in (ROOT / folder).rglob("*.py")]


def own_module(record: Record) -> Path:
    build = record.build.func if isinstance(record.build, functools.partial) else record.build
    return Path(inspect.getsourcefile(build)).resolve()


def test_one_record_per_template_file_in_deployment_order():
    files = [record.file for record in RECORDS]
    assert len(files) == len(set(files)) == len({record.stem for record in RECORDS})
    assert all(file.endswith((".yml", ".yaml")) for file in files)
    assert [record.step for record in RECORDS] == sorted(record.step for record in RECORDS)
    assert {record.account for record in RECORDS} == set(ACCOUNTS)


@pytest.mark.parametrize("record", RECORDS)
def test_a_template_file_name_is_written_in_its_own_module_only(record):
    own = own_module(record)
    assert own.parent == ROOT / "patch_templates" / "stacks"
    elsewhere = [
        path.relative_to(ROOT) for path in SOURCES if path.resolve() != own and record.file in path.read_text()
    ]
    assert elsewhere == [], f"{record.file} is named outside {own.name}: use its record"


def test_flows_name_registered_stacks_or_people_and_take_from_earlier_stacks():
    for record in RECORDS:
        for target, what in record.feeds:
            assert what and (isinstance(target, str) or target in RECORDS), (record.file, what)
        for source, what in record.takes:
            assert what and source in RECORDS and source.step < record.step, (record.file, what)
    assert any(record.takes for record in RECORDS) and any(record.feeds for record in RECORDS)


def test_the_stackset_members_are_the_records_with_member_information():
    assert set(stackset.MEMBERS) == {record for record in RECORDS if record.member}
    assert all(record.step == stackset.RECORD.step and record.account == "source" for record in stackset.MEMBERS)


def test_each_record_builds_the_template_of_its_file():
    for record in RECORDS:
        assert template_dict(record)["Description"] == record.build().description


def test_an_unknown_account_is_refused_with_the_file_named():
    with pytest.raises(ValueError, match="x.yml: account 'cloud' is not one of management, source, collector, single"):
        Record("x.yml", Template, step=1, account="cloud", does="x")


def test_examples_cannot_be_changed_after_the_record_is_made():
    examples = {"pA": "1"}
    record = Record("x.yml", Template, step=1, account="source", does="x", examples=examples)
    examples["pA"] = "2"
    assert record.examples["pA"] == "1"
    with pytest.raises(TypeError):
        record.examples["pA"] = "3"  # type: ignore[index]
