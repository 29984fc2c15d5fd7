"""A mixed workload at increasing concurrency on PostgreSQL (issue 6), against the minimal
Django endpoints measured in the same run at the same concurrency.

1. A PostgreSQL database prepared once and reused (`--fresh` to start again): migrate, the
   demo, N dossiers and the minimal rows (`manage.py bench_prepare`), then the accounts,
   sessions and pools of work of the mixed load (`manage.py bench_load_prepare`).
2. granian serving the benchmark site (benchmarks/benchsite: the product's URLs and settings
   plus the two minimal endpoints) as in production: DEBUG off, persistent database
   connections, cache and task queue on Redis (db 8, emptied first).
3. For each concurrency level: the mixed workload of benchmarks/mixload.py (public lookups,
   counter intakes, online submissions, the desk's acceptance, officers' worklist and
   forwarding, reports), a warm-up then a measured window; then the minimal lookup and the
   minimal four-insert transaction at the same concurrency. Per window: throughput, p50/p99
   per kind, errors by status, CPU of app / PostgreSQL / load generator / others (/proc), and
   what PostgreSQL's backends were doing (pg_stat_activity sampled 20 times a second).
4. The table, where throughput stops growing and what is then at its limit; JSON in
   var/bench/load.json. Exits 0 whatever the figures; non-zero only when it could not measure.

    .venv/bin/python benchmarks/load.py [--levels 4 8 16 32 64] [--seconds 15] [--fresh]
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import harness
import mixload
from harness import QUIET_CORES, ROOT, VAR

LOAD_DIR = VAR / "load"
DATA = LOAD_DIR / "data"
LOG = LOAD_DIR / "granian.log"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/motcua_load_bench"
REDIS_URL = "redis://127.0.0.1:6379/8"
# What a mixed window needs at most from each pool (flows/s x seconds, generous); the intakes
# and online submissions of the load refill them as it goes.
POOL_FLOWS_PER_SECOND = 700
READS = {"lookup_api", "lookup_page", "online_form", "online_receipt", "worklist", "report"}
READS |= {"dashboard", "minimal_lookup"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="its name must hold 'bench'")
    parser.add_argument("--fresh", action="store_true", help="drop and prepare the database")
    parser.add_argument("--dossiers", type=int, default=2000, help="prepared for the lookups")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 4, 8, 16, 32, 64])
    parser.add_argument("--seconds", type=float, default=15.0, help="measured, mixed load")
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--minimal-seconds", type=float, default=8.0)
    parser.add_argument("--workers", type=int, default=2, help="granian worker processes")
    parser.add_argument("--blocking-threads", type=int, default=1, help="granian, per worker")
    parser.add_argument("--tasks", choices=["rq", "db"], default="rq", help="task backend")
    parser.add_argument("--wait-idle", type=float, default=120.0, help="seconds, per window")
    parser.add_argument("--json", type=Path, default=VAR / "load.json")
    parser.add_argument(
        "--src",
        type=Path,
        default=ROOT / "src",
        help="where the server imports motcua from: a copy of src/ to try a change",
    )
    args = parser.parse_args()

    LOAD_DIR.mkdir(parents=True, exist_ok=True)
    settings_env = production_env(args)
    env = harness.bench_env(args.postgres_url, settings_env)
    m = harness.machine()
    print(
        f"motcua mixed load - {m['cores']} cores ({m['cpu']}), {m['memory']}, Python "
        f"{m['python']}\nSource: {m['source']}; {time.strftime('%Y-%m-%d %H:%M %Z')}\n"
        f"Load generator: benchmarks/mixload.py (Python) on the SAME machine as the server "
        f"and PostgreSQL, 127.0.0.1 only.\n"
    )
    prepare(args, env)
    empty_redis()
    port = harness.free_port()
    command = harness.granian_command(
        workers=args.workers, blocking_threads=args.blocking_threads, port=port
    )
    server_env = harness.bench_env(args.postgres_url, settings_env, src=args.src.resolve())
    server = harness.start_server(command, server_env, LOG)
    levels: list[dict[str, Any]] = []
    rss: dict[int, float] = {}
    try:
        harness.wait_until_up(server, port, LOG)
        if not sample(args, env, port):
            print("A sample request failed: not loading (see above).")
            return 1
        for connections in args.levels:
            levels.append(measure_level(args, env, port, server.pid, connections))
        rss = harness.worker_rss(server.pid)
    finally:
        harness.stop_server(server)
    check = harness.post_run_check(env)
    report(args, levels, rss, check)
    save(args, command, levels, rss, check)
    return 0


# ---------------------------------------------------------------------------------------------
# Set-up


def production_env(args: argparse.Namespace) -> dict[str, str]:
    """As in production: shared cache and task queue on Redis, the workers' metrics in one
    directory emptied before they start; files under var/bench/load."""
    metrics = LOAD_DIR / "prometheus"
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir(parents=True)
    return {
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "MOTCUA_CACHE_URL": REDIS_URL,
        "MOTCUA_TASKS_BACKEND": args.tasks,
        "MOTCUA_REDIS_URL": REDIS_URL,
        "MOTCUA_VAR_DIR": str(LOAD_DIR / "var"),
        "MOTCUA_MEDIA_ROOT": str(LOAD_DIR / "media"),
    }


def prepare(args: argparse.Namespace, env: dict[str, str]) -> None:
    marker = DATA / "prepared.json"
    wanted = {"database": args.postgres_url, "dossiers": args.dossiers}
    reuse = (
        not args.fresh
        and marker.exists()
        and json.loads(marker.read_text()) == wanted
        and harness.postgres_database_exists(args.postgres_url)
    )
    if reuse:
        print(f"Reusing the prepared database {args.postgres_url} (--fresh to start again)")
        done = harness.manage(env, "migrate", "--no-input")
        if done.returncode != 0:
            print(done.stdout, done.stderr, sep="\n")
            sys.exit("could not migrate the benchmark database")
    else:
        print(f"Preparing {args.postgres_url} ...", flush=True)
        harness.recreate_postgres(args.postgres_url)
        marker.unlink(missing_ok=True)
        run_manage(env, "bench_prepare", "--dossiers", str(args.dossiers), "--out", str(DATA))
        marker.write_text(json.dumps(wanted))
    args.postgres_version = harness.postgres_version(args.postgres_url)
    print(f"  PostgreSQL {args.postgres_version}")
    if args.src.resolve() != (ROOT / "src").resolve():
        print(f"  the server imports motcua from {args.src} (not src/)")
    run_manage(env, "bench_load_prepare", "--out", str(DATA), "--citizens", str(max(args.levels)))


def run_manage(env: dict[str, str], *command: str) -> None:
    done = harness.manage(env, *command)
    if done.returncode != 0:
        print(done.stdout, done.stderr, sep="\n")
        sys.exit(f"manage.py {command[0]} failed")
    for line in done.stdout.splitlines():
        print(f"  {line}")


def refill_pools(args: argparse.Namespace, env: dict[str, str], seconds: float) -> None:
    """The pools of dossiers to forward and to accept, read again (the load uses them up)."""
    flows = POOL_FLOWS_PER_SECOND * seconds
    forward = int(flows * mixload.MIXED_WEIGHTS["forward"] / 100)
    accept = int(flows * mixload.MIXED_WEIGHTS["accept"] / 100)
    done = harness.manage(
        env,
        "bench_load_prepare",
        "--out",
        str(DATA),
        "--citizens",
        str(max(args.levels)),
        "--pools-only",
        "--forward-pool",
        str(forward),
        "--accept-pool",
        str(accept),
    )
    if done.returncode != 0:
        print(done.stdout, done.stderr, sep="\n")
        sys.exit("could not refill the pools")


def empty_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def sample(args: argparse.Namespace, env: dict[str, str], port: int) -> bool:
    """Every kind of request once before any load: each must get its expected answer."""
    refill_pools(args, env, 1)
    figures = mixload.sample(port=port, data_dir=DATA, nonce=f"sample{time.time_ns()}")
    print("\nSample requests (one of each):")
    ok = True
    for name, kind in mixload.KINDS.items():
        f = figures["kinds"].get(name)
        if f is None:
            print(f"  {kind.label:<36} NOT SENT")
            ok = False
            continue
        good = not f["errors"]
        ok = ok and good
        statuses = ", ".join(f["statuses"]) or "-"
        print(f"  {kind.label:<36} {statuses:<5} {'ok' if good else 'FAILED'}")
        if not good:
            print(f"    {f['errors']} {f['problem'][:400]}")
    return ok


# ---------------------------------------------------------------------------------------------
# Measuring


def measure_level(
    args: argparse.Namespace, env: dict[str, str], port: int, server_pid: int, connections: int
) -> dict[str, Any]:
    print(f"\n=== {connections} connections", flush=True)
    busy = harness.wait_for_quiet(args.wait_idle)
    if busy > QUIET_CORES:
        print(f"  WARNING: other processes use {busy:.2f} cores: the figures will be low.")
    level: dict[str, Any] = {"connections": connections}
    # What the scheduler does every five minutes in production: the running month's figures,
    # which the report and the dashboard read while they are fresh.
    run_manage(env, "close_periods")
    refill_pools(args, env, args.warmup)
    window(args, port, server_pid, "mixed", connections, args.warmup, measured=False)
    level["mixed"] = quiet_window(args, env, port, server_pid, "mixed", connections)
    for minimal in ("minimal_lookup", "minimal_insert"):
        window(args, port, server_pid, minimal, connections, 2.0, measured=False)
        level[minimal] = quiet_window(args, env, port, server_pid, minimal, connections)
    return level


def quiet_window(
    args: argparse.Namespace,
    env: dict[str, str],
    port: int,
    server_pid: int,
    workload: str,
    connections: int,
) -> dict[str, Any]:
    """A measured window; measured again once the machine is quiet if others took the cores."""
    seconds = args.seconds if workload == "mixed" else args.minimal_seconds
    if workload == "mixed":
        refill_pools(args, env, seconds)
    figures = window(args, port, server_pid, workload, connections, seconds)
    if figures["cpu"]["other"] <= QUIET_CORES:
        return figures
    print("  disturbed by other processes: measuring again once the machine is quiet")
    harness.wait_for_quiet(args.wait_idle)
    if workload == "mixed":
        refill_pools(args, env, seconds)
    again = window(args, port, server_pid, workload, connections, seconds)
    again["disturbed_try"] = {k: v for k, v in figures.items() if k != "kinds"}
    return again


def window(
    args: argparse.Namespace,
    port: int,
    server_pid: int,
    workload: str,
    connections: int,
    seconds: float,
    *,
    measured: bool = True,
) -> dict[str, Any]:
    nonce = f"{workload}{connections}x{time.time_ns()}"
    sampler = PostgresSampler(args.postgres_url) if measured else None
    start: dict[str, Any] = {}

    def on_start() -> None:
        # Once the load generator's processes are up: their start-up is not in the window.
        start["cpu"] = harness.cpu_snapshot(server_pid)
        start["at"] = time.perf_counter()
        if sampler:
            sampler.start()

    figures = mixload.run(
        port=port,
        data_dir=DATA,
        workload=workload,
        connections=connections,
        seconds=seconds,
        nonce=nonce,
        on_start=on_start,
    )
    if sampler:
        figures["postgres"] = sampler.stop()
    figures["cpu"] = harness.cpu_used(
        start["cpu"], harness.cpu_snapshot(server_pid), time.perf_counter() - start["at"]
    )
    answered = sum(f["answered"] for f in figures["kinds"].values())
    figures["rate"] = answered / figures["duration"] if figures["duration"] else 0.0
    figures["errors"] = sum(sum(f["errors"].values()) for f in figures["kinds"].values())
    if measured:
        cpu = figures["cpu"]
        print(
            f"  {workload:<15} {figures['rate']:7,.0f} req/s  errors {figures['errors']:<4} "
            f"CPU app {cpu['server']:.2f} db {cpu['postgres']:.2f} load {cpu['loadgen']:.2f} "
            f"other {cpu['other']:.2f}",
            flush=True,
        )
    return figures


class PostgresSampler:
    """What the database's backends do, sampled from pg_stat_activity in a thread; plus the
    deltas of pg_stat_database (commits, rollbacks, deadlocks) over the window."""

    INTERVAL = 0.05

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True)
        self.done = threading.Event()
        self.samples = 0
        self.backends = 0
        self.active = 0
        self.waits: Counter = Counter()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self.stats_before = self._database_stats()
        self.thread.start()

    def _loop(self) -> None:
        query = (
            "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        while not self.done.wait(self.INTERVAL):
            rows = self.conn.execute(query).fetchall()
            self.samples += 1
            self.backends += len(rows)
            for state, wait_type, wait_event in rows:
                if state == "active":
                    self.active += 1
                    if wait_type:
                        self.waits[f"{wait_type}:{wait_event}"] += 1

    def _database_stats(self) -> dict[str, int]:
        row = self.conn.execute(
            "SELECT xact_commit, xact_rollback, deadlocks FROM pg_stat_database "
            "WHERE datname = current_database()"
        ).fetchone()
        return dict(zip(("commits", "rollbacks", "deadlocks"), row or (0, 0, 0), strict=True))

    def stop(self) -> dict[str, Any]:
        self.done.set()
        self.thread.join()
        after = self._database_stats()
        self.conn.close()
        n = max(1, self.samples)
        lock_waits = sum(v for k, v in self.waits.items() if k.startswith("Lock:"))
        return {
            "samples": self.samples,
            "connections": self.backends / n,
            "active": self.active / n,
            "lock_waiting": lock_waits / n,
            "lock_share": lock_waits / self.active if self.active else 0.0,
            "waits": {k: v / n for k, v in self.waits.most_common(6)},
            **{k: after[k] - self.stats_before[k] for k in after},
        }


# ---------------------------------------------------------------------------------------------
# Report


def ceiling(mixed: dict[str, Any], lookup_rate: float, insert_rate: float) -> float:
    """The throughput of the same mix if every read cost a minimal lookup and every write a
    minimal four-insert transaction (measured at the same concurrency)."""
    kinds = mixed["kinds"]
    total = sum(f["answered"] for f in kinds.values())
    if not total or not lookup_rate or not insert_rate:
        return 0.0
    reads = sum(f["answered"] for k, f in kinds.items() if k in READS) / total
    return 1.0 / (reads / lookup_rate + (1 - reads) / insert_rate)


def saturation(levels: list[dict[str, Any]], cores: int) -> str:
    """The first level whose throughput grows by less than 5 % over the one before, and the
    resources then at their limit."""
    for previous, level in itertools.pairwise(levels):
        if level["mixed"]["rate"] < 1.05 * previous["mixed"]["rate"]:
            return (
                f"throughput stops growing after {previous['connections']} connections "
                f"({previous['mixed']['rate']:,.0f} -> {level['mixed']['rate']:,.0f} req/s at "
                f"{level['connections']}); at {previous['connections']}: "
                f"{limits(previous, cores)}"
            )
    last = levels[-1]
    return f"still growing at {last['connections']} connections; there: {limits(last, cores)}"


def limits(level: dict[str, Any], cores: int) -> str:
    mixed = level["mixed"]
    cpu = mixed["cpu"]
    busy = cpu["server"] + cpu["postgres"] + cpu["loadgen"] + cpu["other"]
    pg = mixed.get("postgres", {})
    said = [
        f"CPU {busy:.2f} of {cores} cores (app {cpu['server']:.2f}, PostgreSQL "
        f"{cpu['postgres']:.2f}, load generator {cpu['loadgen']:.2f}, other {cpu['other']:.2f})"
    ]
    if pg:
        said.append(
            f"PostgreSQL: {pg['active']:.2f} backends active on average, "
            f"{pg['lock_waiting']:.2f} waiting for a lock ({pg['lock_share']:.0%} of active)"
        )
    return "; ".join(said)


def report(
    args: argparse.Namespace,
    levels: list[dict[str, Any]],
    rss: dict[int, float],
    check: dict[str, Any],
) -> None:
    m = harness.machine()
    line = "=" * 118
    print(
        f"\n{line}\nMIXED LOAD - PostgreSQL {args.postgres_version} - {m['cores']} cores "
        f"({m['cpu']}), {m['memory']} - granian WSGI {args.workers} workers x "
        f"{args.blocking_threads} blocking thread(s) - tasks on {args.tasks}\n"
        f"{args.seconds:g} s measured per level (minimal endpoints {args.minimal_seconds:g} s); "
        f"load generator on the same machine"
        f"{'' if args.src.resolve() == (ROOT / 'src').resolve() else f'; motcua from {args.src}'}"
        f"\n{line}"
    )
    head = (
        f"{'conns':>5}{'mixed req/s':>12}{'min lookup':>11}{'min insert':>11}{'vs lookup':>10}"
        f"{'vs insert':>10}{'vs mix ceiling':>15}{'errors':>7}{'CPU app':>8}{'db':>6}"
        f"{'load':>6}{'other':>6}{'pg active':>10}{'lock wait':>10}"
    )
    print(head)
    print("-" * len(head))
    for level in levels:
        mixed, lookup, insert = level["mixed"], level["minimal_lookup"], level["minimal_insert"]
        cpu, pg = mixed["cpu"], mixed.get("postgres", {})
        top = ceiling(mixed, lookup["rate"], insert["rate"])
        print(
            f"{level['connections']:>5}{mixed['rate']:>12,.0f}{lookup['rate']:>11,.0f}"
            f"{insert['rate']:>11,.0f}{_ratio(mixed['rate'], lookup['rate']):>10}"
            f"{_ratio(mixed['rate'], insert['rate']):>10}{_ratio(mixed['rate'], top):>15}"
            f"{mixed['errors']:>7}{cpu['server']:>8.2f}{cpu['postgres']:>6.2f}"
            f"{cpu['loadgen']:>6.2f}{cpu['other']:>6.2f}{pg.get('active', 0):>10.2f}"
            f"{pg.get('lock_waiting', 0):>10.2f}"
        )
    print(
        "vs lookup / insert = mixed req/s over the minimal endpoint's req/s at the same "
        "concurrency; vs mix ceiling = over the\nthroughput of the same mix made of minimal "
        "lookups (reads) and minimal inserts (writes); CPU in cores; pg active = backends\n"
        "running a statement, lock wait = backends waiting for a row or transaction lock "
        "(both averaged over 20 samples/s)."
    )
    for level in levels:
        print_kinds(level)
    print(f"\nSaturation: {saturation(levels, int(m['cores']))}")
    for level in levels:
        pg = level["mixed"].get("postgres")
        if pg:
            shown = ", ".join(f"{k} {v:.2f}" for k, v in pg["waits"].items()) or "none"
            print(
                f"  at {level['connections']:>2} connections: {pg['connections']:.1f} database "
                f"connections, {pg['commits']:,} commits, {pg['rollbacks']} rollbacks, "
                f"{pg['deadlocks']} deadlocks; waits (backends on average): {shown}"
            )
    windows = ("mixed", "minimal_lookup", "minimal_insert")
    disturbed = [
        f"{name} at {lv['connections']}"
        for lv in levels
        for name in windows
        if lv[name]["cpu"]["other"] > QUIET_CORES
    ]
    if disturbed:
        print(f"WARNING: other processes took the cores ({', '.join(disturbed)}): rerun.")
    if rss:
        sizes = ", ".join(f"{mb:.0f} MB" for mb in sorted(rss.values()))
        print(f"\nResident memory of the app workers after the run: {sizes}")
    if check:
        print(
            f"After the run: {check['dossiers']} dossiers ({check['distinct_codes']} distinct "
            f"codes), {check['events']} events, event chain "
            f"{'intact' if check['chain_ok'] else 'BROKEN: ' + check['chain_problem']}"
        )


def print_kinds(level: dict[str, Any]) -> None:
    mixed = level["mixed"]
    print(
        f"\n{level['connections']} connections - per kind "
        f"(mixed: {mixed['rate']:,.0f} req/s, {sum(mixed['flows'].values()):,} flows)"
    )
    print(f"  {'kind':<36}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}  errors")
    rows = [("", mixed["kinds"])] + [
        (" (alone)", level[name]["kinds"]) for name in ("minimal_lookup", "minimal_insert")
    ]
    for suffix, kinds in rows:
        duration = mixed["duration"] if not suffix else None
        for name, f in kinds.items():
            seconds = duration or level[name]["duration"]
            errors = ", ".join(f"{k}: {v}" for k, v in f["errors"].items()) or "0"
            print(
                f"  {mixload.KINDS[name].label + suffix:<36}{f['answered'] / seconds:>8,.1f}"
                f"{f['p50'] * 1000:>9.1f}{f['p99'] * 1000:>9.1f}{f['max'] * 1000:>9.1f}  {errors}"
            )
    if mixed["pool_empty"]:
        print(f"  (pools used up on some connections: {mixed['pool_empty']})")


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.0%}" if b else "-"


def save(
    args: argparse.Namespace,
    command: list[str],
    levels: list[dict[str, Any]],
    rss: dict[int, float],
    check: dict[str, Any],
) -> None:
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "machine": harness.machine(),
                "postgres_version": args.postgres_version,
                "server": " ".join(command[1:]),
                "tasks": args.tasks,
                "src": str(args.src),
                "weights": mixload.MIXED_WEIGHTS,
                "seconds": args.seconds,
                "minimal_seconds": args.minimal_seconds,
                "levels": levels,
                "rss_mb": rss,
                "check": check,
            },
            indent=1,
        )
    )
    shown = args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json
    print(f"\nFigures saved to {shown}")


if __name__ == "__main__":
    sys.exit(main())
