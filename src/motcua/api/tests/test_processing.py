"""The actions on a dossier through the API only: the land journey of test_journey.py over
HTTP, who may see and act, and refusals that change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from motcua.api.tests.route import (
    TAX_LINES,
    Route,
    at,
    drive,
    result_document,
)
from motcua.audit.models import Event
from motcua.audit.services import event_chain_verify
from motcua.dossiers.selectors import PUBLIC_MILESTONES

PROBLEM = "application/problem+json"


@pytest.fixture
def route(personas: Any) -> Route:
    return Route(personas)


def test_the_land_transfer_goes_through_every_agency_and_back_to_the_desk(route):
    with at(2027, 2, 1, 9, 0):
        dossier = route.receive()
    # Day 1 is Tue 2 Feb; 3 Feb is day 2; Tết; 11, 12, 15, 16, 17, 18 Feb are days 3–8.
    assert dossier["state"] == "in_processing"
    assert dossier["clock"]["original_due_at"] == "2027-02-18T17:00:00+07:00"
    assert dossier["clock"]["due_at"] == "2027-02-18T17:00:00+07:00"
    assert route.open_steps(dossier) == [("tham_dinh", "000.20.30.H57.P01")]

    with at(2027, 2, 1, 10, 0):
        [examine] = [s for s in route.read(route.head)["steps"] if not s["finished_at"]]
        dossier = route.act(route.head, "assign", {"step": examine["id"], "assignee": "chuyenvien"})
    assert [s["assignee"] for s in dossier["steps"] if s["id"] == examine["id"]] == [
        {"username": "chuyenvien", "name": "Nguyễn Văn Bình"}
    ]

    with at(2027, 2, 2, 14, 0):
        dossier = route.act(
            route.specialist, "forward", {"step": examine["id"], "note": "Hồ sơ hợp lệ."}
        )
    assert route.open_steps(dossier) == [("nghia_vu_tai_chinh", "000.00.60.H57")]

    with at(2027, 2, 3, 10, 0):
        proposed = route.tax.get(f"{route.url}payment-notice/proposed-lines/").json()
        assert [line["kind"] for line in proposed["lines"]] == ["tax", "charge"]
        dossier = route.act(route.tax, "payment-notice", {"lines": TAX_LINES}, status=201)
    assert dossier["state"] == "awaiting_payment"
    assert dossier["payment"]["total"] == 37_500_000
    assert dossier["payment"]["paid_at"] is None
    assert dossier["clock"]["paused"] is True

    # Paid after Tết. Paused: 3 Feb 10:00–17:00 (5 h), 11 Feb (7.5 h), 12 Feb 07:30–09:00 (1.5 h)
    # = 14 office hours, so the due date moves from Thu 18 Feb 17:00 by 14 h: Mon 22 Feb 16:00.
    with at(2027, 2, 12, 9, 0):
        dossier = route.act(route.desk, "payment", {"receipt_number": "BL-0001"})
    assert dossier["state"] == "in_processing"
    assert dossier["clock"]["due_at"] == "2027-02-22T16:00:00+07:00"
    assert dossier["clock"]["original_due_at"] == "2027-02-18T17:00:00+07:00"
    assert dossier["clock"]["pauses"] == [
        {
            "reason": "financial_obligation",
            "reason_label": "Chờ thực hiện nghĩa vụ tài chính",
            "started_at": "2027-02-03T10:00:00+07:00",
            "ended_at": "2027-02-12T09:00:00+07:00",
        }
    ]
    assert dossier["payment"]["receipt_number"] == "BL-0001"

    with at(2027, 2, 15, 9, 0):
        route.act(route.specialist, "forward")
    with at(2027, 2, 16, 10, 0):
        route.act(route.director, "forward")
    with at(2027, 2, 16, 15, 0):
        dossier = route.act(
            route.specialist,
            "result",
            {"result_number": "CS 123456", "document": result_document()},
            format="multipart",
        )
    assert dossier["state"] == "resolved"
    assert dossier["result"]["document_name"] == "ket-qua.pdf"
    with at(2027, 2, 17, 9, 0):
        route.act(
            route.desk,
            "return",
            {
                "channel": "desk",
                "recipient_name": "Nguyễn Thị Hồng Nhung",
                "recipient_id_number": "046190001234",
            },
        )

    dossier = route.read()
    assert dossier["state"] == "returned"
    assert dossier["national_status"] == 10
    assert dossier["clock"]["resolved_at"] == "2027-02-16T15:00:00+07:00"
    assert dossier["clock"]["timeliness"] == "early"
    assert dossier["result"]["number"] == "CS 123456"
    assert dossier["result"]["return_channel"] == "desk"
    assert dossier["result"]["recipient_id_number"] == "046190001234"
    assert route.open_steps(dossier) == []
    slip = [
        (
            h["from_unit"]["code"],
            h["to_unit"]["code"],
            h["to_user"]["username"] if h["to_user"] else "",
            h["timeliness"],
        )
        for h in dossier["handovers"]
    ]
    assert slip == [
        ("000.00.01.H57", "000.20.30.H57.P01", "", "on_time"),  # reception, the same day
        ("000.20.30.H57.P01", "000.20.30.H57.P01", "chuyenvien", ""),  # assignment
        ("000.20.30.H57.P01", "000.00.60.H57", "", "early"),  # examined a day early
        ("000.00.60.H57", "000.20.30.H57.P01", "", "early"),  # tax notice before Tết
        ("000.20.30.H57.P01", "000.20.30.H57", "", "on_time"),  # drafted on its due time
        ("000.20.30.H57", "000.20.30.H57.P01", "", "late"),  # signed an hour late
        ("000.20.30.H57.P01", "000.00.01.H57", "", "early"),  # issued before the due day
    ]
    assert [m["topic"] for m in dossier["messages"] if m["channel"] == "sms"] == [
        "dossier.received",
        "dossier.payment_requested",
        "dossier.payment_received",
        "dossier.resolved",
        "dossier.returned",
    ]
    assert {m["recipient"] for m in dossier["messages"]} == {"0912345678", "nhung@example.vn"}
    assert [m["label"] for m in dossier["milestones"]] == [
        str(PUBLIC_MILESTONES[kind])
        for kind in (
            "dossier.received",
            "dossier.transferred",
            "dossier.payment_requested",
            "dossier.payment_received",
            "dossier.resolved",
            "dossier.returned",
        )
    ]
    assert Event.objects.filter(target_id=route.code).count() == 10
    assert event_chain_verify().ok


def refused(
    route: Route,
    client: Any,
    action: str,
    body: Any = None,
    *,
    status: int,
    code: str | None,
    field: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """The action is refused with this problem, and nothing about the dossier changed."""
    before = route.snapshot()
    response = route.post(client, action, body, **kwargs)
    assert response.status_code == status, response.json()
    assert response.headers["Content-Type"] == PROBLEM
    problem = response.json()
    if code is not None:
        assert problem["code"] == code
    if field is not None:
        assert problem["field"] == field
    assert route.snapshot() == before
    return dict(problem)


# ---------------------------------------------------------------------------------------------
# Who sees and acts


def test_the_tax_office_sees_a_land_dossier_only_once_it_is_sent_there(route):
    drive(route, through="assigned")

    assert route.tax.get(route.url).status_code == 404
    refused(route, route.tax, "payment-notice", {"lines": TAX_LINES}, status=404, code="not_found")
    assert route.tax.get(f"{route.url}control-slip.pdf").status_code == 404

    drive(route, after="assigned", through="examined")

    dossier = route.read(route.tax)
    assert dossier["code"] == route.code
    assert route.open_steps(dossier) == [("nghia_vu_tai_chinh", "000.00.60.H57")]


ACTIONS = [
    "assign",
    "forward",
    "consultations",
    "consultation-reply",
    "supplement-requests",
    "supplement-requests/decision",
    "supplement-received",
    "payment-notice",
    "payment",
    "apology",
    "rejection",
    "withdrawal-request",
    "withdrawal-confirmation",
    "withdrawal-decline",
    "result",
    "return",
    "uncollected",
]


@pytest.mark.parametrize("action", ACTIONS)
def test_another_wards_officer_can_neither_read_nor_act_on_the_centers_dossier(
    route, personas, action
):
    drive(route, through="assigned")
    outsider = personas.outsider

    assert outsider.get(route.url).status_code == 404
    problem = refused(route, outsider, action, {}, status=404, code="not_found")
    assert problem["detail"] == f"Không tìm thấy hồ sơ {route.code}."


def test_another_wards_officer_cannot_print_the_control_slip_or_see_the_tax_lines(route, personas):
    drive(route, through="assigned")
    outsider = personas.outsider

    slip = outsider.get(f"{route.url}control-slip.pdf")
    lines = outsider.get(f"{route.url}payment-notice/proposed-lines/")

    assert slip.status_code == lines.status_code == 404
    assert slip.headers["Content-Type"] == PROBLEM
    assert slip.json()["code"] == "not_found"


def test_it_refuses_an_anonymous_caller(route, personas):
    drive(route, through="received")

    response = route.post(personas.anonymous, "forward")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# ---------------------------------------------------------------------------------------------
# Refusals change nothing


def test_it_refuses_an_action_in_the_wrong_state(route):
    drive(route, through="assigned")

    with at(2027, 2, 1, 11, 0):
        problem = refused(
            route,
            route.desk,
            "payment",
            {"receipt_number": "BL-0001"},
            status=409,
            code="wrong_state",
        )
    assert problem["detail"] == (
        f"Không thể ghi nhận nộp tiền: hồ sơ {route.code} đang ở trạng thái «Đang giải quyết»."
    )


def test_it_refuses_an_officer_whose_role_does_not_allow_the_action(route):
    drive(route, through="assigned")

    with at(2027, 2, 1, 11, 0):
        # The desk sees the dossier it received, but the examination is the specialist's.
        refused(route, route.desk, "forward", status=403, code="permission_denied")
        refused(
            route,
            route.specialist,
            "rejection",
            {"reason": "Không đủ điều kiện.", "legal_basis": "Điều 45 Luật Đất đai"},
            status=403,
            code="permission_denied",
        )


def test_it_refuses_the_same_action_twice(route):
    drive(route, through="assigned")
    [examine] = [s for s in route.read()["steps"] if not s["finished_at"]]

    with at(2027, 2, 1, 11, 0):
        refused(
            route,
            route.head,
            "assign",
            {"step": examine["id"], "assignee": "chuyenvien"},
            status=409,
            code="already_assigned",
        )
    with at(2027, 2, 2, 14, 0):
        route.act(route.specialist, "forward", {"step": examine["id"]})
        # A retry names the step it meant to finish: it is done, so nothing else is.
        refused(
            route,
            route.specialist,
            "forward",
            {"step": examine["id"]},
            status=409,
            code="step_not_open",
            field="step",
        )
    with at(2027, 2, 3, 10, 0):
        route.act(route.tax, "payment-notice", {"lines": TAX_LINES}, status=201)
        refused(
            route,
            route.tax,
            "payment-notice",
            {"lines": TAX_LINES},
            status=409,
            code="wrong_state",
        )


def test_a_retried_forward_does_not_finish_the_next_step_of_the_same_officer(personas):
    # Certificate re-issue: the examination and the draft are both the land specialist's, so
    # only the step named in the body tells a retry from a second forward.
    route = Route(personas, procedure="1.012783")
    with at(2027, 2, 1, 9, 0):
        route.receive()
    examine = route.open_step_id()

    with at(2027, 2, 2, 9, 0):
        route.act(route.specialist, "forward", {"step": examine})
        refused(
            route,
            route.specialist,
            "forward",
            {"step": examine},
            status=409,
            code="step_not_open",
        )

    assert route.open_steps() == [("du_thao", "000.20.30.H57.P01")]


def test_it_asks_for_a_supplement_once_and_pauses_the_clock_meanwhile(route):
    drive(route, through="assigned")
    items = [{"name": "Hợp đồng chuyển nhượng", "reason": "Chưa được công chứng."}]

    with at(2027, 2, 2, 9, 0):
        dossier = route.act(
            route.specialist,
            "supplement-requests",
            {"items": items, "legal_basis": "Điều 45 Luật Đất đai"},
            status=201,
        )
        assert [s["status"] for s in dossier["supplements"]] == ["proposed"]
        refused(
            route,
            route.specialist,
            "supplement-requests",
            {"items": items},
            status=409,
            code="supplement_once",
        )
    with at(2027, 2, 2, 10, 0):
        dossier = route.act(route.head, "supplement-requests/decision", {"approve": True})
    assert dossier["state"] == "supplement_requested"
    assert dossier["clock"]["paused"] is True
    [notice] = dossier["notices"]
    assert notice["kind"] == "supplement"
    assert notice["items"] == items
    assert dossier["supplements"][0]["notice"] == notice["number"]

    with at(2027, 2, 3, 9, 0):
        dossier = route.act(route.desk, "supplement-received", {"note": "Đã nhận bản công chứng."})
    # Paused 2 Feb 10:00–17:00 (5 h) and 3 Feb 07:30–09:00 (1.5 h): 18 Feb 17:00 + 6.5 h.
    assert dossier["state"] == "in_processing"
    assert dossier["clock"]["due_at"] == "2027-02-19T16:00:00+07:00"
    assert dossier["supplements"][0]["status"] == "received"

    with at(2027, 2, 3, 10, 0):
        refused(
            route,
            route.specialist,
            "supplement-requests",
            {"items": items},
            status=409,
            code="supplement_once",
        )


def test_it_takes_the_supplements_scans_as_multipart(route):
    drive(route, through="assigned")
    items = [{"name": "Hợp đồng chuyển nhượng", "reason": "Chưa được công chứng."}]
    with at(2027, 2, 2, 9, 0):
        route.act(route.specialist, "supplement-requests", {"items": items}, status=201)
        route.act(route.head, "supplement-requests/decision", {"approve": True})

    with at(2027, 2, 3, 9, 0):
        dossier = route.act(
            route.desk,
            "supplement-received",
            {"note": "Bản công chứng", "scans": [result_document()]},
            format="multipart",
        )

    assert dossier["state"] == "in_processing"


def test_a_declined_supplement_request_leaves_the_dossier_in_processing(route):
    drive(route, through="assigned")
    items = [{"name": "Sơ đồ thửa đất", "reason": "Thiếu."}]
    with at(2027, 2, 2, 9, 0):
        route.act(route.specialist, "supplement-requests", {"items": items}, status=201)
        dossier = route.act(
            route.head, "supplement-requests/decision", {"approve": False, "note": "Không cần."}
        )

    assert dossier["state"] == "in_processing"
    assert dossier["supplements"][0]["status"] == "declined"
    assert dossier["notices"] == []
    with at(2027, 2, 2, 9, 30):
        refused(
            route,
            route.head,
            "supplement-requests/decision",
            {"approve": True},
            status=409,
            code="no_pending_supplement",
        )


def test_it_apologises_once_with_a_new_date(route):
    drive(route, through="assigned")

    with at(2027, 2, 2, 9, 0):
        dossier = route.act(
            route.director,
            "apology",
            {"reason": "Chờ xác minh ranh giới.", "new_due_at": "2027-02-25T17:00:00+07:00"},
            status=201,
        )
        refused(
            route,
            route.director,
            "apology",
            {"reason": "Lần nữa.", "new_due_at": "2027-03-01T17:00:00+07:00"},
            status=409,
            code="apology_once",
        )
    assert [n["kind"] for n in dossier["notices"]] == ["apology"]
    assert dossier["clock"]["due_at"] == "2027-02-18T17:00:00+07:00"
    assert dossier["clock"]["rescheduled_due_at"] == "2027-02-25T17:00:00+07:00"
    assert dossier["clock"]["appointment_at"] == "2027-02-25T17:00:00+07:00"


def test_it_refuses_an_apology_after_the_due_date(route):
    drive(route, through="assigned")

    with at(2027, 2, 19, 9, 0):
        refused(
            route,
            route.director,
            "apology",
            {"reason": "Chậm.", "new_due_at": "2027-02-25T17:00:00+07:00"},
            status=409,
            code="apology_too_late",
        )


def test_it_refuses_a_new_date_without_its_offset(route):
    drive(route, through="assigned")

    with at(2027, 2, 2, 9, 0):
        refused(
            route,
            route.director,
            "apology",
            {"reason": "Chậm.", "new_due_at": "2027-02-25T17:00:00"},
            status=400,
            code="validation_failed",
            field="new_due_at",
        )


def test_it_refuses_a_return_at_the_desk_without_the_recipient(route):
    drive(route, through="resolved")

    with at(2027, 2, 17, 9, 0):
        refused(
            route,
            route.desk,
            "return",
            {"channel": "desk"},
            status=400,
            code="validation_failed",
            field="recipient_name",
        )
        refused(
            route,
            route.desk,
            "return",
            {"channel": "post"},
            status=400,
            code="validation_failed",
            field="tracking_number",
        )
        refused(
            route,
            route.desk,
            "return",
            {"channel": "pigeon"},
            status=400,
            code="validation_failed",
            field="channel",
        )


def test_it_refuses_a_result_without_its_document(route):
    drive(route, through="signed")

    with at(2027, 2, 16, 15, 0):
        refused(
            route,
            route.specialist,
            "result",
            {"result_number": "CS 123456"},
            status=400,
            code="validation_failed",
            field="document",
        )
        refused(
            route,
            route.specialist,
            "result",
            {"result_number": "CS 123456"},
            status=400,
            code="validation_failed",
            field="document",
            format="multipart",
        )


def test_it_refuses_a_result_before_the_last_step(route):
    drive(route, through="paid")

    with at(2027, 2, 15, 9, 0):
        refused(
            route,
            route.specialist,
            "result",
            {"result_number": "CS 123456", "document": result_document()},
            status=409,
            code="not_last_step",
            format="multipart",
        )


def test_it_refuses_malformed_json(route):
    drive(route, through="assigned")

    with at(2027, 2, 2, 14, 0):
        problem = refused(
            route,
            route.specialist,
            "forward",
            '{"note": ',
            status=400,
            code="parse_error",
            format=None,
            content_type="application/json",
        )
    assert "field" not in problem


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("forward", {"note": ["a", "b"]}, "note"),
        ("forward", {"step": "first"}, "step"),
        ("assign", {"assignee": "chuyenvien"}, "step"),
        (
            "payment-notice",
            {"lines": [{"kind": "tax", "name": "Thuế", "amount": -1}]},
            "lines.0.amount",
        ),
        (
            "payment-notice",
            {"lines": [{"kind": "bribe", "name": "?", "amount": 1}]},
            "lines.0.kind",
        ),
        ("supplement-requests/decision", {"approve": "maybe"}, "approve"),
        ("consultations", {"unit": "000.00.60.H57", "question": "?", "budget": "x"}, "budget"),
    ],
)
def test_it_refuses_a_body_of_the_wrong_shape(route, action, body, field):
    drive(route, through="assigned")

    with at(2027, 2, 2, 14, 0):
        refused(
            route, route.specialist, action, body, status=400, code="validation_failed", field=field
        )


def test_it_refuses_a_body_that_is_not_an_object(route):
    drive(route, through="assigned")

    with at(2027, 2, 2, 14, 0):
        problem = refused(
            route, route.specialist, "forward", ["note"], status=400, code="validation_failed"
        )
    assert problem["errors"][0]["field"] is None


def test_it_keeps_the_code_of_a_refusal_in_english(route):
    drive(route, through="assigned")

    with at(2027, 2, 1, 11, 0):
        response = route.post(
            route.desk, "payment", {"receipt_number": "BL-1"}, HTTP_ACCEPT_LANGUAGE="en"
        )

    assert response.status_code == 409
    assert response.headers["Content-Language"] == "en"
    assert response.json()["code"] == "wrong_state"
    assert response.json()["title"] == "Conflict"


# ---------------------------------------------------------------------------------------------
# The other ways a dossier goes


def test_the_consulted_agency_answers_before_the_dossier_moves_on(route):
    drive(route, through="assigned")
    question = {"unit": "000.00.60.H57", "question": "Giá đất tính thuế?", "budget": "1"}

    with at(2027, 2, 1, 14, 0):
        dossier = route.act(route.specialist, "consultations", question, status=201)
        assert ("", "000.00.60.H57") in [
            (s["code"] or "", s["unit"]["code"]) for s in dossier["steps"] if not s["finished_at"]
        ]
        refused(route, route.specialist, "forward", status=409, code="consultation_open")
        refused(
            route,
            route.tax,
            "consultation-reply",
            {"opinion": "  "},
            status=400,
            code="validation_failed",
            field="opinion",
        )
    with at(2027, 2, 1, 16, 0):
        dossier = route.act(route.tax, "consultation-reply", {"opinion": "Theo bảng giá 2027."})
    [answer] = [s for s in dossier["steps"] if s["kind"] == "consultation"]
    assert answer["note"] == "Theo bảng giá 2027."
    assert answer["timeliness"] == "early"
    with at(2027, 2, 2, 14, 0):
        route.act(route.specialist, "forward")


def test_a_retried_consultation_request_is_refused(route):
    drive(route, through="assigned")
    question = {"unit": "000.00.60.H57", "question": "Giá đất tính thuế?", "budget": "1"}

    with at(2027, 2, 1, 14, 0):
        route.act(route.specialist, "consultations", question, status=201)
        # Whatever its code, a 409 that writes nothing.
        refused(route, route.specialist, "consultations", question, status=409, code=None)


def test_it_refuses_to_consult_an_unknown_unit(route):
    drive(route, through="assigned")

    with at(2027, 2, 1, 14, 0):
        refused(
            route,
            route.specialist,
            "consultations",
            {"unit": "999.99.99.H57", "question": "?", "budget": "1"},
            status=400,
            code="validation_failed",
            field="unit",
        )


def test_the_applicant_withdraws_and_the_agency_confirms(route):
    drive(route, through="assigned")

    with at(2027, 2, 2, 9, 0):
        refused(
            route,
            route.desk,
            "withdrawal-request",
            {"reason": ""},
            status=400,
            code="validation_failed",
            field="reason",
        )
        dossier = route.act(route.desk, "withdrawal-request", {"reason": "Không bán nữa."})
        assert dossier["state"] == "withdrawal_requested"
        assert dossier["withdrawal_reason"] == "Không bán nữa."
        dossier = route.act(route.specialist, "withdrawal-confirmation", status=201)

    assert dossier["state"] == "stopped"
    assert dossier["stopped_at"] == "2027-02-02T09:00:00+07:00"
    assert [n["kind"] for n in dossier["notices"]] == ["stop"]
    assert route.open_steps(dossier) == []


def test_a_declined_withdrawal_goes_back_to_where_it_was(route):
    drive(route, through="payment_requested")

    with at(2027, 2, 11, 9, 0):
        route.act(route.desk, "withdrawal-request", {"reason": "Đổi ý."})
        dossier = route.act(
            route.head, "withdrawal-decline", {"reason": "Đã xác định nghĩa vụ tài chính."}
        )

    assert dossier["state"] == "awaiting_payment"


def test_a_dossier_that_is_not_eligible_is_rejected_with_a_notice(route):
    drive(route, through="assigned")

    with at(2027, 2, 2, 9, 0):
        refused(
            route,
            route.head,
            "rejection",
            {"reason": "Đất đang tranh chấp.", "legal_basis": " "},
            status=400,
            code="validation_failed",
            field="legal_basis",
        )
        dossier = route.act(
            route.head,
            "rejection",
            {"reason": "Đất đang tranh chấp.", "legal_basis": "Điều 45 Luật Đất đai 2024"},
            status=201,
        )

    assert dossier["state"] == "rejected"
    [notice] = dossier["notices"]
    assert notice["kind"] == "rejection"
    assert notice["signed_by"]["username"] == "truongphong"


def test_an_uncollected_result_can_still_be_handed_over(route):
    drive(route, through="resolved")

    with at(2027, 2, 17, 9, 0):
        refused(route, route.desk, "uncollected", status=409, code="not_yet_due")
    with at(2027, 2, 23, 9, 0):
        dossier = route.act(route.desk, "uncollected")
        assert dossier["state"] == "uncollected"
        dossier = route.act(route.desk, "return", {"channel": "post", "tracking_number": "EK1VN"})
        refused(
            route,
            route.desk,
            "return",
            {"channel": "post", "tracking_number": "EK1VN"},
            status=409,
            code="wrong_state",
        )

    assert dossier["state"] == "returned"
    assert dossier["result"]["postal_tracking_number"] == "EK1VN"


# ---------------------------------------------------------------------------------------------
# Reads


def test_it_reads_a_dossier_in_a_fixed_number_of_queries_whatever_its_route(
    route, django_assert_max_num_queries
):
    drive(route, through="resolved")

    # Token, memberships, scope, the dossier, and one query per kind of row: components,
    # pauses, steps, hand-overs, supplements, notices, payment, result document, messages.
    with django_assert_max_num_queries(13):
        response = route.desk.get(route.url)

    dossier = response.json()
    assert (len(dossier["steps"]), len(dossier["handovers"]), len(dossier["messages"])) == (7, 7, 8)


def test_it_prints_the_control_slip(route):
    drive(route, through="examined")

    response = route.desk.get(f"{route.url}control-slip.pdf")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert route.code in response.headers["Content-Disposition"]
