"""Deadline arithmetic on the real Vietnamese calendar (holidays 0.109), worked by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.lib.workdays import (
    DeadlineRules,
    DurationUnit,
    Pause,
    WorkCalendar,
    add_working_time,
    due_instant,
    parse_office_hours,
    parse_time_of_day,
    vietnam_public_calendar,
    working_time_between,
)

CAL = vietnam_public_calendar(range(2025, 2029))
TZ = CAL.tz
SAME = DeadlineRules(day_one="same")
WD = DurationUnit.WORKING_DAYS
WH = DurationUnit.WORKING_HOURS
CD = DurationUnit.CALENDAR_DAYS
SD = DurationUnit.SAME_DAY


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TZ)  # type: ignore[misc]


def due(received_at: datetime, amount: int | Decimal, unit: DurationUnit, **kwargs) -> datetime:
    return due_instant(calendar=CAL, received_at=received_at, amount=amount, unit=unit, **kwargs)


class TestTheNationalCalendar:
    def test_it_takes_tet_2026_from_the_holidays_package(self):
        tet = [date(2026, 2, day) for day in range(16, 21)]
        assert [CAL.is_working_day(day) for day in tet] == [False] * 5
        assert CAL.is_working_day(date(2026, 2, 13))
        assert CAL.is_working_day(date(2026, 2, 23))

    def test_it_makes_saturday_22_august_2026_a_working_day_and_31_august_a_day_off(self):
        assert CAL.is_working_day(date(2026, 8, 22))
        assert not CAL.is_working_day(date(2026, 8, 31))
        assert date(2026, 8, 22) not in CAL.days_off

    def test_it_keeps_the_make_up_saturdays_of_the_requested_years_only(self):
        assert CAL.extra_working_days == {date(2025, 4, 26), date(2026, 8, 22)}
        # holidays lists these two swaps whatever years are asked for.
        assert date(2014, 12, 27) not in CAL.extra_working_days
        assert date(2019, 1, 5) not in CAL.extra_working_days

    def test_it_gives_compensatory_days_for_holidays_on_a_weekend(self):
        # Hùng Kings 2026 is Sunday 26/4, 1/5/2027 is a Saturday.
        assert not CAL.is_working_day(date(2026, 4, 27))
        assert not CAL.is_working_day(date(2027, 5, 3))

    def test_it_applies_explicit_days_off_and_working_days_over_the_national_ones(self):
        calendar = vietnam_public_calendar(
            [2026],
            extra_days_off=[date(2026, 8, 22)],
            extra_working_days=[date(2026, 2, 20), date(2026, 3, 7)],
        )
        assert not calendar.is_working_day(date(2026, 8, 22))
        assert calendar.is_working_day(date(2026, 2, 20))
        assert calendar.is_working_day(date(2026, 3, 7))

    def test_it_refuses_a_date_that_is_both_off_and_working(self):
        with pytest.raises(ValueError, match="both"):
            vietnam_public_calendar(
                [2026], extra_days_off=[date(2026, 3, 7)], extra_working_days=[date(2026, 3, 7)]
            )

    def test_it_lets_days_off_win_over_extra_working_days(self):
        calendar = WorkCalendar(days_off={date(2026, 3, 7)}, extra_working_days={date(2026, 3, 7)})
        assert not calendar.is_working_day(date(2026, 3, 7))

    def test_it_counts_working_days_beyond_the_years_it_knows_by_weekends_only(self):
        # Fri 5/1/1990 + 3: Mon 8, Tue 9, Wed 10.
        assert CAL.add_working_days(date(1990, 1, 5), 3) == date(1990, 1, 10)
        # Fri 5/1/2035 + 30 = six whole weeks.
        assert CAL.add_working_days(date(2035, 1, 5), 30) == date(2035, 2, 16)
        assert CAL.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)


class TestWorkingDays:
    def test_it_starts_after_tet_2026_for_a_dossier_received_at_1659_on_its_eve(self):
        # Fri 13/2 16:59; Sat 14, Sun 15, Tết Mon 16 - Fri 20, Sat 21, Sun 22; day 1 = Mon 23/2.
        assert due(at(2026, 2, 13, 16, 59), 1, WD) == at(2026, 2, 23, 17)
        # Day 1 Mon 23, day 2 Tue 24, day 3 Wed 25.
        assert due(at(2026, 2, 13, 16, 59), 3, WD) == at(2026, 2, 25, 17)

    def test_it_counts_the_eve_of_tet_itself_when_the_reception_day_counts(self):
        # day_one="same", 16:59 is before closing: day 1 = Fri 13/2, day 2 Mon 23, day 3 Tue 24.
        assert due(at(2026, 2, 13, 16, 59), 1, WD, rules=SAME) == at(2026, 2, 13, 17)
        assert due(at(2026, 2, 13, 16, 59), 3, WD, rules=SAME) == at(2026, 2, 24, 17)

    def test_it_skips_tet_2027(self):
        # Wed 3/2/2027; Tết Thu 4 - Wed 10; day 1 Thu 11, 2 Fri 12, 3 Mon 15, 4 Tue 16, 5 Wed 17.
        assert due(at(2027, 2, 3, 10), 1, WD) == at(2027, 2, 11, 17)
        assert due(at(2027, 2, 3, 10), 5, WD) == at(2027, 2, 17, 17)

    def test_it_skips_30_april_and_1_may_2026_from_the_eve_at_1659(self):
        # Wed 29/4 16:59; Thu 30/4, Fri 1/5 off, Sat, Sun; day 1 Mon 4/5, 2 Tue 5, 3 Wed 6.
        assert due(at(2026, 4, 29, 16, 59), 1, WD) == at(2026, 5, 4, 17)
        assert due(at(2026, 4, 29, 16, 59), 3, WD) == at(2026, 5, 6, 17)

    def test_it_skips_the_compensatory_monday_after_1_may_2027(self):
        # Thu 29/4/2027; Fri 30/4 off, Sat 1/5 off, Sun 2, Mon 3 compensatory; day 1 Tue 4, 2 Wed 5.
        assert due(at(2027, 4, 29, 10), 2, WD) == at(2027, 5, 5, 17)

    def test_it_counts_the_make_up_saturday_before_2_september_2026(self):
        # Thu 20/8; day 1 Fri 21, day 2 Sat 22 (make-up), Sun 23, day 3 Mon 24.
        assert due(at(2026, 8, 20, 10), 3, WD) == at(2026, 8, 24, 17)

    def test_it_skips_the_swapped_day_and_national_day_2026(self):
        # Fri 28/8; Sat 29, Sun 30, Mon 31 (swapped off), Tue 1/9, Wed 2/9; day 1 Thu 3, 2 Fri 4.
        assert due(at(2026, 8, 28, 10), 2, WD) == at(2026, 9, 4, 17)

    def test_it_skips_the_compensatory_day_for_hung_kings_2026(self):
        # Fri 24/4; Sat 25, Sun 26 (Hùng Kings), Mon 27 compensatory; day 1 = Tue 28/4.
        assert due(at(2026, 4, 24, 10), 1, WD) == at(2026, 4, 28, 17)

    def test_it_counts_the_reception_day_only_when_the_rules_say_so(self):
        # Tue 10/3/2026 10:00, 2 days: "next" counts Wed 11, Thu 12; "same" counts Tue 10, Wed 11.
        assert due(at(2026, 3, 10, 10), 2, WD) == at(2026, 3, 12, 17)
        assert due(at(2026, 3, 10, 10), 2, WD, rules=SAME) == at(2026, 3, 11, 17)

    def test_it_does_not_count_the_reception_day_after_closing_time_or_on_a_weekend(self):
        # Tue 10/3 17:30 with "same": day 1 Wed 11, day 2 Thu 12.
        assert due(at(2026, 3, 10, 17, 30), 2, WD, rules=SAME) == at(2026, 3, 12, 17)
        # Sat 7/3 with "same": day 1 Mon 9, day 2 Tue 10.
        assert due(at(2026, 3, 7, 9), 2, WD, rules=SAME) == at(2026, 3, 10, 17)

    def test_it_counts_from_the_next_working_day_for_a_weekend_reception(self):
        # Sat 7/3/2026; day 1 Mon 9.
        assert due(at(2026, 3, 7, 9), 1, WD) == at(2026, 3, 9, 17)

    def test_it_gives_zero_days_until_the_end_of_the_reception_day(self):
        assert due(at(2026, 3, 10, 10), 0, WD) == at(2026, 3, 10, 17)
        assert due(at(2026, 3, 10, 18), 0, WD) == at(2026, 3, 11, 17)

    def test_it_accepts_whole_decimals_and_utc_instants_and_answers_in_local_time(self):
        # 09:59 UTC is 16:59 in Hà Nội.
        received = datetime(2026, 2, 13, 9, 59, tzinfo=UTC)
        result = due(received, Decimal("3"), WD)
        assert result == at(2026, 2, 25, 17)
        assert result.tzinfo is TZ


class TestWorkingHours:
    def test_it_carries_hours_over_to_the_next_morning(self):
        # Tue 10/2 16:00: 1 h until 17:00, then Wed 07:30 + 3 h = 10:30.
        assert due(at(2026, 2, 10, 16), 4, WH) == at(2026, 2, 11, 10, 30)

    def test_it_carries_hours_over_tet(self):
        # Fri 13/2 16:00: 1 h on Friday, Tết, then Mon 23/2 07:30 + 3 h.
        assert due(at(2026, 2, 13, 16), 4, WH) == at(2026, 2, 23, 10, 30)

    def test_it_starts_at_the_next_session_when_received_out_of_hours(self):
        # Lunch 12:00: from 13:30, 2 h -> 15:30. Early 06:00: from 07:30, 4 h -> 11:30.
        assert due(at(2026, 2, 10, 12), 2, WH) == at(2026, 2, 10, 15, 30)
        assert due(at(2026, 2, 10, 6), 4, WH) == at(2026, 2, 10, 11, 30)

    def test_it_is_due_at_a_session_end_when_the_hours_run_out_there(self):
        # Tue 10:00 + 8 h: 1.5 h to 11:30, 3.5 h to 17:00, Wed 07:30 + 3 h = 10:30.
        assert due(at(2026, 2, 10, 10), 8, WH) == at(2026, 2, 11, 10, 30)
        # Tue 10:00 + 1.5 h ends exactly at 11:30, not at 13:30.
        assert due(at(2026, 2, 10, 10), Decimal("1.5"), WH) == at(2026, 2, 10, 11, 30)

    def test_it_accepts_fractional_hours(self):
        # Tue 16:00 + 1.5 h: 1 h on Tuesday, 0.5 h on Wednesday from 07:30.
        assert due(at(2026, 2, 10, 16), Decimal("1.5"), WH) == at(2026, 2, 11, 8)

    def test_it_gives_zero_hours_as_the_first_office_instant(self):
        assert due(at(2026, 2, 10, 12), 0, WH) == at(2026, 2, 10, 13, 30)
        assert due(at(2026, 2, 10, 9, 15), 0, WH) == at(2026, 2, 10, 9, 15)


class TestCalendarDays:
    def test_it_adds_calendar_days(self):
        # Mon 5/1/2026 + 10 = Thu 15/1.
        assert due(at(2026, 1, 5, 10), 10, CD) == at(2026, 1, 15, 17)

    def test_it_moves_a_period_ending_on_a_day_off_to_the_next_working_day(self):
        # Sat 25/4/2026 + 5 = Thu 30/4 (off); Fri 1/5 off, Sat, Sun; Mon 4/5.
        assert due(at(2026, 4, 25, 10), 5, CD) == at(2026, 5, 4, 17)
        # Tue 10/2/2026 + 7 = Tue 17/2 (Tết) -> Mon 23/2.
        assert due(at(2026, 2, 10, 10), 7, CD) == at(2026, 2, 23, 17)

    def test_it_is_not_affected_by_the_reception_hour(self):
        assert due(at(2026, 1, 5, 23, 59), 10, CD) == at(2026, 1, 15, 17)


class TestSameDay:
    def test_it_is_due_today_before_the_cut_off(self):
        assert due(at(2026, 2, 12, 14, 59), 1, SD) == at(2026, 2, 12, 17)

    def test_it_is_due_next_working_morning_from_the_cut_off(self):
        # Thu 12/2 15:00 -> Fri 13/2 at the end of the morning session.
        assert due(at(2026, 2, 12, 15), 1, SD) == at(2026, 2, 13, 11, 30)
        # Fri 13/2 15:30 -> after Tết, Mon 23/2 11:30.
        assert due(at(2026, 2, 13, 15, 30), 0, SD) == at(2026, 2, 23, 11, 30)

    def test_it_is_due_next_working_morning_for_a_weekend_reception(self):
        assert due(at(2026, 3, 7, 9), 1, SD) == at(2026, 3, 9, 11, 30)
        # Sat 14/2/2026 is just before Tết.
        assert due(at(2026, 2, 14, 9), 1, SD) == at(2026, 2, 23, 11, 30)

    def test_it_follows_a_configured_cut_off(self):
        rules = DeadlineRules(same_day_cutoff=time(16, 0))
        assert due(at(2026, 2, 12, 15, 30), 1, SD, rules=rules) == at(2026, 2, 12, 17)

    def test_it_refuses_other_amounts(self):
        with pytest.raises(ValueError, match="same-day"):
            due(at(2026, 2, 12, 9), 2, SD)


class TestPauses:
    # Mon 2/3/2026 10:00, 5 days: Tue 3, Wed 4, Thu 5, Fri 6, Mon 9 -> Mon 9/3 17:00.
    RECEIVED = at(2026, 3, 2, 10)

    def paused(self, *spans: tuple[datetime, datetime | None], amount: int = 5) -> datetime:
        pauses = [Pause(start, end) for start, end in spans]
        return due(self.RECEIVED, amount, WD, pauses=pauses)

    def test_it_is_unchanged_without_pauses(self):
        assert self.paused() == at(2026, 3, 9, 17)

    def test_it_pushes_by_a_whole_working_day(self):
        # Wed 07:30 -> Thu 07:30 holds 7.5 h: Mon 9 17:00 -> Tue 10 17:00.
        assert self.paused((at(2026, 3, 4, 7, 30), at(2026, 3, 5, 7, 30))) == at(2026, 3, 10, 17)

    def test_it_pushes_by_a_part_of_a_day(self):
        # 2 h: Tue 10/3 07:30 + 2 h.
        assert self.paused((at(2026, 3, 4, 9, 30), at(2026, 3, 4, 11, 30))) == at(
            2026, 3, 10, 9, 30
        )

    def test_it_adds_several_pauses(self):
        # 2 h + 2 h: Tue 10/3 07:30 + 4 h = 11:30, the end of the morning session.
        spans = (
            (at(2026, 3, 4, 9, 30), at(2026, 3, 4, 11, 30)),
            (at(2026, 3, 5, 13, 30), at(2026, 3, 5, 15, 30)),
        )
        assert self.paused(*spans) == at(2026, 3, 10, 11, 30)

    def test_it_does_not_count_overlapping_pauses_twice(self):
        # Merged 09:30-14:30 = 2 h before lunch + 1 h after: Tue 10/3 10:30 (not 11:30).
        spans = (
            (at(2026, 3, 4, 10, 30), at(2026, 3, 4, 14, 30)),
            (at(2026, 3, 4, 9, 30), at(2026, 3, 4, 11, 30)),
        )
        assert self.paused(*spans) == at(2026, 3, 10, 10, 30)

    def test_it_does_not_pause_the_reception_day_that_is_not_counted(self):
        # Mon 2/3 14:00 -> Tue 3/3 09:30: the clock starts Tue 07:30, so 2 h count.
        assert self.paused((at(2026, 3, 2, 14), at(2026, 3, 3, 9, 30))) == at(2026, 3, 10, 9, 30)

    def test_it_adds_nothing_for_a_pause_over_the_tet_holiday(self):
        # Mon 9/2/2026, 5 days: Tue 10, Wed 11, Thu 12, Fri 13, (Tết), Mon 23/2.
        received = at(2026, 2, 9, 10)
        closed_over_tet = [Pause(at(2026, 2, 13, 17), at(2026, 2, 23, 7, 30))]
        assert due(received, 5, WD) == at(2026, 2, 23, 17)
        assert due(received, 5, WD, pauses=closed_over_tet) == at(2026, 2, 23, 17)
        # Fri 16:00 -> Mon 23 08:30 holds 1 h + 1 h: Tue 24/2 07:30 + 2 h.
        around_tet = [Pause(at(2026, 2, 13, 16), at(2026, 2, 23, 8, 30))]
        assert due(received, 5, WD, pauses=around_tet) == at(2026, 2, 24, 9, 30)

    def test_it_pauses_working_hours_and_same_day_deadlines_by_office_time(self):
        # Tue 10/2 16:00 + 4 h = Wed 10:30; a 1 h pause -> Wed 11:30.
        pause = [Pause(at(2026, 2, 11, 8), at(2026, 2, 11, 9))]
        assert due(at(2026, 2, 10, 16), 4, WH, pauses=pause) == at(2026, 2, 11, 11, 30)
        # Thu 12/2 10:00 same day -> 17:00; 2 h pause -> Fri 13/2 07:30 + 2 h.
        pause = [Pause(at(2026, 2, 12, 14), at(2026, 2, 12, 16))]
        assert due(at(2026, 2, 12, 10), 1, SD, pauses=pause) == at(2026, 2, 13, 9, 30)

    def test_it_pauses_calendar_days_by_whole_days_rounded_up(self):
        # Mon 5/1 + 10 = Thu 15/1; a 26 h pause adds 2 days: Sat 17/1 -> Mon 19/1.
        pause = [Pause(at(2026, 1, 6, 10), at(2026, 1, 7, 12))]
        assert due(at(2026, 1, 5, 10), 10, CD, pauses=pause) == at(2026, 1, 19, 17)

    def test_it_refuses_an_open_pause(self):
        with pytest.raises(ValueError, match="open pause"):
            self.paused((at(2026, 3, 4, 9), None))

    def test_it_refuses_a_pause_that_ends_before_it_starts(self):
        with pytest.raises(ValueError, match="ends before"):
            self.paused((at(2026, 3, 4, 9), at(2026, 3, 4, 8)))


class TestWorkingTime:
    def test_it_measures_office_time_over_tet(self):
        start, end = at(2026, 2, 13, 16), at(2026, 2, 23, 8, 30)
        assert working_time_between(calendar=CAL, start=start, end=end) == timedelta(hours=2)
        assert working_time_between(calendar=CAL, start=end, end=start) == -timedelta(hours=2)

    def test_it_measures_a_full_week_as_five_office_days(self):
        week = working_time_between(
            calendar=CAL, start=at(2026, 3, 2, 7, 30), end=at(2026, 3, 9, 7, 30)
        )
        assert week == timedelta(hours=5 * 7.5)

    def test_it_adds_office_time(self):
        start = at(2026, 2, 10, 16)
        assert add_working_time(calendar=CAL, start=start, amount=timedelta(hours=4)) == at(
            2026, 2, 11, 10, 30
        )
        assert add_working_time(calendar=CAL, start=start, amount=timedelta(0)) == start

    def test_it_refuses_negative_working_time(self):
        with pytest.raises(ValueError, match="negative"):
            add_working_time(calendar=CAL, start=at(2026, 2, 10, 16), amount=timedelta(hours=-1))


class TestBadInput:
    def test_it_refuses_a_naive_reception_time(self):
        with pytest.raises(ValueError, match="timezone-aware"):
            due_instant(calendar=CAL, received_at=datetime(2026, 3, 2, 10), amount=1, unit=WD)

    def test_it_refuses_naive_instants_for_working_time(self):
        with pytest.raises(ValueError, match="timezone-aware"):
            working_time_between(calendar=CAL, start=datetime(2026, 3, 2), end=at(2026, 3, 3))

    @pytest.mark.parametrize("unit", list(DurationUnit))
    def test_it_refuses_a_negative_amount(self, unit):
        with pytest.raises(ValueError):
            due(at(2026, 3, 2, 10), -1, unit)

    def test_it_refuses_fractional_days(self):
        with pytest.raises(ValueError, match="whole"):
            due(at(2026, 3, 2, 10), Decimal("1.5"), WD)
        with pytest.raises(ValueError, match="whole"):
            due(at(2026, 3, 2, 10), Decimal("1.5"), CD)

    def test_it_refuses_an_unknown_unit(self):
        with pytest.raises(ValueError):
            due(at(2026, 3, 2, 10), 1, "fortnights")  # type: ignore[arg-type]

    def test_it_refuses_an_unknown_day_one_rule(self):
        with pytest.raises(ValueError, match="day_one"):
            DeadlineRules(day_one="tomorrow")  # type: ignore[arg-type]

    def test_it_parses_office_hours(self):
        assert parse_office_hours(" 07:30-11:30, 13:30-17:00 ") == (
            (time(7, 30), time(11, 30)),
            (time(13, 30), time(17, 0)),
        )
        assert parse_office_hours("8:00-16:00") == ((time(8), time(16)),)
        assert parse_time_of_day("15:00") == time(15)

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "07:30",
            "07:30-11:30;13:30-17:00",
            "7h30-11h30",
            "07:30-25:00",
            "11:30-07:30",
            "07:30-11:30,11:00-17:00",
            "13:30-17:00,07:30-11:30",
            "07:30-11:30,",
        ],
    )
    def test_it_refuses_malformed_office_hours(self, text):
        with pytest.raises(ValueError):
            parse_office_hours(text)

    def test_it_refuses_a_calendar_without_working_weekdays(self):
        with pytest.raises(ValueError, match="weekend"):
            WorkCalendar(frozenset(), frozenset(), weekend=frozenset(range(7)))


# Property tests: reception instants over 2025-2028 in Hà Nội time.

received_instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31, 23, 59), timezones=st.just(TZ)
)
units = st.sampled_from(list(DurationUnit))
rules = st.sampled_from([DeadlineRules(), SAME])


def amount_for(unit: DurationUnit, n: int) -> int:
    return min(n, 1) if unit is SD else n


def in_office(instant: datetime) -> bool:
    local = instant.astimezone(TZ)
    on_time = any(start <= local.time() <= end for start, end in CAL.office_hours)
    return CAL.is_working_day(local.date()) and on_time and local.tzinfo is TZ


@given(received_instants, st.integers(0, 60), units, rules)
def test_it_is_never_due_before_reception_and_always_due_in_office_time(received, n, unit, rule):
    result = due(received, amount_for(unit, n), unit, rules=rule)
    assert result >= received
    assert in_office(result)


@given(received_instants, st.integers(0, 60), units, rules)
def test_it_is_monotonic_in_the_amount(received, n, unit, rule):
    if unit is SD:
        n = 0
    assert due(received, n + 1, unit, rules=rule) >= due(received, n, unit, rules=rule)


@given(
    received_instants,
    st.timedeltas(timedelta(0), timedelta(days=20)),
    st.integers(0, 60),
    units,
    rules,
)
def test_it_is_monotonic_in_the_reception_time(received, later_by, n, unit, rule):
    amount = amount_for(unit, n)
    earlier = due(received, amount, unit, rules=rule)
    assert due(received + later_by, amount, unit, rules=rule) >= earlier


@given(
    received_instants,
    st.timedeltas(timedelta(days=-3), timedelta(days=30)),
    st.timedeltas(timedelta(0), timedelta(days=15)),
    st.integers(0, 60),
    units,
    rules,
)
def test_it_never_moves_a_deadline_earlier_for_a_pause(received, offset, length, n, unit, rule):
    amount = amount_for(unit, n)
    pause = Pause(received + offset, received + offset + length)
    without = due(received, amount, unit, rules=rule)
    with_pause = due(received, amount, unit, rules=rule, pauses=[pause])
    assert with_pause >= without
    assert in_office(with_pause)


@given(received_instants, st.decimals(0, 200, places=2))
def test_it_counts_exactly_the_working_hours_asked_for(received, hours):
    result = due(received, hours, WH)
    assert working_time_between(calendar=CAL, start=received, end=result) == timedelta(
        hours=float(hours)
    )


@given(received_instants, st.integers(1, 60))
def test_it_counts_exactly_n_working_days_after_the_reception_date(received, n):
    result = due(received, n, WD).date()
    day, counted = received.date(), 0
    while day < result:
        day += timedelta(days=1)
        counted += CAL.is_working_day(day)
    assert counted == n


@given(st.dates(date(1980, 1, 1), date(2040, 12, 31)), st.integers(0, 40))
def test_it_adds_working_days_like_counting_them_one_by_one(start, n):
    day, left = start, n
    while left:
        day += timedelta(days=1)
        left -= CAL.is_working_day(day)
    assert CAL.add_working_days(start, n) == day


@given(received_instants, received_instants)
def test_it_measures_working_time_consistently_with_adding_it(start, end):
    between = working_time_between(calendar=CAL, start=start, end=end)
    assert between == -working_time_between(calendar=CAL, start=end, end=start)
    if between > timedelta(0):
        reached = add_working_time(calendar=CAL, start=start, amount=between)
        assert working_time_between(calendar=CAL, start=reached, end=end) == timedelta(0)
        assert reached <= end
