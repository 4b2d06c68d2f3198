"""Every bucket policy of every template names its bucket through the bucket resource itself
(GetAtt Bucket.Arn, and that ARN plus /... for objects), never an ARN rebuilt from a parameter:
then the policy cannot drift from the bucket it protects."""

import pytest
from conftest import template_dict

from patch_templates.stacks import TEMPLATES


def policies() -> list[tuple[str, str, dict]]:
    return [
        (name, logical_id, resource["Properties"])
        for name in TEMPLATES
        for logical_id, resource in template_dict(name)["Resources"].items()
        if resource["Type"] == "AWS::S3::BucketPolicy"
    ]


def statements(node):
    """Statements in a policy document, inside any Fn::If."""
    if isinstance(node, list):
        for item in node:
            yield from statements(item)
    elif isinstance(node, dict):
        if "Effect" in node:
            yield node
        elif "Fn::If" in node:
            yield from statements(node["Fn::If"][1:])


def test_the_templates_have_bucket_policies():
    assert {(name, logical_id) for name, logical_id, _ in policies()} >= {
        ("resourcedatasync_s3bucket_bucketpolicy.yml", "ResourceDataSyncBucketPolicy"),
        ("consolidated_billing_s3_glue_crawler_athena.yaml", "AthenaResultsBucketPolicy"),
    }


@pytest.mark.parametrize("name, logical_id, policy", policies(), ids=lambda v: v if isinstance(v, str) else "")
def test_each_policy_names_its_bucket_through_the_bucket_resource(name, logical_id, policy):
    bucket = policy["Bucket"]["Ref"]
    assert template_dict(name)["Resources"][bucket]["Type"] == "AWS::S3::Bucket"
    arn = {"Fn::GetAtt": [bucket, "Arn"]}
    found = list(statements(policy["PolicyDocument"]["Statement"]))
    assert found
    for statement in found:
        for resource in statement["Resource"]:
            if resource != arn:
                text, variables = resource["Fn::Sub"]
                assert text.startswith("${Bucket}/") and variables["Bucket"] == arn, (logical_id, resource)
