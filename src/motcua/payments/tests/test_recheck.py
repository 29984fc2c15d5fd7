"""The periodic re-check of payments left pending: the gateway is asked (querydr) a minute on,
what it confirms is settled, what it never took is expired after the timeout."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from motcua.payments.models import CallbackSource, GatewayCallback, Payment, PaymentStatus
from motcua.payments.services import payment_notify, payment_start, payments_recheck_pending
from motcua.payments.tests.helpers import http, pay_at_gateway

pytestmark = pytest.mark.django_db


def start(user: Any, dossier: Any, key: str = "k1") -> tuple[Payment, str]:
    return payment_start(user=user, dossier=dossier, purpose="fee", idempotency_key=key)


def later(minutes: float) -> Any:
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False)


def status(payment: Payment) -> str:
    return Payment.objects.get(pk=payment.pk).status


def test_a_payment_whose_notification_was_lost_is_settled_by_the_query(
    citizen, fee_dossier, gateway
):
    payment, url = start(citizen, fee_dossier)
    pay_at_gateway(url, action="pay_no_return")
    gateway.held.clear()  # the IPN is lost, and the citizen closed the browser

    assert payments_recheck_pending() == 0  # under a minute old: not asked yet
    with later(2):
        assert payments_recheck_pending() == 1
    assert status(payment) == PaymentStatus.PAID
    callback = GatewayCallback.objects.get(payment=payment)
    assert (callback.source, callback.signature_valid, callback.outcome) == ("query", True, "paid")


def test_an_unpaid_payment_is_asked_about_then_expired_after_the_timeout(
    citizen, fee_dossier, gateway
):
    payment, url = start(citizen, fee_dossier)
    assert http("GET", url).status == 200  # on the gateway's page, not paying
    with later(2):
        assert payments_recheck_pending() == 0
    assert status(payment) == PaymentStatus.PENDING
    with later(2.5):
        # Asked less than a minute ago: not asked again.
        payments_recheck_pending()
    assert GatewayCallback.objects.filter(source=CallbackSource.QUERY).count() == 1
    with later(16):
        assert payments_recheck_pending() == 1
    assert status(payment) == PaymentStatus.EXPIRED
    with later(30):
        assert payments_recheck_pending() == 0  # expired ones are not asked about again


def test_a_payment_the_gateway_never_saw_expires_too(citizen, fee_dossier, gateway):
    payment, _url = start(citizen, fee_dossier)
    with later(16):
        assert payments_recheck_pending() == 1
    assert status(payment) == PaymentStatus.EXPIRED
    assert GatewayCallback.objects.get().outcome == "still_pending"


def test_nothing_expires_while_the_gateway_cannot_be_asked(citizen, fee_dossier):
    payment, _url = start(citizen, fee_dossier)
    with later(60):
        assert payments_recheck_pending() == 0
    assert status(payment) == PaymentStatus.PENDING


def test_a_success_after_the_timeout_settles_the_expired_payment(citizen, fee_dossier, gateway):
    payment, url = start(citizen, fee_dossier)
    assert http("GET", url).status == 200
    with later(16):
        payments_recheck_pending()
    assert status(payment) == PaymentStatus.EXPIRED
    # The gateway had taken the money just before its own deadline; its IPN arrives late.
    gateway.ledger[payment.txn_ref].expire_date = "99991231235959"
    pay_at_gateway(url, action="pay_no_return")
    [late] = gateway.held
    assert payment_notify(late)[0] == "00"
    assert status(payment) == PaymentStatus.PAID


def test_the_sweep_command_runs_the_recheck(citizen, fee_dossier, gateway):
    payment, url = start(citizen, fee_dossier)
    pay_at_gateway(url, action="pay_no_return")
    with later(2):
        call_command("payments_sweep")
    assert status(payment) == PaymentStatus.PAID
