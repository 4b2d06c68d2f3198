"""The patch calendar (patch_templates/deploy/calendar.py): hand-worked months, the cron expressions
maintenance windows take, property tests against a simulation of exact release times, the rollout
defaults over 24 months from 2027-01 and from every month of 2026-2035, and today's defaults."""

import calendar as stdlib_calendar
import itertools
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import event, given, settings, strategies as st

from patch_templates.deploy import calendar
from patch_templates.deploy.calendar import ROLLOUT_DEFAULTS, Cron, Schedule, Wave, check_waves, installs

UTC = timezone.utc
JANUARY_2027 = date(2027, 1, 1)
# The StackSet's defaults before ROLLOUT_DEFAULTS: wave 1 takes the members' own pSchedule (daily),
# pScheduleTimezone, pScheduleOffset 0 and pApproveAfterDays 7; waves 2 and 3 the WAVES of
# patch_templates/stacks/stackset.py (TUE#3 and TUE#4 with offset 3; 14 and 21 days).
TODAY = (
    Wave("wave 1", Schedule("cron(0 4 ? * * *)", "US/Eastern", 0), (7,)),
    Wave("wave 2", Schedule("cron(0 4 ? * TUE#3 *)", "US/Eastern", 3), (14,)),
    Wave("wave 3", Schedule("cron(0 4 ? * TUE#4 *)", "US/Eastern", 3), (21,)),
)
# Every run tries the same examples: no test that passes on one machine and fails on the next.
PROPERTY = settings(max_examples=150, deadline=None, derandomize=True, database=None)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def first(schedule: Schedule, delays, since=JANUARY_2027) -> calendar.Month:
    return installs(schedule, delays, since, months=1)[0]


# --- Patch Tuesday ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "year,month,tuesday",
    [
        (2027, 1, date(2027, 1, 12)),  # 1 January 2027 is a Friday: Tuesdays 5 and 12
        (2027, 6, date(2027, 6, 8)),  # 1 June 2027 is a Tuesday: the 8th is the second
        (2027, 9, date(2027, 9, 14)),  # 1 September 2027 is a Wednesday: the latest a second Tuesday can be
        (2028, 2, date(2028, 2, 8)),  # leap year
    ],
)
def test_patch_tuesday_is_the_second_tuesday(year, month, tuesday):
    assert calendar.patch_tuesday(year, month) == tuesday


def test_the_calendar_starts_at_the_first_patch_tuesday_on_or_after_since():
    assert [m.release for m in installs(Schedule("cron(0 4 ? * * *)"), 0, date(2027, 1, 13), months=2)] == [
        date(2027, 2, 9),
        date(2027, 3, 9),
    ]
    assert installs(Schedule("cron(0 4 ? * * *)"), 0, date(2027, 1, 12), months=1)[0].release == date(2027, 1, 12)


# --- hand-worked months ------------------------------------------------------------------------------


def test_january_2027_with_todays_defaults():
    """Patch Tuesday 2027-01-12, the next 2027-02-09. Wave 1, daily at 04:00 US/Eastern (09:00 UTC in
    winter), 7 days: approved by 2027-01-20 00:00 UTC, installed that morning, 8 days after release.
    Wave 2, TUE#3 (01-19) + 3 = 2027-01-22, 14 days: approved only by 2027-01-27; its next window is
    2027-02-19, after the next Patch Tuesday: never. Wave 3 (01-29, 21 days: 02-03), never too."""
    wave1, wave2, wave3 = (wave.installs(JANUARY_2027, 1)[0] for wave in TODAY)
    assert (wave1.approved, wave1.installed, wave1.lag) == (at("2027-01-20"), at("2027-01-20 09:00"), 8)
    assert (wave2.approved, wave2.installed, wave2.lag) == (at("2027-01-27"), None, None)
    assert (wave3.approved, wave3.installed) == (at("2027-02-03"), None)
    assert wave2.next_release == date(2027, 2, 9)


def test_march_2027_crosses_daylight_saving_time():
    """US clocks go forward on 2027-03-14. Patch Tuesday 2027-03-09: wave 1's Friday 03-12 04:00 is
    EST (09:00 UTC), wave 2's Friday 03-19 04:00 is EDT (08:00 UTC)."""
    wave1, wave2, _ = (wave.installs(date(2027, 3, 1), 1)[0] for wave in ROLLOUT_DEFAULTS)
    assert wave1.installed == at("2027-03-12 09:00")
    assert wave2.installed == at("2027-03-19 08:00")
    assert (wave1.lag, wave2.lag) == (3, 10)


def test_the_time_zone_decides_the_utc_day():
    """cron(0 20 ? * TUE#2 *) + 2 days in January 2027 runs on Thursday 2027-01-14 at 20:00 local.
    Approved after 2 days, by 2027-01-15 00:00 UTC: in US/Eastern the window starts 2027-01-15 01:00
    UTC and installs; in UTC it starts 4 hours before the approval, and the next one (2027-02-11)
    comes after the next Patch Tuesday (2027-02-09): never."""
    assert first(Schedule("cron(0 20 ? * TUE#2 *)", "US/Eastern", 2), 2).installed == at("2027-01-15 01:00")
    assert first(Schedule("cron(0 20 ? * TUE#2 *)", "UTC", 2), 2).installed is None
    # Tokyo's Wednesday 04:00 after Patch Tuesday (2027-01-13) is still Patch Tuesday in UTC (19:00):
    # before even a 0-day approval, which waits for the end of the release's UTC day.
    assert first(Schedule("cron(0 4 ? * WED#2 *)", "Asia/Tokyo"), 0).installed is None
    assert first(Schedule("cron(0 10 ? * WED#2 *)", "Asia/Tokyo"), 0).installed == at("2027-01-13 01:00")


def test_the_approval_is_counted_in_whole_utc_days():
    """A window at 04:00 US/Eastern on the day the approval delay ends runs before a release time
    of day that the PatchRule reference leaves open has come round: it is not counted."""
    friday = Schedule("cron(0 4 ? * TUE#2 *)", "US/Eastern", 3)  # 2027-01-15 09:00 UTC
    assert first(friday, 2).installed == at("2027-01-15 09:00")
    assert first(friday, 3).installed is None


def test_the_latest_window_that_still_installs():
    """Wave 3's latest anchored window: TUE#4 + 6 days, Patch Tuesday + 20. In March 2027 (35 days to
    the next, 2027-04-13) and April 2027 (28 days to 2027-05-11), 19 days' approval reaches it and 20
    do not: the next window (TUE#4 + 6 of the next month) always comes after the next Patch Tuesday."""
    latest = Schedule("cron(0 4 ? * TUE#4 *)", "US/Eastern", 6)
    for since, window in ((date(2027, 3, 1), "2027-03-29 08:00"), (date(2027, 4, 1), "2027-05-03 08:00")):
        assert first(latest, 19, since).installed == at(window)
        assert first(latest, 20, since).installed is None


def test_a_rate_expression_counts_a_whole_period_after_the_approval():
    """rate(7 days), 7 days' approval: approved by 2027-01-20 00:00 UTC, and the window surely starts
    within the 7 days after. rate(25 days) fits only a five-week month: in January 2027 (28 days to
    2027-02-09) approval + 25 days is 2027-02-14, never; in March 2027 (35 days to 2027-04-13) it
    is 2027-04-11, installed."""
    assert first(Schedule("rate(7 days)"), 7).installed == at("2027-01-27")
    assert first(Schedule("rate(25 days)"), 7).installed is None
    assert first(Schedule("rate(25 days)"), 7, date(2027, 3, 1)).installed == at("2027-04-11")
    assert first(Schedule("rate(12 hours)"), 7).installed == at("2027-01-20 12:00")


def test_several_rules_install_with_the_slowest_and_approve_from_the_soonest():
    month = first(Schedule("cron(0 4 ? * * *)", "US/Eastern"), (10, 3))
    assert (month.approved_from, month.approved, month.installed) == (
        at("2027-01-15"),
        at("2027-01-23"),
        at("2027-01-23 09:00"),
    )


# --- cron expressions ----------------------------------------------------------------------------------


def days_named(expression: str, year: int, month: int) -> list[int]:
    cron = Cron(expression)
    start = date(year, month, 1)
    return [d.day for d in (start + timedelta(n) for n in range(31)) if d.month == month and cron.runs_on(d)]


@pytest.mark.parametrize(
    "expression,year,month,days",
    [
        ("cron(0 4 ? * TUE#2 *)", 2027, 1, [12]),
        ("cron(0 4 ? * 3#2 *)", 2027, 1, [12]),  # 3 = TUE (1 = SUN)
        ("cron(0 4 ? * TUE#5 *)", 2027, 2, []),  # no fifth Tuesday
        ("cron(0 4 ? * 6L *)", 2027, 1, [29]),  # last Friday
        ("cron(0 4 ? * FRIL *)", 2027, 4, [30]),
        ("cron(0 4 ? * L *)", 2027, 1, [2, 9, 16, 23, 30]),  # L alone: Saturday
        ("cron(0 4 L * ? *)", 2028, 2, [29]),  # last day, leap year
        ("cron(0 4 LW * ? *)", 2027, 1, [29]),  # 31 January 2027 is a Sunday
        ("cron(0 4 15W * ? *)", 2027, 5, [14]),  # the 15th is a Saturday: the Friday before
        ("cron(0 4 1W * ? *)", 2027, 5, [3]),  # the 1st is a Saturday: Monday, not April
        ("cron(0 4 30W * ? *)", 2027, 1, [29]),  # Saturday 30th: the Friday
        ("cron(0 4 31W * ? *)", 2027, 10, [29]),  # Sunday 31st, the last day: the Friday before
        ("cron(0 4 31W * ? *)", 2027, 2, []),  # February has no 31st
        (
            "cron(0 4 ? * MON-FRI *)",
            2027,
            1,
            [1, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 18, 19, 20, 21, 22, 25, 26, 27, 28, 29],
        ),
        ("cron(0 4 ? * FRI-MON *)", 2027, 1, [1, 2, 3, 4, 8, 9, 10, 11, 15, 16, 17, 18, 22, 23, 24, 25, 29, 30, 31]),
        ("cron(0 4 ? * SUN,wed *)", 2027, 1, [3, 6, 10, 13, 17, 20, 24, 27, 31]),
        ("cron(0 4 1/10 * ? *)", 2027, 1, [1, 11, 21, 31]),
        ("cron(0 4 */15 * ? *)", 2027, 1, [1, 16, 31]),
        ("cron(0 4 5-7,20 * ? *)", 2027, 1, [5, 6, 7, 20]),
        ("cron(0 4 1 JAN-MAR ? *)", 2027, 3, [1]),
        ("cron(0 4 1 JAN-MAR ? *)", 2027, 4, []),
        ("cron(0 4 1 * ? 2028)", 2027, 1, []),
        ("cron(0 4 1 * ? 2026-2030/2)", 2028, 1, [1]),
    ],
)
def test_cron_days(expression, year, month, days):
    assert days_named(expression, year, month) == days


@pytest.mark.parametrize(
    "expression,times",
    [
        ("cron(0 4 ? * * *)", [(4, 0)]),
        ("cron(30 09 ? * * *)", [(9, 30)]),
        ("cron(0/20 8-9 ? * * *)", [(8, 0), (8, 20), (8, 40), (9, 0), (9, 20), (9, 40)]),
        ("cron(15,45 22/1 ? * * *)", [(22, 15), (22, 45), (23, 15), (23, 45)]),
        ("cron(0 23-1 ? * * *)", [(0, 0), (1, 0), (23, 0)]),
    ],
)
def test_cron_times(expression, times):
    assert Cron(expression).times == times


@pytest.mark.parametrize(
    "schedule,message",
    [
        (("cron(0 4 * * *)",), "six fields"),
        (("cron(24 0 4 ? * * *)",), "six fields"),  # the optional seconds field: the template refuses it too
        (("cron(0 4 ? * ? *)",), "exactly one of day-of-month and day-of-week"),
        (("cron(0 4 * * MON *)",), "exactly one of day-of-month and day-of-week"),
        (("cron(60 4 ? * * *)",), "minutes '60': 60 must be 0-59"),
        (("cron(0 22-24 ? * * *)",), "hours '22-24': 24 must be 0-23"),
        (("cron(0 4 ? * TUE#6 *)",), "day of week 'TUE#6': the number after # must be 1-5"),
        (("cron(0 4 ? * TUX *)",), "day of week 'TUX': TUX must be 1-7 or SUN-SAT"),
        (("cron(0 4 ? 13 * *)",), "month '13': 13 must be 1-12 or JAN-DEC"),
        (("cron(0 4 L-3 * ? *)",), "day of month 'L-3': L must be 1-31"),
        (("cron(0/0 4 ? * * *)",), "the step after / must be a whole number above 0"),
        (("cron(0 4 ? * * 1969)",), "year '1969': 1969 must be 1970-2199"),
        (("rate(1 days)",), "rate(1 day) or rate(N days)"),
        (("rate(7 day)",), "rate(1 day) or rate(N days)"),
        (("rate(0 hours)",), "rate(1 hour) or rate(N hours)"),
        (("rate(7 days)", "UTC", 3), "ScheduleOffset applies to cron expressions only"),
        (("cron(0 4 ? * TUE#2 *)", "UTC", 7), "ScheduleOffset 7 must be a whole number of days from 0 to 6"),
        (("cron(0 4 ? * TUE#2 *)", "Mars/Olympus"), "'Mars/Olympus' is not an IANA time zone"),
        (("at(2027-01-15T04:00:00)",), "give a cron(...) expression with six fields, or rate(N days)"),
    ],
)
def test_bad_schedules_are_refused_naming_the_problem(schedule, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Schedule(*schedule)


@pytest.mark.parametrize("delays", [361, -1, (), (7, 400)])
def test_bad_approval_delays_are_refused(delays):
    with pytest.raises(ValueError, match="whole numbers of days from 0 to 360"):
        installs(Schedule("cron(0 4 ? * * *)"), delays, JANUARY_2027)


# --- check_waves: messages that name the wave, the month and a fix that works --------------------------


def test_a_wave_that_installs_before_the_wave_before_is_named_with_the_delay_that_fixes_it():
    wave1 = ROLLOUT_DEFAULTS[0]  # Friday 2027-01-15 09:00 UTC
    early = Wave("wave 2", Schedule("cron(0 4 ? * TUE#2 *)", "US/Eastern", 2), (0,))  # Thursday 01-14
    problems = check_waves([wave1, early], JANUARY_2027, months=1)
    assert problems == [
        "wave 2 installs the update of 2027-01-12 on 2027-01-14 09:00 UTC, before wave 1 does on "
        "2027-01-15 09:00 UTC (Patch Tuesday 2027-01): approve after at least 4 days in every rule of "
        "wave 2, with a window after that"
    ]
    # Approving from 2027-01-14 is before wave 1's install too, with a later window.
    soon = Wave("wave 2", Schedule("cron(0 4 ? * TUE#3 *)", "US/Eastern", 3), (8, 2))
    assert check_waves([wave1, soon], JANUARY_2027, months=1) == [
        "wave 2 approves the update of 2027-01-12 from 2027-01-14 00:00 UTC, before wave 1 installs it on "
        "2027-01-15 09:00 UTC (Patch Tuesday 2027-01): approve after at least 4 days in every rule of "
        "wave 2, with a window after that"
    ]
    fixed = Wave("wave 2", Schedule("cron(0 4 ? * TUE#3 *)", "US/Eastern", 3), (8, 4))
    assert check_waves([wave1, fixed], JANUARY_2027) == []


def test_todays_defaults_skip_every_month_in_waves_2_and_3():
    """Measured over the 24 Patch Tuesdays from 2027-01: wave 1 installs every month (8 days after
    release); waves 2 and 3 install none, and every message names the wave, the month and the fix."""
    skipped = {wave.name: [m.release for m in wave.installs(JANUARY_2027) if m.installed is None] for wave in TODAY}
    tuesdays = list(itertools.islice(calendar.patch_tuesdays(JANUARY_2027), 24))
    assert tuesdays[0] == date(2027, 1, 12) and tuesdays[-1] == date(2028, 12, 12)
    assert skipped == {"wave 1": [], "wave 2": tuesdays, "wave 3": tuesdays}
    assert [m.lag for m in TODAY[0].installs(JANUARY_2027)] == [8] * 24
    print(
        "\ntoday's defaults, Patch Tuesdays skipped of 24 from 2027-01: "
        + ", ".join(f"{name} {len(days)}" for name, days in skipped.items())
    )
    problems = check_waves(TODAY, JANUARY_2027)
    assert len(problems) == 48
    assert problems[0] == (
        "wave 2 never installs the update of 2027-01-12 (Patch Tuesday 2027-01): approved on 2027-01-27 00:00 "
        "UTC at the latest, and the next Patch Tuesday, 2027-02-09, replaces it before its next window; approve "
        "after at most 9 days, so that its window of 2027-01-22 09:00 UTC installs it"
    )
    assert all(f"Patch Tuesday {day:%Y-%m}" in p for p, day in zip(problems, tuesdays * 2, strict=True))
    assert [p.split()[:2] for p in problems] == [["wave", "2"]] * 24 + [["wave", "3"]] * 24
    # The fixes the messages give (9 and 16 days) make a calendar with nothing to report.
    fixed = (TODAY[0], Wave("wave 2", TODAY[1].schedule, (9,)), Wave("wave 3", TODAY[2].schedule, (16,)))
    assert check_waves(fixed, JANUARY_2027) == []


def test_a_wave_without_any_window_in_the_month_is_told_to_schedule_one():
    quarterly = Wave("wave 1", Schedule("cron(0 4 1 1/3 ? *)", "UTC"), (7,))  # 1 January, April, ...
    problems = check_waves([quarterly], JANUARY_2027, months=2)
    assert problems == [
        "wave 1 never installs the update of 2027-01-12 (Patch Tuesday 2027-01): approved on 2027-01-20 00:00 UTC "
        "at the latest, and the next Patch Tuesday, 2027-02-09, replaces it before its next window; schedule a "
        "window between 2027-01-20 00:00 UTC and 2027-02-09",
        "wave 1 never installs the update of 2027-02-09 (Patch Tuesday 2027-02): approved on 2027-02-17 00:00 UTC "
        "at the latest, and the next Patch Tuesday, 2027-03-09, replaces it before its next window; schedule a "
        "window between 2027-02-17 00:00 UTC and 2027-03-09",
    ]
    rate = check_waves([Wave("wave 1", Schedule("rate(25 days)"), (7,))], JANUARY_2027, months=1)
    assert rate[0].endswith(
        "surely starts; use a cron schedule anchored on Patch Tuesday such as cron(0 4 ? * TUE#2 *) with an offset"
    )


# --- the rollout defaults -----------------------------------------------------------------------------


def test_rollout_defaults_over_24_months_from_2027_01():
    """Every wave installs every month, in order: 3, 10 and 17 days after Patch Tuesday; each wave
    approves only after the wave before has installed; the last installs at least 11 days before
    the next Patch Tuesday replaces the update."""
    calendars = [wave.installs(JANUARY_2027) for wave in ROLLOUT_DEFAULTS]
    lags = {wave.name: [m.lag for m in months] for wave, months in zip(ROLLOUT_DEFAULTS, calendars, strict=True)}
    print("\nrollout defaults, install lag in days per Patch Tuesday from 2027-01:")
    print("  " + " ".join(f"{m.release:%y-%m}" for m in calendars[0]))
    for name, row in lags.items():
        print(f"  {name}: " + " ".join(f"{lag!s:>5}" for lag in row))
    assert lags == {"wave 1": [3] * 24, "wave 2": [10] * 24, "wave 3": [17] * 24}
    for earlier, later in itertools.pairwise(calendars):
        for before, after in zip(earlier, later, strict=True):
            assert before.installed <= after.approved_from < after.installed
    assert min((m.next_release - m.installed.date()).days for m in calendars[-1]) == 11
    assert check_waves(ROLLOUT_DEFAULTS, JANUARY_2027) == []


def test_rollout_defaults_from_every_month_of_2026_to_2035():
    starts = [date(year, month, 1) for year in range(2026, 2036) for month in range(1, 13)]
    assert len(starts) == 120
    assert {start: problems for start in starts if (problems := check_waves(ROLLOUT_DEFAULTS, start))} == {}


@PROPERTY
@given(st.datetimes(datetime(2026, 1, 1), datetime(2035, 12, 31), timezones=st.just(UTC)))
def test_rollout_defaults_install_in_wave_order_an_update_released_at_any_time(release):
    """Out-of-band updates too: released at any instant, approved exactly ApproveAfterDays later
    (PatchRule), each wave installs it at its first window after that, no sooner than the wave before."""
    first_installs = []
    for wave in ROLLOUT_DEFAULTS:
        approved = release + timedelta(days=wave.approve_after_days[0])
        first_installs.append(next(wave.schedule.starts(approved, approved + timedelta(days=40))))
    assert first_installs == sorted(first_installs)


# --- property tests against a simulation of exact release times ---------------------------------------

WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
ZONES = ("UTC", "US/Eastern", "US/Pacific", "Europe/Berlin", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney")


def window(minute: int, hour: int, weekday: int | None, nth: int | None, zone: str, offset: int):
    """A window daily, weekly or on the nth weekday of the month (WEEKDAYS index), with its starts for
    the simulation worked out with the standard calendar module instead of the Cron class."""
    day = "*" if weekday is None else WEEKDAYS[weekday] + (f"#{nth}" if nth else "")
    schedule = Schedule(f"cron({minute} {hour} ? * {day} *)", zone, offset)

    def starts(around: date) -> list[datetime]:
        """Every start whose cron date is in the month of `around` or the month before."""
        found = []
        for year, month in (
            (around.year - (around.month == 1), (around.month - 2) % 12 + 1),
            (around.year, around.month),
        ):
            days = [d for d in stdlib_calendar.Calendar().itermonthdates(year, month) if d.month == month]
            if weekday is not None:
                # Python numbers Monday 0, Sunday 6; WEEKDAYS starts on Sunday.
                days = [d for d in days if d.weekday() == (weekday - 1) % 7]
                days = days[nth - 1 : nth] if nth else days
            wall = (datetime(d.year, d.month, d.day, hour, minute, tzinfo=ZoneInfo(zone)) for d in days)
            found += [(start + timedelta(days=offset)).astimezone(UTC) for start in wall]
        return found

    return schedule, starts


MINUTES, HOURS, TIME_ZONES = st.integers(0, 59), st.integers(0, 23), st.sampled_from(ZONES)
# Any window: daily, weekly, or the nth weekday of the month (a fifth one is missing in some months).
windows = st.builds(
    window,
    MINUTES,
    HOURS,
    st.sampled_from((None, *range(7))),
    st.sampled_from((None, 1, 2, 3, 4, 5)),
    TIME_ZONES,
    st.integers(0, 6),
)


def anchored(days: int):
    """A monthly window `days` (0-20) after Patch Tuesday: TUE#2, #3 or #4 with an offset."""
    return st.builds(window, MINUTES, HOURS, st.just(2), st.just(2 + days // 7), TIME_ZONES, st.just(days % 7))


def simulated_first(starts, since: datetime, until: datetime) -> datetime | None:
    return min((start for start in starts if since <= start < until), default=None)


SINCE = st.builds(date, st.integers(2026, 2035), st.integers(1, 12), st.just(1))
DELAYS = st.lists(st.integers(0, 30), min_size=1, max_size=2).map(tuple)


def release_times(day: date) -> list[datetime]:
    """Times of day a release on `day` may have in UTC: the PatchRule reference gives none."""
    return [calendar.midnight(day) + timedelta(hours=hours) for hours in (0, 6, 12, 17.5, 23.99)]


@PROPERTY
@given(windows, DELAYS, SINCE)
def test_the_calendar_is_the_worst_case_of_every_release_time(window, delays, since):
    """installed is the first simulated window start from the latest approval (00:00 UTC the day after
    release + delay) before the next Patch Tuesday's UTC day; and whatever the release's time of day,
    the update is then installed no later than that, before the next Patch Tuesday's release."""
    schedule, simulated = window
    for month in installs(schedule, delays, since, months=2):
        starts = simulated(month.next_release)
        assert month.installed == simulated_first(starts, month.approved, calendar.midnight(month.next_release))
        if month.installed is None:
            continue
        assert month.lag == (month.installed.astimezone(ZoneInfo(schedule.timezone)).date() - month.release).days
        for released in release_times(month.release):
            actual = simulated_first(starts, released + timedelta(days=max(delays)), month.installed + timedelta(0, 1))
            assert actual is not None and actual < min(release_times(month.next_release))


@PROPERTY
@given(windows, st.integers(0, 29), SINCE)
def test_a_longer_approval_delay_never_installs_sooner(window, delay, since):
    schedule, _ = window
    for sooner, later in zip(installs(schedule, delay, since, 3), installs(schedule, delay + 1, since, 3), strict=True):
        if later.installed is not None:
            assert sooner.installed is not None and sooner.installed <= later.installed


@PROPERTY
@given(st.data(), SINCE)
def test_check_waves_names_a_month_exactly_when_the_simulation_finds_it_out_of_order(data, since):
    """Two waves anchored on Patch Tuesday, with delays around the days between their windows. A month
    is named exactly when, in the simulation's worst case (released at the end of Patch Tuesday's UTC
    day for the installs, at its start for the second wave's approval), a wave misses it or the second
    approves it before the first installed it. A month not named is in order for every release time."""
    days = [data.draw(st.integers(1, 18))]
    days.append(data.draw(st.integers(days[0] + 1, 20)))
    (first, first_starts), (second, second_starts) = (data.draw(anchored(d)) for d in days)
    first_delays = data.draw(st.lists(st.integers(max(days[0] - 2, 0), days[0]), min_size=1, max_size=2))
    second_delays = data.draw(st.lists(st.integers(days[0], days[1]), min_size=1, max_size=2))
    problems = " ".join(
        check_waves([Wave("wave 1", first, first_delays), Wave("wave 2", second, second_delays)], since, months=2)
    )
    for month in installs(first, first_delays, since, months=2):
        releases, next_release = release_times(month.release), min(release_times(month.next_release))
        end_of_day = calendar.midnight(month.release + timedelta(days=1))
        worst = [
            simulated_first(starts(month.next_release), end_of_day + timedelta(days=max(delays)), next_release)
            for starts, delays in ((first_starts, first_delays), (second_starts, second_delays))
        ]
        out_of_order = None in worst or calendar.midnight(month.release) + timedelta(days=min(second_delays)) < worst[0]
        assert (f"Patch Tuesday {month.release:%Y-%m}" in problems) == out_of_order
        event("a month named" if out_of_order else "a month in order")
        for released in [] if out_of_order else releases:
            installed = simulated_first(
                first_starts(month.next_release), released + timedelta(days=max(first_delays)), next_release
            )
            assert installed is not None and released + timedelta(days=min(second_delays)) >= installed
            approved = released + timedelta(days=max(second_delays))
            assert simulated_first(second_starts(month.next_release), approved, next_release)
