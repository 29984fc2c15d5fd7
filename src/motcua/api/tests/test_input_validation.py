"""What the schema fuzzing (tests/security/test_api_fuzz.py) found, one test per finding: input
the schema calls invalid is refused with a 400 that names it, and changes nothing; an address
with a NUL character is a 404, not a database error (PostgreSQL refuses NUL in a query); the
answers every operation shares are in the schema."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from motcua.api.tests.route import Route, at, drive
from motcua.api.urls import ACTIONS

PROBLEM = "application/problem+json"


def refused(response: Any, *, field: str | None = None, header: str | None = None) -> dict:
    assert response.status_code == 400, response.content
    assert response.headers["Content-Type"] == PROBLEM
    body = response.json()
    if field:
        assert body["field"] == field
    if header:
        assert body["header"] == header
    return body


@pytest.fixture
def route(personas: Any) -> Route:
    return drive(Route(personas), through="assigned")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["offset=null", "offset=-1", "offset=%2B5", "offset=2147483648", "limit=0", "limit=201"],
)
def test_it_refuses_a_page_that_is_not_a_whole_number_in_range(query):
    response = APIClient().get(f"/api/v1/procedures/?{query}")

    body = refused(response, field=query.split("=")[0])
    assert body["detail"] == f"Tham số «{query.split('=')[0]}» không hợp lệ."


def test_every_list_refuses_a_bad_page(personas):
    leader = personas.token_client("giamdoc")
    lists = ["api:dossiers", "api:worklist", "api:alert_list", "api:report_dossiers"]

    for address in lists:
        response = leader.get(f"{reverse(address)}?measure=received&offset=x")

        refused(response, field="offset")


def test_it_still_pages_with_a_valid_limit_and_offset(personas):
    page = personas.anonymous.get("/api/v1/procedures/?limit=200&offset=1").json()

    assert page["previous"].endswith("limit=200")


@pytest.mark.parametrize(
    ("address", "query"),
    [
        ("api:report_operational", "kind="),
        ("api:report_operational", "unit="),
        ("api:report_dashboard", "unit=null"),
        ("api:worklist", "tab="),
        ("api:due_date", "start=&amount=1&unit=working_days"),
    ],
)
def test_it_refuses_an_empty_parameter_rather_than_taking_the_default(
    personas, demo, address, query
):
    leader = personas.token_client("giamdoc")

    refused(leader.get(f"{reverse(address)}?{query}"), field=query.split("=")[0])


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("withdrawal-request", {"reason": 0}, "reason"),
        ("supplement-requests", {"items": [{"name": 1, "reason": "Mờ"}]}, "items.0.name"),
        ("consultations", {"unit": 60, "question": "?", "budget": "2"}, "unit"),
    ],
)
def test_it_refuses_a_number_where_the_body_takes_a_string(route, action, body, field):
    before = route.snapshot()

    with at(2027, 2, 2, 9, 0):
        response = route.post(route.specialist, action, body)

    assert refused(response, field=field)["detail"] == "Giá trị phải là một chuỗi ký tự."
    assert route.snapshot() == before


@pytest.mark.parametrize("approve", [0, 1, "true", "yes"])
def test_it_refuses_a_decision_that_is_not_true_or_false(personas, approve):
    route = drive(Route(personas), through="assigned")
    with at(2027, 2, 2, 9, 0):
        route.act(
            route.specialist,
            "supplement-requests",
            {"items": [{"name": "Sổ đỏ", "reason": "Mờ"}]},
            status=201,
        )
        before = route.snapshot()
        response = route.post(route.head, "supplement-requests/decision", {"approve": approve})

    assert refused(response, field="approve")["detail"] == "Giá trị phải là true hoặc false."
    assert route.snapshot() == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a\\u0000b", "Không được chứa ký tự NUL."),
        ("a\\ud800b", "Không được chứa ký tự thay thế (surrogate) U+D800."),
    ],
)
def test_it_refuses_nul_and_surrogate_characters_in_a_body(route, text, message):
    before = route.snapshot()

    with at(2027, 2, 2, 9, 0):
        response = route.specialist.post(
            f"{route.url}forward/",
            data=f'{{"note": "{text}"}}',
            content_type="application/json",
        )

    assert refused(response, field="note")["detail"] == message
    assert route.snapshot() == before


@pytest.mark.parametrize("query", ["search=a%00b", "sector=%00"])
def test_it_refuses_a_nul_character_in_a_query(personas, query):
    response = personas.anonymous.get(f"/api/v1/procedures/?{query}")

    refused(response, field=query.split("=")[0])


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"step": "x", "assignee": "chuyenvien"}, "step", "Giá trị phải là một số nguyên."),
        ({"step": 0, "assignee": "chuyenvien"}, "step", "Giá trị phải lớn hơn hoặc bằng 1."),
        ({"step": 1, "assignee": "x" * 151}, "assignee", "Không quá 150 ký tự."),
        ({"step": 1}, "assignee", "Trường này là bắt buộc."),
        ([1], None, "Dữ liệu không hợp lệ: cần một đối tượng JSON, nhưng nhận được list."),
    ],
)
def test_it_says_what_is_wrong_with_a_field_in_vietnamese(route, body, field, message):
    with at(2027, 2, 2, 9, 0):
        response = route.post(route.head, "assign", body)

    problem = refused(response)
    assert problem["detail"] == message
    assert problem["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("kind", "id_number"), [("person", "٠٤٦١٩٠٠٠١٢٣٤"), ("organisation", "３３００１０１２３４")]
)
def test_it_refuses_an_identity_number_in_another_scripts_digits(personas, intake, kind, id_number):
    intake["applicant"] |= {"kind": kind, "id_number": id_number}

    response = personas.system.post(
        "/api/v1/dossiers/", intake, format="json", headers={"Idempotency-Key": "digits"}
    )

    assert refused(response, field="applicant.id_number")["code"] == "invalid_id_number"


def test_it_refuses_a_number_as_the_lookup_code(personas):
    response = personas.anonymous.post("/api/v1/lookup/", {"code": 1, "secret": "x"}, format="json")

    refused(response, field="code")


@pytest.mark.parametrize("key", ["a\x00b", " ", "a b", "khóa-1"])
def test_it_refuses_an_idempotency_key_that_is_not_visible_ascii(personas, intake, key):
    response = personas.system.post(
        "/api/v1/dossiers/", intake, format="json", headers={"Idempotency-Key": key}
    )

    assert refused(response, header="Idempotency-Key")["code"] == "idempotency_key_invalid"


def test_an_address_with_a_nul_character_names_nothing(personas):
    # PostgreSQL refuses NUL in a query: before, each of these was a 500 there.
    readings = [
        "/api/v1/procedures/1.0%00/",
        "/api/v1/dossiers/000.00.01.H57-270201-0001%00/",
        "/api/v1/dossiers/%00/control-slip.pdf",
        "/api/v1/dossiers/%00/payment-notice/proposed-lines/",
    ]
    actions = [f"/api/v1/dossiers/%00/{action}/" for action in ACTIONS]
    officer = personas.officer

    responses = [officer.get(address) for address in readings]
    responses += [officer.post(address, {}, format="json") for address in actions]

    for address, response in zip(readings + actions, responses, strict=True):
        assert response.status_code == 404, address
        assert response.headers["Content-Type"] == PROBLEM, address
        assert response.json()["code"] == "not_found", address


def test_it_answers_406_in_the_problem_shape_to_an_unsatisfiable_accept(personas):
    response = personas.anonymous.get("/api/v1/procedures/", HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["code"] == "not_acceptable"


def test_the_schema_documents_the_answers_every_operation_shares():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    shared = schema["components"]["responses"]

    assert shared["DatabaseUnavailable"]["headers"]["Retry-After"]
    assert shared["NotAuthenticated"]["headers"]["WWW-Authenticate"]
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            statuses = set(operation["responses"])
            assert {"406", "503"} <= statuses, (method, path)
            if "requestBody" in operation:
                assert {"400", "415"} <= statuses, (method, path)
            if {} not in operation["security"]:
                assert "401" in statuses, (method, path)
