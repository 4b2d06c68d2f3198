"""Every bucket policy of every template names its bucket through the bucket resource itself
(GetAtt Bucket.Arn, and that ARN plus /... for objects), never an ARN rebuilt from a parameter:
then the policy cannot drift from the bucket it protects."""

import pytest
from conftest import every_statement, template_dict

from patch_templates.stacks import ANALYTICS, RECORDS, collector


def policies() -> list[tuple]:
    return [
        (record, logical_id, resource["Properties"])
        for record in RECORDS
        for logical_id, resource in template_dict(record)["Resources"].items()
        if resource["Type"] == "AWS::S3::BucketPolicy"
    ]


def test_the_templates_have_bucket_policies():
    assert {(record, logical_id) for record, logical_id, _ in policies()} >= {
        (collector.RECORD, "ResourceDataSyncBucketPolicy"),
        (ANALYTICS, "AthenaResultsBucketPolicy"),
    }


@pytest.mark.parametrize("record, logical_id, policy", policies(), ids=lambda v: v if isinstance(v, str) else "")
def test_each_policy_names_its_bucket_through_the_bucket_resource(record, logical_id, policy):
    bucket = policy["Bucket"]["Ref"]
    assert template_dict(record)["Resources"][bucket]["Type"] == "AWS::S3::Bucket"
    arn = {"Fn::GetAtt": [bucket, "Arn"]}
    found = list(every_statement(policy["PolicyDocument"]["Statement"]))
    assert found
    for statement in found:
        for resource in statement["Resource"]:
            if resource != arn:
                text, variables = resource["Fn::Sub"]
                assert text.startswith("${Bucket}/") and variables["Bucket"] == arn, (logical_id, resource)
