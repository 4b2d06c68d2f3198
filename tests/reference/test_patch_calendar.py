"""The patch calendar picture (patch_templates/reference/patch_calendar.py): a Mermaid gantt with each
Patch Tuesday, and per wave its approval wait and install day, or a critical bar when it never installs."""

import re
from datetime import date

from patch_templates.deploy.calendar import ROLLOUT_DEFAULTS, Schedule, Wave
from patch_templates.reference.patch_calendar import gantt

# A Mermaid gantt task: name, optional tags, start date, then an end date or a duration.
TASK = re.compile(r"    [^:#;]+ :(milestone, |crit, )?\d{4}-\d{2}-\d{2}, (\d{4}-\d{2}-\d{2}|0d)")


def test_one_month_worked_by_hand():
    """January 2027: wave 1 approves by the end of 2027-01-13 UTC and installs on Friday 01-15; a
    wave on TUE#3 + 3 (01-22) with 14 days' approval (by 01-26) misses it, and the next Patch
    Tuesday, 2027-02-09, replaces the update first."""
    late = Wave("wave 2", Schedule("cron(0 4 ? * TUE#3 *)", "US/Eastern", 3), (14,))
    assert gantt([ROLLOUT_DEFAULTS[0], late], date(2027, 1, 1), months=1).splitlines()[5:] == [
        "    section Patch Tuesday",
        "    2027-01 release :milestone, 2027-01-12, 0d",
        "    2027-02 release :milestone, 2027-02-09, 0d",
        "    section wave 1, approval after 1 day",
        "    2027-01 approval :2027-01-12, 2027-01-14",
        "    2027-01 install, day 3 :milestone, 2027-01-15, 0d",
        "    section wave 2, approval after 14 days",
        "    2027-01 approval :2027-01-12, 2027-01-27",
        "    2027-01 never installed :crit, 2027-01-27, 2027-02-09",
    ]


def test_the_install_day_is_the_windows_local_date():
    """Tokyo's Wednesday 10:00 after Patch Tuesday is 01:00 UTC the same day: day 1 in both."""
    tokyo = Wave("wave 1", Schedule("cron(0 10 ? * WED#2 *)", "Asia/Tokyo"), (0,))
    assert "    2027-01 install, day 1 :milestone, 2027-01-13, 0d" in gantt([tokyo], date(2027, 1, 1), 1)
    evening = Wave("wave 1", Schedule("cron(0 20 ? * TUE#2 *)", "US/Eastern", 2), (2,))  # 01:00 UTC the day after
    assert "    2027-01 install, day 2 :milestone, 2027-01-14, 0d" in gantt([evening], date(2027, 1, 1), 1)


def test_the_defaults_picture_is_mermaid_gantt_with_every_wave_and_month():
    text = gantt(ROLLOUT_DEFAULTS, date(2027, 1, 1), months=3)
    lines = text.splitlines()
    assert lines[0] == "gantt" and lines[2:4] == ["    dateFormat YYYY-MM-DD", "    axisFormat %d %b"]
    sections = [line for line in lines if line.startswith("    section ")]
    assert sections == [
        "    section Patch Tuesday",
        "    section wave 1, approval after 1 day",
        "    section wave 2, approval after 8 days",
        "    section wave 3, approval after 15 days",
    ]
    tasks = lines[6:]
    assert all(TASK.fullmatch(line) for line in tasks if not line.startswith("    section ")), text
    installs = re.findall(r"(\d{4}-\d{2}) install, day (\d+)", text)
    assert [day for _, day in installs] == ["3", "3", "3", "10", "10", "10", "17", "17", "17"]
    assert "never" not in text and "2027-04 release :milestone, 2027-04-13, 0d" in text
