"""Small pieces shared by the dossier services: numbering and the public timeline."""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection
from django.utils import timezone

from motcua.agencies.models import Unit
from motcua.dossiers.models import DossierCodeCounter


def take_number(*, unit: Unit, series: str, at: datetime) -> tuple[date, int]:
    """Next number of a series for the unit and day.

    The UPDATE locks the counter row until the caller commits, so numbers are unique and, as a
    rollback also rolls the counter back, gap-free. One statement (two on the day's first).
    """
    day = timezone.localtime(at).date()
    table = DossierCodeCounter._meta.db_table
    increment = (
        f"UPDATE {table} SET last = last + 1 "
        "WHERE unit_id = %s AND series = %s AND day = %s RETURNING last"
    )
    params: tuple[int, str, date] = (unit.pk, series, day)
    with connection.cursor() as cursor:
        cursor.execute(increment, params)
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                f"INSERT INTO {table} (unit_id, series, day, last) "
                "VALUES (%s, %s, %s, 0) ON CONFLICT DO NOTHING",
                params,
            )
            cursor.execute(increment, params)
            row = cursor.fetchone()
    return day, int(row[0])


def milestone(kind: str, at: datetime) -> dict[str, str]:
    """An entry of Dossier.milestones; every service that logs a public event adds one."""
    return {"kind": kind, "at": at.isoformat()}
