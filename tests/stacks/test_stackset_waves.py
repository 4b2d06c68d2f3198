"""Schedules and rollout waves: the maintenance window's ScheduleOffset, and waves of OUs that each
get their own StackSet of the operations member with their own schedule and offset."""

from pathlib import Path

import pytest
from conftest import check_constraint, render, rules_refusing, template_dict

from patch_templates.parts import baselines
from patch_templates.stacks import patch_operations, patching, stackset

STACKSET = stackset.RECORD
OUTPUT = Path(__file__).resolve().parents[2] / "output"
STANDALONE = patching.RECORDS["windows"]
REQUIRED = {
    "pOrganizationalUnitIds": "ou-ab12-11111111",
    "pRegions": "us-east-1",
    "pResourceDataSyncBucketName": "central-inventory-bucket",
    "pCollectorAccountId": "111122223333",
    "pCentralEventBusArn": "arn:aws:events:us-east-1:111122223333:event-bus/patch-alerts",
    "pWave2OrganizationalUnitIds": "none",
    "pWave3OrganizationalUnitIds": "none",
}
WAVES_ON = {
    "pDeployWave2": "true",
    "pWave2OrganizationalUnitIds": "ou-ab12-22222222",
    "pDeployWave3": "true",
    "pWave3OrganizationalUnitIds": "ou-ab12-33333333,ou-ab12-44444444",
}


def window(name, params: dict) -> dict:
    email = (
        {"pNotificationEmailAddress": "ops@example.com"}
        if name == STANDALONE
        else {"pCentralEventBusArn": "arn:aws:events:us-east-1:111122223333:event-bus/patch-alerts"}
    )
    return render(name, {**email, **params})["Resources"]["MaintenanceWindow"]["Properties"]


# --- ScheduleOffset ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [patch_operations.RECORD, STANDALONE])
def test_offset_moves_a_cron_window_after_patch_tuesday(name):
    properties = window(name, {"pSchedule": "cron(0 4 ? * TUE#2 *)", "pScheduleOffset": "3"})
    assert properties["Schedule"] == "cron(0 4 ? * TUE#2 *)" and str(properties["ScheduleOffset"]) == "3"


@pytest.mark.parametrize("name", [patch_operations.RECORD, STANDALONE])
@pytest.mark.parametrize(
    "params",
    [
        {"pScheduleOffset": "0", "pSchedule": "cron(0 4 ? * TUE#2 *)"},
        {"pScheduleOffset": "3", "pSchedule": "rate(7 days)"},
    ],
)
def test_no_offset_when_none_or_with_a_rate_schedule(name, params):
    """0 is none; ScheduleOffset works with cron only, so a rate schedule never receives one."""
    assert "ScheduleOffset" not in window(name, params)


OFFSET = (["0", "1", "6"], ["7", "-1", "2.5", "", "none", "one"])


@pytest.mark.parametrize(
    "name,parameter",
    [
        (patch_operations.RECORD, "pScheduleOffset"),
        (STANDALONE, "pScheduleOffset"),
        (STACKSET, "pScheduleOffset"),
        (STACKSET, "pWave2ScheduleOffset"),
        (STACKSET, "pWave3ScheduleOffset"),
    ],
)
def test_offsets_outside_0_to_6_are_refused(name, parameter):
    check_constraint(name, parameter, *OFFSET)


# --- rollout waves ---------------------------------------------------------------------------------


def stack_sets(params: dict) -> dict:
    resources = render(STACKSET, {**REQUIRED, **params})["Resources"]
    return {name: r["Properties"] for name, r in resources.items()}


def ous(properties: dict) -> list[list[str]]:
    # cloud-radar leaves "" for an Fn::If that chose AWS::NoValue in a list; CloudFormation drops it.
    return [group["DeploymentTargets"]["OrganizationalUnitIds"] for group in properties["StackInstancesGroup"] if group]


def passed(properties: dict) -> dict:
    return {item["ParameterKey"]: item["ParameterValue"] for item in properties["Parameters"]}


def test_each_wave_gets_its_own_operations_with_its_own_schedule_and_ous():
    sets = stack_sets(
        {
            **WAVES_ON,
            "pSchedule": "cron(0 4 ? * TUE#2 *)",
            "pScheduleOffset": "3",
            "pWave2Schedule": "cron(0 4 ? * TUE#3 *)",
            "pWave2ScheduleOffset": "3",
            "pWave3Schedule": "cron(30 2 ? * TUE#4 *)",
            "pWave3ScheduleOffset": "6",
        }
    )
    expected = {
        "PatchOperationsStackSet": (["ou-ab12-11111111"], "cron(0 4 ? * TUE#2 *)", "3"),
        "PatchOperationsWave2StackSet": (["ou-ab12-22222222"], "cron(0 4 ? * TUE#3 *)", "3"),
        "PatchOperationsWave3StackSet": (["ou-ab12-33333333", "ou-ab12-44444444"], "cron(30 2 ? * TUE#4 *)", "6"),
    }
    for logical_id, (wave_ous, schedule, offset) in expected.items():
        values = passed(sets[logical_id])
        assert ous(sets[logical_id]) == [wave_ous], logical_id
        assert (values["pSchedule"], values["pScheduleOffset"]) == (schedule, offset), logical_id
        # Everything else is the same in every wave.
        assert values["pDuration"] == passed(sets["PatchOperationsStackSet"])["pDuration"]
    assert sets["PatchOperationsWave2StackSet"]["StackSetName"] == "patch-management-patch-operations-wave2"
    assert sets["PatchOperationsWave2StackSet"]["TemplateBody"] == sets["PatchOperationsStackSet"]["TemplateBody"]


def test_each_wave_gets_its_own_baselines_with_its_own_approval_delays():
    sets = stack_sets(
        {
            **WAVES_ON,
            "pDeployUbuntu": "true",
            "pApproveAfterDays": "3",
            "pWave2ApproveAfterDays": "10",
            "pWave3ApproveAfterDays": "17",
            "pWave3SecurityApproveAfterDays": "12",
        }
    )
    expected = {
        "WindowsStackSet": (["ou-ab12-11111111"], "3", "none"),
        "WindowsWave2StackSet": (["ou-ab12-22222222"], "10", "none"),
        "WindowsWave3StackSet": (["ou-ab12-33333333", "ou-ab12-44444444"], "17", "12"),
    }
    for logical_id, (wave_ous, days, security_days) in expected.items():
        values = passed(sets[logical_id])
        assert ous(sets[logical_id]) == [wave_ous], logical_id
        assert (values["pApproveAfterDays"], values["pSecurityApproveAfterDays"]) == (days, security_days)
        assert values["pProduct"] == passed(sets["WindowsStackSet"])["pProduct"]  # the rest alike
    # Ubuntu takes no approval delay: its wave StackSets differ only in their OUs.
    assert "pApproveAfterDays" not in passed(sets["UbuntuWave2StackSet"])
    assert ous(sets["UbuntuWave3StackSet"]) == [["ou-ab12-33333333", "ou-ab12-44444444"]]
    # Default delays: 7 days more per wave, like the default schedules' 7 days between waves.
    defaults = template_dict(STACKSET)["Parameters"]
    assert [
        defaults[p]["Default"] for p in ("pApproveAfterDays", "pWave2ApproveAfterDays", "pWave3ApproveAfterDays")
    ] == [7, 14, 21]


def test_members_without_waves_go_to_every_wave():
    sets = stack_sets(WAVES_ON)
    assert ous(sets["ResourceDataSyncStackSet"]) == [
        ["ou-ab12-11111111"],
        ["ou-ab12-22222222"],
        ["ou-ab12-33333333", "ou-ab12-44444444"],
    ]


def test_a_wave_switched_off_deploys_nothing():
    sets = stack_sets(
        {
            "pDeployWave3": "true",
            "pWave3OrganizationalUnitIds": "ou-ab12-33333333",
            "pWave2OrganizationalUnitIds": "ou-ab12-22222222",
        }
    )  # wave 2 off, OUs given
    assert not {name for name in sets if "Wave2" in name}
    assert {name for name in sets if "Wave3" in name} == {"PatchOperationsWave3StackSet", "WindowsWave3StackSet"}
    assert ous(sets["ResourceDataSyncStackSet"]) == [["ou-ab12-11111111"], ["ou-ab12-33333333"]]
    assert not {
        name
        for name in stack_sets({**WAVES_ON, "pDeployPatchOperations": "false"})
        if name.startswith("PatchOperations")
    }


def test_no_parameter_overrides_anywhere():
    """Accounts that join an OU later get the StackSet's values, not ParameterOverrides
    (cloudformation-coverage-roadmap#1291): every wave value is a StackSet-level value."""
    for properties in template_dict(STACKSET)["Resources"].values():
        for group in properties["Properties"]["StackInstancesGroup"]:
            assert "ParameterOverrides" not in str(group)


@pytest.mark.parametrize(
    "params,refused",
    [
        ({"pDeployWave2": "true"}, ["Wave2HasOrganizationalUnits"]),
        (
            {"pDeployWave3": "true", "pWave3OrganizationalUnitIds": "none,ou-ab12-33333333"},
            ["Wave3HasOrganizationalUnits"],
        ),
        (
            {"pDeployWave2": "true", "pWave2OrganizationalUnitIds": "ou-ab12-11111111"},
            ["Waves1And2DoNotRepeatOrganizationalUnits"],
        ),
        ({**WAVES_ON, "pWave3OrganizationalUnitIds": "ou-ab12-22222222"}, ["Waves2And3DoNotRepeatOrganizationalUnits"]),
        (
            {**WAVES_ON, "pOrganizationalUnitIds": "ou-ab12-11111111,ou-ab12-33333333,ou-ab12-44444444"},
            ["Waves1And3DoNotRepeatOrganizationalUnits"],
        ),
        ({"pDeployWave2": "false", "pWave2OrganizationalUnitIds": "none"}, []),
        (WAVES_ON, []),
    ],
)
def test_rules_refuse_waves_without_ous_and_ous_in_two_waves(params, refused):
    assert rules_refusing(STACKSET, {**REQUIRED, **params}) == refused


def test_a_partial_overlap_is_not_seen_by_rules():
    """The documented limit: Rules cannot take a list apart, so an OU shared by two waves next to
    other OUs passes (docs/operating-systems.md says to avoid it)."""
    assert (
        rules_refusing(
            STACKSET,
            {
                **REQUIRED,
                "pOrganizationalUnitIds": "ou-ab12-11111111,ou-ab12-33333333",
                "pDeployWave2": "true",
                "pWave2OrganizationalUnitIds": "ou-ab12-11111111,ou-ab12-22222222",
            },
        )
        == []
    )


WAVE_BAD = {
    "pWave2Schedule": (
        ["cron(0 4 ? * TUE#3 *)", "cron(0 22 ? * MON,WED *)"],
        ["rate(7 days)", "cron(0 4 * * *)", "", "TUE#3"],
    ),
    "pWave3OrganizationalUnitIds": (
        ["none", "ou-ab12-33333333", "ou-ab12-33333333,ou-ab12-44444444", "r-ab12"],
        ["", "ou-x", "ou-ab12-33333333,", "None"],
    ),
    "pDeployWave2": (["true", "false"], ["True", "on", ""]),
    "pWave2ApproveAfterDays": (["0", "14", "360"], ["-1", "361", "fourteen"]),
    "pWave3SecurityApproveAfterDays": (["none", "0", "5"], ["", "361", "None"]),
}


def bad_values_tried() -> int:
    return len(OFFSET[1]) * 5 + sum(len(bad) for _, bad in WAVE_BAD.values())


def test_wave_parameters_refuse_bad_values():
    for parameter, (good, bad) in WAVE_BAD.items():
        check_constraint(STACKSET, parameter, good, bad)
    same = template_dict(STACKSET)["Parameters"]
    assert same["pWave3Schedule"]["AllowedPattern"] == same["pWave2Schedule"]["AllowedPattern"]
    assert (
        same["pWave2OrganizationalUnitIds"]["AllowedPattern"] == same["pWave3OrganizationalUnitIds"]["AllowedPattern"]
    )
    print(f"\nbad values tried on schedule offsets and wave parameters: {bad_values_tried()}")


def test_parameter_budget_with_every_os_and_wave():
    parameters = template_dict(STACKSET)["Parameters"]
    print(
        f"\nStackSet parameters with {len(baselines.OPERATING_SYSTEMS)} operating systems and "
        f"{1 + len(stackset.WAVES)} waves: {len(parameters)} of {stackset.PARAMETER_LIMIT}"
    )
    assert len(parameters) <= stackset.PARAMETER_LIMIT
    # Deployed through S3 (TemplateURL), where CloudFormation takes at most 1 MB ("Understand
    # CloudFormation quotas"): every OS and wave multiplies the embedded member bodies.
    size = len((OUTPUT / STACKSET.file).read_bytes())
    print(f"StackSet template: {size:,} bytes of 1,048,576")
    assert size <= 1_048_576 * 0.9
