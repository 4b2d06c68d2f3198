"""The offline evaluator of template Rules (deploy/rules.py): every rule function, and a real rule."""

import pytest
from conftest import example, template_dict

from patch_templates.deploy import rules
from patch_templates.stacks import collector


def test_collector_rule_needs_accounts_or_organization():
    template = template_dict(collector.RECORD)
    values = example(collector.RECORD)
    assert rules.failures(template, dict(values, pDataSourceAccountID="")) == [
        "SourceAccountsOrOrganization: "
        + template["Rules"]["SourceAccountsOrOrganization"]["Assertions"][0]["AssertDescription"]
    ]
    assert rules.failures(template, dict(values, pDataSourceAccountID="111122223333,")) != []
    assert rules.failures(template, dict(values, pDataSourceAccountID="", pOrganizationID="o-a1b2c3d4e5")) == []


def test_rule_functions():
    template = {"Parameters": {"pL": {"Type": "CommaDelimitedList"}, "pS": {"Type": "String"}}}
    values = {"pL": "a,b", "pS": "a"}

    def ev(expression):
        return rules.evaluate(expression, template, values)

    assert ev({"Ref": "pL"}) == ["a", "b"] and ev({"Ref": "AWS::Region"}) == "us-east-1"
    assert ev({"Fn::Contains": [{"Ref": "pL"}, {"Ref": "pS"}]}) is True
    assert ev({"Fn::EachMemberIn": [{"Ref": "pL"}, ["a", "b", "c"]]}) is True
    assert ev({"Fn::EachMemberIn": [{"Ref": "pL"}, ["a"]]}) is False
    assert ev({"Fn::EachMemberEquals": [{"Ref": "pL"}, "a"]}) is False
    assert ev({"Fn::And": [{"Fn::Equals": [{"Ref": "pS"}, "a"]}, {"Fn::Not": [{"Fn::Equals": ["x", "y"]}]}]}) is True
    assert ev({"Fn::Or": [{"Fn::Equals": ["x", "y"]}, {"Fn::Equals": ["y", "z"]}]}) is False
    with pytest.raises(ValueError, match="Fn::ValueOf cannot be evaluated offline"):
        ev({"Fn::ValueOf": ["pS", "Tags"]})
