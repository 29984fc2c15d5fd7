"""Real servers for the fault tests: PostgreSQL clusters, the app under granian, task workers.

Everything runs as it does in production, in its own process, so that a test can kill it:
- `PostgresCluster`: a throwaway cluster (initdb, pg_ctl) run as the postgres user;
- `demo_template` / `database_clone`: a database migrated and loaded with the demo once per
  session, copied for each test (CREATE DATABASE … TEMPLATE);
- `AppServer`: granian serving `motcua.wsgi:application` with the environment it is given;
- `manage`, `spawn_manage`: manage.py commands, to completion or in the background;
- `/proc` helpers to find the process behind a connection and its children.

Configuration, for machines shared with other test runs:
MOTCUA_FAULTS_DB_PREFIX (database names, default motcua_faults), MOTCUA_FAULTS_PG_URL (the
main PostgreSQL server), MOTCUA_FAULTS_PG_PORT (the throwaway cluster, default 5434),
MOTCUA_FAULTS_PORTS (a range such as 18400-18499 for the servers; default: any free port),
MOTCUA_FAULTS_REDIS_URL (the Redis database the workers use, default db 14), MOTCUA_PG_BIN.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src"
PYTHON = Path(sys.executable)
GRANIAN = PYTHON.parent / "granian"
PG_BIN = Path(os.environ.get("MOTCUA_PG_BIN", "/usr/lib/postgresql/15/bin"))
DB_PREFIX = os.environ.get("MOTCUA_FAULTS_DB_PREFIX", "motcua_faults")
MAIN_PG_URL = os.environ.get("MOTCUA_FAULTS_PG_URL", "postgres://postgres@127.0.0.1:5432")
CLUSTER_PORT = int(os.environ.get("MOTCUA_FAULTS_PG_PORT", "5434"))
REDIS_URL = os.environ.get("MOTCUA_FAULTS_REDIS_URL", "redis://127.0.0.1:6379/14")


# ---------------------------------------------------------------------------------------------
# Waiting and ports


def wait_until(
    condition: Callable[[], Any], *, what: str, timeout: float = 120, interval: float = 0.05
) -> Any:
    """Poll until `condition()` is truthy and return it; fail naming `what` after `timeout`.

    The timeout only stops a test that would otherwise hang; nothing is measured by it.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout} s")
        time.sleep(interval)


_handed_out: set[int] = set()


def free_port() -> int:
    """A port nothing listens on, from MOTCUA_FAULTS_PORTS when it is set."""
    bounds = os.environ.get("MOTCUA_FAULTS_PORTS", "")
    candidates = range(int(bounds.split("-")[0]), int(bounds.split("-")[1]) + 1) if bounds else [0]
    for candidate in candidates:
        if candidate in _handed_out:
            continue
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port = int(probe.getsockname()[1])
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {bounds}")


# ---------------------------------------------------------------------------------------------
# manage.py


def app_env(*, database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of an app or worker process: production-like, its own var directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOTCUA_", "PYTEST_"))}
    env.pop("DATABASE_URL", None)
    var_dir.mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "motcua.settings",
            "DATABASE_URL": database_url,
            "MOTCUA_VAR_DIR": str(var_dir),
            "MOTCUA_SECRET_KEY": "fault-tests-secret-key-not-for-production-0123456789",
            "MOTCUA_DEBUG": "false",
            "MOTCUA_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "MOTCUA_TASKS_BACKEND": "db",
            "MOTCUA_LOG_LEVEL": "ERROR",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    """Run a manage.py command to completion; its output in the error when it fails."""
    done = subprocess.run(
        [str(PYTHON), str(SRC / "manage.py"), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def spawn_manage(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start a long-running manage.py command (a worker, a sweep loop) in its own session."""
    with log.open("ab") as output:
        return subprocess.Popen(
            [str(PYTHON), str(SRC / "manage.py"), *args],
            env=env,
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_process(process: subprocess.Popen, *, grace: float = 10) -> None:
    """SIGTERM its process group, then SIGKILL whatever is left after `grace` seconds."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# ---------------------------------------------------------------------------------------------
# PostgreSQL


def connect(url: str, database: str) -> psycopg.Connection:
    """An autocommit connection to `database` on the server of `url` (postgres://user@host:port)."""
    return psycopg.connect(f"{url.rstrip('/')}/{database}", autocommit=True, connect_timeout=10)


def database_clone(*, url: str, name: str, template: str) -> str:
    """A fresh copy of `template` named `name`; its postgres:// URL."""
    with connect(url, "postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return f"{url.rstrip('/')}/{name}"


def database_drop(*, url: str, name: str) -> None:
    with connect(url, "postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def demo_template(*, url: str, var_dir: Path) -> str:
    """A database migrated and loaded with the demo center (personas, catalogue, token), built
    with the real commands; tests copy it rather than load it again."""
    name = f"{DB_PREFIX}_template"
    with connect(url, "postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    env = app_env(database_url=f"{url.rstrip('/')}/{name}", var_dir=var_dir)
    manage("migrate", "--noinput", "-v0", env=env)
    manage("load_demo", env=env)
    return name


def _as_postgres(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; a developer's own account runs it directly.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PostgresCluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1:`port`, trust authentication, fsync on (so
    that an immediate stop loses nothing committed, as on a real server)."""

    def __init__(self, *, port: int) -> None:
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="motcua-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def create(self) -> PostgresCluster:
        # The postgres user must reach its data directory and write its log.
        self.root.chmod(0o755)
        self.data.mkdir()
        self.log.touch()
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres", "postgres")
            shutil.chown(self.log, "postgres", "postgres")
        initdb = [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"]
        self._run([*initdb, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        settings = {
            "port": str(self.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.data}'",
            "max_connections": "60",
            "shared_buffers": "'32MB'",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        return self

    def start(self) -> None:
        pg_ctl = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log)]
        self._run([*pg_ctl, "-w", "-t", "120", "start"])

    def stop(self, *, mode: str = "fast") -> None:
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def destroy(self) -> None:
        if self.running():
            with contextlib.suppress(subprocess.CalledProcessError):
                self.stop(mode="immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, command: list[str]) -> None:
        subprocess.run(_as_postgres(command), check=True, capture_output=True, cwd="/")


def database_copy(*, source_url: str, source: str, target_url: str, target: str) -> str:
    """`source` (on one server) copied into a new database `target` on another; its URL."""
    with connect(target_url, "postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{target}"')
    dump = subprocess.Popen(
        ["pg_dump", "--format=custom", f"{source_url.rstrip('/')}/{source}"],
        stdout=subprocess.PIPE,
    )
    restore = subprocess.run(
        ["pg_restore", "--no-owner", "-d", f"{target_url.rstrip('/')}/{target}"],
        stdin=dump.stdout,
        capture_output=True,
    )
    assert dump.stdout is not None
    dump.stdout.close()
    if dump.wait() != 0 or restore.returncode != 0:
        raise AssertionError(f"copying {source} failed: {restore.stderr.decode()[-2000:]}")
    return f"{target_url.rstrip('/')}/{target}"


# ---------------------------------------------------------------------------------------------
# The app server


class AppServer:
    """granian serving the WSGI app on 127.0.0.1:`port`: one worker process, `threads` threads
    (granian's blocking threads), in its own session so that a kill takes all of it."""

    def __init__(self, *, env: dict[str, str], port: int, log: Path, threads: int = 4) -> None:
        self.env = env
        self.port = port
        self.log = log
        self.threads = threads
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            str(GRANIAN),
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
            "--blocking-threads",
            str(self.threads),
            "--no-ws",
            "--log-level",
            "warning",
            "motcua.wsgi:application",
        ]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command,
                env=self.env,
                cwd=SRC,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        wait_until(self._answers, what=f"granian on port {self.port}", timeout=180)

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"granian exited with {self.process.returncode}:\n{tail}")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            # Any HTTP answer means the app is loaded and serving; this path needs no database.
            connection.request("GET", "/static/motcua-readiness-probe")
            connection.getresponse().read()
            return True
        except OSError:
            return False
        finally:
            connection.close()

    def kill(self) -> None:
        """SIGKILL, all of it: the machine's power cord, as far as the app can tell."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)

    def pids(self) -> set[int]:
        """The granian process and all its descendants (its worker)."""
        assert self.process is not None
        return {self.process.pid, *descendants(self.process.pid)}


# ---------------------------------------------------------------------------------------------
# /proc


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces; the parent's pid follows it.
    return int(stat.rpartition(")")[2].split()[1])


def _pids() -> Iterator[int]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            yield int(entry.name)


def descendants(pid: int) -> set[int]:
    parents = {child: _parent_of(child) for child in _pids()}
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def pid_with_local_port(port: int) -> int | None:
    """The process holding the TCP connection whose local (client) port is `port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    targets = {f"socket:[{inode}]" for inode in inodes if inode != "0"}
    for pid in _pids():
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in targets:
                        return pid
    return None


def parent_of(pid: int) -> int | None:
    return _parent_of(pid)
