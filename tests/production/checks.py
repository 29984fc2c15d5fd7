"""What the database must hold after a fault: each acknowledged dossier once and whole,
nothing half-written. Read with plain SQL, from outside the app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg

from tests.production.clients import Intake, Submitted

SYSTEM_CLIENT = "he-thong-mot-cua"


def mandatory_components(db: psycopg.Connection, national_code: str) -> list[int]:
    rows = db.execute(
        """SELECT c.id FROM catalog_procedurecomponent c
           JOIN catalog_procedureversion v ON v.id = c.version_id
           JOIN catalog_procedure p ON p.id = v.procedure_id
           WHERE p.national_code = %s AND c.is_mandatory AND v.number = (
               SELECT max(number) FROM catalog_procedureversion WHERE procedure_id = p.id)
           ORDER BY c.id""",
        [national_code],
    ).fetchall()
    return [row[0] for row in rows]


def form_schema(db: psycopg.Connection, national_code: str) -> dict[str, Any]:
    row = db.execute(
        """SELECT v.form_schema FROM catalog_procedureversion v
           JOIN catalog_procedure p ON p.id = v.procedure_id
           WHERE p.national_code = %s ORDER BY v.number DESC LIMIT 1""",
        [national_code],
    ).fetchone()
    assert row is not None
    return row[0] if isinstance(row[0], dict) else json.loads(row[0])


def one(db: psycopg.Connection, sql: str, params: list[Any] | None = None) -> Any:
    row = db.execute(sql, params or []).fetchone()
    assert row is not None
    return row[0]


def verify_dossiers(
    db: psycopg.Connection, *, intakes: list[Intake], submissions: list[Submitted], media: Path
) -> dict[str, int]:
    """Every check below; figures of what the faults left that is harmless."""
    _acknowledged_once(db, intakes, submissions)
    dossiers = db.execute(
        "SELECT id, code, channel, received_at, due_at, original_due_at, submitted_at "
        "FROM dossiers_dossier"
    ).fetchall()
    for row in dossiers:
        _whole(db, *row)
    _nothing_about_missing_dossiers(db)
    _codes_without_gaps(db)
    _tasks_name_existing_messages(db)
    _documents_have_files(db, media)
    submitted_drafts_left = one(
        db,
        """SELECT count(*) FROM dossiers_dossierdraft d JOIN dossiers_idempotencyrecord r
           ON r.key = 'draft:' || d.id AND r.user_id = d.user_id""",
    )
    assert submitted_drafts_left == 0, "a submitted draft is still there"
    return {
        "dossiers": len(dossiers),
        # Left by a retried "start" whose first attempt went through: drafts count nowhere.
        "stray_drafts": one(db, "SELECT count(*) FROM dossiers_dossierdraft"),
        # Replaced in its draft by the upload of a retried save: the citizen's own file, unused.
        "superseded_uploads": one(
            db,
            """SELECT count(*) FROM documents_document doc WHERE NOT EXISTS
               (SELECT 1 FROM dossiers_dossiercomponent c WHERE c.document_id = doc.id)""",
        ),
    }


def _acknowledged_once(
    db: psycopg.Connection, intakes: list[Intake], submissions: list[Submitted]
) -> None:
    """Each acknowledgement names the one dossier its key holds; no key holds two."""
    assert len({i.key for i in intakes}) == len(intakes)
    for intake in intakes:
        rows = db.execute(
            """SELECT d.code FROM dossiers_idempotencyrecord r
               JOIN dossiers_dossier d ON d.id = r.dossier_id
               JOIN accounts_user u ON u.id = r.user_id
               WHERE u.username = %s AND r.key = %s""",
            [SYSTEM_CLIENT, intake.key],
        ).fetchall()
        assert rows == [(intake.code,)], (intake, rows)
    for submission in submissions:
        rows = db.execute(
            """SELECT d.code FROM dossiers_idempotencyrecord r
               JOIN dossiers_dossier d ON d.id = r.dossier_id
               WHERE r.key = %s""",
            [f"draft:{submission.draft_id}"],
        ).fetchall()
        assert rows == [(submission.code,)], (submission, rows)
    codes = [i.code for i in intakes] + [s.code for s in submissions]
    assert len(set(codes)) == len(codes), "two acknowledgements name the same dossier"
    assert (
        one(
            db,
            """SELECT count(*) FROM (SELECT 1 FROM dossiers_idempotencyrecord
               GROUP BY user_id, key HAVING count(*) > 1) twice""",
        )
        == 0
    )


def _whole(
    db: psycopg.Connection,
    pk: int,
    code: str,
    channel: str,
    received_at: Any,
    due_at: Any,
    original_due_at: Any,
    submitted_at: Any,
) -> None:
    """Everything the intake's (or submission's) one transaction writes is there."""
    counts = db.execute(
        """SELECT
             (SELECT count(*) FROM dossiers_idempotencyrecord WHERE dossier_id = %(pk)s),
             (SELECT count(*) FROM dossiers_dossiercomponent WHERE dossier_id = %(pk)s),
             (SELECT count(*) FROM dossiers_dossiercomponent
                WHERE dossier_id = %(pk)s AND document_id IS NOT NULL),
             (SELECT count(*) FROM dossiers_dossierstep WHERE dossier_id = %(pk)s),
             (SELECT count(*) FROM audit_event
                WHERE target_type = 'dossier' AND target_id = %(code)s AND kind = %(event)s),
             (SELECT count(*) FROM notifications_message
                WHERE target_type = 'dossier' AND target_id = %(code)s AND topic = %(event)s)""",
        {
            "pk": pk,
            "code": code,
            "event": "dossier.received" if channel == "counter" else "dossier.submitted",
        },
    ).fetchone()
    assert counts is not None
    keys, components, attached, steps, events, messages = counts
    assert keys == 1, (code, "idempotency records", keys)
    assert components >= 1 and events == 1 and messages >= 1, (code, counts)
    if channel == "counter":
        assert received_at and due_at and original_due_at, (code, "clock")
        assert steps >= 1, (code, "route not started")
    else:
        assert submitted_at and received_at is None and steps == 0, (code, "submission")
        assert attached == components, (code, "components without their upload")


def _nothing_about_missing_dossiers(db: psycopg.Connection) -> None:
    for table in ("audit_event", "notifications_message"):
        orphans = db.execute(
            f"""SELECT target_id FROM {table} t WHERE target_type = 'dossier'
                AND NOT EXISTS (SELECT 1 FROM dossiers_dossier d WHERE d.code = t.target_id)"""
        ).fetchall()
        assert not orphans, (table, orphans[:5])


def _codes_without_gaps(db: psycopg.Connection) -> None:
    """Codes are taken in the dossier's transaction: a rolled-back intake leaves no gap."""
    rows = db.execute(
        """SELECT u.code, c.day, c.last FROM dossiers_dossiercodecounter c
           JOIN agencies_unit u ON u.id = c.unit_id WHERE c.series = 'dossier'"""
    ).fetchall()
    codes = [row[0] for row in db.execute("SELECT code FROM dossiers_dossier").fetchall()]
    for unit, day, last in rows:
        prefix = f"{unit}-{day:%y%m%d}-"
        numbers = sorted(int(c.removeprefix(prefix)) for c in codes if c.startswith(prefix))
        assert numbers == list(range(1, last + 1)), (prefix, last, numbers[-5:])
    assert sum(last for *_, last in rows) == len(codes)


def _tasks_name_existing_messages(db: psycopg.Connection) -> None:
    ids: set[int] = set()
    for (args_kwargs,) in db.execute(
        "SELECT args_kwargs FROM django_tasks_database_dbtaskresult"
    ).fetchall():
        value = args_kwargs if isinstance(args_kwargs, dict) else json.loads(args_kwargs)
        for argument in value.get("args", []):
            ids.update(argument if isinstance(argument, list) else [])
    if ids:
        found = {
            row[0]
            for row in db.execute(
                "SELECT id FROM notifications_message WHERE id = ANY(%s)", [list(ids)]
            ).fetchall()
        }
        assert ids == found, sorted(ids - found)[:5]


def _documents_have_files(db: psycopg.Connection, media: Path) -> None:
    """A document row is written after its file: no row without its file."""
    missing = [
        path
        for (path,) in db.execute("SELECT file FROM documents_document").fetchall()
        if not (media / path).is_file()
    ]
    assert not missing, missing[:5]
