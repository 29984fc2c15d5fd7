"""A database that cannot be reached: 503 with Retry-After, problem details for the API and a
short page for people, no traceback, nothing written; served again once it is back.

The database is made unreachable for real: the default connection is pointed at a closed port
(PostgreSQL) or at a file in a directory that does not exist (SQLite), then pointed back.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, connections
from django.test import Client

from motcua.core.unavailable import RETRY_AFTER_SECONDS, database_unreachable

# What a failure must never show: the traceback, the driver, the SQL, where the database is.
# The demo's integrated system (load_demo); core may not import the demo app.
DEMO_API_TOKEN = "motcua-demo-token-hue-000000000000000000"
LEAKS = ("Traceback", "psycopg", "sqlite", "SELECT", "OperationalError", "127.0.0.1", "5432")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Outage:
    """Points the default connection somewhere unreachable, and back."""

    def __init__(self) -> None:
        self.saved = dict(connection.settings_dict)

    def begin(self) -> None:
        connection.close()
        if connection.vendor == "sqlite":
            connection.settings_dict["NAME"] = "/nonexistent-motcua-directory/motcua.sqlite3"
        else:
            connection.settings_dict["PORT"] = str(closed_port())

    def end(self) -> None:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(self.saved)


@pytest.fixture
def outage(transactional_db: Any) -> Iterator[Outage]:
    """The test decides when the database goes and comes back; it is back afterwards."""
    current = Outage()
    yield current
    current.end()


@pytest.fixture
def database_down(outage: Outage) -> None:
    outage.begin()


def assert_clean_503(response: Any) -> str:
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    for leak in LEAKS:
        assert leak not in body, leak
    return body


def test_the_api_answers_problem_details(database_down: None) -> None:
    response = Client().get("/api/v1/procedures/")

    body = assert_clean_503(response)
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(body) == {
        "type": "https://motcua.vn/problems/service_unavailable",
        "title": "Dịch vụ tạm thời gián đoạn",
        "status": 503,
        "detail": "Hệ thống đang tạm thời gián đoạn. Vui lòng thử lại sau ít phút.",
        "code": "service_unavailable",
        "retry_after": RETRY_AFTER_SECONDS,
    }


def test_a_page_answers_a_short_translated_page_even_in_debug(
    database_down: None, settings: Any
) -> None:
    # With DEBUG on Django would show its technical page, with the SQL; not for this failure.
    settings.DEBUG = True
    response = Client().get("/thu-tuc/")

    body = assert_clean_503(response)
    assert response["Content-Type"].startswith("text/html")
    assert '<html lang="vi">' in body
    assert "Hệ thống đang tạm thời gián đoạn. Vui lòng thử lại sau ít phút." in body
    assert settings.MOTCUA_CENTER_NAME in body


def test_a_client_that_takes_only_json_gets_problem_details_from_a_page(
    database_down: None,
) -> None:
    response = Client().get("/thu-tuc/", headers={"Accept": "application/json"})

    assert_clean_503(response)
    assert response["Content-Type"] == "application/problem+json"


def test_an_intake_during_the_outage_writes_nothing_and_goes_through_once_it_is_back(
    outage: Outage,
) -> None:
    from django.core.management import call_command

    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    client = Client(headers={"Authorization": f"Token {DEMO_API_TOKEN}"})
    procedure = client.get("/api/v1/procedures/1.013978/").json()
    intake = {
        "procedure": "1.013978",
        "applicant": {"name": "Nguyễn Thị Mai Hương", "id_number": "046190001234"},
        "components": [{"id": c["id"]} for c in procedure["components"] if c["mandatory"]],
    }
    send = lambda: client.post(  # noqa: E731
        "/api/v1/dossiers/",
        intake,
        content_type="application/json",
        headers={"Idempotency-Key": "outage-0001"},
    )

    outage.begin()
    assert_clean_503(send())
    outage.end()

    # The same process, the same client: the connection is made again on the next request.
    dossiers = apps.get_model("dossiers", "Dossier").objects
    assert dossiers.count() == 0
    assert send().status_code == 201
    assert send().status_code == 200
    assert dossiers.count() == 1


def test_a_query_error_is_not_mistaken_for_an_outage(db: Any) -> None:
    with pytest.raises(DatabaseError) as raised, connection.cursor() as cursor:
        cursor.execute("SELECT * FROM motcua_no_such_table")

    assert not database_unreachable(raised.value)


def test_a_refused_connection_is_an_outage(database_down: None) -> None:
    with pytest.raises(DatabaseError) as raised:
        connection.ensure_connection()

    assert database_unreachable(raised.value)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own shutdown errors")
def test_a_connection_the_server_terminated_is_an_outage(transactional_db: Any) -> None:
    # What a fast shutdown or a failover does to every open connection.
    victim = connections.create_connection("default")
    try:
        with victim.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            [pid] = cursor.fetchone()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        with pytest.raises(DatabaseError) as raised, victim.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        victim.close()

    assert database_unreachable(raised.value)
