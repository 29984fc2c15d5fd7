"""The performance budgets of DESIGN.md §6, measured in one run on this machine (`make bench`).

1. A fresh database (SQLite file under var/bench/, or `--database postgres`): migrate, the
   product's demo (`load_demo`), N dossiers received through the product's own service, and N
   rows for the minimal lookup (`manage.py bench_prepare`, site `benchmarks/benchsite`).
2. One granian WSGI server for the benchmark site, which serves the product's URLs unchanged
   plus two minimal plain-Django endpoints: the ceilings the product is compared with.
3. wrk (else a small Python load generator) on the same machine, 127.0.0.1 only, 16
   connections, a short warm-up then a fixed duration per endpoint:
   minimal lookup vs the public lookup POST /api/v1/lookup/ (right secrets, rotating over every
   dossier, so nothing is throttled), and minimal four-insert transaction vs the counter intake
   POST /api/v1/dossiers/ (token of the demo system client, a fresh Idempotency-Key each).
4. The table, the ratios against the targets, the RSS of the app workers, the due dates per
   second in-process (benchmarks/due_dates.py). Exits 0 whatever the figures: a missed target
   is printed as BELOW TARGET, it does not fail the run. It exits non-zero only when it could
   not measure (server does not start, database cannot be prepared).

    .venv/bin/python benchmarks/run.py [--database sqlite|postgres] [--seconds 12]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import harness
from harness import (
    BENCH_DIR,
    HOST,
    QUIET_CORES,
    ROOT,
    VAR,
    cpu_snapshot,
    cpu_used,
    free_port,
    http_request,
    machine,
    manage,
    post_run_check,
    recreate_postgres,
    stop_server,
    wait_for_quiet,
    worker_rss,
)

DATA = VAR / "data"
LUA = BENCH_DIR / "wrk" / "bench.lua"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/motcua_bench"
SQLITE_FILE = VAR / "bench.sqlite3"

LOOKUP_RATIO_TARGET = 0.70
INTAKE_RATIO_TARGET = 0.40
LOOKUP_P99_MS = 25.0
INTAKE_P99_MS = 100.0
DUE_DATES_TARGET = 100_000
RSS_TARGET_MB = 150.0


@dataclass
class Endpoint:
    mode: str
    label: str
    method: str
    path: str


ENDPOINTS = {
    "minimal_lookup": Endpoint(
        "minimal_lookup", "minimal lookup", "GET", "/bench/minimal-lookup/<code>/"
    ),
    "api_lookup": Endpoint("api_lookup", "public lookup (API)", "POST", "/api/v1/lookup/"),
    "html_lookup": Endpoint("html_lookup", "public lookup (HTML page)", "POST", "/tra-cuu/"),
    "minimal_insert": Endpoint(
        "minimal_insert", "minimal 4-insert transaction", "POST", "/bench/minimal-insert/"
    ),
    "api_intake": Endpoint("api_intake", "counter intake (API)", "POST", "/api/v1/dossiers/"),
}


@dataclass
class Result:
    endpoint: Endpoint
    figures: dict[str, float] = field(default_factory=dict)
    # Cores used during the measured window (the machine has os.cpu_count()).
    server_cpu: float = 0.0  # granian and its workers (with SQLite: the database too)
    db_cpu: float = 0.0  # every `postgres` process on the machine
    loadgen_cpu: float = 0.0  # wrk (or the Python load generator) and this runner
    other_cpu: float = 0.0  # everything else: should be ~0 for trustworthy figures
    warmup_2xx: int = 0  # 2xx answers outside the reported window (warm-ups, a disturbed try)
    attempts: int = 1  # measured windows behind this result (rounds, disturbed tries)
    rates: list[float] = field(default_factory=list)  # req/s of every undisturbed round
    skipped: str = ""

    @property
    def rate(self) -> float:
        if not self.figures or not self.figures["duration_us"]:
            return 0.0
        return self.figures["requests"] / (self.figures["duration_us"] / 1e6)

    def ms(self, key: str) -> float:
        return self.figures.get(key, 0.0) / 1000

    @property
    def errors(self) -> int:
        f = self.figures
        return int(
            f.get("non2xx", 0)
            + f.get("connect_errors", 0)
            + f.get("read_errors", 0)
            + f.get("write_errors", 0)
            + f.get("timeouts", 0)
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="dropped and recreated")
    parser.add_argument("--seconds", type=float, default=12.0, help="measured seconds/endpoint")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds/endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--dossiers", type=int, default=2000, help="dossiers created beforehand")
    parser.add_argument("--workers", type=int, default=2, help="granian worker processes")
    parser.add_argument("--blocking-threads", type=int, default=1, help="granian, per worker")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every endpoint this many times (in turn) and report the median round",
    )
    parser.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument(
        "--no-html-lookup",
        dest="html_lookup",
        action="store_false",
        help="skip the HTML lookup page POST /tra-cuu/ (measured by default, for information)",
    )
    parser.add_argument("--only", nargs="*", choices=list(ENDPOINTS), help="measure only these")
    parser.add_argument("--skip-due-dates", action="store_true")
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=120.0,
        help="wait up to this many seconds for other processes to leave the cores alone",
    )
    args = parser.parse_args()

    loadgen = choose_loadgen(args.loadgen)
    VAR.mkdir(parents=True, exist_ok=True)
    env = bench_env(args)
    print_header(args, loadgen)

    prepare_database(args, env)
    busy = wait_for_quiet(args.wait_idle)
    if busy > QUIET_CORES:
        print(f"WARNING: other processes use {busy:.2f} cores: the figures will be low.")
    port = free_port()
    server = start_server(args, env, port)
    results: list[Result] = []
    rss: dict[int, float] = {}
    check: dict[str, Any] = {}
    try:
        wait_until_up(server, port)
        modes = args.only or [
            "minimal_lookup",
            "api_lookup",
            *(["html_lookup"] if args.html_lookup else []),
            "minimal_insert",
            "api_intake",
        ]
        sample_ok = sample_requests(port, modes)
        tries: dict[str, list[Result]] = {mode: [] for mode in modes}
        for round_number in range(1, args.rounds + 1):
            if args.rounds > 1:
                print(f"\n--- round {round_number} of {args.rounds}")
            for mode in modes:
                if sample_ok.get(mode, False):
                    tries[mode].extend(
                        measure_quietly(ENDPOINTS[mode], args, loadgen, port, server)
                    )
        for mode in modes:
            if not tries[mode]:
                results.append(Result(ENDPOINTS[mode], skipped="the sample request failed"))
            else:
                results.append(median_of(tries[mode]))
        rss = worker_rss(server.pid)
    finally:
        stop_server(server)
    check = post_run_check(env)

    due_dates: dict[str, float] = {}
    if not args.skip_due_dates:
        print("\nDue dates in-process (benchmarks/due_dates.py, one core, server stopped):")
        sys.path.insert(0, str(BENCH_DIR))
        import due_dates as due_dates_module

        due_dates = due_dates_module.main()

    report(args, loadgen, results, rss, check, due_dates)
    save(args, loadgen, results, rss, check, due_dates)
    return 0


# ---------------------------------------------------------------------------------------------
# Set-up


def choose_loadgen(wanted: str) -> str:
    wrk = shutil.which("wrk")
    if wanted == "wrk" and not wrk:
        sys.exit("wrk is not installed: apt-get install -y wrk (or --loadgen python)")
    if wanted == "python" or not wrk:
        if wanted == "auto":
            print(
                "NOTE: wrk not found; using the Python load generator (weaker, lower figures).\n"
                "      Install wrk for the reference figures: apt-get install -y wrk\n"
            )
        return "python"
    return "wrk"


def bench_env(args: argparse.Namespace) -> dict[str, str]:
    return harness.bench_env(
        args.postgres_url if args.database == "postgres" else f"sqlite:///{SQLITE_FILE}"
    )


def prepare_database(args: argparse.Namespace, env: dict[str, str]) -> None:
    print(f"Preparing a fresh {args.database} database ...", flush=True)
    if args.database == "postgres":
        args.postgres_version = recreate_postgres(args.postgres_url)
        print(f"  PostgreSQL {args.postgres_version} at {args.postgres_url}")
    else:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(DATA, ignore_errors=True)
    done = manage(env, "bench_prepare", "--dossiers", str(args.dossiers), "--out", str(DATA))
    if done.returncode != 0:
        print(done.stdout, done.stderr, sep="\n")
        sys.exit("could not prepare the benchmark database")
    for line in done.stdout.splitlines():
        print(f"  {line}")


def server_command(args: argparse.Namespace, port: int) -> list[str]:
    return harness.granian_command(
        workers=args.workers, blocking_threads=args.blocking_threads, port=port
    )


def start_server(args: argparse.Namespace, env: dict[str, str], port: int) -> subprocess.Popen:
    return harness.start_server(server_command(args, port), env, VAR / "granian.log")


def wait_until_up(server: subprocess.Popen, port: int) -> None:
    harness.wait_until_up(server, port, VAR / "granian.log")


def sample_requests(port: int, modes: list[str]) -> dict[str, bool]:
    """One request per endpoint before any load: the body is right and the answer is a 2xx."""
    print("\nSample requests:")
    ok: dict[str, bool] = {}
    code, secret = (DATA / "lookups.tsv").read_text().splitlines()[0].split("\t")
    token = (DATA / "token.txt").read_text().strip()

    def show(mode: str, expected: int, status: int, body: bytes, note: str = "") -> None:
        ok[mode] = status == expected
        mark = "ok" if ok[mode] else f"FAILED (expected {expected})"
        print(f"  {ENDPOINTS[mode].label:<30} {status} {mark} {note}")
        if not ok[mode]:
            print(f"    {body[:600].decode(errors='replace')}")

    for mode in modes:
        if mode == "minimal_lookup":
            status, body, _ = http_request(port, "GET", "/bench/minimal-lookup/BENCH-000001/")
            show(mode, 200, status, body)
        elif mode == "api_lookup":
            payload = json.dumps({"code": code, "secret": secret}).encode()
            status, body, _ = http_request(
                port, "POST", "/api/v1/lookup/", payload, {"Content-Type": "application/json"}
            )
            if status == 404 and b"lookup_failed" not in body:
                print("  POST /api/v1/lookup/ is not there: use --html-lookup --only ...")
            show(mode, 200, status, body, note=_field(body, "state"))
        elif mode == "html_lookup":
            _status, _body, response = http_request(port, "GET", "/tra-cuu/")
            cookie = response.getheader("Set-Cookie") or ""
            match = re.search(r"csrftoken=([A-Za-z0-9]+)", cookie)
            csrf = match.group(1) if match else ""
            (DATA / "csrf.txt").write_text(csrf)
            form = f"csrfmiddlewaretoken={csrf}&code={code}&secret={secret}".encode()
            status, body, _ = http_request(
                port,
                "POST",
                "/tra-cuu/",
                form,
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"csrftoken={csrf}",
                },
            )
            found = code.encode() in body
            show(mode, 200, status, body, note="" if found else "(code not in the page)")
            ok[mode] = ok[mode] and found
        elif mode == "minimal_insert":
            status, body, _ = http_request(
                port,
                "POST",
                "/bench/minimal-insert/",
                b'{"text": "sample"}',
                {"Content-Type": "application/json"},
            )
            show(mode, 201, status, body)
        elif mode == "api_intake":
            status, body, _ = http_request(
                port,
                "POST",
                "/api/v1/dossiers/",
                (DATA / "intake.json").read_bytes(),
                {
                    "Content-Type": "application/json",
                    "Authorization": f"Token {token}",
                    "Idempotency-Key": f"bench-sample-{time.time_ns()}",
                },
            )
            show(mode, 201, status, body, note=_field(body, "code"))
    return ok


def _field(body: bytes, name: str) -> str:
    try:
        return str(json.loads(body).get(name, ""))
    except ValueError:
        return ""


# ---------------------------------------------------------------------------------------------
# Load


def measure(
    endpoint: Endpoint, args: argparse.Namespace, loadgen: str, port: int, server: subprocess.Popen
) -> Result:
    result = Result(endpoint)
    print(
        f"\n{endpoint.label}: {endpoint.method} {endpoint.path} - {args.warmup:g} s warm-up, "
        f"{args.seconds:g} s measured, {args.connections} connections ({loadgen}) ...",
        flush=True,
    )
    if args.warmup > 0:
        warm = drive(endpoint.mode, args, loadgen, port, args.warmup)
        result.warmup_2xx = int(warm["requests"] - warm["non2xx"])
    before = cpu_snapshot(server.pid)
    started = time.perf_counter()
    result.figures = drive(endpoint.mode, args, loadgen, port, args.seconds)
    elapsed = time.perf_counter() - started
    after = cpu_snapshot(server.pid)
    used = cpu_used(before, after, elapsed)
    result.server_cpu = used["server"]
    result.db_cpu = used["postgres"]
    result.loadgen_cpu = used["loadgen"]
    result.other_cpu = used["other"]
    print(
        f"  {result.rate:,.0f} req/s, p50 {result.ms('p50_us'):.1f} ms, "
        f"p99 {result.ms('p99_us'):.1f} ms, errors {result.errors}"
    )
    return result


def measure_quietly(
    endpoint: Endpoint, args: argparse.Namespace, loadgen: str, port: int, server: subprocess.Popen
) -> list[Result]:
    """Measure; if other processes took the cores meanwhile, wait for quiet and measure again."""
    first = measure(endpoint, args, loadgen, port, server)
    if first.other_cpu <= QUIET_CORES:
        return [first]
    print(f"  disturbed (other processes used {first.other_cpu:.2f} cores): again")
    wait_for_quiet(args.wait_idle)
    first.skipped = "disturbed"
    return [first, measure(endpoint, args, loadgen, port, server)]


def median_of(tries: list[Result]) -> Result:
    """The undisturbed try with the median rate; the others' requests count for the checks."""
    usable = sorted((r for r in tries if not r.skipped), key=lambda r: r.rate)
    chosen = usable[len(usable) // 2]
    chosen.attempts = len(tries)
    chosen.rates = [r.rate for r in usable]
    chosen.warmup_2xx = sum(r.warmup_2xx for r in tries) + sum(
        int(r.figures["requests"] - r.figures["non2xx"]) for r in tries if r is not chosen
    )
    return chosen


def drive(
    mode: str, args: argparse.Namespace, loadgen: str, port: int, seconds: float
) -> dict[str, float]:
    nonce = f"{os.getpid()}x{time.time_ns()}"
    if loadgen == "python":
        import pyload

        return pyload.run(
            host=HOST,
            port=port,
            mode=mode,
            data_dir=DATA,
            nonce=nonce,
            connections=args.connections,
            seconds=seconds,
        )
    command = [
        "wrk",
        f"-t{min(args.wrk_threads, args.connections)}",
        f"-c{args.connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        f"http://{HOST}:{port}",
        "--",
        mode,
        str(DATA),
        nonce,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=seconds + 120
    )
    for line in done.stdout.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line.removeprefix("WRKJSON "))
    print(done.stdout, done.stderr, sep="\n")
    raise RuntimeError("wrk printed no figures")


# ---------------------------------------------------------------------------------------------
# Report


def print_header(args: argparse.Namespace, loadgen: str) -> None:
    m = machine()
    print(
        f"motcua benchmark - {args.database} - {m['cores']} cores ({m['cpu']}), {m['memory']}, "
        f"Python {m['python']}, SQLite {m['sqlite']}\n"
        f"Source: {m['source']}; {time.strftime('%Y-%m-%d %H:%M %Z')}\n"
        f"Load generator: {loadgen} on the SAME machine as the server (it shares the "
        f"{m['cores']} cores), {args.connections} connections, 127.0.0.1 only.\n"
    )


def verdict(ok: bool) -> str:
    return "ok" if ok else "BELOW TARGET"


def report(
    args: argparse.Namespace,
    loadgen: str,
    results: list[Result],
    rss: dict[int, float],
    check: dict[str, Any],
    due_dates: dict[str, float],
) -> None:
    m = machine()
    by_mode = {r.endpoint.mode: r for r in results}
    if args.database == "postgres":
        database = f"PostgreSQL {getattr(args, 'postgres_version', '')}"
    else:
        database = f"SQLite {m['sqlite']} (WAL)"
    print("\n" + "=" * 112)
    print(
        f"RESULTS - {database} - {m['cores']} cores - granian WSGI {args.workers} workers x "
        f"{args.blocking_threads} blocking thread(s); {loadgen} -c{args.connections}, "
        f"{args.seconds:g} s each"
        f"{f', median of {args.rounds} rounds' if args.rounds > 1 else ''};\n"
        f"load generator on the same {m['cores']}-core machine ({m['cpu']})"
    )
    print("=" * 112)
    head = (
        f"{'endpoint':<31}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'errors':>8}{'CPU: app':>10}{'db':>6}{'load':>6}{'other':>7}{'CPU ms/req':>12}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        if r.skipped:
            print(f"{r.endpoint.label:<31}  NOT MEASURED: {r.skipped}")
            continue
        print(
            f"{r.endpoint.label:<31}{r.rate:>9,.0f}{r.ms('p50_us'):>9.1f}{r.ms('p99_us'):>9.1f}"
            f"{r.ms('max_us'):>9.1f}{r.errors:>8}{r.server_cpu:>10.2f}"
            f"{(f'{r.db_cpu:.2f}' if args.database == 'postgres' else '-'):>6}"
            f"{r.loadgen_cpu:>6.2f}{r.other_cpu:>7.2f}"
            f"{(r.server_cpu + r.db_cpu) / r.rate * 1000 if r.rate else 0:>12.1f}"
        )
    print(
        f"errors = non-2xx answers + socket errors. CPU = cores used during the measured window "
        f"(of {m['cores']}):\napp = granian + workers (with SQLite, the database too), "
        f"db = postgres processes, load = {loadgen} + runner, other = anything else;\n"
        f"CPU ms/req = (app + db) CPU time per answered request."
    )
    if args.rounds > 1:
        for r in results:
            if r.rates:
                rounds = ", ".join(f"{rate:,.0f}" for rate in r.rates)
                print(f"  {r.endpoint.label}: req/s of the rounds {rounds}")
    disturbed = [r for r in results if not r.skipped and r.other_cpu > QUIET_CORES]
    for r in disturbed:
        print(
            f"WARNING: other processes used {r.other_cpu:.2f} cores while measuring "
            f"{r.endpoint.label}: its figures are low, rerun on a quiet machine."
        )

    print("\nBudgets (DESIGN.md §6), load generator on the same machine:")
    pairs = [
        ("api_lookup", "minimal_lookup", LOOKUP_RATIO_TARGET, LOOKUP_P99_MS),
        ("html_lookup", "minimal_lookup", LOOKUP_RATIO_TARGET, LOOKUP_P99_MS),
        ("api_intake", "minimal_insert", INTAKE_RATIO_TARGET, INTAKE_P99_MS),
    ]
    for product, minimal, target, p99_target in pairs:
        p, mn = by_mode.get(product), by_mode.get(minimal)
        if not p or not mn or p.skipped or mn.skipped or not mn.rate:
            continue
        ratio = p.rate / mn.rate
        p99 = p.ms("p99_us")
        print(
            f"  {p.endpoint.label:<28} {ratio:>6.1%} of {mn.endpoint.label:<30}"
            f" target >= {target:.0%}: {verdict(ratio >= target)}"
        )
        print(
            f"  {'':<28} p99 {p99:>6.1f} ms at {args.connections} connections"
            f"{'':<13} target < {p99_target:g} ms: {verdict(p99 < p99_target)}"
        )
        if p.errors:
            print(f"  {'':<28} {p.errors} errors under load: BELOW TARGET (must be 0)")

    if due_dates:
        print("\nDue dates in-process (one core, server stopped):")
        for label, rate in due_dates.items():
            print(
                f"  {label:<30} {rate:>10,.0f}/s   target >= {DUE_DATES_TARGET:,}: "
                f"{verdict(rate >= DUE_DATES_TARGET)}"
            )

    if rss:
        print("\nResident memory of the app workers after the run (VmRSS):")
        for pid, mb in sorted(rss.items()):
            print(
                f"  worker pid {pid}: {mb:6.1f} MB   target < {RSS_TARGET_MB:g} MB: "
                f"{verdict(mb < RSS_TARGET_MB)}"
            )

    if check:
        intake = by_mode.get("api_intake")
        print("\nAfter the run:")
        print(
            f"  dossiers {check['dossiers']} ({check['distinct_codes']} distinct codes), "
            f"components {check['components']}, events {check['events']}, "
            f"outbox messages {check['messages']}, idempotency records "
            f"{check['idempotency_records']}, minimal rows {check['minimal_rows']}"
        )
        if intake and not intake.skipped:
            # The load generator counts no request still in flight when it stops (at most one
            # per connection, warm-up and measured run), though the server completes them.
            counted = (
                args.dossiers
                + 1
                + intake.warmup_2xx
                + int(intake.figures["requests"] - intake.figures["non2xx"])
            )
            in_flight = 2 * args.connections * intake.attempts
            fits = counted <= check["dossiers"] <= counted + in_flight
            keyed = check["dossiers"] - args.dossiers == check["idempotency_records"]
            print(
                f"  dossiers: {check['dossiers']} for {counted} counted 2xx answers "
                f"(+ up to {in_flight} in flight when the load generator stops): "
                f"{'consistent' if fits else 'MISMATCH'}; one idempotency record per API "
                f"intake: {'yes' if keyed else 'NO'}"
            )
        print(
            f"  event chain: "
            f"{'intact' if check['chain_ok'] else 'BROKEN: ' + check['chain_problem']} "
            f"({check['chain_checked']} events verified)"
        )


def save(
    args: argparse.Namespace,
    loadgen: str,
    results: list[Result],
    rss: dict[int, float],
    check: dict[str, Any],
    due_dates: dict[str, float],
) -> None:
    out = VAR / f"results-{args.database}.json"
    out.write_text(
        json.dumps(
            {
                "database": args.database,
                "postgres_version": getattr(args, "postgres_version", ""),
                "machine": machine(),
                "server": " ".join(server_command(args, 0)[1:]),
                "loadgen": loadgen,
                "connections": args.connections,
                "seconds": args.seconds,
                "rounds": args.rounds,
                "results": [
                    {
                        "mode": r.endpoint.mode,
                        "label": r.endpoint.label,
                        "rate": r.rate,
                        "round_rates": r.rates,
                        "server_cpu": r.server_cpu,
                        "db_cpu": r.db_cpu,
                        "loadgen_cpu": r.loadgen_cpu,
                        "other_cpu": r.other_cpu,
                        "skipped": r.skipped,
                        **r.figures,
                    }
                    for r in results
                ],
                "rss_mb": rss,
                "check": check,
                "due_dates": due_dates,
            },
            indent=2,
        )
    )
    print(f"\nFigures saved to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
