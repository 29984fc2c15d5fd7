"""Reads from a streaming replica: reports and the public lookup really read the replica, writes
and transactions stay on the primary, and replication lag never misleads anybody.

Needs a hot standby of the test cluster (scripts/pg-replica start) and
MOTCUA_REPLICA_DATABASE_URL pointing at it. Django gives the "replica" alias the name of the
primary's test database and keeps its host and port (TEST MIRROR changes the name only), and
streaming copies that database to the standby like every other: every replica query below goes
over a connection to the standby, which is checked first. Lag is made deterministic by pausing
the standby's replay (pg_wal_replay_pause).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.conf import settings as conf
from django.db import connections, transaction
from django.urls import reverse
from django.utils import timezone

from motcua.core.replica import REPLICA, reading_from_replica
from motcua.dossiers.models import Dossier
from motcua.dossiers.tests.helpers import receive
from motcua.reports.periods import Period

pytestmark = [
    pytest.mark.production,
    pytest.mark.skipif(
        REPLICA not in conf.DATABASES,
        reason="needs MOTCUA_REPLICA_DATABASE_URL and a standby (scripts/pg-replica start)",
    ),
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]

LAND_FIRST_REGISTRATION = "1.013978"
REPLAY_WAIT_SECONDS = 60


def _standby() -> psycopg.Connection[Any]:
    # The standby's own "postgres" database, to steer replay without touching the aliases.
    replica = conf.DATABASES[REPLICA]
    return psycopg.connect(
        host=replica["HOST"],
        port=replica["PORT"],
        user=replica["USER"],
        password=replica["PASSWORD"],
        dbname="postgres",
        autocommit=True,
    )


def _primary_lsn() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return str(cursor.fetchone()[0])


def _wait_until(standby: psycopg.Connection[Any], sql: str, lsn: str) -> None:
    deadline = time.monotonic() + REPLAY_WAIT_SECONDS
    while time.monotonic() < deadline:
        if standby.execute(sql, (lsn,)).fetchone()[0]:  # type: ignore[index]
            return
        time.sleep(0.05)
    raise AssertionError(f"the standby did not reach {lsn}: {sql}")


def _replayed(standby: psycopg.Connection[Any]) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    _wait_until(standby, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", _primary_lsn())


def _received(standby: psycopg.Connection[Any]) -> None:
    """Wait until the standby has received (not necessarily replayed) all the primary wrote."""
    _wait_until(standby, "SELECT pg_last_wal_receive_lsn() >= %s::pg_lsn", _primary_lsn())


@contextmanager
def _replay_paused(standby: psycopg.Connection[Any]) -> Iterator[None]:
    standby.execute("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        standby.execute("SELECT pg_wal_replay_resume()")


@pytest.fixture
def standby(browser_demo: Any, settings: Any) -> Iterator[psycopg.Connection[Any]]:
    """The committed demo center, replayed on the standby; its fitness checked at every block."""
    settings.MOTCUA_REPLICA_CHECK_SECONDS = 0
    settings.MOTCUA_REPLICA_MAX_LAG_SECONDS = 3600
    with _standby() as connection:
        connection.execute("SELECT pg_wal_replay_resume()")
        _replayed(connection)
        yield connection
        connection.execute("SELECT pg_wal_replay_resume()")


@contextmanager
def _queries(alias: str) -> Iterator[list[str]]:
    """Every statement sent through an alias's connection in this thread, DEBUG or not.

    Not CaptureQueriesContext: each request starts by emptying the query logs it reads."""
    statements: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with connections[alias].execute_wrapper(record):
        yield statements


def _dossier_tables(statements: list[str]) -> list[str]:
    return [sql for sql in statements if '"dossiers_dossier"' in sql]


def test_the_replica_alias_is_the_standby_and_the_default_alias_the_primary(standby):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_database()")
        replica_side = cursor.fetchone()
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_database()")
        primary_side = cursor.fetchone()

    assert replica_side == (True, conf.DATABASES["default"]["NAME"])
    assert primary_side == (False, conf.DATABASES["default"]["NAME"])
    assert conf.DATABASES[REPLICA]["PORT"] != conf.DATABASES["default"]["PORT"]


def test_the_dashboard_reads_the_dossiers_on_the_replica_only(client, standby, browser_demo):
    receive(browser_demo.reception_officer, LAND_FIRST_REGISTRATION)
    _replayed(standby)
    client.force_login(browser_demo.center_leader)

    with (
        _queries(REPLICA) as on_replica,
        _queries("default") as on_primary,
    ):
        response = client.get(reverse("backoffice:stats_dashboard"))

    assert response.status_code == 200
    assert _dossier_tables(on_replica)
    assert not _dossier_tables(on_primary)


def test_a_report_list_shows_what_the_replica_has_replayed(client, standby, browser_demo):
    """The drill-down of a number lists the replica's rows: a dossier the standby has not
    replayed yet is missing from it, and appears once replay goes on."""
    month = Period.containing("month", timezone.localdate())
    url = reverse("backoffice:stats_dossiers") + f"?measure=received&p={month.token}"
    client.force_login(browser_demo.center_leader)
    first = receive(browser_demo.reception_officer, LAND_FIRST_REGISTRATION)
    _replayed(standby)

    with _replay_paused(standby):
        second = receive(browser_demo.reception_officer, LAND_FIRST_REGISTRATION)
        _received(standby)
        while_paused = client.get(url).content.decode()
    _replayed(standby)
    after_replay = client.get(url).content.decode()

    assert first.code in while_paused and second.code not in while_paused
    assert first.code in after_replay and second.code in after_replay
    assert Dossier.objects.filter(code=second.code).exists()


def test_writes_and_transactions_inside_a_replica_block_stay_on_the_primary(standby, browser_demo):
    with _replay_paused(standby), reading_from_replica() as on_replica:
        with transaction.atomic():
            # The standby is read-only: the intake's inserts succeed only on the primary.
            dossier = receive(browser_demo.reception_officer, LAND_FIRST_REGISTRATION)
            seen_in_transaction = Dossier.objects.filter(code=dossier.code).exists()
        seen_after = Dossier.objects.filter(code=dossier.code).exists()
    seen_on_primary = Dossier.objects.filter(code=dossier.code).exists()

    assert on_replica is True
    # A transaction reads its own writes, so inside one every read is on the primary.
    assert seen_in_transaction is True
    # Outside it the block reads the paused standby, which has not replayed the write.
    assert seen_after is False
    assert seen_on_primary is True


def test_the_lookup_falls_back_to_the_primary_for_a_dossier_not_replayed_yet(
    client, standby, browser_demo, settings
):
    settings.MOTCUA_LOOKUP_MAX_FAILURES = 1
    with _replay_paused(standby):
        dossier = receive(browser_demo.reception_officer, LAND_FIRST_REGISTRATION)
        _received(standby)
        with (
            _queries(REPLICA) as on_replica,
            _queries("default") as on_primary,
        ):
            first = client.post(
                reverse("portal:lookup"), {"code": dossier.code, "secret": dossier.lookup_secret}
            )
        # Had the miss on the replica counted as a failure, this second try would be throttled.
        second = client.post(
            reverse("portal:lookup"), {"code": dossier.code, "secret": dossier.lookup_secret}
        )

    assert first.status_code == second.status_code == 200
    assert dossier.procedure_version.name in first.content.decode()
    assert len(_dossier_tables(on_replica)) == 1  # asked the replica first, which missed
    assert len(_dossier_tables(on_primary)) == 1  # then the primary, which answered


def test_the_lookup_is_answered_by_the_replica_once_replayed(client, standby, browser_demo):
    dossier = receive(browser_demo.reception_officer, LAND_FIRST_REGISTRATION)
    _replayed(standby)

    with (
        _queries(REPLICA) as on_replica,
        _queries("default") as on_primary,
    ):
        response = client.post(
            reverse("api:lookup"),
            {"code": dossier.code, "secret": dossier.lookup_secret},
            content_type="application/json",
        )

    assert response.status_code == 200 and response.json()["code"] == dossier.code
    assert len(_dossier_tables(on_replica)) == 1
    assert not _dossier_tables(on_primary)


def test_a_wrong_secret_is_still_refused_and_counted_once(client, standby, browser_demo, settings):
    settings.MOTCUA_LOOKUP_MAX_FAILURES = 2
    dossier = receive(browser_demo.reception_officer, LAND_FIRST_REGISTRATION)
    _replayed(standby)
    wrong = {"code": dossier.code, "secret": "AAAAAAAA"}

    answers = [client.post(reverse("portal:lookup"), wrong).status_code for _ in range(3)]

    assert answers == [404, 404, 429]


def test_reads_go_to_the_primary_while_the_replica_lags_too_far(standby, browser_demo, settings):
    settings.MOTCUA_REPLICA_MAX_LAG_SECONDS = 0
    with _replay_paused(standby):
        dossier = receive(browser_demo.reception_officer, LAND_FIRST_REGISTRATION)
        _received(standby)
        with reading_from_replica() as lagging:
            seen_while_lagging = Dossier.objects.filter(code=dossier.code).exists()
    _replayed(standby)
    with reading_from_replica() as caught_up:
        seen_once_replayed = Dossier.objects.filter(code=dossier.code).exists()

    assert lagging is False and seen_while_lagging is True
    assert caught_up is True and seen_once_replayed is True


def test_reads_go_to_the_primary_while_the_replica_does_not_answer(client, standby, browser_demo):
    client.force_login(browser_demo.center_leader)
    replica = connections[REPLICA]
    port = replica.settings_dict["PORT"]
    replica.close()
    # A port in this suite's range where nothing listens: the connection is refused.
    replica.settings_dict["PORT"] = "18299"
    try:
        with reading_from_replica() as used:
            pass
        response = client.get(reverse("backoffice:stats_dashboard"))
    finally:
        replica.close()
        replica.settings_dict["PORT"] = port

    assert used is False
    assert response.status_code == 200
