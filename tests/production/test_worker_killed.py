"""A task worker is killed (SIGKILL) while it is inside the SMS gateway's call, after the
gateway took the message and before the worker could record it as sent: the hazard of every
outbox. Real rq workers on Redis, several at once, two delivery sweeps besides them, and a fake
brandname gateway speaking our HTTP protocol.

The message is delivered, and the citizen's phone receives it once: the sweep sends it again
once the dead worker's claim has run out, under the same request id, which the gateway does
not send twice. No other message reaches a phone twice either, whatever worker or sweep sends it.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from motcua.notifications.fake_sms_gateway import FakeSmsGateway
from tests.production.checks import mandatory_components
from tests.production.clients import COUNTER_PROCEDURE, Http, Tally, counter_intake
from tests.production.servers import (
    DB_PREFIX,
    MAIN_PG_URL,
    REDIS_URL,
    AppServer,
    app_env,
    connect,
    database_clone,
    free_port,
    parent_of,
    pid_with_local_port,
    spawn_manage,
    stop_process,
    wait_until,
)

pytestmark = pytest.mark.production

WORKERS = 3
SWEEPS = 2
INTAKES = 16
API_KEY = "fault-tests-sms-key"
# Short, so that the test does not wait the production five minutes for the dead claim.
CLAIM_SECONDS = 3


@pytest.fixture
def gateway() -> Iterator[FakeSmsGateway]:
    with FakeSmsGateway(api_key=API_KEY, port=free_port()) as fake:
        yield fake
        fake.release()


@pytest.fixture
def queue() -> Iterator[str]:
    """The Redis database of the workers, empty before and after."""
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    yield REDIS_URL
    connection.flushdb()


def test_a_worker_killed_inside_the_gateway_call_the_citizen_gets_the_sms_once(
    demo_database_template: str,
    server_var_dir: Path,
    tmp_path: Path,
    gateway: FakeSmsGateway,
    queue: str,
) -> None:
    name = f"{DB_PREFIX}_worker"
    url = database_clone(url=MAIN_PG_URL, name=name, template=demo_database_template)
    env = app_env(
        database_url=url,
        var_dir=server_var_dir,
        MOTCUA_TASKS_BACKEND="rq",
        MOTCUA_REDIS_URL=queue,
        MOTCUA_SMS_URL=gateway.url,
        MOTCUA_SMS_API_KEY=API_KEY,
        MOTCUA_MESSAGE_CLAIM_SECONDS=str(CLAIM_SECONDS),
    )
    with connect(MAIN_PG_URL, name) as db:
        components = mandatory_components(db, COUNTER_PROCEDURE)
    server = AppServer(env=env, port=free_port(), log=tmp_path / "granian.log")
    rq = ["rqworker", "default", "--job-class", "django_tasks_rq.Job"]
    workers = [spawn_manage(*rq, env=env, log=tmp_path / f"worker{i}.log") for i in range(WORKERS)]
    sweeps = []
    try:
        server.start()
        client = Http(server.url, tally=Tally())
        gateway.hold_answers(1)

        counter_intake(client, n=1, component_ids=components)
        [(_host, port)] = gateway.wait_for_held(1, timeout=180)
        # The process inside the call is rq's work horse; its parent is the worker. Both die,
        # as when the machine or the container goes.
        horse = pid_with_local_port(port)
        assert horse is not None
        worker = parent_of(horse)
        assert worker in {w.pid for w in workers}, (horse, worker)
        os.kill(horse, signal.SIGKILL)
        os.kill(worker, signal.SIGKILL)
        gateway.release()
        [held] = gateway.accepted  # what the phone got before the worker died

        for n in range(2, INTAKES + 1):
            counter_intake(client, n=n, component_ids=components)
        sweeps = [
            spawn_manage("deliver_messages", "--loop", "1", env=env, log=tmp_path / f"s{i}.log")
            for i in range(SWEEPS)
        ]
        with connect(MAIN_PG_URL, name) as db:
            wait_until(lambda: _all_sent(db), what="every SMS sent", timeout=300)
            messages = db.execute(
                "SELECT id, recipient, provider_reference, attempts FROM notifications_message "
                "WHERE channel = 'sms'"
            ).fetchall()
    finally:
        for process in [*sweeps, *workers]:
            stop_process(process)
        server.stop()

    assert len(messages) == INTAKES
    by_request = Counter(entry["request_id"] for entry in gateway.accepted)
    # Each message reached its phone exactly once, under its own request id.
    assert len(gateway.accepted) == len(messages)
    assert set(by_request.values()) == {1}
    assert {_message_id(r) for r in by_request} == {pk for pk, *_ in messages}
    assert len({(e["to"], e["text"]) for e in gateway.accepted}) == len(messages)
    # The one the dead worker had sent: sent again by the sweep, recognised by the gateway,
    # recorded with the reference the phone's SMS got.
    [(_pk, _to, reference, attempts)] = [
        m for m in messages if m[0] == _message_id(held["request_id"])
    ]
    assert reference == held["id"] and attempts >= 2
    assert gateway.duplicates >= 1
    print(
        f"\n[worker killed] workers={WORKERS} (1 killed inside the call) sweeps={SWEEPS} "
        f"sms={len(messages)} gateway requests={gateway.requests} "
        f"accepted={len(gateway.accepted)} recognised as already sent={gateway.duplicates} "
        f"attempts of the interrupted message={attempts}"
    )


def _all_sent(db: object) -> bool:
    rows = db.execute(  # type: ignore[attr-defined]
        "SELECT status, count(*) FROM notifications_message WHERE channel = 'sms' GROUP BY status"
    ).fetchall()
    counts = dict(rows)
    return counts.get("sent", 0) == INTAKES and len(counts) == 1


def _message_id(request_id: str) -> int:
    # motcua-<message id>-<created at>: notifications.services.delivery_reference.
    return int(request_id.split("-")[1])
