"""/metrics adds up every granian worker's figures, whichever worker answers the scrape, and
forgets the in-flight requests of a worker that was killed."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.production.servers import GRANIAN, SRC, free_port, stop_process, wait_until

pytestmark = pytest.mark.production

REQUESTS = 60


def get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def sample(exposition: str, name: str, **labels: str) -> float:
    for line in exposition.splitlines():
        found = re.fullmatch(rf"{re.escape(name)}(?:\{{(.*)\}})? (\S+)", line)
        if found and dict(re.findall(r'(\w+)="([^"]*)"', found.group(1) or "")) == labels:
            return float(found.group(2))
    return 0.0


@pytest.fixture
def metrics_dir(tmp_path: Path) -> Path:
    path = tmp_path / "prometheus"
    path.mkdir()
    return path


@pytest.fixture
def workers(tmp_path: Path, metrics_dir: Path) -> Iterator[int]:
    """granian with two worker processes sharing one PROMETHEUS_MULTIPROC_DIR; its port."""
    port = free_port()
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MOTCUA_", "DATABASE_URL", "PROMETHEUS_"))
    } | {
        "MOTCUA_VAR_DIR": str(tmp_path),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "DJANGO_SETTINGS_MODULE": "motcua.settings",
    }
    command = [
        str(GRANIAN),
        "--interface",
        "wsgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "2",
        "--blocking-threads",
        "4",
        "--no-ws",
        "--log-level",
        "warning",
        "motcua.wsgi:application",
    ]
    log = tmp_path / "granian.log"
    with log.open("ab") as output:
        server = subprocess.Popen(
            command,
            env=environment,
            cwd=SRC,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def answers() -> bool:
        if server.poll() is not None:
            raise RuntimeError(log.read_text(errors="replace")[-3000:])
        try:
            return get(port, "/healthz")[0] == 200
        except OSError:
            return False

    wait_until(answers, what=f"granian on port {port}", timeout=180)
    yield port
    stop_process(server)


def processes_that_counted(metrics_dir: Path) -> set[int]:
    return {int(p.stem.rsplit("_", 1)[1]) for p in metrics_dir.glob("counter_*.db")}


def test_the_scrape_adds_up_every_worker(workers: int, metrics_dir: Path) -> None:
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda _: get(workers, "/healthz")[0], range(REQUESTS)))
    assert statuses == [200] * REQUESTS
    # Both workers answered some of them (the kernel hands connections to either).
    assert len(processes_that_counted(metrics_dir)) == 2
    # The probe above, while starting, came on top of the burst.
    for _ in range(6):
        status, exposition = get(workers, "/metrics")
        assert status == 200
        answered = sample(
            exposition,
            "motcua_http_requests_total",
            route="core:healthz",
            method="GET",
            status="2xx",
        )
        assert answered >= REQUESTS
        count = sample(
            exposition,
            "motcua_http_request_duration_seconds_count",
            route="core:healthz",
            method="GET",
            status="2xx",
        )
        assert count == answered


KILLED_WHILE_ANSWERING = """
import os, sys
from prometheus_client import Gauge
gauge = Gauge("motcua_http_requests_in_progress", "Requests being answered right now.",
              multiprocess_mode="livesum")
gauge.inc()
print(os.getpid(), flush=True)
sys.stdin.read()
"""


def test_a_killed_worker_does_not_stay_in_flight(workers: int, metrics_dir: Path) -> None:
    # A process of the same installation, killed in the middle of a request.
    victim = subprocess.Popen(
        [sys.executable, "-c", KILLED_WHILE_ANSWERING],
        env=os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert victim.stdout is not None
    pid = int(victim.stdout.readline())
    assert (metrics_dir / f"gauge_livesum_{pid}.db").exists()
    # Alive: its request counts, and so does the scrape itself.
    assert sample(get(workers, "/metrics")[1], "motcua_http_requests_in_progress") == 2
    os.kill(pid, signal.SIGKILL)
    victim.wait()
    assert sample(get(workers, "/metrics")[1], "motcua_http_requests_in_progress") == 1
    assert not (metrics_dir / f"gauge_livesum_{pid}.db").exists()
