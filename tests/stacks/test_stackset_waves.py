"""Schedules and rollout waves: the maintenance window's ScheduleOffset, and waves of OUs that each
get their own StackSet of the patching member with their own schedule, offset, approval delays and
patch group."""

from pathlib import Path

import pytest
from conftest import check_constraint, render, rules_refusing, template_dict

from patch_templates.builder import BuildError
from patch_templates.deploy.calendar import ROLLOUT_DEFAULTS
from patch_templates.parts import baselines
from patch_templates.stacks import patching, patching_member, stackset

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
    "pTemplateBucketName": "org-templates-bucket",
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


@pytest.mark.parametrize("name", [patching_member.RECORD, STANDALONE])
def test_offset_moves_a_cron_window_after_patch_tuesday(name):
    properties = window(name, {"pSchedule": "cron(0 4 ? * TUE#2 *)", "pScheduleOffset": "3"})
    assert properties["Schedule"] == "cron(0 4 ? * TUE#2 *)" and str(properties["ScheduleOffset"]) == "3"


@pytest.mark.parametrize("name", [patching_member.RECORD, STANDALONE])
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
        (patching_member.RECORD, "pScheduleOffset"),
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
        "PatchingStackSet": (["ou-ab12-11111111"], "cron(0 4 ? * TUE#2 *)", "3"),
        "PatchingWave2StackSet": (["ou-ab12-22222222"], "cron(0 4 ? * TUE#3 *)", "3"),
        "PatchingWave3StackSet": (["ou-ab12-33333333", "ou-ab12-44444444"], "cron(30 2 ? * TUE#4 *)", "6"),
    }
    for logical_id, (wave_ous, schedule, offset) in expected.items():
        values = passed(sets[logical_id])
        assert ous(sets[logical_id]) == [wave_ous], logical_id
        assert (values["pSchedule"], values["pScheduleOffset"]) == (schedule, offset), logical_id
        # Everything else is the same in every wave.
        assert values["pDuration"] == passed(sets["PatchingStackSet"])["pDuration"]
    assert sets["PatchingWave2StackSet"]["StackSetName"] == "patch-management-patching-wave2"
    assert sets["PatchingWave2StackSet"]["TemplateURL"] == sets["PatchingStackSet"]["TemplateURL"]


def test_each_wave_registers_a_patch_group_of_its_own_deployment_and_wave():
    """So an account moving between waves, a second deployment (another pStackSetNamePrefix) or an
    account's own patch group such as Production never meet an AlreadyExistsException
    (tests/stacks/test_patch_group_moves.py)."""
    for prefix in ("patch-management", "org-b"):
        sets = stack_sets({**WAVES_ON, "pStackSetNamePrefix": prefix})
        groups = {name: passed(sets[name])["pPatchGroups"] for name in sets if name.startswith("Patching")}
        assert groups == {
            "PatchingStackSet": f"{prefix}-wave1",
            "PatchingWave2StackSet": f"{prefix}-wave2",
            "PatchingWave3StackSet": f"{prefix}-wave3",
        }
    assert "pPatchGroups" not in template_dict(STACKSET)["Parameters"]


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
        "PatchingStackSet": (["ou-ab12-11111111"], "3", "none"),
        "PatchingWave2StackSet": (["ou-ab12-22222222"], "10", "none"),
        "PatchingWave3StackSet": (["ou-ab12-33333333", "ou-ab12-44444444"], "17", "12"),
    }
    for logical_id, (wave_ous, days, security_days) in expected.items():
        values = passed(sets[logical_id])
        assert ous(sets[logical_id]) == [wave_ous], logical_id
        assert (values["pApproveAfterDays"], values["pSecurityApproveAfterDays"]) == (days, security_days)
        assert values["pWindowsProduct"] == passed(sets["PatchingStackSet"])["pWindowsProduct"]  # the rest alike
        assert values["pDeployUbuntu"] == "true"


def test_wave_defaults_are_the_patch_calendars():
    """Schedules, offsets and approval delays of every wave: deploy/calendar.py ROLLOUT_DEFAULTS, which
    tests/deploy/test_calendar.py proves install every month's update in every wave, in order."""
    defaults = template_dict(STACKSET)["Parameters"]
    names = [("pSchedule", "pScheduleTimezone", "pScheduleOffset", "pApproveAfterDays")] + [
        (f"pWave{n}Schedule", "pScheduleTimezone", f"pWave{n}ScheduleOffset", f"pWave{n}ApproveAfterDays")
        for n in stackset.WAVES
    ]
    found = [tuple(str(defaults[name]["Default"]) for name in wave) for wave in names]
    assert found == [
        (w.schedule.expression, w.schedule.timezone, str(w.schedule.offset), str(w.approve_after_days[0]))
        for w in ROLLOUT_DEFAULTS
    ]
    assert [wave[0] for wave in found] == ["cron(0 4 ? * TUE#2 *)", "cron(0 4 ? * TUE#3 *)", "cron(0 4 ? * TUE#4 *)"]
    assert {defaults[f"pWave{n}SecurityApproveAfterDays"]["Default"] for n in stackset.WAVES} == {"none"}


def test_members_without_waves_go_to_every_wave():
    sets = stack_sets(WAVES_ON)
    assert ous(sets["SharedStackSet"]) == [
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
    assert {name for name in sets if "Wave3" in name} == {"PatchingWave3StackSet"}
    assert ous(sets["SharedStackSet"]) == [["ou-ab12-11111111"], ["ou-ab12-33333333"]]


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


def test_the_build_refuses_defaults_that_skip_a_month(monkeypatch):
    """Today's earlier defaults (waves 2 and 3 approving after their window) fail the build, naming
    the wave, the month and a fix."""
    monkeypatch.setattr(
        stackset, "WAVES", {2: ("cron(0 4 ? * TUE#3 *)", "3", 14), 3: ("cron(0 4 ? * TUE#4 *)", "3", 21)}
    )
    with pytest.raises(BuildError) as refused:
        stackset.build()
    lines = str(refused.value).splitlines()
    assert len(lines) == 48  # 24 months in each of waves 2 and 3
    assert all(line.startswith("the StackSet's defaults: patch calendar: wave ") for line in lines)
    assert "wave 2 never installs the update of" in lines[0] and "approve after at most 9 days" in lines[0]
