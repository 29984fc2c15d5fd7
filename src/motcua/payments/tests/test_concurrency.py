"""Two notifications for two payments of one due, at the same instant, on separate database
connections: one settles it, the other is money to refund. Needs PostgreSQL (SQLite runs one
writer at a time, so there is no race to lose)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from motcua.dossiers.tests.helpers import receive
from motcua.payments.models import Payment, PaymentStatus, Problem
from motcua.payments.services import payment_notify, payment_start
from motcua.payments.tests.conftest import BUSINESS_REGISTRATION, make_citizen, online
from motcua.payments.tests.helpers import gateway_params

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers"),
]


def test_two_simultaneous_notifications_settle_the_due_once(browser_demo: Any) -> None:
    citizen = make_citizen("nhung", "046190001234")
    dossier = online(receive(browser_demo.ward_officer, BUSINESS_REGISTRATION), citizen)
    payments = [
        payment_start(user=citizen, dossier=dossier, purpose="fee", idempotency_key=key)[0]
        for key in ("tab-1", "tab-2")
    ]
    notifications = [gateway_params(p, vnp_TransactionNo=str(i)) for i, p in enumerate(payments)]
    start = threading.Barrier(len(notifications))
    answers: list[tuple[str, str]] = []

    def notify(params: dict[str, str]) -> None:
        try:
            start.wait()
            answers.append(payment_notify(params))
        finally:
            connection.close()

    threads = [threading.Thread(target=notify, args=(n,)) for n in notifications]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(a[0] for a in answers) == ["00", "00"]
    statuses = sorted(Payment.objects.values_list("status", "problem"))
    assert statuses == [(PaymentStatus.PAID, ""), (PaymentStatus.TO_REFUND, Problem.PAID_TWICE)]
