"""Names built from parameters and the stack name stay within their limits: each template rendered
with the longest value every name parameter allows and the longest stack name (128 characters),
every top-level string property checked against its resource schema's maxLength and pattern (the
schemas cfn-lint ships)."""

import copy
import re

import pytest
import regex  # the schemas' patterns use \\p{L}, which re does not know
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
from cloud_radar.cf.unit import Template as RadarTemplate
from conftest import template_dict

from patch_templates.deploy.preflight import violation
from patch_templates.stacks import ANALYTICS, RECORDS, central_alerts, compliance_reports, quicksight_dashboard

STACK_NAME = "s" * 128  # CloudFormation's longest stack name
# parameter -> the longest value its constraint accepts (checked below: one character more is refused).
LONGEST = {
    "pOrganization": "o" * 40,
    "pPatchBaselineName": "b" * 40,
    "pMaintenanceWindowName": "w" * 40,
    "pMaintenanceWindowTargetName": "t" * 40,
    "pSyncName": "y" * 64,
    "pStackSetNamePrefix": "P" * 64,
    "pResourceDataSyncBucketName": "r" * 63,
    "pBucketPrefix": "x" * 64,
}
REQUIRED = {
    "pNotificationEmailAddress": "ops@example.com",
    "pCollectorAccountId": "111122223333",
    "pDataSourceAccountID": "444455556666",
    "pOrganizationalUnitIds": "ou-ab12-cdefgh34",
    "pRegions": "us-east-1",
    "pCentralEventBusArn": "arn:aws:events:us-east-1:111122223333:event-bus/patch-alerts",
    # Every wave on, with the OS whose StackSet name is the longest.
    "pDeployWave2": "true",
    "pWave2OrganizationalUnitIds": "ou-ab12-22222222",
    "pDeployWave3": "true",
    "pWave3OrganizationalUnitIds": "ou-ab12-33333333",
    "pDeployAmazonLinux2023": "true",
    # The patch-now administration role is created in the Region the test renders in.
    "pOrganizationID": "o-a1b2c3d4e5",
    "pAdministrationRoleRegion": "us-east-1",
    # So is the shared member's patch-now execution role.
    "pEnablePatchNow": "true",
    "pPatchNowAdministrationAccountId": "444455556666",
    "pPatchNowRoleRegion": "us-east-1",
    "pTemplateBucketName": "org-templates-bucket",
}
# Limits the resource schemas do not carry: an SNS topic's DisplayName holds at most 100 characters
# (SNS API Reference, CreateTopic attributes).
EXTRA = {("AWS::SNS::Topic", "DisplayName"): {"maxLength": 100}}
# The patching templates; the alerts, analytics, reports and dashboard names belong to their own tests.
OWN = [
    record
    for record in RECORDS
    if record not in (central_alerts.RECORD, ANALYTICS, compliance_reports.RECORD, quicksight_dashboard.RECORD)
]


@pytest.mark.parametrize("name", LONGEST)
def test_longest_values_are_the_longest_accepted(name):
    owner = next(t for t in OWN if name in template_dict(t).get("Parameters", {}))
    definition = template_dict(owner)["Parameters"][name]
    assert violation(definition, LONGEST[name]) is None
    assert violation(definition, LONGEST[name] + LONGEST[name][-1]) is not None


def bounds(schema: dict) -> tuple[int | None, str | None]:
    """(maxLength, pattern) of a string property; the pattern's {m,n} bound when no maxLength."""
    limit, pattern = schema.get("maxLength"), schema.get("pattern")
    if limit is None and pattern and (found := re.search(r"\{\d+,(\d+)\}\$?$", pattern)):
        limit = int(found[1])
    return limit, pattern


def from_resource(value, template: dict) -> bool:
    """A Ref or GetAtt of another resource (cloud-radar renders it as its logical id, not its value)."""
    return isinstance(value, dict) and ("Fn::GetAtt" in value or value.get("Ref") in template["Resources"])


@pytest.mark.parametrize("record", OWN)
def test_names_fit_their_schema_for_the_longest_stack_name(record):
    template = template_dict(record)
    radar = RadarTemplate(copy.deepcopy(template))
    radar.StackName = STACK_NAME
    values = {k: v for k, v in {**REQUIRED, **LONGEST}.items() if k in template.get("Parameters", {})}
    rendered = radar.render(values)
    checked = []
    for logical_id, resource in rendered["Resources"].items():
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource["Type"]).schema
        for key, value in resource.get("Properties", {}).items():
            limit, pattern = bounds(EXTRA.get((resource["Type"], key)) or schema["properties"].get(key, {}))
            if (
                not isinstance(value, str)
                or (limit is None and pattern is None)
                or from_resource(template["Resources"][logical_id]["Properties"][key], template)
            ):
                continue
            assert limit is None or len(value) <= limit, (logical_id, key, len(value), limit)
            assert pattern is None or regex.search(pattern, value), (logical_id, key, value, pattern)
            checked.append(key)
    names = {
        key
        for resource in template["Resources"].values()
        for key, value in resource.get("Properties", {}).items()
        if key.endswith("Name") and key not in ("BucketName",) and not from_resource(value, template)
    }
    assert names <= set(checked), names - set(checked)  # every name property was checked
    for output in rendered.get("Outputs", {}).values():
        if "Export" in output:
            assert len(output["Export"]["Name"]) <= 255  # export names
