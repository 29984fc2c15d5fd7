"""/healthz says the process answers; /readyz says whether it can serve, naming what is missing."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from motcua.core import health
from motcua.core.tests.processes import production_environment, requests_in_process

# Nothing listens here (the range given to these tests): a connection is refused at once.
CLOSED_PORT = 18199


@pytest.fixture(autouse=True)
def _migrations_checked_afresh() -> Iterator[None]:
    health.forget_migration_check()
    yield
    health.forget_migration_check()


def test_liveness_answers_without_the_database(client: Any) -> None:
    # No django_db mark: pytest-django makes any database access here an error.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readiness_checks_every_database_the_cache_the_storage_and_the_migrations(
    client: Any,
) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    expected = {f"database:{alias}" for alias in django_settings.DATABASES}
    expected |= {"cache", "storage", "migrations"}
    assert response.json() == {"status": "ok", "checks": dict.fromkeys(expected, "ok")}


@pytest.mark.django_db
def test_the_migrations_are_checked_once_per_process(
    client: Any, django_assert_num_queries: Any
) -> None:
    first = client.get("/readyz")
    assert first.status_code == 200
    # Then only "SELECT 1": the migration table is not read again.
    with django_assert_num_queries(1):
        assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_an_unapplied_migration_makes_it_unready_without_an_error_in_the_log(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    latest = max(MigrationLoader(connection).graph.leaf_nodes())
    MigrationRecorder(connection).record_unapplied(*latest)
    with caplog.at_level(logging.WARNING):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["migrations"]
    assert body["checks"]["database:default"] == "ok"
    assert latest[1] not in response.content.decode()
    assert [r.levelname for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert "Readiness check migrations failed: RuntimeError" in caplog.messages


@pytest.mark.django_db
def test_a_storage_that_does_not_answer_makes_it_unready(client: Any, settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "motcua-readyz",
                "endpoint_url": f"http://127.0.0.1:{CLOSED_PORT}",
                "access_key": "probe",
                "secret_key": "probe-secret",
                "region_name": "us-east-1",
            },
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["storage"]
    assert str(CLOSED_PORT) not in response.content.decode()


def test_a_database_and_a_cache_that_do_not_answer_are_named_without_details(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "no-such-directory" / "motcua.sqlite3"
    environment = production_environment(tmp_path) | {
        "DATABASE_URL": f"sqlite:///{missing}",
        "MOTCUA_CACHE_URL": f"redis://127.0.0.1:{CLOSED_PORT}/11",
        "MOTCUA_LOG_FORMAT": "text",
    }
    [answer], log = requests_in_process(environment, [("GET", "/readyz", {})])
    assert answer["status"] == 503
    body = answer["body"]
    for secret in ("no-such-directory", str(CLOSED_PORT), "Traceback", "sqlite3"):
        assert secret not in body
    assert set(json.loads(body)["failing"]) == {"database:default", "cache", "migrations"}
    assert "WARNING motcua.core.health" in log
    assert " ERROR " not in log


def test_probes_answer_a_node_address_over_plain_http_in_production(tmp_path: Path) -> None:
    environment = production_environment(tmp_path)
    requests = [
        # A load balancer's probe: the node's address as Host, plain HTTP, no cookies.
        ("GET", "/healthz", {"Host": "10.20.0.5:8000"}),
        ("GET", "/metrics", {"Host": "10.20.0.5:8000"}),
        # Anything else over plain HTTP goes to HTTPS, and a foreign Host is refused.
        ("GET", "/tra-cuu/", {"Host": "motcua.hue.gov.vn"}),
        ("GET", "/tra-cuu/", {"Host": "10.20.0.5:8000"}),
    ]
    (healthz, metrics, page, foreign), _ = requests_in_process(environment, requests)
    assert healthz["status"] == 200 and healthz["cookies"] == {}
    assert metrics["status"] == 200 and "motcua_http_requests_in_progress" in metrics["body"]
    assert page["status"] == 301
    assert page["headers"]["Location"] == "https://motcua.hue.gov.vn/tra-cuu/"
    assert foreign["status"] == 400


@pytest.mark.django_db
def test_probes_never_set_a_session_or_csrf_cookie(client: Any) -> None:
    client.get("/tra-cuu/")
    for path in ("/healthz", "/readyz", "/metrics"):
        response = client.get(path)
        assert response.cookies == {}
        assert "Cookie" not in response.get("Vary", "")
