"""The deadline sweep: each step and dossier past its due time is logged once, for supervision,
through the task framework's database worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from motcua.audit.models import Event
from motcua.dossiers.processing import (
    PaymentLine,
    deadlines_sweep,
    payment_notice_issue,
    step_forward,
)
from motcua.dossiers.tests.helpers import receive

LAND_TRANSFER = "1.013831"


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC) - timedelta(hours=7)


def logged(kind: str) -> list[tuple[str, Any]]:
    return [
        (e.target_id, e.data.get("unit")) for e in Event.objects.filter(kind=kind).order_by("seq")
    ]


@pytest.mark.django_db
def test_it_logs_each_late_step_once_and_nothing_while_the_clock_is_paused(demo):
    with time_machine.travel(local(2027, 2, 1, 9, 0), tick=False):
        dossier = receive(demo.reception_officer, LAND_TRANSFER)
    # The examination (2.5 days) was due Wed 3 Feb 14:45.
    assert deadlines_sweep(now=local(2027, 2, 3, 14, 0)) == 0
    assert deadlines_sweep(now=local(2027, 2, 3, 15, 0)) == 1
    assert deadlines_sweep(now=local(2027, 2, 3, 16, 0)) == 0
    assert logged("dossier.step_overdue") == [(dossier.code, "000.20.30.H57.P01")]

    with time_machine.travel(local(2027, 2, 11, 8, 0), tick=False):
        step_forward(actor=demo.land_specialist, code=dossier.code)
        payment_notice_issue(
            actor=demo.tax_officer,
            code=dossier.code,
            lines=[PaymentLine(kind="charge", name="Lệ phí trước bạ", amount=500_000)],
        )
    # Waiting for the payment, long after the original due date: the clock stands still.
    assert deadlines_sweep(now=local(2027, 3, 30, 9, 0)) == 0
    assert logged("dossier.overdue") == []


@pytest.mark.django_db(transaction=True)
def test_the_database_task_worker_runs_the_sweep(settings, demo):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with time_machine.travel(local(2027, 2, 1, 9, 0), tick=False):
        dossier = receive(demo.reception_officer, LAND_TRANSFER)
    with time_machine.travel(local(2027, 3, 1, 9, 0), tick=False):
        call_command("sweep_deadlines")
        call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)
    assert logged("dossier.step_overdue") == [(dossier.code, "000.20.30.H57.P01")]
    assert logged("dossier.overdue") == [(dossier.code, None)]
