"""GET /api/v1/dossiers/ and /api/v1/dossiers/{code}/: scoped to the caller's units."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("tuesday")


@pytest.fixture
def received(personas: Any, intake: dict[str, Any]) -> dict[str, Any]:
    """One first land registration received by the system client."""
    response = personas.system.post(
        "/api/v1/dossiers/", intake, format="json", headers={"Idempotency-Key": "list-1"}
    )
    assert response.status_code == 201
    return response.json()


def test_it_lists_the_dossiers_of_the_center(personas, received):
    response = personas.officer.get("/api/v1/dossiers/")

    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 1
    [row] = page["results"]
    assert row["code"] == received["code"]
    assert row["applicant_name"] == "Nguyễn Thị Mai Hương"
    assert row["competent_unit"]["code"] == "000.20.30.H57"
    assert row["due_at"] == "2026-05-22T17:00:00+07:00"


def test_it_shows_the_land_specialist_the_dossiers_of_his_agency(personas, received):
    # The competent unit is the land registration office; the specialist works in one of its
    # departments, so he works for the office and sees its dossiers.
    assert personas.specialist.get("/api/v1/dossiers/").json()["count"] == 1
    assert personas.specialist.get(f"/api/v1/dossiers/{received['code']}/").status_code == 200


def test_it_lists_nothing_for_the_outsider(personas, received):
    response = personas.outsider.get("/api/v1/dossiers/")

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_it_searches_the_applicant_name_without_accents(personas, received):
    found = personas.officer.get("/api/v1/dossiers/", {"search": "nguyen thi mai huong"}).json()
    missed = personas.officer.get("/api/v1/dossiers/", {"search": "tran van"}).json()

    assert found["count"] == 1
    assert missed["count"] == 0


def test_it_filters_by_state(personas, received):
    assert (
        personas.officer.get("/api/v1/dossiers/", {"state": "in_processing"}).json()["count"] == 1
    )
    assert personas.officer.get("/api/v1/dossiers/", {"state": "returned"}).json()["count"] == 0


def test_it_refuses_an_unknown_state(personas, received):
    response = personas.officer.get("/api/v1/dossiers/", {"state": "lost"})

    assert response.status_code == 400
    assert response.json()["field"] == "state"


def test_it_lists_in_a_fixed_number_of_queries(personas, intake, django_assert_max_num_queries):
    client = personas.system
    for n in range(3):
        body = {**intake, "note": f"#{n}"}
        client.post("/api/v1/dossiers/", body, format="json", headers={"Idempotency-Key": f"q{n}"})
    officer = personas.officer

    # Token, memberships, count, page: the same whatever the page size.
    with django_assert_max_num_queries(5):
        response = officer.get("/api/v1/dossiers/", {"limit": 50})

    assert response.json()["count"] == 3


def test_it_shows_a_dossier_with_applicant_components_and_milestones(personas, received):
    response = personas.officer.get(f"/api/v1/dossiers/{received['code']}/")

    assert response.status_code == 200
    dossier = response.json()
    assert dossier["applicant"] == {
        "kind": "person",
        "name": "Nguyễn Thị Mai Hương",
        "id_number": "046190001234",
        "address": "12 Phan Đình Phùng, phường Thuận Hóa, thành phố Huế",
        "phone": "0905123456",
        "email": "huong@example.vn",
    }
    assert dossier["original_due_at"] == dossier["due_at"] == "2026-05-22T17:00:00+07:00"
    assert dossier["receiving_unit"]["code"] == "000.00.01.H57"
    assert dossier["components"] == received["components"]
    # Received, then sent to the land registration office at once (electronic transfer).
    assert dossier["milestones"] == [
        {"at": "2026-04-21T10:00:00+07:00", "label": "Hồ sơ đã được tiếp nhận"},
        {"at": "2026-04-21T10:00:00+07:00", "label": "Hồ sơ đã được chuyển đến cơ quan giải quyết"},
    ]
    assert [(s["code"], s["finished_at"] is None) for s in dossier["steps"]] == [
        ("tiep_nhan", False),
        ("tham_dinh", True),
    ]
    assert dossier["handovers"][0]["to_unit"]["code"] == "000.20.30.H57.P01"
    assert dossier["clock"]["paused"] is False
    assert dossier["payment"] is None
    assert dossier["notices"] == dossier["supplements"] == []
    assert dossier["result"]["return_channel"] is None
    assert "lookup_secret" not in dossier


def test_it_hides_the_dossier_from_the_outsider(personas, received):
    for client in (personas.outsider, personas.session_client("phuxuan")):
        response = client.get(f"/api/v1/dossiers/{received['code']}/")

        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_it_reports_an_unknown_code_as_not_found(personas, received):
    assert personas.officer.get("/api/v1/dossiers/000.00.01.H57-260421-9999/").status_code == 404


def test_it_asks_the_anonymous_caller_to_authenticate(personas, received):
    for url in ("/api/v1/dossiers/", f"/api/v1/dossiers/{received['code']}/"):
        response = personas.anonymous.get(url)

        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


def test_it_refuses_intake_for_a_procedure_no_longer_applied(personas):
    from motcua.catalog.models import Procedure

    Procedure.objects.filter(national_code="1.013978").update(is_active=False)
    response = personas.system.post(
        "/api/v1/dossiers/",
        {
            "procedure": "1.013978",
            "applicant": {"name": "Nguyễn Văn An", "id_number": "046085000123"},
            "components": [],
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="inactive-1",
    )
    assert response.status_code == 400
    assert "inactive_procedure" in response.content.decode()
