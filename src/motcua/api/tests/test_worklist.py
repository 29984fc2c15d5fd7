"""GET /api/v1/worklist/: the open steps waiting for the caller, most urgent first."""

from __future__ import annotations

from typing import Any

import pytest

from motcua.api.tests.route import Route, at, drive

URL = "/api/v1/worklist/"


@pytest.fixture
def route(personas: Any) -> Route:
    return Route(personas)


def test_it_lists_the_steps_assigned_to_the_caller(route):
    drive(route, through="assigned")

    with at(2027, 2, 2, 9, 0):
        page = route.specialist.get(URL, {"tab": "mine"}).json()

    assert page["count"] == 1
    [row] = page["results"]
    assert row["dossier"]["code"] == route.code
    assert row["dossier"]["procedure_code"] == "1.013831"
    assert row["dossier"]["state"] == "in_processing"
    assert row["step_kind"] == "handling"
    assert row["assignee"] == {"username": "chuyenvien", "name": "Nguyễn Văn Bình"}
    # 2.5 working days from 1 Feb 09:00: due 3 Feb 14:45; from 2 Feb 09:00, 1.5 days are left.
    assert row["due_at"] == "2027-02-03T14:45:00+07:00"
    assert row["working_seconds_left"] == int(11.25 * 3600)
    assert row["urgency"] == "within"


def test_it_shows_an_overdue_step_with_negative_time_left(route):
    drive(route, through="assigned")

    with at(2027, 2, 11, 9, 0):
        [row] = route.specialist.get(URL).json()["results"]

    assert row["urgency"] == "overdue"
    assert row["working_seconds_left"] < 0


def test_it_lists_the_units_open_steps_and_those_awaiting_signature(route, personas):
    drive(route, through="examined")

    with at(2027, 2, 3, 9, 0):
        tax = route.tax.get(URL, {"tab": "unit"}).json()
        nothing_to_sign = route.director.get(URL, {"tab": "signature"}).json()
    assert [row["dossier"]["code"] for row in tax["results"]] == [route.code]
    assert nothing_to_sign["count"] == 0

    drive(route, after="examined", through="drafted")
    with at(2027, 2, 15, 10, 0):
        to_sign = route.director.get(URL, {"tab": "signature"}).json()
    [row] = to_sign["results"]
    assert row["step_kind"] == "signing"
    assert row["assignee"] is None


def test_it_marks_a_step_paused_while_the_applicant_pays(route):
    drive(route, through="payment_requested")

    with at(2027, 2, 11, 9, 0):
        page = route.specialist.get(URL, {"tab": "unit", "state": "awaiting_payment"}).json()

    assert [row["urgency"] for row in page["results"]] == ["paused"]


def test_it_filters_by_procedure_and_state(route):
    drive(route, through="assigned")

    with at(2027, 2, 2, 9, 0):
        land = route.specialist.get(URL, {"procedure": "1.013831"}).json()
        other = route.specialist.get(URL, {"procedure": "1.013978"}).json()
        returned = route.specialist.get(URL, {"state": "returned"}).json()

    assert (land["count"], other["count"], returned["count"]) == (1, 0, 0)


def test_it_lists_nothing_for_the_outsider(route, personas):
    drive(route, through="assigned")

    with at(2027, 2, 2, 9, 0):
        page = personas.outsider.get(URL, {"tab": "unit"}).json()

    assert page["count"] == 0


def test_it_refuses_an_unknown_tab(personas):
    response = personas.specialist.get(URL, {"tab": "everything"})

    assert response.status_code == 400
    assert response.json()["field"] == "tab"


def test_it_refuses_an_anonymous_caller(personas):
    assert personas.anonymous.get(URL).status_code == 401


def test_it_reads_a_page_in_a_fixed_number_of_queries(personas, django_assert_max_num_queries):
    for _ in range(3):
        drive(Route(personas), through="received")
    specialist = personas.specialist

    # Token, memberships, count, page, the calendar's changes: whatever the page size.
    with at(2027, 2, 2, 9, 0), django_assert_max_num_queries(6):
        page = specialist.get(URL, {"tab": "unit", "limit": 50}).json()

    assert page["count"] == 3
    assert {row["urgency"] for row in page["results"]} == {"within"}
