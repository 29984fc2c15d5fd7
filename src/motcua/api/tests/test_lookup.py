"""POST /api/v1/lookup/: the receipt holder's view, nothing personal, throttled."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("tuesday")

URL = "/api/v1/lookup/"


@pytest.fixture
def receipt(personas: Any, intake: dict[str, Any]) -> dict[str, Any]:
    response = personas.system.post(
        "/api/v1/dossiers/", intake, format="json", headers={"Idempotency-Key": "lookup-1"}
    )
    assert response.status_code == 201
    return response.json()


def look_up(client: Any, code: str, secret: str, address: str = "203.0.113.7") -> Any:
    return client.post(URL, {"code": code, "secret": secret}, format="json", REMOTE_ADDR=address)


def test_it_shows_progress_to_the_holder_of_the_receipt(personas, receipt):
    response = look_up(personas.anonymous, receipt["code"], receipt["lookup_secret"])

    assert response.status_code == 200
    assert response.json() == {
        "code": receipt["code"],
        "procedure_name": response.json()["procedure_name"],
        "competent_unit_name": "Chi nhánh Văn phòng Đăng ký đất đai thành phố Huế",
        "state": "in_processing",
        "state_label": "Đang giải quyết",
        "national_status": 4,
        "received_at": "2026-04-21T10:00:00+07:00",
        "due_at": "2026-05-22T17:00:00+07:00",
        "result_channel": "desk",
        "result_channel_label": "Tại Trung tâm Phục vụ hành chính công",
        "milestones": [
            {"at": "2026-04-21T10:00:00+07:00", "label": "Hồ sơ đã được tiếp nhận"},
            {
                "at": "2026-04-21T10:00:00+07:00",
                "label": "Hồ sơ đã được chuyển đến cơ quan giải quyết",
            },
        ],
    }
    assert response.json()["procedure_name"].startswith("Đăng ký đất đai")


def test_it_tells_nothing_about_the_applicant(personas, receipt, intake):
    response = look_up(personas.anonymous, receipt["code"], receipt["lookup_secret"])

    text = response.content.decode()
    escaped = json.dumps(response.json())
    applicant = intake["applicant"]
    for secret in (
        applicant["name"],
        applicant["id_number"],
        applicant["phone"],
        applicant["email"],
        applicant["address"],
        "Nguyễn",
        "huong",
    ):
        assert secret not in text
        assert secret not in escaped


def test_it_accepts_the_secret_typed_in_lower_case_with_spaces(personas, receipt):
    secret = receipt["lookup_secret"]
    typed = f"{secret[:4].lower()} {secret[4:].lower()}"

    assert look_up(personas.anonymous, receipt["code"], typed).status_code == 200


def test_it_answers_not_found_for_a_wrong_secret(personas, receipt):
    response = look_up(personas.anonymous, receipt["code"], "22222222")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "lookup_failed"


def test_it_answers_a_wrong_code_like_a_wrong_secret(personas, receipt):
    wrong_code = look_up(personas.anonymous, "000.00.01.H57-260421-0999", "22222222")
    wrong_secret = look_up(personas.anonymous, receipt["code"], "22222222")

    assert wrong_code.status_code == wrong_secret.status_code == 404
    assert wrong_code.json()["detail"] == wrong_secret.json()["detail"]


def test_it_pauses_lookups_after_five_wrong_secrets_even_with_the_right_one(personas, receipt):
    for _ in range(5):
        assert look_up(personas.anonymous, receipt["code"], "22222222").status_code == 404

    response = look_up(personas.anonymous, receipt["code"], receipt["lookup_secret"])

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "900"
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "throttled"
    assert response.json()["status"] == 429


def test_it_lets_the_holder_in_when_someone_else_mistyped_the_code(personas, receipt, settings):
    for _ in range(settings.MOTCUA_LOOKUP_MAX_FAILURES):
        look_up(personas.anonymous, receipt["code"], "22222222", address="198.51.100.1")

    response = look_up(
        personas.anonymous, receipt["code"], receipt["lookup_secret"], address="192.0.2.1"
    )

    assert response.status_code == 200


def test_it_pauses_a_code_guessed_from_many_addresses(personas, receipt, settings):
    settings.MOTCUA_LOOKUP_MAX_FAILURES_PER_CODE = 8
    for n in range(8):
        look_up(personas.anonymous, receipt["code"], "22222222", address=f"198.51.100.{n}")

    response = look_up(
        personas.anonymous, receipt["code"], receipt["lookup_secret"], address="192.0.2.1"
    )

    assert response.status_code == 429


def test_it_needs_no_csrf_token_even_for_a_logged_in_browser(personas, receipt):
    from rest_framework.test import APIClient

    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(personas.demo.person("phuxuan"))

    response = look_up(browser, receipt["code"], receipt["lookup_secret"])

    assert response.status_code == 200


def test_it_asks_for_both_code_and_secret(personas):
    response = personas.anonymous.post(URL, {"code": "x"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "secret", "message": "Trường này là bắt buộc.", "code": "required"}
    ]


def test_it_answers_exactly_the_documented_fields(personas, receipt):
    from motcua.api.lookup import DossierLookupApi

    response = look_up(personas.anonymous, receipt["code"], receipt["lookup_secret"])

    documented = set(DossierLookupApi.OutputSerializer().fields)
    assert set(response.json()) == documented
    assert set(response.json()["milestones"][0]) == {"at", "label"}
