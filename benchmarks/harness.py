"""What the HTTP benchmarks share (run.py, load.py): the benchmark site's environment and
management commands, the PostgreSQL database, the granian server, CPU per party from /proc,
the quiet-machine check, memory of the workers, and the machine's description."""

from __future__ import annotations

import http.client
import json
import os
import platform
import re
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
VAR = ROOT / "var" / "bench"
PYTHON = Path(sys.executable)
GRANIAN = PYTHON.parent / "granian"
HOST = "127.0.0.1"

QUIET_CORES = 0.25  # other processes' CPU above which the figures are flagged as disturbed


# ---------------------------------------------------------------------------------------------
# The benchmark site and its database


def bench_env(
    database_url: str, extra: dict[str, str] | None = None, src: Path = ROOT / "src"
) -> dict[str, str]:
    """The environment of the benchmark site (benchmarks/benchsite): the product's settings
    with DEBUG off, the database from DATABASE_URL, plus `extra` variables. `src` is where
    the server imports `motcua` from (another copy of src/ to try a change)."""
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "benchsite.settings"
    paths = [str(src), str(BENCH_DIR)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["DATABASE_URL"] = database_url
    env.pop("MOTCUA_DEBUG", None)
    env.setdefault("MOTCUA_LOG_LEVEL", "ERROR")
    env.update(extra or {})
    return env


def manage(env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PYTHON), str(ROOT / "src" / "manage.py"), *command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def post_run_check(env: dict[str, str]) -> dict[str, Any]:
    """Rows the benchmark wrote and the event chain's verification (`manage.py bench_check`)."""
    done = manage(env, "bench_check")
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        print(done.stdout, done.stderr, sep="\n")
        return {}


def _postgres_admin(url: str) -> tuple[Any, str]:
    """A connection to the server's `postgres` database, and the name of the url's database."""
    from urllib.parse import unquote, urlsplit

    import psycopg

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    conn = psycopg.connect(
        host=parts.hostname or HOST,
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or "") or None,
        dbname="postgres",
        autocommit=True,
    )
    return conn, name


def recreate_postgres(url: str) -> str:
    """Drop and create the benchmark database; returns the server's version."""
    conn, name = _postgres_admin(url)
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or "bench" not in name:
        conn.close()
        sys.exit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def postgres_database_exists(url: str) -> bool:
    conn, name = _postgres_admin(url)
    with conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def postgres_version(url: str) -> str:
    conn, _name = _postgres_admin(url)
    with conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


# ---------------------------------------------------------------------------------------------
# The server


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def granian_command(*, workers: int, blocking_threads: int, port: int) -> list[str]:
    """granian serving the product's WSGI application (the settings come from the env)."""
    return [
        str(GRANIAN),
        "--interface",
        "wsgi",
        "--workers",
        str(workers),
        "--blocking-threads",
        str(blocking_threads),
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        "motcua.wsgi:application",
    ]


def start_server(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    print(f"Starting: {' '.join(command[1:])}  (log: {log.relative_to(ROOT)})")
    return subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until_up(server: subprocess.Popen, port: int, log: Path) -> None:
    """Until the minimal lookup answers 200 (every worker then gets a moment to start)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            print(log.read_text()[-4000:])
            sys.exit("the server exited before answering")
        try:
            status, _body, _headers = http_request(
                port, "GET", "/bench/minimal-lookup/BENCH-000000/"
            )
            if status == 200:
                # Every worker imports Django on its own: give them all a moment.
                time.sleep(1.0)
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit("the server did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def http_request(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, bytes, http.client.HTTPResponse]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), response
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------
# Processes: CPU and memory


def _proc_stats() -> dict[int, str]:
    """The content of /proc/<pid>/stat of every process, by pid."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stats[int(entry.name)] = (entry / "stat").read_text()
        except OSError:
            continue
    return stats


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, stat in _proc_stats().items():
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _busy_ticks() -> int:
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return sum(values) - values[3] - values[4]  # all but idle and iowait


def cpu_snapshot(server_pid: int) -> dict[str, Any]:
    """CPU seconds so far: the whole machine (busy), the server, postgres, the load generator
    (this process and its children once they have been waited for)."""
    ticks = os.sysconf("SC_CLK_TCK")
    postgres: dict[int, float] = {}
    for pid, stat in _proc_stats().items():
        if stat.split(" (", 1)[1].startswith("postgres)"):
            fields = stat.rsplit(")", 1)[1].split()
            postgres[pid] = (int(fields[11]) + int(fields[12])) / ticks
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "machine": _busy_ticks() / ticks,
        "server": tree_cpu_seconds(server_pid),
        "postgres": postgres,
        "loadgen": me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime,
    }


def cpu_used(before: dict[str, Any], after: dict[str, Any], elapsed: float) -> dict[str, float]:
    """Cores used between two snapshots. A postgres process that exited in between is not
    counted (its time shows under "other"); one that started counts from zero. "other" is
    the rest of the machine's busy time."""
    used = {key: (after[key] - before[key]) / elapsed for key in ("machine", "server", "loadgen")}
    used["postgres"] = (
        sum(cpu - before["postgres"].get(pid, 0.0) for pid, cpu in after["postgres"].items())
        / elapsed
    )
    used["other"] = max(0.0, used["machine"] - used["server"] - used["postgres"] - used["loadgen"])
    return used


def machine_busy_cores(seconds: float = 1.0) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    first = _busy_ticks()
    time.sleep(seconds)
    return (_busy_ticks() - first) / ticks / seconds


def wait_for_quiet(max_wait: float) -> float:
    """Wait (bounded) until other processes leave the cores alone; returns the busy cores seen."""
    deadline = time.monotonic() + max_wait
    busy = machine_busy_cores()
    while busy > QUIET_CORES and time.monotonic() < deadline:
        print(f"  the machine is busy ({busy:.2f} cores used by other processes); waiting ...")
        busy = machine_busy_cores(3.0)
    return busy


def tree_cpu_seconds(root: int) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def worker_rss(root: int) -> dict[int, float]:
    """VmRSS in MB of granian's worker processes (every process below the main one)."""
    rss = {}
    for pid in process_tree(root):
        if pid == root:
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        if match:
            rss[pid] = int(match.group(1)) / 1024
    return rss


# ---------------------------------------------------------------------------------------------
# The machine


def machine() -> dict[str, str]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {
        "source": source_state(),
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def source_state() -> str:
    """The commit measured, and whether the work tree had changes on top of it."""
    # Read-only: no optional locks, so `git status` does not refresh the index meanwhile.
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=env,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=env,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head or 'unknown'}{' + uncommitted changes in src/' if dirty else ''}"
