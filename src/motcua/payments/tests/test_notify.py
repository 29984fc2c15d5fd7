"""The gateway's signed notification (IPN): it alone (or a signed query answer) settles a due,
once; repeats, bad signatures, wrong amounts and late notifications change nothing else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from motcua.audit.models import Event
from motcua.notifications.models import Message
from motcua.payments import protocol
from motcua.payments.models import (
    CallbackSource,
    GatewayCallback,
    Payment,
    PaymentStatus,
    Problem,
    Purpose,
)
from motcua.payments.selectors import dossier_fees_outstanding, dossier_payable_now, dues_for
from motcua.payments.services import payment_notify, payment_start, payments_recheck_pending
from motcua.payments.tests.helpers import gateway_params

pytestmark = pytest.mark.django_db


def start(user: Any, dossier: Any, key: str = "k1", purpose: str = Purpose.FEE) -> Payment:
    payment, _url = payment_start(user=user, dossier=dossier, purpose=purpose, idempotency_key=key)
    return payment


def state(payment: Payment) -> tuple:
    """Everything a refused notification must leave as it was."""
    fresh = Payment.objects.get(pk=payment.pk)
    return (
        fresh.status,
        fresh.paid_at,
        fresh.receipt_number,
        fresh.received_amount,
        Payment.objects.filter(status=PaymentStatus.PAID).count(),
        Event.objects.filter(kind__startswith="payment.").exclude(kind="payment.started").count(),
        Message.objects.count(),
    )


def test_a_signed_notification_settles_the_fee_once_with_a_receipt(citizen, fee_dossier):
    payment = start(citizen, fee_dossier)
    assert payment.amount == 100_000 and payment.status == PaymentStatus.PENDING
    assert dossier_fees_outstanding(fee_dossier) == 100_000

    assert payment_notify(gateway_params(payment)) == ("00", "Confirm Success")

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert payment.receipt_number == f"000.12.01.H57-BL{timezone.localdate().year}-000001"
    assert payment.gateway_transaction_no == "14999999" and payment.bank_code == "NCB"
    assert dossier_fees_outstanding(fee_dossier) == 0
    [due] = dues_for(fee_dossier)
    assert due.settled and due.settled_by == payment and not due.payable
    assert Event.objects.filter(kind="payment.paid", target_id=payment.txn_ref).exists()
    told = Message.objects.filter(topic="payment.paid", target_id=fee_dossier.code)
    assert told.count() == 2  # email and SMS
    assert "100.000 đồng" in told.first().body  # type: ignore[union-attr]


def test_a_repeated_notification_is_answered_already_confirmed_and_changes_nothing(
    citizen, fee_dossier
):
    payment = start(citizen, fee_dossier)
    params = gateway_params(payment)
    payment_notify(params)
    before = state(payment)
    for _ in range(3):
        assert payment_notify(params) == ("02", "Order already confirmed")
    assert state(payment) == before
    assert GatewayCallback.objects.filter(payment=payment, source=CallbackSource.IPN).count() == 4


def test_a_notification_with_a_bad_signature_is_refused_and_changes_nothing(
    client, citizen, fee_dossier
):
    payment = start(citizen, fee_dossier)
    before = state(payment)
    forged = {**gateway_params(payment), "vnp_SecureHash": "ab" * 64}
    response = client.get(reverse("portal:payment_ipn"), forged)
    assert response.json() == {"RspCode": "97", "Message": "Invalid signature"}
    # Signed for another amount, then changed: the signature no longer fits.
    tampered = {**gateway_params(payment, vnp_Amount="100"), "vnp_Amount": "10000000"}
    assert payment_notify(tampered)[0] == "97"
    # Signed with somebody else's secret.
    other = protocol.signed({k: v for k, v in forged.items() if k != "vnp_SecureHash"}, "x")
    assert payment_notify(other)[0] == "97"
    assert state(payment) == before
    callbacks = GatewayCallback.objects.filter(source=CallbackSource.IPN)
    assert callbacks.count() == 3
    assert not any(c.signature_valid for c in callbacks)
    assert {c.outcome for c in callbacks} == {"invalid_signature"}


def test_a_notification_for_another_merchant_is_refused(citizen, fee_dossier):
    payment = start(citizen, fee_dossier)
    assert payment_notify(gateway_params(payment, vnp_TmnCode="OTHER001"))[0] == "97"
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING


def test_an_amount_that_does_not_match_is_not_settled_but_kept_to_refund(citizen, fee_dossier):
    payment = start(citizen, fee_dossier)
    assert payment_notify(gateway_params(payment, vnp_Amount="5000000")) == (
        "04",
        "Invalid amount",
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.TO_REFUND
    assert payment.problem == Problem.AMOUNT_DIFFERS
    assert payment.received_amount == 50_000 and not payment.receipt_number
    assert dossier_fees_outstanding(fee_dossier) == 100_000
    # Repeated, it is refused again and nothing moves; the correct amount cannot follow it.
    assert payment_notify(gateway_params(payment, vnp_Amount="5000000"))[0] == "04"
    assert payment_notify(gateway_params(payment))[0] == "02"
    assert Payment.objects.filter(status=PaymentStatus.PAID).count() == 0


def test_an_unknown_transaction_is_order_not_found(citizen, fee_dossier):
    payment = start(citizen, fee_dossier)
    assert payment_notify(gateway_params(payment, vnp_TxnRef="NOPE"))[0] == "01"


def test_a_failed_payment_is_recorded_and_can_be_tried_again(citizen, fee_dossier):
    payment = start(citizen, fee_dossier)
    params = gateway_params(payment, vnp_ResponseCode="24", vnp_TransactionStatus="02")
    assert payment_notify(params)[0] == "00"
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.FAILED
    assert dues_for(fee_dossier)[0].payable
    again = start(citizen, fee_dossier, key="k2")
    assert again.pk != payment.pk and again.status == PaymentStatus.PENDING


def test_a_notification_after_the_timeout_still_settles_what_nothing_else_paid(
    citizen, fee_dossier
):
    payment = start(citizen, fee_dossier)
    # The gateway is not reachable; the sweep cannot expire what it cannot ask about.
    later = timezone.now() + timedelta(minutes=20)
    with time_machine.travel(later, tick=False):
        assert payments_recheck_pending() == 0
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.EXPIRED)

    with time_machine.travel(later, tick=False):
        assert payment_notify(gateway_params(payment))[0] == "00"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.receipt_number


def test_a_late_notification_for_a_due_paid_meanwhile_is_flagged_to_refund(citizen, fee_dossier):
    first = start(citizen, fee_dossier, key="k1")
    Payment.objects.filter(pk=first.pk).update(status=PaymentStatus.EXPIRED)
    second = start(citizen, fee_dossier, key="k2")
    assert payment_notify(gateway_params(second, vnp_TransactionNo="2"))[0] == "00"

    assert payment_notify(gateway_params(first, vnp_TransactionNo="1")) == ("00", "Confirm Success")
    first.refresh_from_db()
    assert first.status == PaymentStatus.TO_REFUND and first.problem == Problem.PAID_TWICE
    assert first.received_amount == 100_000 and first.refundable_amount == 100_000
    assert not first.receipt_number
    assert Payment.objects.filter(dossier=fee_dossier, status=PaymentStatus.PAID).get() == second
    assert Message.objects.filter(topic="payment.to_refund").exists()
    # Repeats of either change nothing.
    assert payment_notify(gateway_params(first, vnp_TransactionNo="1"))[0] == "02"
    assert payment_notify(gateway_params(second, vnp_TransactionNo="2"))[0] == "02"


def test_two_payments_of_one_due_cannot_both_be_the_paid_one(citizen, fee_dossier):
    first, second = start(citizen, fee_dossier, "k1"), start(citizen, fee_dossier, "k2")
    payment_notify(gateway_params(first))
    # Even a write that skipped the services' checks is stopped by the database.
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=second.pk).update(status=PaymentStatus.PAID)
    assert Payment.objects.filter(dossier=fee_dossier, status=PaymentStatus.PAID).count() == 1


def test_the_notification_endpoint_answers_json_to_get_only(client, citizen, fee_dossier):
    payment = start(citizen, fee_dossier)
    url = reverse("portal:payment_ipn")
    assert client.post(url, gateway_params(payment)).status_code == 405
    response = client.get(url, gateway_params(payment))
    assert response["Content-Type"] == "application/json"
    assert response.json()["RspCode"] == "00"


def test_what_is_payable_now_counts_every_due_not_yet_settled(citizen, obligation_dossier):
    # The center's 30.000 đồng charge and the tax office's 2.500.000 đồng.
    assert dossier_payable_now(obligation_dossier) == 2_530_000
    assert dossier_fees_outstanding(obligation_dossier) == 30_000
