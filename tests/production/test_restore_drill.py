"""Backups restore, and the restore drill fails when what it restored is not what was backed up.

The drill itself (scripts/restore-drill, with a year of demo activity) is a step of .ci/run.
Here it runs without the activity, once, to give a real backup; then the same backup is restored
again with a fault injected after the restore (a document's bytes, an event's content, a row
deleted), and the drill must fail on exactly the check that sees it. The scripts are run as an
operator runs them, in their own processes, on the database named by
MOTCUA_DRILL_TEST_DATABASE_URL (its name must contain "drill"; it is dropped and created again).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.production

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
DRILL_URL = os.environ.get(
    "MOTCUA_DRILL_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/motcua_drill_test"
)


def run(argv: list[Any], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in argv],
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
    )


def drill(*args: Any) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, SCRIPTS / "restore-drill", "--database-url", DRILL_URL, *args])


@pytest.fixture(scope="module")
def drilled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One passing drill without the year of activity: its backup and its figures."""
    work = tmp_path_factory.mktemp("drill")
    completed = drill("--no-activity", "--work-dir", work, "--json", work / "figures.json")
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return {
        "backup": work / "backup",
        "figures": json.loads((work / "figures.json").read_text()),
        "output": completed.stdout,
    }


class TestTheDrill:
    def test_it_backs_up_destroys_restores_and_verifies_every_phase(self, drilled) -> None:
        seconds = drilled["figures"]["seconds"]

        assert list(seconds) == [
            "prepare", "load", "check original", "backup", "destroy", "restore", "verify", "total"
        ]  # fmt: skip
        assert drilled["figures"]["failures"] == []
        sizes = drilled["figures"]["sizes"]
        assert sizes["documents"] > 0 and sizes["events"] > 0 and sizes["database_dump_bytes"] > 0
        assert "documents deleted" in drilled["output"]
        assert drilled["output"].count("Event chain intact") == 2
        assert drilled["output"].count("Documents intact") == 2

    def test_the_manifest_names_every_document_with_its_hash(self, drilled) -> None:
        manifest = json.loads((drilled["backup"] / "manifest.json").read_text())
        sums = (drilled["backup"] / "media" / "SHA256SUMS").read_text().splitlines()

        assert (
            manifest["documents"]["files"] == len(sums) == drilled["figures"]["sizes"]["documents"]
        )
        assert manifest["tables"]["documents_document"] >= len(sums)
        assert manifest["event_chain"]["seq"] == manifest["tables"]["audit_event"]
        checked = subprocess.run(
            ["sha256sum", "--quiet", "-c", "SHA256SUMS"],
            cwd=drilled["backup"] / "media",
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stdout

    def test_restoring_the_same_backup_again_passes(self, drilled) -> None:
        completed = drill("--from-backup", drilled["backup"])

        assert completed.returncode == 0, completed.stderr[-3000:]
        assert "Restore drill passed" in completed.stdout


@pytest.mark.parametrize(
    ("fault", "failed", "still_passed"),
    [
        ("document", "verify_documents", "Event chain intact"),
        ("event", "verify_event_chain", "Documents intact"),
        ("row", "row counts", "Event chain intact"),
    ],
)
def test_a_fault_in_the_restored_state_fails_the_drill(drilled, fault, failed, still_passed):
    completed = drill("--from-backup", drilled["backup"], "--inject-fault", fault)

    assert completed.returncode == 1, completed.stdout[-3000:]
    assert f"fault injected: {fault}" in completed.stdout
    assert f"RESTORE DRILL FAILED: {failed} " in completed.stderr
    # The other checks ran and passed: the drill names the check that saw the fault.
    assert still_passed in completed.stdout


def test_a_damaged_backup_is_refused_before_anything_is_restored(drilled, tmp_path) -> None:
    damaged = tmp_path / "damaged"
    subprocess.run(["cp", "-a", drilled["backup"], damaged], check=True)
    dump = damaged / "database.pgdump"
    content = bytearray(dump.read_bytes())
    content[len(content) // 2] ^= 0x01
    dump.write_bytes(bytes(content))

    completed = drill("--from-backup", damaged)

    assert completed.returncode == 1
    assert "does not match the manifest's sha256" in completed.stderr
    assert "database restored" not in completed.stdout


@pytest.fixture
def s3_bucket(tmp_path: Path) -> Any:
    """A local S3-compatible server (scripts/s3-server) with a bucket the drill may empty."""
    server = {
        "MOTCUA_S3_PORT": os.environ.get("MOTCUA_DRILL_TEST_S3_PORT", "9107"),
        "MOTCUA_S3_BUCKET": "motcua-drill-test",
        "MOTCUA_S3_STATE_DIR": str(tmp_path / "s3"),
    }
    env = {**os.environ, **server}
    started = run([SCRIPTS / "s3-server", "start"], env)
    assert started.returncode == 0, started.stderr
    yield {
        "MOTCUA_S3_BUCKET": server["MOTCUA_S3_BUCKET"],
        "MOTCUA_S3_ENDPOINT_URL": f"http://127.0.0.1:{server['MOTCUA_S3_PORT']}",
        "MOTCUA_S3_ACCESS_KEY_ID": "motcua",
        "MOTCUA_S3_SECRET_ACCESS_KEY": "motcua-secret",
    }
    run([SCRIPTS / "s3-server", "stop"], env)


def test_the_drill_restores_documents_kept_in_object_storage(s3_bucket, tmp_path) -> None:
    completed = run(
        [sys.executable, SCRIPTS / "restore-drill", "--database-url", DRILL_URL,
         "--no-activity", "--work-dir", tmp_path / "drill"],
        {**os.environ, **s3_bucket},
    )  # fmt: skip

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    # The documents went to the bucket, not to the drill's directory, and came back from it.
    assert not list((tmp_path / "drill" / "var" / "media").rglob("*.pdf"))
    assert re.search(r"[1-9]\d* documents deleted", completed.stdout)
    assert completed.stdout.count("Documents intact") == 2


@pytest.fixture(scope="module")
def sqlite_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One demo installation on SQLite for the module (loading it is most of the time)."""
    home = tmp_path_factory.mktemp("sqlite-site")
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{home / 'motcua.sqlite3'}",
        MOTCUA_VAR_DIR=str(home),
        MOTCUA_MEDIA_ROOT=str(home / "media"),
    )
    env.pop("MOTCUA_S3_BUCKET", None)
    manage = [sys.executable, ROOT / "src" / "manage.py"]
    for command in (["migrate", "-v0"], ["load_demo"], ["load_demo_history"]):
        completed = run([*manage, *command], env)
        assert completed.returncode == 0, completed.stderr[-3000:]
    return env


class TestOnSqlite:
    """The same scripts on the default single-machine installation: SQLite and a directory."""

    def elsewhere(self, tmp_path: Path) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=f"sqlite:///{tmp_path / 'other' / 'motcua.sqlite3'}",
            MOTCUA_VAR_DIR=str(tmp_path / "other"),
            MOTCUA_MEDIA_ROOT=str(tmp_path / "other" / "media"),
        )
        env.pop("MOTCUA_S3_BUCKET", None)
        return env

    def test_a_backup_restores_on_another_machine_and_verifies(self, sqlite_site, tmp_path) -> None:
        backed = run([sys.executable, SCRIPTS / "backup", tmp_path / "backup"], sqlite_site)
        assert backed.returncode == 0, backed.stderr
        other = self.elsewhere(tmp_path)

        restored = run(
            [sys.executable, SCRIPTS / "restore", tmp_path / "backup", "--verify"], other
        )

        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert "row counts match the manifest" in restored.stdout
        assert "Event chain intact" in restored.stdout
        assert re.search(r"Documents intact: [1-9]\d* rows", restored.stdout)
        assert not (tmp_path / "backup.partial").exists()

    def test_a_database_that_is_not_empty_is_refused_and_left_alone(
        self, sqlite_site, tmp_path
    ) -> None:
        run([sys.executable, SCRIPTS / "backup", tmp_path / "backup"], sqlite_site)
        database = Path(sqlite_site["MOTCUA_VAR_DIR"]) / "motcua.sqlite3"
        before = database.stat().st_mtime_ns, database.stat().st_size

        refused = run([sys.executable, SCRIPTS / "restore", tmp_path / "backup"], sqlite_site)

        assert refused.returncode == 1
        assert "is not empty" in refused.stderr and "--force" in refused.stderr
        assert (database.stat().st_mtime_ns, database.stat().st_size) == before

        forced = run(
            [sys.executable, SCRIPTS / "restore", tmp_path / "backup", "--force"], sqlite_site
        )
        assert forced.returncode == 0, forced.stderr

    def test_a_backup_never_writes_into_a_directory_that_is_not_empty(
        self, sqlite_site, tmp_path
    ) -> None:
        (tmp_path / "backup").mkdir()
        (tmp_path / "backup" / "yesterday").write_text("x")

        refused = run([sys.executable, SCRIPTS / "backup", tmp_path / "backup"], sqlite_site)

        assert refused.returncode == 1 and "is not empty" in refused.stderr
        assert [p.name for p in (tmp_path / "backup").iterdir()] == ["yesterday"]
