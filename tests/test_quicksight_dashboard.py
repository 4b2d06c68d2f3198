"""quicksight_dashboard.yaml: parameters, what the analytics stack gives it, the service role's
access, data sets and their refresh."""

import json

import pytest
from cloud_radar.cf.unit import Template as RadarTemplate

from conftest import check_constraint, template_dict
from conftest import statements as deployed_statements
from patch_templates.stacks import quicksight_dashboard as dashboard

NAME = dashboard.FILE
QUICKSIGHT_USER = "arn:aws:quicksight:us-east-1:111122223333:user/default/patch-admin"
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BASE = {"pBucketName": "sync-bucket/inventory"}
# What the analytics stack exports, as the stack named pAnalyticsStackName publishes it.
EXPORTS = {"GlueDatabaseName": "ssm-inventory", "AthenaWorkGroupName": "patch-reports",
           "AthenaResultsBucketName": "analytics-athenaresultsbucket-1a2b3c"}


def render(name: str, params: dict, analytics_stack: str = dashboard.ANALYTICS_STACK) -> dict:
    """The stack with these parameter values, importing EXPORTS from the analytics stack."""
    imports = {f"{analytics_stack}-{key}": value for key, value in EXPORTS.items()}
    return RadarTemplate(json.loads(json.dumps(template_dict(name))), imports=imports).render(
        {"pAnalyticsStackName": analytics_stack, **params}, region="us-east-1")

GOOD_AND_BAD = {
    "pAnalyticsStackName": (["consolidated-billing-s3-glue-crawler-athena", "a", "A" * 128],
                            ["", "1stack", "-stack", "stack_name", "stack.name", "A" * 129]),
    "pCFNTablePrefixName": (["patching", "p", "ssm_inventory2"],
                            ["", "Patching", "2patch", "patch-ing", "_p", "x" * 65]),
    "pBucketName": (["my.bucket/inventory", "abc/a/b/c"],
                    ["", "bucket-only", "bucket/", "/prefix", "Bucket/prefix", "bucket//prefix"]),
    "pKMSKeyArn": (["", KEY], ["alias/aws/s3", "arn:aws:kms:us-east-1:111122223333:alias/my-key"]),
    "pQuickSightPrincipalArn": (["", QUICKSIGHT_USER,
                                 "arn:aws:quicksight:eu-west-1:111122223333:group/default/admins"],
                                ["patch-admin", "arn:aws:iam::111122223333:user/patch-admin",
                                 "arn:aws:quicksight:us-east-1:1111:user/default/x",
                                 "arn:aws:quicksight:us-east-1:111122223333:dashboard/abc"]),
    "pQuickSightServiceRoleName": (["aws-quicksight-service-role-v0", "QuickSight+Role@x"],
                                   ["", "role/with/path", "x" * 65, "has space"]),
    "pRefreshInterval": (["DAILY", "WEEKLY", "MONTHLY"], ["daily", "HOURLY", "YEARLY", ""]),
    "pRefreshTimeOfDay": (["00:00", "06:30", "23:59"], ["24:00", "6:30", "12:60", "0630", "noon"]),
    "pRefreshTimezone": (["UTC", "America/New_York", "America/Argentina/Buenos_Aires", "Etc/GMT+5"],
                         ["", "utc", "EST5EDT-", "America/", "New York"]),
    "pRefreshDayOfWeek": (["MONDAY", "SUNDAY"], ["Monday", "MON", ""]),
    "pRefreshDayOfMonth": (["1", "28", "LAST_DAY_OF_MONTH"], ["0", "29", "31", "last", "01"]),
}


def test_every_parameter_refuses_bad_values():
    tried = sum(check_constraint(NAME, name, good, bad) for name, (good, bad) in GOOD_AND_BAD.items())
    assert set(GOOD_AND_BAD) == set(template_dict(NAME)["Parameters"])
    assert tried == sum(len(bad) for _, bad in GOOD_AND_BAD.values())


def test_shared_parameters_match_the_analytics_stack():
    """The same names, constraints and defaults as the stack they describe."""
    mine = template_dict(NAME)["Parameters"]
    theirs = template_dict("consolidated_billing_s3_glue_crawler_athena.yaml")["Parameters"]
    for name in ("pCFNTablePrefixName", "pKMSKeyArn", "pBucketName"):
        assert {k: v for k, v in mine[name].items() if k != "Description"} == {
            k: v for k, v in theirs[name].items() if k != "Description" and (k != "Default" or name != "pBucketName")}


def statements(document: dict) -> dict:
    return {s["Sid"]: s for s in deployed_statements(document)}


QUICKSIGHT = {"QuickSightDataSource", "QuickSightComplianceDataSet", "QuickSightRefreshSchedule"}


def test_without_a_principal_only_the_service_role_access():
    stack = render(NAME, BASE)["Resources"]
    assert set(stack) == {"QuickSightDataAccessPolicy"}


def test_service_role_reads_the_sync_prefix_and_uses_the_imported_results_bucket():
    stack = render(NAME, {**BASE, "pQuickSightServiceRoleName": "qs-role", "pKMSKeyArn": KEY})["Resources"]
    policy = stack["QuickSightDataAccessPolicy"]["Properties"]
    assert policy["Roles"] == ["qs-role"]
    found = statements(policy["PolicyDocument"])
    assert found["ReadSyncedInventory"]["Resource"] == ["arn:aws:s3:::sync-bucket/inventory/*"]
    assert found["ListSyncedInventory"]["Condition"] == {"StringLike": {"s3:prefix": ["inventory", "inventory/*"]}}
    assert found["DecryptWithSyncKey"]["Resource"] == [KEY]
    assert found["DecryptWithSyncKey"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    results = EXPORTS["AthenaResultsBucketName"]
    assert found["AthenaResultsBucket"]["Resource"] == [f"arn:aws:s3:::{results}"]
    assert found["AthenaResults"]["Resource"] == [f"arn:aws:s3:::{results}/*"]
    assert "DecryptWithSyncKey" not in statements(render(NAME, BASE)["Resources"]["QuickSightDataAccessPolicy"][
        "Properties"]["PolicyDocument"])


def test_quicksight_only_with_a_principal_and_owned_by_it():
    stack = render(NAME, {**BASE, "pQuickSightPrincipalArn": QUICKSIGHT_USER})["Resources"]
    assert QUICKSIGHT <= set(stack)
    source = stack["QuickSightDataSource"]["Properties"]
    assert source["Type"] == "ATHENA"
    data_set = stack["QuickSightComplianceDataSet"]["Properties"]
    assert data_set["ImportMode"] == "SPICE"
    assert data_set["IngestionWaitPolicy"] == {"WaitForSpiceIngestion": False}
    for resource in (source, data_set):
        permission, = resource["Permissions"]
        assert permission["Principal"] == QUICKSIGHT_USER


@pytest.mark.parametrize("interval, on_day", [
    ("DAILY", None), ("WEEKLY", {"DayOfWeek": "FRIDAY"}), ("MONTHLY", {"DayOfMonth": "LAST_DAY_OF_MONTH"})])
def test_refresh_schedule_follows_the_interval(interval, on_day):
    stack = render(NAME, {**BASE, "pQuickSightPrincipalArn": QUICKSIGHT_USER,
                          "pRefreshInterval": interval, "pRefreshDayOfWeek": "FRIDAY",
                          "pRefreshDayOfMonth": "LAST_DAY_OF_MONTH", "pRefreshTimeOfDay": "05:45",
                          "pRefreshTimezone": "Europe/Berlin"})
    schedule = stack["Resources"]["QuickSightRefreshSchedule"]["Properties"]["Schedule"]
    frequency = schedule["ScheduleFrequency"]
    assert (schedule["RefreshType"], frequency["Interval"]) == ("FULL_REFRESH", interval)
    assert (frequency["TimeOfTheDay"], frequency["TimeZone"]) == ("05:45", "Europe/Berlin")
    assert frequency.get("RefreshOnDay") == on_day
