"""make deploy's preflight refuses an operator's StackSet parameter file whose rollout waves would skip
a month's Windows update or install it out of order (the patch calendar, deploy/calendar.py), with the
standard library alone, naming the file, the wave, the month and the fix."""

import re

import pytest
from test_preflight import BUCKET, STACKSETS, as_json, assert_refused, own, preflight_run

WAVES = {
    "pDeployWave2": "true",
    "pWave2OrganizationalUnitIds": "ou-zz99-wave2wave2",
    "pDeployWave3": "true",
    "pWave3OrganizationalUnitIds": "ou-zz99-wave3wave3",
}
# name -> (values changed from the example file with every wave on, the wave refused, the fix's words)
REFUSED = {
    "wave 1 on Patch Tuesday itself": ({"pScheduleOffset": "0"}, "wave 1", "schedule a window between"),
    "wave 1 approves after 30 days": ({"pApproveAfterDays": "30"}, "wave 1", "approve after at most"),
    "wave 1 every 30 days": ({"pSchedule": "rate(30 days)", "pScheduleOffset": "0"}, "wave 1", "anchored on Patch"),
    "wave 1 on the second Wednesday": ({"pSchedule": "cron(0 4 ? * WED#2 *)", "pScheduleOffset": "0"}, "wave 1", ""),
    "wave 1's security rule is slower": ({"pSecurityApproveAfterDays": "5"}, "wave 1", "approve after at most"),
    "wave 1 in UTC+14": ({"pScheduleTimezone": "Pacific/Kiritimati", "pScheduleOffset": "1"}, "wave 1", ""),
    "wave 2 approves after 21 days": ({"pWave2ApproveAfterDays": "21"}, "wave 2", "approve after at most"),
    "wave 2 on Patch Tuesday": ({"pWave2Schedule": "cron(0 4 ? * TUE#2 *)", "pWave2ScheduleOffset": "0"}, "wave 2", ""),
    "wave 2 approves before wave 1 installs": ({"pWave2ApproveAfterDays": "2"}, "wave 2", "approve after at least"),
    "wave 3 approves after 28 days": ({"pWave3ApproveAfterDays": "28"}, "wave 3", "approve after at most"),
    "wave 3 the day after Patch Tuesday": (
        {"pWave3Schedule": "cron(0 4 ? * TUE#2 *)", "pWave3ScheduleOffset": "1"},
        "wave 3",
        "approve after at most",
    ),
    "wave 3 approves before wave 2 installs": ({"pWave3ApproveAfterDays": "9"}, "wave 3", "approve after at least"),
    "wave 3 before wave 2": (
        {"pWave3Schedule": "cron(0 4 ? * TUE#3 *)", "pWave3ScheduleOffset": "1", "pWave3ApproveAfterDays": "8"},
        "wave 3",
        "",
    ),
}


def test_the_example_with_every_wave_on_passes(tmp_path):
    path = tmp_path / "params.json"
    path.write_bytes(as_json(own(STACKSETS) | WAVES))
    assert preflight_run(str(path), STACKSETS, BUCKET).returncode == 0


@pytest.mark.parametrize("case", REFUSED)
def test_a_file_whose_waves_skip_a_month_is_refused_naming_wave_month_and_fix(tmp_path, case):
    changed, wave, fix = REFUSED[case]
    path = tmp_path / "params.json"
    path.write_bytes(as_json(own(STACKSETS) | WAVES | changed))
    result = preflight_run(str(path), STACKSETS, BUCKET)
    assert_refused(result, str(path), f"{path}: patch calendar: {wave} ", fix)
    first = result.stderr.splitlines()[1]
    assert re.search(r"\(Patch Tuesday \d{4}-\d{2}\)", first), first  # the month
    assert re.search(r"approve after at (most|least) \d+ days|schedule a window|use a cron schedule", first), first


def test_a_wave_switched_off_is_not_checked(tmp_path):
    path = tmp_path / "params.json"
    path.write_bytes(as_json(own(STACKSETS) | {"pWave2ApproveAfterDays": "21"}))  # wave 2 off in the example
    assert preflight_run(str(path), STACKSETS, BUCKET).returncode == 0
    print(f"\noperator files refused for calendar reasons: {len(REFUSED)}")
    assert len(REFUSED) >= 12
