"""PostgreSQL stops dead (pg_ctl stop -m immediate, as in a crash or a failover) while the app
serves counter intakes, API reads and pages, then starts again.

While it is down every request is answered 503 with Retry-After, problem details for the API
and a short page for people, never a traceback or SQL. Once it is back the same granian process,
never restarted, serves again: Django's persistent connections are health-checked and made
anew. Nothing acknowledged before, during or after is lost, and nothing is there twice.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.production.checks import mandatory_components, verify_dossiers
from tests.production.clients import (
    COUNTER_PROCEDURE,
    DEMO_TOKEN,
    Answer,
    Http,
    Intake,
    Tally,
    counter_intake,
    guarded,
    keep_going,
)
from tests.production.servers import (
    CLUSTER_PORT,
    DB_PREFIX,
    MAIN_PG_URL,
    AppServer,
    PostgresCluster,
    app_env,
    connect,
    database_copy,
    free_port,
    manage,
    wait_until,
)

pytestmark = pytest.mark.production

INTAKE = "POST /api/v1/dossiers/"
API_READ = "GET /api/v1/dossiers/?limit=5"
PAGE = "GET /thu-tuc/"
KINDS = (INTAKE, API_READ, PAGE)
# What a failure must never show.
LEAKS = ("Traceback", "psycopg", "OperationalError", "SELECT", "5434", "127.0.0.1")


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    """A cluster of our own on CLUSTER_PORT, since the test stops it."""
    own = PostgresCluster(port=CLUSTER_PORT).create()
    try:
        own.start()
        yield own
    finally:
        own.destroy()


def test_the_app_answers_503_while_postgres_is_down_and_recovers_by_itself(
    cluster: PostgresCluster, demo_database_template: str, server_var_dir: Path, tmp_path: Path
) -> None:
    name = f"{DB_PREFIX}_restart"
    url = database_copy(
        source_url=MAIN_PG_URL,
        source=demo_database_template,
        target_url=cluster.url,
        target=name,
    )
    with connect(cluster.url, "postgres") as admin:
        # So that crash recovery replays this test's own writes, not the whole copy.
        admin.execute("CHECKPOINT")
    env = app_env(database_url=url, var_dir=server_var_dir)
    server = AppServer(env=env, port=free_port(), log=tmp_path / "granian.log")
    server.start()
    with connect(cluster.url, name) as db:
        components = mandatory_components(db, COUNTER_PROCEDURE)
    tally = Tally()
    intakes: list[Intake] = []
    stop = threading.Event()
    failures: list[BaseException] = []
    intake_client, reader = Http(server.url, tally=tally), Http(server.url, tally=tally)
    jobs: list[Callable[[int], None]] = [
        lambda n: intakes.append(counter_intake(intake_client, n=n, component_ids=components)),
        lambda n: _read(reader, "/api/v1/dossiers/?limit=5", token=True),
        lambda n: _read(Http(server.url, tally=tally), "/thu-tuc/"),
    ]
    threads = [
        threading.Thread(target=guarded, args=(failures, keep_going, stop, job, 1 + i * 1000))
        for i, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    try:
        _each_kind(tally, failures, lambda status: status < 400, since=0.0)
        served_by = server.pids()
        down_at = time.monotonic()
        cluster.stop(mode="immediate")
        _each_kind(tally, failures, lambda status: status == 503, since=down_at)
        starting_at = time.monotonic()
        cluster.start()
        up_at = time.monotonic()
        _each_kind(tally, failures, lambda status: status < 400, since=up_at)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=300)
    try:
        assert not failures, failures
        # The same processes served throughout: nothing restarted granian or its worker.
        assert server.process is not None and server.process.poll() is None
        assert server.pids() == served_by
    finally:
        server.stop()
    assert not tally.server_errors, tally.server_errors[:3]
    assert tally.unavailable
    for label, answer in tally.unavailable:
        _clean_503(label, answer)
    with connect(cluster.url, name) as db:
        figures = verify_dossiers(
            db, intakes=intakes, submissions=[], media=server_var_dir / "media"
        )
    # Every intake was retried until acknowledged, so every dossier is an acknowledged one.
    assert figures["dossiers"] == len(intakes)
    manage("verify_event_chain", env=env)
    print(_figures(tally, intakes, down_at=down_at, starting_at=starting_at, up_at=up_at))


def _read(client: Http, path: str, *, token: bool = False) -> None:
    headers = {"Authorization": f"Token {DEMO_TOKEN}"} if token else {}
    answer, _ = client.until_answered("GET", path, headers=headers)
    assert answer.status == 200, (path, answer.status, answer.text[:500])


def _each_kind(
    tally: Tally, failures: list[BaseException], wanted: Callable[[int], bool], *, since: float
) -> None:
    """Wait until each kind of request got three such answers after `since`."""

    def seen() -> bool:
        with tally.lock:
            answers = [(label, status) for at, label, status in tally.answers if at >= since]
        counts = {
            kind: sum(1 for label, s in answers if label == kind and wanted(s)) for kind in KINDS
        }
        return bool(failures) or all(count >= 3 for count in counts.values())

    wait_until(seen, what="answers of each kind", timeout=180)


def _clean_503(label: str, answer: Answer) -> None:
    assert answer.headers.get("retry-after", "").isdigit(), label
    assert answer.headers.get("cache-control") == "no-store", label
    for leak in LEAKS:
        assert leak not in answer.text, (label, leak, answer.text[:500])
    if label.split()[1].startswith("/api/"):
        assert answer.headers["content-type"] == "application/problem+json", label
        problem = json.loads(answer.body)
        assert (problem["status"], problem["code"]) == (503, "service_unavailable"), problem
        assert problem["type"].endswith("/service_unavailable") and problem["detail"], problem
    else:
        assert answer.headers["content-type"].startswith("text/html"), label
        assert "Hệ thống đang tạm thời gián đoạn" in answer.text, answer.text[:500]


def _figures(
    tally: Tally, intakes: list[Intake], *, down_at: float, starting_at: float, up_at: float
) -> str:
    unavailable = {
        kind: sum(1 for label, _ in tally.unavailable if label == kind) for kind in KINDS
    }
    recovered = {}
    for kind in KINDS:
        firsts = [at for at, label, s in tally.answers if label == kind and at >= up_at and s < 400]
        recovered[kind] = f"{min(firsts) - up_at:.2f}s" if firsts else "never"
    return (
        f"\n[postgres restart] down for {up_at - down_at:.1f}s (stop -m immediate to ready, "
        f"of which {up_at - starting_at:.1f}s starting and recovering), "
        f"503 answers={unavailable}, first success after PostgreSQL was ready={recovered}, "
        f"answers={sum(tally.statuses.values())} {dict(tally.statuses)}, "
        f"interrupted={tally.interrupted}, acknowledged intakes={len(intakes)} "
        f"(of which replays={sum(1 for i in intakes if i.status == 200)})"
    )
