"""The example parameter files (output/parameters/): every parameter, values each template
accepts, the record's own examples first, and a clear error where no value fits."""

import json

import pytest
from conftest import OUTPUT, example, render, template_dict
from troposphere import Template

from patch_templates.deploy import rules
from patch_templates.deploy.preflight import violation
from patch_templates.parts.common import BuildError
from patch_templates.reference import examples
from patch_templates.stacks import RECORDS, collector, stackset
from patch_templates.stacks.record import Record

STRING = dict(Type="String", AllowedPattern=r"^[a-z]{3}$", ConstraintDescription="three letters")
STAND_IN = Record("x.yml", Template, step=1, account="collector", does="stand-in")


def parameter_file(record: Record) -> list[dict]:
    return json.loads((OUTPUT / "parameters" / f"{record.stem}.json").read_text())


@pytest.mark.parametrize("record", RECORDS)
def test_parameter_file_names_exactly_the_template_parameters(record):
    keys = [p["ParameterKey"] for p in parameter_file(record)]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(template_dict(record).get("Parameters", {}))
    assert all(
        set(p) == {"ParameterKey", "ParameterValue"} and isinstance(p["ParameterValue"], str)
        for p in parameter_file(record)
    )


@pytest.mark.parametrize("record", RECORDS)
def test_parameter_file_values_pass_constraints_and_rules(record):
    template = template_dict(record)
    values = example(record)
    for key, value in values.items():
        assert violation(template["Parameters"][key], value) is None, (key, value)
    assert rules.failures(template, values) == []
    # cloud-radar checks the values its own way and resolves the stack with them.
    assert render(record, values)["Resources"]


def test_parameter_file_values_come_from_the_record_then_the_default():
    values = example(collector.RECORD)
    assert values["pResourceDataSyncBucketName"] == collector.RECORD.examples["pResourceDataSyncBucketName"]
    assert values["pSyncName"] == template_dict(collector.RECORD)["Parameters"]["pSyncName"]["Default"]
    # The StackSet takes its members' examples: the sync member's bucket.
    assert example(stackset.RECORD)["pResourceDataSyncBucketName"] == values["pResourceDataSyncBucketName"]


def test_example_value_fails_clearly_when_nothing_fits():
    with pytest.raises(BuildError, match="no example value for pOdd: add one to its record's examples"):
        examples.example_value("pOdd", STRING)


def test_example_value_order_name_default_allowed_minimum_candidate():
    own = {"pDataSourceAccountID": "444455556666"}
    assert examples.example_value("pDataSourceAccountID", dict(STRING, Default=""), own) == "444455556666"
    assert examples.example_value("pX", dict(STRING, Default="abc")) == "abc"
    assert examples.example_value("pX", dict(Type="String", AllowedValues=["B", "A"])) == "B"
    assert examples.example_value("pX", dict(Type="Number", MinValue=3, MaxValue=9)) == "3"
    assert examples.example_value("pX", dict(Type="String", AllowedPattern=r"^us-[a-z]+-\d$")) == "us-east-1"
    assert examples.example_value("pX", dict(Type="Number", Default=True)) == "true"


def test_examples_refused_by_a_rule_stop_the_docs():
    template = {
        "Parameters": {"pA": dict(STRING, Default="abc"), "pB": dict(STRING, Default="abd")},
        "Rules": {
            "Same": {
                "Assertions": [
                    {"Assert": {"Fn::Equals": [{"Ref": "pA"}, {"Ref": "pB"}]}, "AssertDescription": "pA must equal pB"}
                ]
            }
        },
    }
    with pytest.raises(BuildError, match="x.yml are refused: Same: pA must equal pB"):
        examples.example_parameters(STAND_IN, template)


def test_a_rule_that_cannot_be_checked_offline_stops_the_docs():
    template = {
        "Parameters": {"pA": dict(STRING, Default="abc")},
        "Rules": {"Vpc": {"Assertions": [{"Assert": {"Fn::ValueOf": ["pA", "VpcId"]}}]}},
    }
    with pytest.raises(BuildError, match="cannot check the Rules of x.yml .*Fn::ValueOf"):
        examples.example_parameters(STAND_IN, template)
