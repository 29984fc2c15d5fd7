"""Every API error is RFC 9457 problem details with a stable code and a translated detail."""

from __future__ import annotations

import pytest
from rest_framework.exceptions import ValidationError

from motcua.api.errors import problem_details_handler
from motcua.core.errors import Conflict, ValidationFailed

PROBLEM = "application/problem+json"


def test_it_renders_a_domain_error_as_problem_details(personas):
    response = personas.anonymous.get("/api/v1/procedures/9.999999/")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json() == {
        "type": "https://motcua.vn/problems/not_found",
        "title": "Không tìm thấy",
        "status": 404,
        "detail": "Không tìm thấy thủ tục có mã «9.999999».",
        "code": "not_found",
        "national_code": "9.999999",
    }


def test_it_speaks_vietnamese_by_default_and_when_asked(personas):
    default = personas.anonymous.get("/api/v1/dossiers/")
    asked = personas.anonymous.get("/api/v1/dossiers/", HTTP_ACCEPT_LANGUAGE="vi")

    expected = "Cần xác thực: gửi tiêu đề Authorization: Token <khóa> hoặc đăng nhập."
    assert default.json()["detail"] == asked.json()["detail"] == expected
    assert default.json()["title"] == "Chưa xác thực"
    assert default.headers["Content-Language"] == "vi"


def test_it_keeps_the_stable_code_whatever_the_language(personas):
    english = personas.anonymous.get("/api/v1/dossiers/", HTTP_ACCEPT_LANGUAGE="en")

    assert english.status_code == 401
    assert english.headers["Content-Type"] == PROBLEM
    assert english.json()["code"] == "not_authenticated"


def test_it_names_nested_fields_with_dotted_paths(personas):
    body = {
        "procedure": "1.013978",
        "applicant": {"name": "A", "id_number": "046190001234"},
        "components": [{"id": "x"}],
    }

    response = personas.system.post(
        "/api/v1/dossiers/", body, format="json", headers={"Idempotency-Key": "nested"}
    )

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "components.0.id"
    assert error["code"] == "invalid"


def test_it_refuses_an_unknown_method(personas):
    response = personas.anonymous.delete("/api/v1/procedures/")

    assert response.status_code == 405
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["code"] == "method_not_allowed"


def test_it_refuses_a_body_that_is_not_json(personas):
    response = personas.anonymous.post("/api/v1/lookup/", {"code": "x", "secret": "y"})

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_it_refuses_malformed_json(personas):
    response = personas.anonymous.post(
        "/api/v1/lookup/", '{"code": "x",', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_it_answers_json_problems_to_a_browser_too(personas):
    response = personas.anonymous.get(
        "/api/v1/dossiers/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8"
    )

    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["status"] == 401


def test_it_maps_service_field_names_to_api_field_names():
    error = ValidationFailed("Sai số điện thoại.", extra={"field": "applicant_phone"})

    response = problem_details_handler(error, {})

    assert response.status_code == 400
    assert response.data["field"] == "applicant.phone"
    assert response.data["errors"] == [
        {"field": "applicant.phone", "message": "Sai số điện thoại.", "code": "validation_failed"}
    ]


def test_it_keeps_the_extra_members_of_a_domain_error():
    response = problem_details_handler(Conflict("Đã có.", code="duplicate", extra={"id": 7}), {})

    assert response.status_code == 409
    assert response.data["code"] == "duplicate"
    assert response.data["type"] == "https://motcua.vn/problems/duplicate"
    assert response.data["id"] == 7


def test_it_lists_non_field_errors_without_a_field():
    response = problem_details_handler(ValidationError("Mâu thuẫn."), {})

    assert response.data["errors"] == [{"field": None, "message": "Mâu thuẫn.", "code": "invalid"}]
    assert "field" not in response.data


@pytest.mark.parametrize("error", [RuntimeError("bug"), KeyError("x")])
def test_it_leaves_unexpected_errors_to_django(error):
    # A bug must reach the logs and the error report as a 500, not be dressed up as a 4xx.
    assert problem_details_handler(error, {}) is None


def test_it_answers_an_unknown_api_address_with_a_problem(personas):
    response = personas.anonymous.post("/api/v1/ho-so/", {}, format="json")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["code"] == "not_found"


def test_it_still_redirects_a_missing_trailing_slash(personas):
    response = personas.anonymous.get("/api/v1/procedures")

    assert response.status_code == 301
    assert response.headers["Location"] == "/api/v1/procedures/"
