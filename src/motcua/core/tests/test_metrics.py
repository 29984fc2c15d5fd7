"""/metrics: requests by route name (never by path), in flight, database errors, backlogs; and who
may scrape it."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import DatabaseError, connection

from motcua.core.tests.helpers import intake

# A scrape counts the backlogs in the database.
pytestmark = pytest.mark.django_db


def scrape(client: Any, **headers: str) -> str:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")
    return str(response.content.decode())


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of one sample; 0 when it has not been written yet."""
    for line in exposition.splitlines():
        found = re.fullmatch(rf"{re.escape(name)}(?:\{{(.*)\}})? (\S+)", line)
        if found and dict(re.findall(r'(\w+)="([^"]*)"', found.group(1) or "")) == labels:
            return float(found.group(2))
    return 0.0


def test_a_request_is_counted_under_its_route_name_never_its_path(client: Any) -> None:
    labels = {"route": "backoffice:dossier", "method": "GET", "status": "3xx"}
    before = scrape(client)
    # Anonymous: sent to the sign-in page, and the dossier code stays out of the figures.
    assert client.get("/backoffice/ho-so/000.00.01.H57-260421-0042/").status_code == 302
    after = scrape(client)
    assert sample(after, "motcua_http_requests_total", **labels) == (
        sample(before, "motcua_http_requests_total", **labels) + 1
    )
    count = "motcua_http_request_duration_seconds_count"
    assert sample(after, count, **labels) == sample(before, count, **labels) + 1
    assert "260421-0042" not in after


def test_an_unknown_address_is_counted_as_unmatched(client: Any) -> None:
    labels = {"route": "unmatched", "method": "GET", "status": "4xx"}
    before = sample(scrape(client), "motcua_http_requests_total", **labels)
    assert client.get("/khong-co-trang-nay/0905111222/").status_code == 404
    after = scrape(client)
    assert sample(after, "motcua_http_requests_total", **labels) == before + 1
    assert "0905111222" not in after


def test_an_invented_method_does_not_become_a_label(client: Any) -> None:
    client.generic("BREW", "/healthz")
    exposition = scrape(client)
    assert 'method="BREW"' not in exposition
    assert (
        sample(
            exposition,
            "motcua_http_requests_total",
            route="core:healthz",
            method="other",
            status="2xx",
        )
        >= 1
    )


def test_the_scrape_sees_itself_in_flight(client: Any) -> None:
    assert sample(scrape(client), "motcua_http_requests_in_progress") == 1.0


@pytest.mark.django_db(transaction=True)
def test_a_failed_statement_is_counted_by_alias_and_error_class(client: Any) -> None:
    def errors() -> float:
        exposition = scrape(client)
        return sum(
            float(value)
            for value in re.findall(
                r'motcua_database_errors_total\{alias="default",error="\w+Error"\} (\S+)',
                exposition,
            )
        )

    before = errors()
    failures: list[Exception] = []

    def broken_query() -> None:
        # A thread has its own connection, opened now: the counting is set up as it opens.
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT * FROM motcua_no_such_table")
        except DatabaseError as error:
            failures.append(error)
        finally:
            connection.close()

    worker = threading.Thread(target=broken_query)
    worker.start()
    worker.join()
    assert len(failures) == 1
    assert errors() == before + 1


def test_the_outbox_backlog_and_the_waiting_tasks_are_counted_when_scraped(
    client: Any, demo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    before = scrape(client)
    # The messages are delivered by a task enqueued on commit; no worker runs here.
    with django_capture_on_commit_callbacks(execute=True):
        intake()
    after = scrape(client)
    unsent = "motcua_outbox_unsent_messages"
    assert sample(after, unsent) >= sample(before, unsent) + 1
    if "motcua_tasks_pending" in django_settings.MOTCUA_METRICS_BACKLOGS:
        pending = "motcua_tasks_pending"
        assert sample(after, pending) >= sample(before, pending) + 1


class TestWhoMayScrape:
    def test_this_machine_may_without_a_token(self, client: Any) -> None:
        assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
        assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200

    def test_another_machine_may_not(self, client: Any) -> None:
        assert client.get("/metrics", REMOTE_ADDR="10.20.0.9").status_code == 403

    def test_a_request_through_a_proxy_on_this_machine_may_not(self, client: Any) -> None:
        forwarded = {"X-Forwarded-For": "203.0.113.7"}
        response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", headers=forwarded)
        assert response.status_code == 403

    def test_with_a_token_only_its_bearer_may(self, client: Any, settings: Any) -> None:
        settings.MOTCUA_METRICS_TOKEN = "scrape-token-7c1f"
        remote = {"REMOTE_ADDR": "10.20.0.9"}
        good = {"Authorization": "Bearer scrape-token-7c1f"}
        assert client.get("/metrics", headers=good, **remote).status_code == 200
        wrong = {"Authorization": "Bearer scrape-token-0000"}
        assert client.get("/metrics", headers=wrong, **remote).status_code == 403
        # The token replaces the loopback rule: this machine needs it too.
        assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
