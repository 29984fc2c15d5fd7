"""A small load generator for when wrk is not installed: threads, http.client, keep-alive.

It sends the same requests as benchmarks/wrk/bench.lua and reports the same figures. It is
much weaker than wrk (one Python process, one GIL, on the same two cores as the server), so its
absolute figures are lower; the ratios between endpoints measured with it remain comparable.
Bounded in time and in count; only talks to the address it is given (run.py: 127.0.0.1).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from pathlib import Path
from urllib.parse import quote

MAX_REQUESTS = 2_000_000


class RequestSource:
    """What one connection sends next, per mode (see bench.lua)."""

    def __init__(self, *, mode: str, data_dir: Path, nonce: str, thread_id: int) -> None:
        self.mode = mode
        self.nonce = nonce
        self.thread_id = thread_id
        self.counter = 0
        self.headers: dict[str, str] = {}
        if mode == "minimal_lookup":
            codes = _lines(data_dir / "minimal_codes.tsv")
            self.items = [f"/bench/minimal-lookup/{code}/" for code in codes]
        elif mode in {"api_lookup", "html_lookup"}:
            pairs = [line.split("\t") for line in _lines(data_dir / "lookups.tsv")]
            if mode == "api_lookup":
                self.items = [json.dumps({"code": c, "secret": s}) for c, s in pairs]
                self.headers["Content-Type"] = "application/json"
            else:
                csrf = (data_dir / "csrf.txt").read_text().strip()
                self.items = [
                    f"csrfmiddlewaretoken={csrf}&code={quote(c)}&secret={quote(s)}"
                    for c, s in pairs
                ]
                self.headers["Content-Type"] = "application/x-www-form-urlencoded"
                self.headers["Cookie"] = f"csrftoken={csrf}"
        elif mode == "minimal_insert":
            self.items = [json.dumps({"text": "Nguyễn Văn An 046085000123"})]
            self.headers["Content-Type"] = "application/json"
        elif mode == "api_intake":
            self.items = [(data_dir / "intake.json").read_text().strip()]
            self.headers["Content-Type"] = "application/json"
            token = (data_dir / "token.txt").read_text().strip()
            self.headers["Authorization"] = f"Token {token}"
        else:
            raise ValueError(f"unknown mode {mode!r}")
        self.position = (thread_id - 1) * (len(self.items) // 2)

    def next(self) -> tuple[str, str, bytes | None, dict[str, str]]:
        self.position = self.position % len(self.items) + 1
        item = self.items[self.position - 1]
        if self.mode == "minimal_lookup":
            return "GET", item, None, self.headers
        if self.mode == "api_lookup":
            return "POST", "/api/v1/lookup/", item.encode(), self.headers
        if self.mode == "html_lookup":
            return "POST", "/tra-cuu/", item.encode(), self.headers
        if self.mode == "minimal_insert":
            return "POST", "/bench/minimal-insert/", item.encode(), self.headers
        self.counter += 1
        headers = {
            **self.headers,
            "Idempotency-Key": f"bench-{self.nonce}-py{self.thread_id}-{self.counter}",
        }
        return "POST", "/api/v1/dossiers/", item.encode(), headers


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line]


def run(
    *,
    host: str,
    port: int,
    mode: str,
    data_dir: Path,
    nonce: str,
    connections: int,
    seconds: float,
) -> dict[str, float]:
    """Keep `connections` keep-alive connections busy for `seconds`; figures as bench.lua."""
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise ValueError("the load generator only talks to this machine")
    latencies: list[list[float]] = [[] for _ in range(connections)]
    non2xx = [0] * connections
    errors = [0] * connections
    total = [0]
    lock = threading.Lock()
    start_gate = threading.Event()
    deadline = [0.0]

    def worker(index: int) -> None:
        source = RequestSource(mode=mode, data_dir=data_dir, nonce=nonce, thread_id=index + 1)
        conn = http.client.HTTPConnection(host, port, timeout=30)
        start_gate.wait()
        while time.perf_counter() < deadline[0]:
            with lock:
                if total[0] >= MAX_REQUESTS:
                    break
                total[0] += 1
            method, path, body, headers = source.next()
            sent = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
                continue
            latencies[index].append(time.perf_counter() - sent)
            if not 200 <= response.status < 300:
                non2xx[index] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    start_gate.set()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    duration = time.perf_counter() - started
    merged = sorted(x for per_thread in latencies for x in per_thread)

    def percentile(p: float) -> float:
        if not merged:
            return 0.0
        return merged[min(len(merged) - 1, int(len(merged) * p / 100))] * 1e6

    return {
        "requests": len(merged),
        "duration_us": duration * 1e6,
        "p50_us": percentile(50),
        "p90_us": percentile(90),
        "p99_us": percentile(99),
        "max_us": merged[-1] * 1e6 if merged else 0.0,
        "non2xx": sum(non2xx),
        "connect_errors": 0,
        "read_errors": sum(errors),
        "write_errors": 0,
        "timeouts": 0,
    }
