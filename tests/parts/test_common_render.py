"""common.render: a QuickSight Definition's small mappings on one line, everything else as cfn-flip
writes it, and the YAML reads back as the template's data."""

import json

from cfnlint.decode import decode_str
from conftest import OUTPUT, template_dict
from troposphere import Tags, Template, quicksight, s3

from patch_templates.parts import common
from patch_templates.stacks import quicksight_dashboard

COLUMN = {"DataSetIdentifier": "nodes", "ColumnName": "account_id"}
# a mapping of scalars longer than common.FLOW_MAPPING_WIDTH as JSON
LONG = {"Title": "x" * common.FLOW_MAPPING_WIDTH}


def small_template() -> Template:
    t = Template()
    t.add_resource(s3.Bucket("Bucket", Tags=Tags(team="patching")))
    definition = {
        "DataSetIdentifierDeclarations": [{"Identifier": "nodes", "DataSetArn": "arn:aws:quicksight:::dataset/n"}],
        "FilterGroups": [
            {
                "FilterGroupId": "account",
                "CrossDataset": "ALL_DATASETS",
                "ScopeConfiguration": {"AllSheets": {}},
                "Filters": [
                    {
                        "CategoryFilter": {
                            "FilterId": "account",
                            "Column": COLUMN,
                            "Configuration": {"FilterListConfiguration": {"MatchOperator": "CONTAINS"}},
                            "DefaultFilterControlConfiguration": {
                                "ControlOptions": {"DefaultDropdownOptions": {}},
                                **LONG,
                            },
                        }
                    }
                ],
            }
        ],
    }
    t.add_resource(
        quicksight.Analysis(
            "Analysis",
            AwsAccountId="111122223333",
            AnalysisId="a",
            Name="a",
            Definition=quicksight.AnalysisDefinition.from_dict("Definition", definition),
        )
    )
    return t


def test_only_the_definitions_small_mappings_go_on_one_line_and_the_yaml_reads_back_the_same():
    t = small_template()
    text = common.render(t)
    lines = [line.strip() for line in text.splitlines()]
    assert "Column: {ColumnName: account_id, DataSetIdentifier: nodes}" in lines
    assert "Configuration: {FilterListConfiguration: {MatchOperator: CONTAINS}}" in lines
    # too long for one line, and the bucket's tags (not a Definition): block style
    assert "DefaultFilterControlConfiguration:" in lines and f"Title: {LONG['Title']}" in lines
    assert "- Key: team" in lines and "Value: patching" in lines
    decoded, errors = decode_str(text)
    assert not errors
    assert json.loads(json.dumps(decoded)) == json.loads(t.to_json())


def test_the_dashboard_output_reads_back_as_its_template():
    text = (OUTPUT / quicksight_dashboard.RECORD.file).read_text()
    assert ": {ColumnName: " in text
    decoded, errors = decode_str(text)
    assert not errors
    assert json.loads(json.dumps(decoded)) == template_dict(quicksight_dashboard.RECORD)
