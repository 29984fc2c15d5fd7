"""The mixed workload of benchmarks/load.py: a closed-loop load generator in Python.

Each connection is one keep-alive HTTP/1.1 connection in its own thread; the connections are
spread over a few processes so that one GIL does not cap them. A connection draws its next
*flow* by weight (a flow is one request, or the four requests of an online submission) and
sends it as soon as the previous answer is read. Every request is recorded under its kind:
latency, status, or the socket error. A status outside the kind's expected ones is an error.

Bounded in time and count; only talks to 127.0.0.1. Files read from the data directory are
those of `manage.py bench_prepare` and `manage.py bench_load_prepare`.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import random
import string
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

MAX_REQUESTS_PER_CONNECTION = 200_000
CONNECTIONS_PER_PROCESS = 16
TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Kind:
    """One kind of request, reported on its own row."""

    name: str
    label: str
    method: str
    path: str
    expected: tuple[int, ...]


KINDS = {
    k.name: k
    for k in (
        Kind("lookup_api", "public lookup (API)", "POST", "/api/v1/lookup/", (200,)),
        Kind("lookup_page", "public lookup (page)", "POST", "/tra-cuu/", (200,)),
        Kind("intake", "counter intake (API)", "POST", "/api/v1/dossiers/", (201,)),
        Kind(
            "online_start",
            "online: start a draft",
            "POST",
            "/thu-tuc/<code>/nop-truc-tuyen/",
            (302,),
        ),
        Kind("online_form", "online: the draft's page", "GET", "/ho-so-nhap/<id>/", (200,)),
        Kind(
            "online_submit",
            "online: submit (multipart)",
            "POST",
            "/ho-so-nhap/<id>/",
            (302,),
        ),
        Kind(
            "online_receipt",
            "online: my dossier's page",
            "GET",
            "/ho-so-cua-toi/<code>/",
            (200,),
        ),
        Kind(
            "accept",
            "desk accepts an online dossier",
            "POST",
            "/api/v1/dossiers/<code>/online-acceptance/",
            (200,),
        ),
        Kind("worklist", "officer's worklist (page)", "GET", "/backoffice/viec-cua-toi/", (200,)),
        Kind(
            "forward",
            "officer forwards a step (API)",
            "POST",
            "/api/v1/dossiers/<code>/forward/",
            (200,),
        ),
        Kind(
            "report",
            "monthly operational report (API)",
            "GET",
            "/api/v1/reports/operational/",
            (200,),
        ),
        Kind("dashboard", "dashboard (API)", "GET", "/api/v1/reports/dashboard/", (200,)),
        Kind(
            "minimal_lookup",
            "minimal lookup",
            "GET",
            "/bench/minimal-lookup/<code>/",
            (200,),
        ),
        Kind(
            "minimal_insert",
            "minimal 4-insert transaction",
            "POST",
            "/bench/minimal-insert/",
            (201,),
        ),
    )
}

# A day at a provincial center, in flows per 100: mostly people checking their dossier (the
# portal, and the national portal through the API), then the counter, the officers' work,
# online submissions (four requests each) and their acceptance at the desk, a few reports.
MIXED_WEIGHTS = {
    "lookup_api": 30,
    "lookup_page": 20,
    "intake": 10,
    "online": 5,
    "accept": 3,
    "worklist": 14,
    "forward": 10,
    "report": 4,
    "dashboard": 4,
}
WORKLOADS = {
    "mixed": MIXED_WEIGHTS,
    "minimal_lookup": {"minimal_lookup": 1},
    "minimal_insert": {"minimal_insert": 1},
}
ONLINE_KINDS = ("online_start", "online_form", "online_submit", "online_receipt")
POOLED = {"forward": "forward_pool.tsv", "accept": "accept_pool.tsv"}


# ---------------------------------------------------------------------------------------------
# What the connections send


@dataclass
class Data:
    """Everything read once from the data directory, shared by the connections."""

    lookups: list[tuple[str, str]]
    minimal_codes: list[str]
    intake_body: bytes
    system_token: str
    citizens: list[list[str]]
    officers: dict[str, dict[str, str]]
    online: dict[str, Any]
    pdf: bytes
    pools: dict[str, list[list[str]]]

    @classmethod
    def read(cls, directory: Path, workload: str) -> Data:
        def rows(name: str) -> list[list[str]]:
            path = directory / name
            if not path.exists():
                return []
            return [line.split("\t") for line in path.read_text().splitlines() if line]

        mixed = workload == "mixed"
        return cls(
            lookups=[(r[0], r[1]) for r in rows("lookups.tsv")],
            minimal_codes=[r[0] for r in rows("minimal_codes.tsv")],
            intake_body=(directory / "intake.json").read_bytes().strip(),
            system_token=(directory / "token.txt").read_text().strip(),
            citizens=rows("citizens.tsv") if mixed else [],
            officers=json.loads((directory / "officers.json").read_text()) if mixed else {},
            online=json.loads((directory / "online.json").read_text()) if mixed else {},
            pdf=(directory / "sample.pdf").read_bytes() if mixed else b"",
            pools={kind: rows(name) for kind, name in POOLED.items()} if mixed else {},
        )


@dataclass
class Record:
    """What one kind of request gave on one connection (merged afterwards)."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)  # expected-status misses and socket errors
    problem: str = ""  # the start of the first unexpected answer, to say what went wrong


class Connection:
    """One client: its socket, who it is (a citizen; the officers), its share of the pools."""

    def __init__(
        self,
        *,
        data: Data,
        port: int,
        index: int,
        total: int,
        workload: str,
        nonce: str,
        seed: int,
    ) -> None:
        self.data = data
        self.port = port
        self.index = index
        self.nonce = nonce
        self.rng = random.Random(seed * 1_000_003 + index)
        self.weights = dict(WORKLOADS[workload])
        self.records: dict[str, Record] = {}
        self.pool_empty: Counter = Counter()
        self.flows: Counter = Counter()
        self.counter = 0
        self.conn = self._connect()
        # Spread the rotations over the lists so the connections do not read in step.
        self.position = index * max(1, len(data.lookups) // max(1, total))
        self.minimal_position = index * max(1, len(data.minimal_codes) // max(1, total))
        # Each connection takes its own items of a pool (index, index + total, ...).
        self.pools = {kind: items[index::total] for kind, items in data.pools.items()}
        self.csrf = "".join(self.rng.choices(string.ascii_letters + string.digits, k=32))
        if data.citizens:
            session, name, id_number, phone = data.citizens[index % len(data.citizens)][:4]
            self.citizen = {"name": name, "id_number": id_number, "phone": phone}
            self.citizen_cookie = f"sessionid={session}; csrftoken={self.csrf}"
            self.multipart_boundary = f"----motcua-load-{uuid.uuid4().hex}"
            self.submit_body = self._submit_body()

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT_SECONDS)

    # -- sending ---------------------------------------------------------------------------

    def send(
        self, kind: str, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, http.client.HTTPResponse | None]:
        """One request on the keep-alive connection; (status, response) or (0, None)."""
        record = self.records.setdefault(kind, Record())
        sent = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            answer = response.read()
        except TimeoutError:
            record.errors["timeout"] += 1
            self._reconnect()
            return 0, None
        except (OSError, http.client.HTTPException) as error:
            record.errors[type(error).__name__] += 1
            self._reconnect()
            return 0, None
        record.latencies.append(time.perf_counter() - sent)
        record.statuses[response.status] += 1
        if response.status not in KINDS[kind].expected:
            record.errors[str(response.status)] += 1
            if not record.problem:
                where = response.getheader("Location", "")
                record.problem = f"{where} {answer[:300].decode(errors='replace')}".strip()
        if response.getheader("Connection", "").lower() == "close":
            self._reconnect()
        return response.status, response

    def _reconnect(self) -> None:
        self.conn.close()
        self.conn = self._connect()

    # -- flows -----------------------------------------------------------------------------

    def next_flow(self) -> str:
        names = list(self.weights)
        return self.rng.choices(names, weights=[self.weights[n] for n in names])[0]

    def run_flow(self, flow: str) -> None:
        while flow in POOLED and not self.pools.get(flow):
            # This connection's share of the pool is used up: from now on it does other work.
            self.pool_empty[flow] += 1
            self.weights.pop(flow, None)
            if not self.weights:
                return
            flow = self.next_flow()
        self.flows[flow] += 1
        getattr(self, f"flow_{flow}")()

    def flow_minimal_lookup(self) -> None:
        codes = self.data.minimal_codes
        self.minimal_position = (self.minimal_position + 1) % len(codes)
        path = f"/bench/minimal-lookup/{codes[self.minimal_position]}/"
        self.send("minimal_lookup", "GET", path, None, {})

    def flow_minimal_insert(self) -> None:
        body = '{"text": "Nguyễn Văn An 046085000123"}'.encode()
        headers = {"Content-Type": "application/json"}
        self.send("minimal_insert", "POST", "/bench/minimal-insert/", body, headers)

    def _next_lookup(self) -> tuple[str, str]:
        self.position = (self.position + 1) % len(self.data.lookups)
        return self.data.lookups[self.position]

    def flow_lookup_api(self) -> None:
        code, secret = self._next_lookup()
        body = json.dumps({"code": code, "secret": secret}).encode()
        headers = {"Content-Type": "application/json"}
        self.send("lookup_api", "POST", "/api/v1/lookup/", body, headers)

    def flow_lookup_page(self) -> None:
        code, secret = self._next_lookup()
        body = f"csrfmiddlewaretoken={self.csrf}&code={quote(code)}&secret={quote(secret)}"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={self.csrf}",
        }
        self.send("lookup_page", "POST", "/tra-cuu/", body.encode(), headers)

    def flow_intake(self) -> None:
        self.counter += 1
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Token {self.data.system_token}",
            "Idempotency-Key": f"load-{self.nonce}-{self.index}-{self.counter}",
        }
        self.send("intake", "POST", "/api/v1/dossiers/", self.data.intake_body, headers)

    def _officer(self, username: str, *, api: bool) -> dict[str, str]:
        officer = self.data.officers[username]
        if api:
            return {"Authorization": f"Token {officer['token']}"}
        return {"Cookie": f"sessionid={officer['session']}"}

    def flow_worklist(self) -> None:
        headers = self._officer("chuyenvien", api=False)
        self.send("worklist", "GET", "/backoffice/viec-cua-toi/?tab=unit", None, headers)

    def flow_forward(self) -> None:
        code, step = self.pools["forward"].pop(0)[:2]
        body = json.dumps({"step": int(step), "note": "Hồ sơ đủ điều kiện, chuyển lấy ý kiến."})
        headers = {"Content-Type": "application/json", **self._officer("chuyenvien", api=True)}
        path = f"/api/v1/dossiers/{quote(code)}/forward/"
        self.send("forward", "POST", path, body.encode(), headers)

    def flow_accept(self) -> None:
        code = self.pools["accept"].pop(0)[0]
        headers = {"Content-Type": "application/json", **self._officer("tiepnhan", api=True)}
        path = f"/api/v1/dossiers/{quote(code)}/online-acceptance/"
        self.send("accept", "POST", path, b"{}", headers)

    def flow_report(self) -> None:
        headers = self._officer("kiemsoat", api=True)
        self.send("report", "GET", "/api/v1/reports/operational/", None, headers)

    def flow_dashboard(self) -> None:
        headers = self._officer("kiemsoat", api=True)
        self.send("dashboard", "GET", "/api/v1/reports/dashboard/", None, headers)

    def flow_online(self) -> None:
        """What a citizen's browser sends: start a draft, its page, submit, the receipt page."""
        cookie = {"Cookie": self.citizen_cookie}
        form = {"Content-Type": "application/x-www-form-urlencoded", **cookie}
        procedure = quote(self.data.online["procedure"])
        status, response = self.send(
            "online_start",
            "POST",
            f"/thu-tuc/{procedure}/nop-truc-tuyen/",
            f"csrfmiddlewaretoken={self.csrf}".encode(),
            form,
        )
        draft = _location(response) if status == 302 else ""
        if not draft.startswith("/ho-so-nhap/"):
            return
        status, _ = self.send("online_form", "GET", draft, None, cookie)
        if status != 200:
            return
        headers = {
            "Content-Type": f"multipart/form-data; boundary={self.multipart_boundary}",
            **cookie,
        }
        status, response = self.send("online_submit", "POST", draft, self.submit_body, headers)
        receipt = _location(response) if status == 302 else ""
        if receipt.startswith("/ho-so-cua-toi/"):
            self.send("online_receipt", "GET", receipt, None, cookie)

    def _submit_body(self) -> bytes:
        online = self.data.online
        fields: list[tuple[str, str]] = [
            ("csrfmiddlewaretoken", self.csrf),
            ("applicant_kind", "person"),
            ("applicant_name", self.citizen["name"]),
            ("applicant_id_number", self.citizen["id_number"]),
            ("applicant_address", online["address"]),
            ("applicant_phone", self.citizen["phone"]),
            ("applicant_email", ""),
            ("result_channel", online["result_channel"]),
        ]
        for name, value in online["fields"].items():
            if value is True:
                fields.append((name, "on"))
            elif value is not False:
                fields.append((name, str(value)))
        fields.append(("submit", "1"))
        boundary = self.multipart_boundary.encode()
        parts = []
        for name, value in fields:
            parts.append(
                b"--" + boundary + b"\r\n"
                b'Content-Disposition: form-data; name="'
                + name.encode()
                + b'"\r\n\r\n'
                + value.encode()
                + b"\r\n"
            )
        for requirement in online["mandatory"]:
            parts.append(
                b"--" + boundary + b"\r\n"
                b'Content-Disposition: form-data; name="file_'
                + str(requirement).encode()
                + b'"; filename="giay-to.pdf"\r\n'
                b"Content-Type: application/pdf\r\n\r\n" + self.data.pdf + b"\r\n"
            )
        return b"".join(parts) + b"--" + boundary + b"--\r\n"


def _location(response: http.client.HTTPResponse | None) -> str:
    if response is None:
        return ""
    parts = urlsplit(response.getheader("Location", ""))
    return parts.path + (f"?{parts.query}" if parts.query else "")


# ---------------------------------------------------------------------------------------------
# Running: processes of threads, one thread per connection


def _process_main(
    *,
    port: int,
    data_dir: Path,
    workload: str,
    indexes: list[int],
    total: int,
    nonce: str,
    seed: int,
    seconds: float,
    barrier: Any,
    results: Any,
) -> None:
    data = Data.read(data_dir, workload)
    connections = [
        Connection(
            data=data,
            port=port,
            index=i,
            total=total,
            workload=workload,
            nonce=nonce,
            seed=seed,
        )
        for i in indexes
    ]
    barrier.wait()
    deadline = time.perf_counter() + seconds

    def loop(connection: Connection) -> None:
        for _ in range(MAX_REQUESTS_PER_CONNECTION):
            if time.perf_counter() >= deadline:
                break
            connection.run_flow(connection.next_flow())
        connection.conn.close()

    threads = [threading.Thread(target=loop, args=(c,), daemon=True) for c in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 2 * TIMEOUT_SECONDS)
    merged: dict[str, Any] = {"kinds": {}, "pool_empty": Counter(), "flows": Counter()}
    for connection in connections:
        merged["pool_empty"].update(connection.pool_empty)
        merged["flows"].update(connection.flows)
        for kind, record in connection.records.items():
            into = merged["kinds"].setdefault(kind, Record())
            into.latencies.extend(record.latencies)
            into.statuses.update(record.statuses)
            into.errors.update(record.errors)
            into.problem = into.problem or record.problem
    results.put(merged)


def run(
    *,
    port: int,
    data_dir: Path,
    workload: str,
    connections: int,
    seconds: float,
    nonce: str,
    seed: int = 6,
    on_start: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Keep `connections` connections busy for `seconds`; returns the figures per kind.

    `on_start` is called when every connection is open and the load begins.

    Returns {"duration": s, "requests": n, "flows": {flow: n}, "pool_empty": {flow: n},
    "kinds": {kind: {"count", "p50", "p90", "p99", "max" (seconds), "statuses", "errors"}}}.
    The processes are waited for before returning, so their CPU time is in RUSAGE_CHILDREN.
    """
    # Not fork: the runner has threads (the database sampler) that a fork would copy mid-way.
    context = multiprocessing.get_context("spawn")
    groups = max(1, -(-connections // CONNECTIONS_PER_PROCESS))
    barrier = context.Barrier(groups + 1)
    results = context.Queue()
    processes = [
        context.Process(
            target=_process_main,
            kwargs={
                "port": port,
                "data_dir": data_dir,
                "workload": workload,
                "indexes": list(range(g, connections, groups)),
                "total": connections,
                "nonce": nonce,
                "seed": seed,
                "seconds": seconds,
                "barrier": barrier,
                "results": results,
            },
            daemon=True,
        )
        for g in range(groups)
    ]
    for process in processes:
        process.start()
    if on_start:
        on_start()
    barrier.wait(timeout=120)
    started = time.perf_counter()
    parts = [results.get(timeout=seconds + 3 * TIMEOUT_SECONDS + 60) for _ in processes]
    duration = time.perf_counter() - started
    for process in processes:
        process.join(timeout=30)
    return _summary(parts, duration)


def sample(*, port: int, data_dir: Path, nonce: str) -> dict[str, Any]:
    """Every flow once, one after the other on one connection, before any load."""
    data = Data.read(data_dir, "mixed")
    connection = Connection(
        data=data, port=port, index=0, total=1, workload="mixed", nonce=nonce, seed=0
    )
    started = time.perf_counter()
    for flow in [*MIXED_WEIGHTS, "minimal_lookup", "minimal_insert"]:
        connection.weights = {flow: 1}
        connection.run_flow(flow)
    connection.conn.close()
    return _summary(
        [{"kinds": connection.records, "flows": connection.flows, "pool_empty": Counter()}],
        time.perf_counter() - started,
    )


def _summary(parts: list[dict[str, Any]], duration: float) -> dict[str, Any]:
    kinds: dict[str, Record] = {}
    flows: Counter = Counter()
    pool_empty: Counter = Counter()
    for part in parts:
        flows.update(part["flows"])
        pool_empty.update(part["pool_empty"])
        for kind, record in part["kinds"].items():
            into = kinds.setdefault(kind, Record())
            into.latencies.extend(record.latencies)
            into.statuses.update(record.statuses)
            into.errors.update(record.errors)
            into.problem = into.problem or record.problem
    figures = {}
    for kind, record in kinds.items():
        latencies = sorted(record.latencies)
        figures[kind] = {
            "count": len(latencies) + sum(n for e, n in record.errors.items() if not e.isdigit()),
            "answered": len(latencies),
            "p50": _percentile(latencies, 50),
            "p90": _percentile(latencies, 90),
            "p99": _percentile(latencies, 99),
            "max": latencies[-1] if latencies else 0.0,
            "statuses": {str(k): v for k, v in sorted(record.statuses.items())},
            "errors": dict(record.errors),
            "problem": record.problem,
        }
    return {
        "duration": duration,
        "requests": sum(f["count"] for f in figures.values()),
        "flows": dict(flows),
        "pool_empty": dict(pool_empty),
        "kinds": figures,
    }


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(len(values) * p / 100))]
