"""Two sweeps at the same instant on separate database connections send each alert once: the
unique constraint on (step, rule) decides. Needs PostgreSQL (SQLite runs one writer at a time,
so there is no race to lose)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from motcua.audit.models import Event
from motcua.notifications.models import Message
from motcua.supervision.models import Alert, AlertRecipient
from motcua.supervision.services import alerts_sweep
from motcua.supervision.tests.helpers import (
    default_rules,
    everyone_with_contacts,
    local,
    received,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs concurrent writers; SQLite serialises them",
    ),
]


def test_two_sweeps_at_once_send_each_alert_once(browser_demo: Any) -> None:
    default_rules()
    everyone_with_contacts(browser_demo)
    dossiers = [received(browser_demo.reception_officer) for _ in range(3)]
    # Fri 12 Feb 16:00: the three overdue rules of each examination step are due.
    now = local(2027, 2, 12, 16, 0)
    start = threading.Barrier(4)
    counts: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            counts.append(alerts_sweep(now=now))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(counts) == 3 * len(dossiers)
    assert Alert.objects.count() == 3 * len(dossiers)
    # chuyenvien and truongphong, then lanhdao, then giamdoc: four people per dossier.
    assert AlertRecipient.objects.count() == 4 * len(dossiers)
    assert Event.objects.filter(kind="supervision.alert_sent").count() == 3 * len(dossiers)
    # Email to all four; SMS for the two escalations only.
    assert Message.objects.filter(topic="supervision.alert").count() == 6 * len(dossiers)
