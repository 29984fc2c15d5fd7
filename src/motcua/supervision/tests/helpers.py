"""Supervision tests: frozen time on the real calendar (Tết 2027 is Thu 4 – Wed 10 Feb), dossiers
reached through the real services, officers with an address and a phone to be told on."""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.apps import apps

from motcua.audit.models import Event
from motcua.dossiers.models import DossierStep
from motcua.dossiers.tests.helpers import receive
from motcua.supervision.models import AlertRecipient

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Received Mon 1 Feb 2027 09:00 at Huế's center; the land office's examination (2.5 working
# days) is due Wed 3 Feb 14:45, near due (8 working hours left) from Tue 2 Feb 14:15.
LAND_TRANSFER = "1.013831"
# Residence registration, decided by the city police, received at the same desk.
PERMANENT_RESIDENCE = "1.004222"
# A ward procedure, received at Thuận Hóa ward's center.
WARD_PROCEDURE = "1.001612"


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def default_rules() -> None:
    """The rules the data migration seeds (a transactional test elsewhere may have flushed them)."""
    migration = importlib.import_module(
        "motcua.supervision.migrations.0002_default_escalation_rules"
    )
    migration.seed(apps, None)


def received(actor: Any, national_code: str = LAND_TRANSFER, at: datetime | None = None) -> Any:
    with time_machine.travel(at or local(2027, 2, 1, 9, 0), tick=False):
        return receive(actor, national_code)


def open_step(dossier: Any) -> DossierStep:
    return DossierStep.objects.filter(dossier=dossier, finished_at__isnull=True).get()


def with_contacts(user: Any, email: str, phone: str) -> Any:
    user.email, user.phone = email, phone
    user.save(update_fields=["email", "phone"])
    return user


def everyone_with_contacts(demo: Any) -> None:
    for number, user in enumerate(
        [
            demo.land_specialist,
            demo.land_head,
            demo.land_director,
            demo.center_leader,
            demo.police_officer,
            demo.person("truongcongan"),
        ]
    ):
        with_contacts(user, f"{user.username}@example.vn", f"090500{number:04d}")


def told(trigger: str | None = None) -> set[tuple[str, str]]:
    """(username, why) of everyone told, optionally of one trigger."""
    rows = AlertRecipient.objects.select_related("user", "alert")
    if trigger:
        rows = rows.filter(alert__trigger=trigger)
    return {(row.user.username, row.audience) for row in rows}


def events(kind: str) -> list[Event]:
    return list(Event.objects.filter(kind=kind).order_by("seq"))
