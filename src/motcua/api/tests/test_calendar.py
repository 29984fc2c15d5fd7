"""GET /api/v1/calendar/due-date/: due-date arithmetic on the working calendar."""

from __future__ import annotations

from datetime import date

import pytest

from motcua.agencies.selectors import unit_by_code
from motcua.calendars.models import OverrideKind
from motcua.calendars.services import calendar_override_add

URL = "/api/v1/calendar/due-date/"

pytestmark = pytest.mark.usefixtures("tuesday")


def due(client, **params):
    return client.get(URL, params)


def test_it_skips_the_tet_holiday_of_2027(personas):
    # Wed 3/2/2027 16:59: Tết runs from Thu 4/2 (29 Tết) to Wed 10/2 (mùng 5), so day 1 is
    # Thursday 11/2, due at its closing time.
    response = due(
        personas.anonymous, start="2027-02-03T16:59:00+07:00", amount="1", unit="working_days"
    )

    assert response.status_code == 200
    assert response.json() == {
        "start": "2027-02-03T16:59:00+07:00",
        "amount": 1.0,
        "unit": "working_days",
        "due_at": "2027-02-11T17:00:00+07:00",
        "calendar_as_of": "2026-04-21T10:00:00+07:00",
    }


def test_it_counts_working_hours_across_tet(personas):
    # One minute left on Wednesday, then 3 h 59 min from 07:30 on Thursday 11/2.
    response = due(
        personas.anonymous, start="2027-02-03T16:59:00+07:00", amount="4", unit="working_hours"
    )

    assert response.json()["due_at"] == "2027-02-11T11:29:00+07:00"


def test_it_answers_in_vietnam_time_whatever_the_offset_sent(personas):
    response = due(
        personas.anonymous, start="2027-02-03T09:59:00Z", amount="1", unit="working_days"
    )

    assert response.json()["start"] == "2027-02-03T16:59:00+07:00"
    assert response.json()["due_at"] == "2027-02-11T17:00:00+07:00"


def test_it_applies_a_unit_s_own_day_off(personas):
    land_office = unit_by_code(code="000.20.30.H57")
    calendar_override_add(
        actor=personas.demo.person("quantri"),
        day=date(2027, 2, 11),
        kind=OverrideKind.DAY_OFF,
        unit=land_office,
        note="Tổng kiểm kê hồ sơ địa chính",
    )
    start = {"start": "2027-02-03T16:59:00+07:00", "amount": "1", "unit": "working_days"}

    national = due(personas.anonymous, **start).json()
    land = due(personas.anonymous, **start, unit_code="000.20.30.H57").json()

    assert national["due_at"] == "2027-02-11T17:00:00+07:00"
    assert land["due_at"] == "2027-02-12T17:00:00+07:00"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2027-02-03T16:59:00"}, "start"),
        ({"start": "3/2/2027"}, "start"),
        ({"start": "1999-12-31T10:00:00+07:00"}, "start"),
        ({"start": "2031-06-01T10:00:00+07:00"}, "start"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "366"}, "amount"),
        ({"amount": "1.5"}, "amount"),
        ({"amount": "2001", "unit": "working_hours"}, "amount"),
        ({"amount": "2", "unit": "same_day"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"unit": "fortnights"}, "unit"),
        ({"unit_code": "000.99.99.H57"}, "unit_code"),
    ],
)
def test_it_refuses_bad_input_naming_the_parameter(personas, params, field):
    query = {"start": "2027-02-03T16:59:00+07:00", "amount": "1", "unit": "working_days", **params}

    response = due(personas.anonymous, **query)

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert problem["field"] == field
    assert problem["detail"] == problem["errors"][0]["message"]


def test_it_explains_a_naive_start(personas):
    response = due(personas.anonymous, start="2027-02-03T16:59:00", amount="1", unit="working_days")

    assert response.json()["detail"] == (
        "Thời điểm phải có múi giờ, ví dụ 2027-02-03T16:59:00+07:00."
    )


def test_it_accepts_a_start_within_five_years_and_half_an_hour(personas):
    # Tuesday 1/4/2031 is the Hùng Kings' day (10th of the 3rd lunar month): the half hour
    # starts at 07:30 on Wednesday.
    response = due(
        personas.anonymous, start="2031-04-01T10:00:00+07:00", amount="0.5", unit="working_hours"
    )

    assert response.status_code == 200
    assert response.json()["due_at"] == "2031-04-02T08:00:00+07:00"


def test_it_names_every_missing_parameter(personas):
    response = personas.anonymous.get(URL)

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"start", "amount", "unit"}
