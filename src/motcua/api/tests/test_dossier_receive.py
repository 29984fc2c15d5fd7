"""POST /api/v1/dossiers/: counter and system intake, with idempotency keys."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from motcua.audit.models import Event
from motcua.catalog.models import ProcedureComponent
from motcua.dossiers.models import Dossier, IdempotencyRecord
from motcua.notifications.models import Message

URL = "/api/v1/dossiers/"
HUE = ZoneInfo("Asia/Ho_Chi_Minh")

pytestmark = pytest.mark.usefixtures("tuesday")


def receive(client: Any, body: dict[str, Any], *, key: str | None = "intake-0001") -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(URL, body, format="json", headers=headers)


def row_counts() -> tuple[int, int, int]:
    return Dossier.objects.count(), Event.objects.count(), Message.objects.count()


def test_it_receives_a_complete_dossier_from_the_system_client(personas, intake):
    response = receive(personas.system, intake)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["code"] == "000.00.01.H57-260421-0001"
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{8}", body["lookup_secret"])
    assert body["state"] == "in_processing"
    assert body["national_status"] == 4
    assert body["received_at"] == "2026-04-21T10:00:00+07:00"
    assert body["procedure"]["code"] == "1.013978"
    assert body["procedure"]["version"] == 1
    assert [c["id"] for c in body["components"]] == [c["id"] for c in intake["components"]]
    assert body["receipt_url"] == (
        "http://testserver/backoffice/ho-so/000.00.01.H57-260421-0001/giay-tiep-nhan.pdf"
    )
    assert "Idempotent-Replayed" not in response.headers


def test_it_counts_twenty_working_days_around_the_april_holidays(personas, intake):
    # Received Tue 21/4 10:00; day 1 is Wed 22/4. Days off: Mon 27/4 (Hùng Kings, in lieu of
    # Sunday 26/4), Thu 30/4 and Fri 1/5. Working days: 22, 23, 24 (3), 28, 29 (5),
    # 4-8 May (10), 11-15 May (15), 18-22 May (20): due Friday 22 May 2026 at closing time.
    response = receive(personas.system, intake)

    assert response.json()["due_at"] == "2026-05-22T17:00:00+07:00"
    dossier = Dossier.objects.get()
    assert dossier.due_at == datetime(2026, 5, 22, 17, 0, tzinfo=HUE)
    assert dossier.due_at.astimezone(HUE).weekday() == 4


def test_it_lets_the_reception_officer_receive_with_a_session(personas, intake):
    response = receive(personas.session_client("tiepnhan"), intake)

    assert response.status_code == 201
    assert Dossier.objects.get().received_by.username == "tiepnhan"


def test_it_replays_a_retry_with_the_same_key_and_body(personas, intake):
    first = receive(personas.system, intake)
    retry = receive(personas.system, intake)

    assert retry.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert Dossier.objects.count() == 1
    assert Event.objects.filter(kind="dossier.received").count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_it_refuses_the_same_key_with_a_different_body_and_writes_nothing(personas, intake):
    receive(personas.system, intake)
    before = row_counts()

    other = {**intake, "note": "Nộp thay cho mẹ"}
    response = receive(personas.system, other)

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert row_counts() == before


def test_it_treats_the_same_key_of_another_client_as_a_new_intake(personas, intake):
    receive(personas.system, intake)

    response = receive(personas.officer, intake)

    assert response.status_code == 201
    assert response.json()["code"] == "000.00.01.H57-260421-0002"


def test_it_requires_an_idempotency_key(personas, intake):
    before = row_counts()

    response = receive(personas.system, intake, key=None)

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_missing"
    assert response.json()["header"] == "Idempotency-Key"
    assert row_counts() == before


def test_it_refuses_an_idempotency_key_over_200_characters(personas, intake):
    response = receive(personas.system, intake, key="k" * 201)

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_too_long"
    assert receive(personas.system, intake, key="k" * 200).status_code == 201


def test_it_refuses_a_dossier_missing_a_mandatory_component_and_writes_nothing(personas, intake):
    before = row_counts()
    application_form = intake["components"][0]["id"]

    response = receive(personas.system, {**intake, "components": []})

    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "incomplete_dossier"
    assert problem["missing"] == [application_form]
    assert problem["field"] == "components"
    assert row_counts() == before
    assert not IdempotencyRecord.objects.exists()


def test_it_accepts_the_corrected_dossier_under_the_key_of_a_refused_one(personas, intake):
    receive(personas.system, {**intake, "components": []})

    assert receive(personas.system, intake).status_code == 201


def test_it_accepts_optional_components_with_quantities(personas, intake):
    optional = ProcedureComponent.objects.filter(
        version__procedure__national_code="1.013978", is_mandatory=False
    ).first()
    components = [*intake["components"], {"id": optional.pk, "quantity": 2}]

    response = receive(personas.system, {**intake, "components": components})

    assert response.status_code == 201
    assert response.json()["components"][-1] == {
        "id": optional.pk,
        "name": optional.name,
        "form": optional.form,
        "quantity": 2,
        "scanned": False,
        "provenance": None,
        "reused": False,
    }


@pytest.mark.parametrize("id_number", ["04619000123", "04619000123A", "ABCDEFGHIJKL"])
def test_it_refuses_a_malformed_citizen_id(personas, intake, id_number):
    before = row_counts()
    applicant = {**intake["applicant"], "id_number": id_number}

    response = receive(personas.system, {**intake, "applicant": applicant})

    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "invalid_id_number"
    assert problem["field"] == "applicant.id_number"
    assert problem["errors"] == [
        {"field": "applicant.id_number", "message": problem["detail"], "code": "invalid_id_number"}
    ]
    assert row_counts() == before


def test_it_refuses_an_unknown_procedure_as_bad_input(personas, intake):
    response = receive(personas.system, {**intake, "procedure": "9.999999"})

    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert problem["field"] == "procedure"
    assert problem["errors"][0]["code"] == "unknown_procedure"
    assert "9.999999" in problem["detail"]


def test_it_names_every_missing_field(personas):
    response = receive(personas.system, {"applicant": {"kind": "person"}})

    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"procedure", "applicant.name", "applicant.id_number", "components"}


def test_it_refuses_a_naive_reception_time(personas, intake):
    response = receive(personas.system, {**intake, "received_at": "2026-04-21T09:00:00"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "received_at"


def test_it_refuses_a_reception_time_on_another_day(personas, intake):
    response = receive(personas.system, {**intake, "received_at": "2026-04-20T09:00:00+07:00"})

    assert response.status_code == 400
    assert response.json()["field"] == "received_at"


def test_it_takes_the_reception_time_sent_for_today(personas, intake):
    response = receive(personas.system, {**intake, "received_at": "2026-04-21T08:15:00+07:00"})

    assert response.status_code == 201
    assert response.json()["received_at"] == "2026-04-21T08:15:00+07:00"


def test_it_refuses_the_outsider_and_writes_nothing(personas, intake):
    before = row_counts()

    response = receive(personas.outsider, intake)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert row_counts() == before


def test_it_refuses_the_outsider_with_a_session_too(personas, intake):
    assert receive(personas.session_client("phuxuan"), intake).status_code == 403


def test_it_refuses_the_land_specialist_who_does_not_receive_dossiers(personas, intake):
    assert receive(personas.specialist, intake).status_code == 403


def test_it_asks_the_anonymous_caller_to_authenticate(personas, intake):
    response = receive(personas.anonymous, intake)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"


def test_it_refuses_a_wrong_token(personas, intake):
    client = personas.anonymous
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = receive(client, intake)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
