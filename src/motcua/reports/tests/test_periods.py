"""Reporting periods are half-open intervals of local midnights in Vietnam."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from motcua.core.errors import ValidationFailed
from motcua.reports.periods import Period, PeriodKind, months_back

HUE = ZoneInfo("Asia/Ho_Chi_Minh")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=HUE)


@pytest.mark.parametrize(
    ("kind", "number", "start", "end", "label"),
    [
        ("month", 2, (2027, 2, 1), (2027, 3, 1), "Tháng 02/2027"),
        ("month", 12, (2027, 12, 1), (2028, 1, 1), "Tháng 12/2027"),
        ("quarter", 1, (2027, 1, 1), (2027, 4, 1), "Quý I/2027"),
        ("quarter", 4, (2027, 10, 1), (2028, 1, 1), "Quý IV/2027"),
        ("half", 1, (2027, 1, 1), (2027, 7, 1), "6 tháng đầu năm 2027"),
        ("half", 2, (2027, 7, 1), (2028, 1, 1), "6 tháng cuối năm 2027"),
        ("nine_months", 1, (2027, 1, 1), (2027, 10, 1), "9 tháng đầu năm 2027"),
        ("year", 1, (2027, 1, 1), (2028, 1, 1), "Năm 2027"),
    ],
)
def test_it_bounds_each_kind_of_period_by_local_midnights(kind, number, start, end, label):
    period = Period.of(kind, 2027, number)
    assert period.start == local(*start)
    assert period.end == local(*end)
    assert period.label == label
    # 00:00 in Huế is 17:00 UTC of the day before.
    assert period.start.astimezone(dt.UTC).hour == 17


def test_it_puts_the_last_minute_of_a_month_in_that_month_and_midnight_in_the_next():
    february = Period.of("month", 2027, 2)
    assert february.start <= local(2027, 2, 28, 23, 59) < february.end
    assert not local(2027, 3, 1, 0, 0) < february.end
    assert Period.containing("month", dt.date(2027, 2, 28)) == february


def test_days_and_iso_weeks_serve_the_dashboard():
    sunday = dt.date(2027, 2, 28)
    week = Period.containing(PeriodKind.WEEK, sunday)
    assert (week.first_day, week.last_day) == (dt.date(2027, 2, 22), sunday)
    day = Period.containing(PeriodKind.DAY, sunday)
    assert (day.start, day.end) == (local(2027, 2, 28), local(2027, 3, 1))
    # The first ISO week of 2027 starts on Monday 4 January.
    assert Period.of("week", 2027, 1).first_day == dt.date(2027, 1, 4)


def test_a_period_travels_in_a_url_and_comes_back_the_same():
    quarter = Period.of("quarter", 2027, 3)
    assert Period.parse(quarter.token) == quarter


@pytest.mark.parametrize(
    ("kind", "year", "number"),
    [
        ("month", 2027, 13),
        ("quarter", 2027, 0),
        ("half", 2027, 3),
        ("year", 2027, 2),
        ("decade", 2027, 1),
        ("week", 2027, 54),
        ("month", "x", 1),
        ("year", 9999, 1),
        ("month", 10**20, 1),
        ("month", 1999, 12),
    ],
)
def test_it_refuses_a_period_that_does_not_exist(kind, year, number):
    with pytest.raises(ValidationFailed):
        Period.of(kind, year, number)


def test_it_refuses_a_malformed_token():
    with pytest.raises(ValidationFailed):
        Period.parse("month-2027-2")


def test_twelve_months_back_end_with_the_month_given():
    months = months_back(until=Period.of("month", 2027, 2), count=12)
    assert [(m.year, m.number) for m in months[:2]] == [(2026, 3), (2026, 4)]
    assert months[-1] == Period.of("month", 2027, 2)
    assert len(months) == 12


def test_a_running_period_is_judged_now_and_a_past_one_at_its_end():
    february = Period.of("month", 2027, 2)
    assert february.as_of(local(2027, 2, 10, 9, 0)) == local(2027, 2, 10, 9, 0)
    assert february.as_of(local(2027, 5, 1)) == local(2027, 3, 1)
