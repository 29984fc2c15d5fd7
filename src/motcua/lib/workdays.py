"""Deadlines counted in working time: the pure arithmetic behind every due date (DOMAIN.md §4).

No Django and no database: a `WorkCalendar` is a value, built once (`vietnam_public_calendar`, or
`motcua.calendars.selectors.work_calendar_for` with the administrators' overrides) and passed in.
Every datetime in and out is timezone-aware; results are in `calendar.tz` (Asia/Ho_Chi_Minh).

Working days and office time
    A day is a working day unless it is a day off (public holiday, compensatory or swapped day,
    administrator's override); otherwise a weekend day is a working day only if it is listed in
    `extra_working_days` (make-up Saturdays). Office time is the union of the office sessions
    (07:30-11:30 and 13:30-17:00 by default) on working days; "end of office hours" is the end of
    the last session. A calendar knows the holidays of the years it was built for; outside them
    only weekends count, so build it for every year a deadline can reach.

WORKING_DAYS (N whole days)
    With `day_one="next"` (the default) day 1 is the first working day strictly after the
    reception date, whatever the hour: a dossier received at 16:59 on the eve of a holiday, or on
    a weekend, starts counting on the first working day after it. With `day_one="same"` the
    reception date is day 1 when it is a working day and the dossier came in before the end of
    office hours. Due: the end of office hours of day N.
WORKING_HOURS (N hours, fractions allowed)
    N hours of office time counted from the reception instant (from the next session start when
    received outside office hours). Due: the instant the N-th hour is used up, so a count that
    ends exactly at a session end is due at that end (11:30), not at the next start (13:30).
CALENDAR_DAYS (N whole days)
    Reception date + N days, at the end of office hours. A period ending on a day off ends on the
    next working day (Civil Code 2015, art. 148(5)).
SAME_DAY (amount 0 or 1, on-the-spot procedures)
    Received on a working day before `same_day_cutoff` (15:00): due today at the end of office
    hours. Otherwise (after the cut-off, or on a day off): due at the end of the first session
    (11:30) of the next working day.
Zero amounts
    Zero working or calendar days means "by the end of the reception day's office hours", or of
    the next working day when received after hours or on a day off. Zero working hours is the
    first office instant at or after the reception.
Pauses (supplement requests, financial obligations, expert assessments)
    Pauses are merged first, so overlapping pauses are not counted twice, and clipped to the
    moment the clock starts (the reception, or the start of day 1 when the reception day does
    not count). For every unit but CALENDAR_DAYS the due instant moves forward by the office time
    the pauses contain, so a pause over a holiday weekend adds nothing for those days. For
    CALENDAR_DAYS each pause adds its length rounded up to whole days, and the day-off rule is
    applied after. Open pauses (`end=None`) are refused: the caller closes them at "now" first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo

import holidays

VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_OFFICE_HOURS: tuple[tuple[time, time], ...] = (
    (time(7, 30), time(11, 30)),
    (time(13, 30), time(17, 0)),
)
_US_PER_SECOND = 1_000_000
_US_PER_HOUR = 3600 * _US_PER_SECOND
_US_PER_DAY = 24 * _US_PER_HOUR


class DurationUnit(StrEnum):
    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    CALENDAR_DAYS = "calendar_days"
    SAME_DAY = "same_day"


def _plain_weekday(ordinal: int) -> int:
    # date(1, 1, 1) has ordinal 1 and was a Monday (weekday 0).
    return (ordinal - 1) % 7


class _DayIndex:
    """Working-day counting on date ordinals, in O(1) for the common case.

    Inside the span of years that holds the calendar's special dates a prefix count answers
    "how many working days before this day" and a list answers "which is the k-th"; outside it
    only the weekend matters, so whole weeks are skipped arithmetically. Indexes are relative to
    `lo`: the working day at index 0 is the first one on or after `lo`, and negative indexes
    count backwards before it.
    """

    __slots__ = ("hi", "lo", "per_week", "prefix", "weekend", "working")

    def __init__(self, days_off: frozenset[date], extra: frozenset[date], weekend: frozenset[int]):
        self.weekend = weekend
        self.per_week = 7 - len(weekend)
        special = days_off | extra
        self.lo = date(min(special).year, 1, 1).toordinal() if special else 730120
        self.hi = date(max(special).year + 1, 1, 1).toordinal() if special else self.lo
        self.working: list[int] = []
        self.prefix: list[int] = [0]
        for ordinal in range(self.lo, self.hi):
            day = date.fromordinal(ordinal)
            if day not in days_off and (day in extra or self._plain(ordinal)):
                self.working.append(ordinal)
            self.prefix.append(len(self.working))

    def _plain(self, ordinal: int) -> bool:
        return _plain_weekday(ordinal) not in self.weekend

    def is_working(self, ordinal: int) -> bool:
        if self.lo <= ordinal < self.hi:
            offset = ordinal - self.lo
            return self.prefix[offset + 1] != self.prefix[offset]
        return self._plain(ordinal)

    def count_before(self, ordinal: int) -> int:
        """Index of the first working day on or after `ordinal`."""
        if ordinal < self.lo:
            return -self._plain_count(ordinal, self.lo)
        if ordinal <= self.hi:
            return self.prefix[ordinal - self.lo]
        return len(self.working) + self._plain_count(self.hi, ordinal)

    def nth(self, index: int) -> int:
        """Ordinal of the working day at `index`."""
        if 0 <= index < len(self.working):
            return self.working[index]
        if index >= 0:
            return self._plain_forward(self.hi, index - len(self.working))
        return self._plain_backward(self.lo, -index)

    def _plain_count(self, start: int, stop: int) -> int:
        weeks, rest = divmod(stop - start, 7)
        tail = range(stop - rest, stop)
        return weeks * self.per_week + sum(1 for ordinal in tail if self._plain(ordinal))

    def _plain_forward(self, start: int, skip: int) -> int:
        # Any seven consecutive days hold exactly `per_week` working days, so whole weeks jump.
        weeks, skip = divmod(skip, self.per_week)
        ordinal = start + 7 * weeks
        while not self._plain(ordinal) or skip:
            skip -= self._plain(ordinal)
            ordinal += 1
        return ordinal

    def _plain_backward(self, stop: int, count: int) -> int:
        weeks, skip = divmod(count - 1, self.per_week)
        ordinal = stop - 1 - 7 * weeks
        while not self._plain(ordinal) or skip:
            skip -= self._plain(ordinal)
            ordinal -= 1
        return ordinal


def _time_us(value: time | datetime) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * _US_PER_SECOND + (
        value.microsecond
    )


def _check_office_hours(sessions: tuple[tuple[time, time], ...]) -> None:
    if not sessions:
        raise ValueError("office hours need at least one session")
    previous_end = time.min
    for start, end in sessions:
        label = f"{start:%H:%M}-{end:%H:%M}"
        if not start < end:
            raise ValueError(f"office session {label} does not end after it starts")
        if start < previous_end:
            raise ValueError(f"office session {label} overlaps the one before or is out of order")
        previous_end = end


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days and when the office is open; a hashable value."""

    days_off: frozenset[date]
    extra_working_days: frozenset[date]
    office_hours: tuple[tuple[time, time], ...] = DEFAULT_OFFICE_HOURS
    weekend: frozenset[int] = frozenset({5, 6})
    tz: ZoneInfo = VIETNAM_TZ

    def __post_init__(self) -> None:
        # Accept any iterables from callers but keep the value immutable and hashable.
        object.__setattr__(self, "days_off", frozenset(self.days_off))
        object.__setattr__(self, "extra_working_days", frozenset(self.extra_working_days))
        object.__setattr__(self, "weekend", frozenset(self.weekend))
        object.__setattr__(self, "office_hours", tuple(map(tuple, self.office_hours)))
        _check_office_hours(self.office_hours)
        if not self.weekend <= frozenset(range(7)) or len(self.weekend) == 7:
            raise ValueError(f"weekend must be some but not all weekdays 0-6: {set(self.weekend)}")

    def is_working_day(self, day: date) -> bool:
        if day in self.days_off:
            return False
        return day in self.extra_working_days or day.weekday() not in self.weekend

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        return self.add_working_days(day, 1)

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day strictly after `day` (`day` itself when n is 0)."""
        if n < 0:
            raise ValueError(f"cannot add a negative number of working days: {n}")
        if n == 0:
            return day
        index = self._index
        return date.fromordinal(index.nth(index.count_before(day.toordinal() + 1) + n - 1))

    # Derived values are cached on the instance: cached_property writes the instance __dict__
    # directly, which a frozen dataclass allows, and the fields they derive from never change.
    @cached_property
    def _index(self) -> _DayIndex:
        return _DayIndex(self.days_off, self.extra_working_days, self.weekend)

    @cached_property
    def _sessions_us(self) -> tuple[tuple[int, int], ...]:
        return tuple((_time_us(start), _time_us(end)) for start, end in self.office_hours)

    @property
    def working_day_length(self) -> timedelta:
        """Office time in one working day (7 h 30 min with the default sessions)."""
        return timedelta(microseconds=self._day_us)

    @cached_property
    def _day_us(self) -> int:
        return sum(end - start for start, end in self._sessions_us)

    @cached_property
    def _close_us(self) -> int:
        return self._sessions_us[-1][1]


@dataclass(frozen=True)
class DeadlineRules:
    """Counting rules that vary by province (settings MOTCUA_DAY_ONE, MOTCUA_SAME_DAY_CUTOFF)."""

    day_one: Literal["next", "same"] = "next"
    same_day_cutoff: time = time(15, 0)

    def __post_init__(self) -> None:
        if self.day_one not in ("next", "same"):
            raise ValueError(f'day_one must be "next" or "same", not {self.day_one!r}')


@dataclass(frozen=True)
class Pause:
    start: datetime
    end: datetime | None


_DEFAULT_RULES = DeadlineRules()
_CLOCK = re.compile(r"\s*(\d{1,2}):(\d{2})\s*")


def parse_time_of_day(text: str) -> time:
    """Parse "HH:MM" (24-hour clock)."""
    match = _CLOCK.fullmatch(text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"expected a time of day as HH:MM, got {text!r}")
    return time(int(match[1]), int(match[2]))


def parse_office_hours(text: str) -> tuple[tuple[time, time], ...]:
    """Parse "07:30-11:30,13:30-17:00" into ordered, non-overlapping sessions."""
    sessions = []
    for part in text.split(","):
        bounds = part.split("-")
        if len(bounds) != 2:
            raise ValueError(f"expected office hours like 07:30-11:30,13:30-17:00, got {text!r}")
        sessions.append((parse_time_of_day(bounds[0]), parse_time_of_day(bounds[1])))
    result = tuple(sessions)
    _check_office_hours(result)
    return result


# Conversions and validation.


def _local(calendar: WorkCalendar, value: datetime, name: str) -> datetime:
    if value.tzinfo is calendar.tz:
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")
    return value.astimezone(calendar.tz)


def _decimal(amount: int | Decimal) -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal | float):
        raise TypeError(f"amount must be an int or a Decimal, got {amount!r}")
    value = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
    if not value.is_finite() or value < 0:
        raise ValueError(f"amount must be a finite number, zero or more, got {amount!r}")
    return value


def _whole(amount: int | Decimal) -> int:
    if type(amount) is int and amount >= 0:
        return amount
    value = _decimal(amount)
    if value != value.to_integral_value():
        raise ValueError(f"days must be whole, got {amount!r}")
    return int(value)


def _hours_us(amount: int | Decimal) -> int:
    value = _decimal(amount) * _US_PER_HOUR
    return int(value.to_integral_value(rounding=ROUND_HALF_EVEN))


# Office time as one number: microseconds of office time since working day 0 of the index.
# An instant maps to the office time elapsed before it; the inverse maps back to an instant.


def _at(calendar: WorkCalendar, ordinal: int, us: int) -> datetime:
    day = date.fromordinal(ordinal)
    seconds, micro = divmod(us, _US_PER_SECOND)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return datetime(day.year, day.month, day.day, hour, minute, second, micro, tzinfo=calendar.tz)


def _office_us(calendar: WorkCalendar, local: datetime) -> int:
    index = calendar._index
    ordinal = local.toordinal()
    before = index.count_before(ordinal) * calendar._day_us
    if not index.is_working(ordinal):
        return before
    now = _time_us(local)
    # A plain loop: this runs for every pause bound of every deadline computed.
    elapsed = 0
    for start, end in calendar._sessions_us:
        if now <= start:
            break
        elapsed += (now if now < end else end) - start
    return before + elapsed


def _instant_at(calendar: WorkCalendar, office_us: int, *, at_end: bool) -> datetime:
    """The instant when office time reaches `office_us`.

    At a boundary `at_end` picks the end of the session just used up (a deadline) rather than
    the start of the next one (when work can begin).
    """
    day_us = calendar._day_us
    index, rest = divmod(office_us, day_us)
    if at_end and rest == 0:
        index, rest = index - 1, day_us
    ordinal = calendar._index.nth(index)
    for start, end in calendar._sessions_us:
        if rest < end - start or (at_end and rest == end - start):
            return _at(calendar, ordinal, start + rest)
        rest -= end - start
    raise AssertionError("office time beyond the end of the day")  # pragma: no cover


def working_time_between(*, calendar: WorkCalendar, start: datetime, end: datetime) -> timedelta:
    """Office time between two instants; negative when `end` is before `start`."""
    elapsed = _office_us(calendar, _local(calendar, end, "end")) - _office_us(
        calendar, _local(calendar, start, "start")
    )
    return timedelta(microseconds=elapsed)


def add_working_time(*, calendar: WorkCalendar, start: datetime, amount: timedelta) -> datetime:
    """The instant `amount` of office time after `start`, skipping nights, lunch and days off."""
    local = _local(calendar, start, "start")
    if amount < timedelta(0):
        raise ValueError(f"cannot add negative working time: {amount}")
    if not amount:
        return local
    target = _office_us(calendar, local) + amount // timedelta(microseconds=1)
    return _instant_at(calendar, target, at_end=True)


# One function per unit, each returning the due instant before pauses.


def _first_close_from(calendar: WorkCalendar, local: datetime) -> datetime:
    """End of office hours on the reception day, or on the next working day if it is too late."""
    index, ordinal = calendar._index, local.toordinal()
    if not (index.is_working(ordinal) and _time_us(local) < calendar._close_us):
        ordinal = index.nth(index.count_before(ordinal + 1))
    return _at(calendar, ordinal, calendar._close_us)


def _counts_reception_day(calendar: WorkCalendar, local: datetime, rules: DeadlineRules) -> bool:
    return (
        rules.day_one == "same"
        and calendar._index.is_working(local.toordinal())
        and _time_us(local) < calendar._close_us
    )


def _due_working_days(
    calendar: WorkCalendar, local: datetime, amount: int | Decimal, rules: DeadlineRules
) -> datetime:
    days = _whole(amount)
    if days == 0:
        return _first_close_from(calendar, local)
    index, ordinal = calendar._index, local.toordinal()
    if _counts_reception_day(calendar, local, rules):
        first = index.count_before(ordinal)
    else:
        first = index.count_before(ordinal + 1)
    return _at(calendar, index.nth(first + days - 1), calendar._close_us)


def _due_working_hours(
    calendar: WorkCalendar, local: datetime, amount: int | Decimal, rules: DeadlineRules
) -> datetime:
    hours_us = _hours_us(amount)
    return _instant_at(calendar, _office_us(calendar, local) + hours_us, at_end=bool(hours_us))


def _due_same_day(
    calendar: WorkCalendar, local: datetime, amount: int | Decimal, rules: DeadlineRules
) -> datetime:
    if _decimal(amount) not in (0, 1):
        raise ValueError(f"a same-day procedure takes an amount of 0 or 1, got {amount!r}")
    index, ordinal = calendar._index, local.toordinal()
    # A cut-off after closing time would otherwise put the due instant before the reception.
    cutoff = min(_time_us(rules.same_day_cutoff), calendar._close_us)
    if index.is_working(ordinal) and _time_us(local) < cutoff:
        return _at(calendar, ordinal, calendar._close_us)
    next_day = index.nth(index.count_before(ordinal + 1))
    return _at(calendar, next_day, calendar._sessions_us[0][1])


def _due_calendar_days(calendar: WorkCalendar, local: datetime, days: int) -> datetime:
    index = calendar._index
    # count_before gives the index of the first working day on or after the date.
    ordinal = index.nth(index.count_before(local.toordinal() + days))
    due = _at(calendar, ordinal, calendar._close_us)
    if due < local:
        due = _at(calendar, index.nth(index.count_before(ordinal + 1)), calendar._close_us)
    return due


_Rule = Callable[[WorkCalendar, datetime, "int | Decimal", DeadlineRules], datetime]
_WORKING_TIME_RULES: dict[DurationUnit, _Rule] = {
    DurationUnit.WORKING_DAYS: _due_working_days,
    DurationUnit.WORKING_HOURS: _due_working_hours,
    DurationUnit.SAME_DAY: _due_same_day,
}


# Pauses.


def _pause_bounds(
    calendar: WorkCalendar, pauses: Sequence[Pause]
) -> list[tuple[datetime, datetime]]:
    """Each pause's (start, end) in the calendar's zone, checked."""
    bounds = []
    for pause in pauses:
        if pause.end is None:
            raise ValueError("an open pause has no end: close it at the current time first")
        start = _local(calendar, pause.start, "pause start")
        end = _local(calendar, pause.end, "pause end")
        if end < start:
            raise ValueError(f"pause ends before it starts: {pause}")
        bounds.append((start, end))
    return bounds


def _merged[T: (int, datetime)](spans: list[tuple[T, T]], floor: T) -> list[tuple[T, T]]:
    """The spans clipped at `floor` (the clock does not run before it starts, so there is
    nothing to pause there), empty ones dropped, overlapping ones merged."""
    merged: list[tuple[T, T]] = []
    for start, end in sorted((max(start, floor), end) for start, end in spans):
        if not end > start:
            continue
        if merged and not merged[-1][1] < start:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _clock_start_us(
    calendar: WorkCalendar, local: datetime, unit: DurationUnit, rules: DeadlineRules
) -> int:
    """Office time at which the clock starts running: reception, or the opening of day one."""
    if unit is not DurationUnit.WORKING_DAYS or _counts_reception_day(calendar, local, rules):
        return _office_us(calendar, local)
    # Day one is the first working day after the reception date; its opening is the office
    # time of every working day before it.
    return calendar._index.count_before(local.toordinal() + 1) * calendar._day_us


def _paused_office_us(calendar: WorkCalendar, pauses: Sequence[Pause], clock_start: int) -> int:
    """Office time covered by the pauses after the clock started, overlaps counted once.

    Office time never decreases with the instant, so merging the pauses as office-time intervals
    gives the same total as merging them as instants, without building datetimes.
    """
    spans = [
        (_office_us(calendar, start), _office_us(calendar, end))
        for start, end in _pause_bounds(calendar, pauses)
    ]
    return sum(end - start for start, end in _merged(spans, clock_start))


def _paused_days(spans: list[tuple[datetime, datetime]]) -> int:
    one_day = timedelta(days=1)
    return sum(-((start - end) // one_day) for start, end in spans)


def due_instant(
    *,
    calendar: WorkCalendar,
    received_at: datetime,
    amount: int | Decimal,
    unit: DurationUnit,
    rules: DeadlineRules = _DEFAULT_RULES,
    pauses: Sequence[Pause] = (),
) -> datetime:
    """When a dossier received at `received_at` is due; see the module docstring for the rules."""
    local = _local(calendar, received_at, "received_at")
    unit = DurationUnit(unit)
    if unit is DurationUnit.CALENDAR_DAYS:
        days = _whole(amount)
        if pauses:
            days += _paused_days(_merged(_pause_bounds(calendar, pauses), local))
        return _due_calendar_days(calendar, local, days)
    due = _WORKING_TIME_RULES[unit](calendar, local, amount, rules)
    if not pauses:
        return due
    paused = _paused_office_us(calendar, pauses, _clock_start_us(calendar, local, unit, rules))
    if not paused:
        return due
    return _instant_at(calendar, _office_us(calendar, due) + paused, at_end=True)


def budget_due(
    *,
    calendar: WorkCalendar,
    start: datetime,
    amount: int | Decimal,
    unit: DurationUnit,
    pauses: Sequence[Pause] = (),
) -> datetime:
    """When a workflow step that started at `start` with a budget of `amount` is due.

    Unlike a dossier's statutory time, a step's budget may be a fraction and starts at once:
    working days (and same-day fractions) are that many office days of office time from `start`,
    working hours that much office time, calendar days that much wall time. Pauses after the
    start push the due instant by the office (or wall) time they contain.
    """
    local = _local(calendar, start, "start")
    unit = DurationUnit(unit)
    if unit is DurationUnit.CALENDAR_DAYS:
        paused = sum(
            (end - begin for begin, end in _merged(_pause_bounds(calendar, pauses), local)),
            timedelta(0),
        )
        return local + timedelta(days=float(_decimal(amount))) + paused
    per_unit = _US_PER_HOUR if unit is DurationUnit.WORKING_HOURS else calendar._day_us
    office_start = _office_us(calendar, local)
    budget = int(_decimal(amount) * per_unit)
    paused_us = _paused_office_us(calendar, pauses, office_start) if pauses else 0
    if not budget + paused_us:
        return local
    return _instant_at(calendar, office_start + budget + paused_us, at_end=True)


def classify_finish(
    *, calendar: WorkCalendar, finished: datetime, due: datetime
) -> Literal["early", "on_time", "late"]:
    """Early if finished on a day before the due day, on time up to the due instant, else late."""
    if finished > due:
        return "late"
    if finished.astimezone(calendar.tz).date() < due.astimezone(calendar.tz).date():
        return "early"
    return "on_time"


def vietnam_public_calendar(
    years: Iterable[int],
    *,
    extra_days_off: Iterable[date] = (),
    extra_working_days: Iterable[date] = (),
    office_hours: tuple[tuple[time, time], ...] = DEFAULT_OFFICE_HOURS,
) -> WorkCalendar:
    """The national calendar for `years` from the `holidays` package, plus explicit changes."""
    wanted = sorted(set(years))
    if not wanted:
        raise ValueError("at least one year is needed to build a calendar")
    national = holidays.country_holidays("VN", years=wanted)
    # weekend_workdays also lists swaps of other years (2014-12-27 and 2019-01-05 always show
    # up), so keep only the years asked for.
    make_up = {day for day in national.weekend_workdays if day.year in wanted}
    added_off, added_working = set(extra_days_off), set(extra_working_days)
    if clash := added_off & added_working:
        raise ValueError(f"dates both off and working: {sorted(clash)}")
    days_off = (set(national) - make_up - added_working) | added_off
    working = (make_up - added_off) | added_working
    return WorkCalendar(frozenset(days_off), frozenset(working), office_hours=office_hours)
