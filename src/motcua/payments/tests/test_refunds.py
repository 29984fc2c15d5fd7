"""Refunds recorded by an officer: only the desk that received the dossier or its center's
leader, never more than the gateway took and was not yet given back."""

from __future__ import annotations

from typing import Any

import pytest

from motcua.audit.models import Event
from motcua.core.errors import Conflict, PermissionDenied, ValidationFailed
from motcua.notifications.models import Message
from motcua.payments.models import Payment, PaymentStatus, Refund
from motcua.payments.refunds import refund_record
from motcua.payments.selectors import may_refund
from motcua.payments.services import payment_notify, payment_start
from motcua.payments.tests.helpers import gateway_params

pytestmark = pytest.mark.django_db


def paid(citizen: Any, dossier: Any, key: str = "k") -> Payment:
    payment, _url = payment_start(user=citizen, dossier=dossier, purpose="fee", idempotency_key=key)
    payment_notify(gateway_params(payment))
    payment.refresh_from_db()
    return payment


def test_the_desk_refunds_in_parts_up_to_what_was_paid(demo, citizen, fee_dossier):
    payment = paid(citizen, fee_dossier)
    officer = demo.ward_officer
    refund_record(actor=officer, payment=payment, amount=40_000, reason="Miễn lệ phí một phần")
    with pytest.raises(ValidationFailed):
        refund_record(actor=officer, payment=payment, amount=60_001, reason="Quá số tiền")
    refund_record(actor=officer, payment=payment, amount=60_000, reason="Hồ sơ dừng xử lý")
    with pytest.raises(Conflict):
        refund_record(actor=officer, payment=payment, amount=1, reason="Không còn gì")
    payment.refresh_from_db()
    assert payment.refunded_amount == 100_000 and payment.refundable_amount == 0
    # A refund does not reopen the due: it was settled once.
    assert payment.status == PaymentStatus.PAID
    assert list(Refund.objects.values_list("amount", "recorded_by")) == [
        (40_000, officer.pk),
        (60_000, officer.pk),
    ]
    assert Event.objects.filter(kind="payment.refunded", actor=officer).count() == 2
    assert Message.objects.filter(topic="payment.refunded").exists()


@pytest.mark.parametrize("amount", [0, -5, 1.5, "100", True])
def test_the_amount_is_a_positive_whole_number_of_dong(demo, citizen, fee_dossier, amount):
    payment = paid(citizen, fee_dossier)
    with pytest.raises(ValidationFailed):
        refund_record(actor=demo.ward_officer, payment=payment, amount=amount, reason="x")
    assert not Refund.objects.exists()


def test_a_reason_is_required(demo, citizen, fee_dossier):
    payment = paid(citizen, fee_dossier)
    with pytest.raises(ValidationFailed):
        refund_record(actor=demo.ward_officer, payment=payment, amount=1, reason="  ")


def test_only_the_receiving_desk_or_its_centers_leader_may_refund(demo, citizen, fee_dossier):
    payment = paid(citizen, fee_dossier)
    # The city center's reception officer and leader, the outsider ward, the tax office.
    for someone in (demo.reception_officer, demo.center_leader, demo.outsider, demo.tax_officer):
        assert not may_refund(viewer=someone, payment=payment)
        with pytest.raises(PermissionDenied):
            refund_record(actor=someone, payment=payment, amount=1, reason="x")
    assert may_refund(viewer=demo.ward_officer, payment=payment)
    assert not Refund.objects.exists()


def test_nothing_is_refunded_before_money_was_received(demo, citizen, fee_dossier):
    payment, _url = payment_start(
        user=citizen, dossier=fee_dossier, purpose="fee", idempotency_key="k"
    )
    with pytest.raises(Conflict):
        refund_record(actor=demo.ward_officer, payment=payment, amount=1, reason="x")


def test_money_taken_twice_is_refunded_in_full(demo, citizen, fee_dossier):
    first, _ = payment_start(user=citizen, dossier=fee_dossier, purpose="fee", idempotency_key="a")
    second, _ = payment_start(user=citizen, dossier=fee_dossier, purpose="fee", idempotency_key="b")
    payment_notify(gateway_params(first))
    payment_notify(gateway_params(second))
    second.refresh_from_db()
    assert second.status == PaymentStatus.TO_REFUND
    refund_record(
        actor=demo.ward_officer,
        payment=second,
        amount=100_000,
        reason="Thanh toán trùng",
        gateway_reference="RF-1",
    )
    second.refresh_from_db()
    assert second.refundable_amount == 0
    assert Refund.objects.get().gateway_reference == "RF-1"
