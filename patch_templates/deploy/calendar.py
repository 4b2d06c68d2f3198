"""The patch calendar, with the standard library alone: for each month's Windows update, when a
maintenance window first installs it, or that it never does because the next month's update
replaces it first.

The model, each assumption with its source:
- Microsoft releases its monthly security update on Patch Tuesday (Update Tuesday), the second
  Tuesday of the month.
- A rule approves a patch ApproveAfterDays days after its release, evaluated in UTC. The two
  references word it differently: the PatchRule API reference counts from the release instant ("If a
  patch is released at 2025-11-09T18:00:00Z and ApproveAfterDays is set to 7, the patch will be
  approved after 2025-11-16T18:00:00Z"), the AWS::SSM::PatchBaseline Rule reference in whole UTC
  days ("patches released between 2025-11-16T00:00:00Z and 2025-11-16T23:59:59Z will be included").
  Neither gives the time of day of Patch Tuesday's release, so the calendar takes both bounds: a
  rule may approve from 00:00 UTC on release + ApproveAfterDays (what a later wave must wait for)
  and has surely approved by 00:00 UTC the day after (what an install must wait for), and the
  next Patch Tuesday's update may replace this one from 00:00 UTC that day.
- A replaced update is never installed: "Because patch updates that are replaced by later updates
  are removed, setting too broad a value for this parameter can result in crucial patches not
  being installed" (PatchRule). So a window installs a month's update only if it starts at or after
  its approval and strictly before the next Patch Tuesday.
- A baseline with several rules (ApproveAfterDays, and a sooner one for security updates)
  approves a release's patches at each rule's delay: the month is installed when the slowest
  rule's patches are, and a later wave approves from its soonest rule's delay.
- The cron expression has six fields (minutes, hours, day of month, month, day of week 1-7 = SUN-SAT,
  year) with , - * / ? L W # and day and month names, and one of day of month and day of week is ?
  ("Reference: Cron and rate expressions for Systems Manager", Systems Manager User Guide).
- The window's cron is read in its IANA time zone (ScheduleTimezone, "Maintenance window scheduling
  and active period options"), daylight saving time included (zoneinfo). A wall time that does not
  exist or exists twice on the day the clocks change is read with fold=0 (PEP 495): the offset in
  force before the change. AWS does not document its choice; it moves a start by at most an hour.
- ScheduleOffset runs the window that many days after the cron's date, at the same time of day,
  for cron expressions only ("Reference: Cron and rate expressions for Systems Manager":
  cron(30 23 ? * TUE#3 *) with offset 2 "won't run until 11:30 PM two days later").
- A rate expression runs every N minutes, hours or days from a moment the template does not fix
  (the window's creation), so its phase is unknown. Conservatively, its first start after the
  approval may come a whole period later: the calendar gives approval + period as the latest first
  install, and counts the month installed only if that is no later than the next Patch Tuesday.
Not modelled: updates released on other days (out of band), and a revised update, which restarts
the wait ("If an update to the patch is released during your specified waiting period, the
waiting period for installing the patch starts over", UpdatePatchBaseline, API Reference).
"""

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY = timedelta(days=1)
UTC = timezone.utc
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # 1-7 in a cron expression
# name, lowest, highest and value names of the six fields (Systems Manager's "Supported values").
FIELDS = (
    ("minutes", 0, 59, ()),
    ("hours", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, MONTHS),
    ("day of week", 1, 7, WEEKDAYS),
    ("year", 1970, 2199, ()),
)
RATE = re.compile(r"rate\((\d+) (minute|hour|day)(s?)\)")
RATE_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": DAY}
# ScheduleOffset (AWS::SSM::MaintenanceWindow: 1-6; 0 here for none) and ApproveAfterDays (PatchRule: 0-360).
OFFSETS = range(7)
DELAYS = range(361)


def patch_tuesday(year: int, month: int) -> date:
    """The second Tuesday of the month."""
    first = date(year, month, 1)
    return first + timedelta(days=(1 - first.weekday()) % 7 + 7)


def patch_tuesdays(since: date) -> Iterator[date]:
    """Every Patch Tuesday on or after `since`, in order."""
    year, month = since.year, since.month
    while True:
        if (tuesday := patch_tuesday(year, month)) >= since:
            yield tuesday
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def midnight(day: date) -> datetime:
    """00:00 UTC on that day."""
    return datetime.combine(day, time(), UTC)


class Cron:
    """A maintenance window's cron expression: the dates it names and its times of day."""

    def __init__(self, expression: str):
        self.expression = expression
        fields = expression[len("cron(") : -1].split() if re.fullmatch(r"cron\(.*\)", expression) else []
        if len(fields) != len(FIELDS):
            raise ValueError(
                f"{expression}: a cron expression has six fields: minutes hours day-of-month month "
                "day-of-week year, such as cron(0 4 ? * TUE#2 *)"
            )
        minutes, hours, self.days_of_month, months, self.days_of_week, years = fields
        if (self.days_of_month == "?") == (self.days_of_week == "?"):
            raise ValueError(f"{expression}: exactly one of day-of-month and day-of-week must be ?")
        self.times = sorted(itertools.product(self._values(hours, 1), self._values(minutes, 0)))
        self.months = self._values(months, 3)
        self.years = self._values(years, 5)
        # Parsed now so that a bad day field is refused at once, not on the first date it is asked about.
        self._day_rules = (
            [self._day_of_month_rule(item) for item in self.days_of_month.split(",")]
            if self.days_of_week == "?"
            else [self._day_of_week_rule(item) for item in self.days_of_week.split(",")]
        )

    def runs_on(self, day: date) -> bool:
        """Whether the expression names this date (before any ScheduleOffset)."""
        return day.month in self.months and day.year in self.years and any(rule(day) for rule in self._day_rules)

    def _refuse(self, field: int, text: str, why: str) -> ValueError:
        return ValueError(f"{self.expression}: {FIELDS[field][0]} {text!r}: {why}")

    def _number(self, text: str, field: int, item: str) -> int:
        """One value of a field (a number or a name) in `item`, one element of the field."""
        _, lowest, highest, names = FIELDS[field]
        value = names.index(text.upper()) + 1 if text.upper() in names else int(text) if text.isdigit() else None
        if value is None or not lowest <= value <= highest:
            allowed = f"{lowest}-{highest}" + (f" or {names[0]}-{names[-1]}" if names else "")
            raise self._refuse(field, item, f"{text} must be {allowed}")
        return value

    def _values(self, text: str, field: int) -> frozenset[int]:
        """The values a plain field names: *, n, a-b (wrapping past the highest), each with /step, and lists."""
        _, lowest, highest, _ = FIELDS[field]
        values = set()
        for item in text.split(","):
            base, _, step = item.partition("/")
            if base == "*":
                first, last = lowest, highest
            elif "-" in base:
                first, last = (self._number(end, field, item) for end in base.split("-", 1))
            else:
                first = self._number(base, field, item)
                last = highest if step else first
            span = range(first, last + 1) if first <= last else [*range(first, highest + 1), *range(lowest, last + 1)]
            if step and not (step.isdigit() and int(step) > 0):
                raise self._refuse(field, item, "the step after / must be a whole number above 0")
            values.update(list(span)[:: int(step) if step else 1])
        return frozenset(values)

    def _day_of_month_rule(self, item: str):
        """L (last day), LW (last weekday), nW (the weekday nearest day n, within the month), or values."""
        if item in ("L", "LW"):
            return lambda day: day == last_day(day, weekday=item == "LW")
        if item.endswith("W"):
            wanted = self._number(item[:-1], 2, item)
            return lambda day: day == nearest_weekday(day, wanted)
        values = self._values(item, 2)
        return lambda day: day.day in values

    def _day_of_week_rule(self, item: str):
        """d#n (the n-th such weekday of the month), dL (the last one), L (Saturday), or values."""
        if "#" in item:
            weekday, _, nth = item.partition("#")
            wanted = self._number(weekday, 4, item)
            if nth not in ("1", "2", "3", "4", "5"):
                raise self._refuse(4, item, "the number after # must be 1-5")
            return lambda day: cron_weekday(day) == wanted and (day.day - 1) // 7 + 1 == int(nth)
        if item.endswith("L") and item != "L":
            wanted = self._number(item[:-1], 4, item)
            return lambda day: cron_weekday(day) == wanted and day + 7 * DAY > last_day(day)
        values = self._values("7" if item == "L" else item, 4)
        return lambda day: cron_weekday(day) in values


def cron_weekday(day: date) -> int:
    """1 (Sunday) to 7 (Saturday), as cron numbers them."""
    return day.isoweekday() % 7 + 1


def last_day(day: date, weekday: bool = False) -> date:
    """The last day (or last Monday-Friday) of the day's month."""
    last = (day.replace(day=28) + 4 * DAY).replace(day=1) - DAY
    while weekday and last.weekday() > 4:
        last -= DAY
    return last


def nearest_weekday(day: date, wanted: int) -> date | None:
    """The Monday-Friday nearest to day `wanted` of the day's month, not leaving the month (nW)."""
    last = last_day(day)
    if wanted > last.day:
        return None
    target = day.replace(day=wanted)
    if target.weekday() == 5:  # Saturday: the Friday before, or the Monday after the 1st
        return target - DAY if wanted > 1 else target + 2 * DAY
    if target.weekday() == 6:  # Sunday: the Monday after, or the Friday before the last day
        return target + DAY if target < last else target - 2 * DAY
    return target


@dataclass(frozen=True)
class Schedule:
    """A maintenance window's Schedule, ScheduleTimezone and ScheduleOffset."""

    expression: str
    timezone: str = "UTC"
    offset: int = 0
    # Derived: the time zone, and the period of a rate expression or the parsed cron expression.
    zone: ZoneInfo = field(init=False, repr=False, compare=False)
    period: timedelta | None = field(init=False, repr=False, compare=False)
    cron: Cron | None = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{self.timezone!r} is not an IANA time zone, such as US/Eastern or UTC") from None
        if self.offset not in OFFSETS:
            raise ValueError(f"ScheduleOffset {self.offset!r} must be a whole number of days from 0 to 6")
        rate = RATE.fullmatch(self.expression)
        if rate:
            count, unit, plural = int(rate[1]), rate[2], rate[3]
            if count < 1 or (count == 1) == bool(plural):
                raise ValueError(f"{self.expression}: write rate(1 {unit}) or rate(N {unit}s) with N above 1")
            if self.offset:
                raise ValueError(f"{self.expression}: ScheduleOffset applies to cron expressions only; use 0")
        elif not self.expression.startswith("cron("):
            raise ValueError(f"{self.expression}: give a cron(...) expression with six fields, or rate(N days)")
        object.__setattr__(self, "zone", zone)
        object.__setattr__(self, "period", count * RATE_UNITS[unit] if rate else None)
        object.__setattr__(self, "cron", None if rate else Cron(self.expression))

    def starts(self, since: datetime, until: datetime) -> Iterator[datetime]:
        """The window's starts (UTC) from `since` up to, not including, `until`: a cron expression only."""
        day = since.astimezone(self.zone).date() - (self.offset + 1) * DAY
        while day <= until.astimezone(self.zone).date():
            if self.cron.runs_on(day):
                for hour, minute in self.cron.times:
                    start = datetime.combine(day + self.offset * DAY, time(hour, minute), self.zone).astimezone(UTC)
                    if since <= start < until:
                        yield start
            day += DAY

    def first_start(self, since: datetime, until: datetime) -> datetime | None:
        """The first start from `since` that surely comes before `until`; for a rate expression the
        latest it can be (since + period), since its phase is unknown."""
        if self.period is not None:
            return since + self.period if since + self.period <= until else None
        return next(self.starts(since, until), None)


@dataclass(frozen=True)
class Month:
    """One Patch Tuesday's update in one window's calendar (instants in UTC)."""

    release: date  # Patch Tuesday
    next_release: date  # the next Patch Tuesday, which replaces this month's update
    approved_from: datetime  # the soonest any rule of the baseline can approve it
    approved: datetime  # by then every rule has approved it
    installed: datetime | None  # the first window start from `approved` before next_release; None: never
    lag: int | None  # days from release to the install's date in the window's time zone


def installs(schedule: Schedule, approve_after_days: int | Iterable[int], since: date, months: int = 24) -> list[Month]:
    """For each of the `months` Patch Tuesdays from `since` on, when the window first installs that
    month's update, or never (installed None) when the next Patch Tuesday comes first."""
    delays = sorted({approve_after_days} if isinstance(approve_after_days, int) else set(approve_after_days))
    if not delays or any(delay not in DELAYS for delay in delays):
        raise ValueError(f"ApproveAfterDays {approve_after_days!r}: give whole numbers of days from 0 to 360")
    tuesdays = patch_tuesdays(since)
    release = next(tuesdays)
    found = []
    for next_release in itertools.islice(tuesdays, months):
        approved = midnight(release + (delays[-1] + 1) * DAY)
        installed = schedule.first_start(approved, midnight(next_release))
        lag = None if installed is None else (installed.astimezone(schedule.zone).date() - release).days
        found.append(Month(release, next_release, midnight(release + delays[0] * DAY), approved, installed, lag))
        release = next_release
    return found


@dataclass(frozen=True)
class Wave:
    """A rollout wave: its window's schedule and its baseline's approval delays."""

    name: str  # as messages name it, e.g. "wave 2"
    schedule: Schedule
    approve_after_days: tuple[int, ...]

    def installs(self, since: date, months: int = 24) -> list[Month]:
        return installs(self.schedule, self.approve_after_days, since, months)


def check_waves(waves: Iterable[Wave], since: date, months: int = 24) -> list[str]:
    """What is wrong with these waves, in rollout order, over `months` Patch Tuesdays from `since`:
    a wave that never installs a month's update, and a wave that installs an update before the
    wave before it, or approves it before the wave before has installed it. Each message names
    the wave, the month and a fix; no message means every wave installs every month, in order."""
    problems = []
    before = None
    for wave in waves:
        calendar = wave.installs(since, months)
        problems += [_never(wave, month) for month in calendar if month.installed is None]
        if before is not None:
            problems += [
                problem
                for earlier, later in zip(before[1], calendar, strict=True)
                if (problem := _out_of_order(before[0], earlier, wave, later))
            ]
        before = wave, calendar
    return problems


def _never(wave: Wave, month: Month) -> str:
    where = f"{wave.name} never installs the update of {month.release} (Patch Tuesday {month.release:%Y-%m})"
    why = (
        f"approved on {month.approved:%Y-%m-%d %H:%M} UTC at the latest, and the next Patch Tuesday, "
        f"{month.next_release}, replaces it before "
    )
    if wave.schedule.period is not None:
        return (
            f"{where}: {why}a window of {wave.schedule.expression} surely starts; use a cron schedule "
            "anchored on Patch Tuesday such as cron(0 4 ? * TUE#2 *) with an offset"
        )
    last = max(wave.schedule.starts(midnight(month.release), midnight(month.next_release)), default=None)
    if last is not None and last.date() > month.release:
        days = (last.date() - month.release).days - 1
        fix = f"approve after at most {days} days, so that its window of {last:%Y-%m-%d %H:%M} UTC installs it"
    else:
        fix = f"schedule a window between {month.approved:%Y-%m-%d %H:%M} UTC and {month.next_release}"
    return f"{where}: {why}its next window; {fix}"


def _out_of_order(first: Wave, earlier: Month, wave: Wave, later: Month) -> str | None:
    if earlier.installed is None or later.installed is None or later.approved_from >= earlier.installed:
        return None
    what = (
        f"installs the update of {later.release} on {later.installed:%Y-%m-%d %H:%M} UTC, before {first.name} does"
        if later.installed < earlier.installed
        else f"approves the update of {later.release} from {later.approved_from:%Y-%m-%d %H:%M} UTC, before "
        f"{first.name} installs it"
    )
    # Whole days from release to the earlier wave's install, rounded up: the delay that waits for it.
    days = -((midnight(earlier.release) - earlier.installed) // DAY)
    return (
        f"{wave.name} {what} on {earlier.installed:%Y-%m-%d %H:%M} UTC (Patch Tuesday {later.release:%Y-%m}): "
        f"approve after at least {days} days in every rule of {wave.name}, with a window after that"
    )


# The organization StackSet's wave defaults. Each window runs monthly on the Friday after a Patch
# Tuesday at 04:00 US/Eastern (08:00 or 09:00 UTC): wave 1 three days after it, wave 2 ten, wave 3
# seventeen, all before the next one (28 or 35 days later). Each wave approves 7 days after the wave
# before, the days between their windows, so it approves only what the wave before has installed,
# and the last wave installs 11 days before the next Patch Tuesday (tests/deploy/test_calendar.py).
ROLLOUT_DEFAULTS = (
    Wave("wave 1", Schedule("cron(0 4 ? * TUE#2 *)", "US/Eastern", 3), (1,)),
    Wave("wave 2", Schedule("cron(0 4 ? * TUE#3 *)", "US/Eastern", 3), (8,)),
    Wave("wave 3", Schedule("cron(0 4 ? * TUE#4 *)", "US/Eastern", 3), (15,)),
)
