"""The app process is killed (SIGKILL, all of granian) again and again while counter systems
receive dossiers through the API and citizens submit online through the portal, every client
retrying its request (same Idempotency-Key, same draft) until it is answered. A supervisor
starts granian again after each kill.

Afterwards, in the database: every acknowledged dossier exists exactly once, under its key,
with all that its transaction writes (components, clock, route, events, outbox messages);
nothing half-written exists (no dossier without its event, no event or message about a
dossier that does not exist, no gap in the codes, no task for a message that does not exist,
no document without its file); and `verify_event_chain` passes.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.production.checks import form_schema, mandatory_components, verify_dossiers
from tests.production.clients import (
    COUNTER_PROCEDURE,
    ONLINE_PROCEDURE,
    Citizen,
    Http,
    Intake,
    Submitted,
    Tally,
    applicant_fields,
    counter_intake,
    declaration,
    guarded,
    keep_going,
)
from tests.production.servers import (
    DB_PREFIX,
    MAIN_PG_URL,
    AppServer,
    app_env,
    connect,
    database_clone,
    free_port,
    manage,
    wait_until,
)

pytestmark = pytest.mark.production

KILLS = 6
COUNTER_CLIENTS = 3
# The demo's two citizens (congdan, khachhang), signed in by email and by phone number.
CITIZENS = ["an.nguyen@example.vn", "0912333444"]
PASSWORD = "motcua2026"


def test_every_acknowledged_dossier_exists_once_and_whole(
    demo_database_template: str, server_var_dir: Path, tmp_path: Path
) -> None:
    name = f"{DB_PREFIX}_killed"
    url = database_clone(url=MAIN_PG_URL, name=name, template=demo_database_template)
    server = AppServer(
        env=app_env(database_url=url, var_dir=server_var_dir),
        port=free_port(),
        log=tmp_path / "granian.log",
    )
    server.start()
    with connect(MAIN_PG_URL, name) as db:
        counter_components = mandatory_components(db, COUNTER_PROCEDURE)
        online_components = mandatory_components(db, ONLINE_PROCEDURE)
        schema = form_schema(db, ONLINE_PROCEDURE)
    tally = Tally()
    citizens = [
        Citizen(Http(server.url, tally=tally), identifier=identifier, password=PASSWORD)
        for identifier in CITIZENS
    ]
    for citizen in citizens:
        citizen.sign_in()

    intakes: list[Intake] = []
    submissions: list[Submitted] = []

    def intake(client: Http) -> Callable[[int], None]:
        return lambda n: intakes.append(
            counter_intake(client, n=n, component_ids=counter_components)
        )

    def submission(citizen: Citizen) -> Callable[[int], None]:
        return lambda n: submissions.append(
            citizen.submit(
                citizen.start_draft(),
                fields=applicant_fields(n) + declaration(schema, n),
                attachments=online_components,
            )
        )

    jobs = [intake(Http(server.url, tally=tally)) for _ in range(COUNTER_CLIENTS)]
    jobs += [submission(citizen) for citizen in citizens]
    stop = threading.Event()
    failures: list[BaseException] = []
    threads = [
        threading.Thread(target=guarded, args=(failures, keep_going, stop, job, i * 1000 + 1))
        for i, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    try:
        for _ in range(KILLS):
            # Some work under way since the last start, then the kill lands anywhere in it.
            _some_requests(tally, failures)
            wait_until(lambda: random.random() < 0.2, what="a random moment", interval=0.05)
            server.kill()
            server.start()
        _some_requests(tally, failures)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=300)
        server.stop()
    assert not failures, failures
    assert not tally.server_errors, tally.server_errors[:3]

    with connect(MAIN_PG_URL, name) as db:
        report = verify_dossiers(
            db, intakes=intakes, submissions=submissions, media=server_var_dir / "media"
        )
    # Every client kept its request going until it was answered: no dossier nobody was told of.
    assert report["dossiers"] == len(intakes) + len(submissions)
    manage("verify_event_chain", env=app_env(database_url=url, var_dir=server_var_dir))
    replayed = sum(1 for i in intakes if i.interrupted and i.status == 200)
    replayed += sum(1 for s in submissions if s.interrupted and s.status == 409)
    print(
        f"\n[app killed] kills={KILLS} starts={server.starts} "
        f"answered={sum(tally.statuses.values())} {dict(tally.statuses)} "
        f"interrupted={tally.interrupted} refused while down={tally.refused} "
        f"acknowledged={len(intakes)} intakes + {len(submissions)} online submissions, "
        f"acknowledged only on a retry after the first attempt committed={replayed}, "
        f"dossiers in the database={report['dossiers']}, "
        f"drafts left unsubmitted by retried starts={report['stray_drafts']}, "
        f"uploads superseded by a retried save={report['superseded_uploads']}"
    )
    # The kills did cut requests short, or the proof would prove nothing.
    assert tally.interrupted > 0
    assert intakes and submissions


def _some_requests(tally: Tally, failures: list[BaseException], count: int = 6) -> None:
    mark = tally.requests
    wait_until(lambda: tally.requests >= mark + count or failures, what="requests")
