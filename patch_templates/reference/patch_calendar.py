"""The patch calendar as a picture: a Mermaid gantt of a few months' Patch Tuesdays and, per wave,
how long its approval waits, the day its window installs the update, or that the next Patch
Tuesday replaces the update first (patch_templates/deploy/calendar.py)."""

import itertools
from collections.abc import Iterable
from datetime import date, timedelta

from ..deploy.calendar import Wave, patch_tuesdays


def gantt(waves: Iterable[Wave], since: date, months: int = 3) -> str:
    """Mermaid gantt text for `months` Patch Tuesdays from `since`: a release milestone for each,
    and per wave a bar for the approval delay (whole UTC days) and an install milestone, or a
    critical bar up to the next Patch Tuesday when its window never comes in time."""
    lines = [
        "gantt",
        "    title Windows updates: release, approval and install per wave",
        "    dateFormat YYYY-MM-DD",
        "    axisFormat %d %b",
        "    tickInterval 1week",
        "    section Patch Tuesday",
    ]
    # Each month's release, and the next one, which replaces the last month's update.
    releases = itertools.islice(patch_tuesdays(since), months + 1)
    lines += [f"    {release:%Y-%m} release :milestone, {release}, 0d" for release in releases]
    for wave in waves:
        calendar = wave.installs(since, months)
        delays = "/".join(str(days) for days in wave.approve_after_days)
        lines.append(f"    section {wave.name}, approval after {delays} day{'' if delays == '1' else 's'}")
        for month in calendar:
            label = f"{month.release:%Y-%m}"
            lines.append(f"    {label} approval :{month.release}, {month.approved.date()}")
            if month.lag is None:
                lines.append(f"    {label} never installed :crit, {month.approved.date()}, {month.next_release}")
            else:
                installed = month.release + timedelta(days=month.lag)  # in the window's time zone
                lines.append(f"    {label} install, day {month.lag} :milestone, {installed}, 0d")
    return "\n".join(lines)
