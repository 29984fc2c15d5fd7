"""What scripts/backup, scripts/restore and scripts/restore-drill share.

A backup is one directory:

    manifest.json       written last: when, which version, the database file's sha256, the row
                        count of every table and the event log's head, all read in the snapshot
                        that was dumped, and the documents' checksum list's sha256
    database.pgdump     `pg_dump -Fc` of the database (PostgreSQL), or
    database.sqlite3    an online copy through SQLite's backup API (SQLite)
    media/              the stored documents under their storage names (export_documents),
      SHA256SUMS        with their checksums in sha256sum's format

It is written as DEST.partial and renamed to DEST when complete, so a directory named like a
backup always holds a whole one.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "manifest.json"
FORMAT = "motcua-backup/1"
PG_DUMP = "database.pgdump"
SQLITE_COPY = "database.sqlite3"
MEDIA = "media"


class BackupError(Exception):
    """A refusal or failure to report in one line, exiting non-zero."""


def reexec_in_project_python() -> None:
    """Started by a Python without Django (`/usr/bin/python3`), run again in the project's venv."""
    try:
        import django  # noqa: F401
    except ImportError:
        venv = ROOT / ".venv" / "bin" / "python"
        if venv.exists() and Path(sys.executable) != venv:
            os.execv(venv, [str(venv), *sys.argv])
        raise


def django_setup() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    import django

    django.setup()


def database_settings() -> dict[str, Any]:
    from django.conf import settings

    return dict(settings.DATABASES["default"])


def vendor_of(database: dict[str, Any]) -> str:
    engine = str(database["ENGINE"])
    if engine.endswith("postgresql"):
        return "postgresql"
    if engine.endswith("sqlite3"):
        return "sqlite"
    raise BackupError(f"Unsupported database engine {engine}")


def libpq_environment(database: dict[str, Any]) -> dict[str, str]:
    """pg_dump and pg_restore read the connection from libpq's variables: no password in argv."""
    env = dict(os.environ)
    env.update(
        PGHOST=str(database["HOST"] or "127.0.0.1"),
        PGPORT=str(database["PORT"] or 5432),
        PGUSER=str(database["USER"]),
        PGDATABASE=str(database["NAME"]),
    )
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    return env


def pg_connect(database: dict[str, Any], *, dbname: str | None = None, autocommit: bool = False):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"],
        password=database.get("PASSWORD") or None,
        dbname=dbname or database["NAME"],
        autocommit=autocommit,
    )


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_names(cursor: Any, vendor: str) -> list[str]:
    if vendor == "postgresql":
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    else:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    return sorted(row[0] for row in cursor.fetchall())


def table_counts(cursor: Any, tables: Iterable[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT count(*) FROM {quote(table)}")
        counts[table] = int(cursor.fetchone()[0])
    return counts


def chain_head(cursor: Any) -> dict[str, Any]:
    """The event log's last link: a restore that holds the same rows ends on the same hash."""
    cursor.execute("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
    row = cursor.fetchone()
    return {"seq": row[0], "hash": row[1]} if row else {"seq": 0, "hash": ""}


def applied_migrations(cursor: Any) -> dict[str, str]:
    """The last applied migration of every app (names sort in the order they were written)."""
    cursor.execute("SELECT app, max(name) FROM django_migrations GROUP BY app")
    return dict(sorted(cursor.fetchall()))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as content:
        while chunk := content.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def source_version() -> str:
    """`git describe` of the checkout, else the VERSION file the container image is built with."""
    if (ROOT / ".git").exists():
        described = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty", "--tags"],
            capture_output=True,
            text=True,
        )
        if described.returncode == 0:
            return described.stdout.strip()
    version_file = ROOT / "VERSION"
    return version_file.read_text().strip() if version_file.exists() else "unknown"


def manifest_read(backup: Path) -> dict[str, Any]:
    path = backup / MANIFEST
    if not path.is_file():
        raise BackupError(f"{backup} is not a complete backup: it has no {MANIFEST}")
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown format {manifest.get('format')!r}")
    return manifest


def manifest_write(backup: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True)
    (backup / MANIFEST).write_text(text + "\n", encoding="utf-8")


def count_differences(expected: dict[str, int], found: dict[str, int]) -> list[str]:
    """Tables whose row count differs from the manifest, and tables on one side only."""
    lines = []
    for table in sorted(set(expected) | set(found)):
        if table not in found:
            lines.append(f"{table}: missing (backup had {expected[table]} rows)")
        elif table not in expected:
            lines.append(f"{table}: not in the backup ({found[table]} rows)")
        elif expected[table] != found[table]:
            lines.append(f"{table}: {found[table]} rows, backup had {expected[table]}")
    return lines


def run(command: Sequence[str | Path], *, env: dict[str, str] | None = None) -> None:
    """Run a tool; its own error output says what went wrong, we add which tool it was."""
    completed = subprocess.run([str(part) for part in command], env=env)
    if completed.returncode != 0:
        raise BackupError(f"{Path(str(command[0])).name} failed (exit {completed.returncode})")


def say(message: str) -> None:
    print(message, flush=True)
