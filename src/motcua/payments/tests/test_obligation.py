"""The tax office's notice paid online: the clock runs again exactly as when it is paid at the
desk, recorded by the system on the gateway's word. Times frozen on the real calendar."""

from __future__ import annotations

from typing import Any

import pytest

from motcua.audit.models import Event
from motcua.core.errors import Conflict
from motcua.dossiers.models import DossierPause, DossierState, PaymentNotice
from motcua.dossiers.processing import payment_record
from motcua.payments.models import Payment, PaymentStatus, Problem, Purpose
from motcua.payments.selectors import due_for, dues_for
from motcua.payments.services import payment_notify, payment_start
from motcua.payments.tests.conftest import at, awaiting_payment, local, make_citizen
from motcua.payments.tests.helpers import gateway_params

pytestmark = pytest.mark.django_db


def pay_online(user: Any, dossier: Any, *when: int) -> Payment:
    with at(*when):
        payment, _url = payment_start(
            user=user, dossier=dossier, purpose=Purpose.OBLIGATION, idempotency_key="k"
        )
        assert payment_notify(gateway_params(payment))[0] == "00"
    payment.refresh_from_db()
    return payment


def test_the_notice_is_payable_online_while_the_dossier_waits_for_it(citizen, obligation_dossier):
    fees, due = dues_for(obligation_dossier)
    # Filed online, the land transfer also owes the center's charge of 30.000 đồng.
    assert (fees.purpose, fees.amount) == (Purpose.FEE, 30_000)
    assert (due.purpose, due.amount, due.payable) == (Purpose.OBLIGATION, 2_500_000, True)
    assert due.notice_number.startswith("000.00.60.H57-TB-")
    assert [line.name for line in due.lines] == ["Thuế thu nhập cá nhân", "Lệ phí trước bạ"]


def test_paid_online_the_clock_resumes_and_the_due_date_moves_by_the_pause(
    citizen, obligation_dossier
):
    before = obligation_dossier.due_at
    # 8 working days from Mon 1 Mar 09:00: the end of Thu 11 Mar.
    assert before == local(2027, 3, 11, 17, 0)

    # Paid on Thu 4 Mar 10:00: the clock stood still one working day.
    payment = pay_online(citizen, obligation_dossier, 2027, 3, 4, 10, 0)

    obligation_dossier.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert obligation_dossier.state == DossierState.IN_PROCESSING
    assert obligation_dossier.due_at == local(2027, 3, 12, 17, 0)
    pause = DossierPause.objects.get(dossier=obligation_dossier)
    assert (pause.started_at, pause.ended_at) == (
        local(2027, 3, 3, 10, 0),
        local(2027, 3, 4, 10, 0),
    )
    notice = PaymentNotice.objects.get(dossier=obligation_dossier)
    assert (notice.paid_at, notice.payment_method, notice.recorded_by) == (
        local(2027, 3, 4, 10, 0),
        "online",
        None,
    )
    assert notice.receipt_number == payment.receipt_number
    assert payment.receipt_number.startswith("000.00.01.H57-BL2027-")
    event = Event.objects.get(kind="dossier.payment_received", target_id=obligation_dossier.code)
    assert (event.actor, event.actor_role, event.data["method"]) == (None, "system", "online")
    assert obligation_dossier.milestones[-1]["kind"] == "dossier.payment_received"


def test_online_and_at_the_desk_the_clock_moves_the_same(demo, citizen):
    online_paid = awaiting_payment(demo, citizen)
    desk_paid = awaiting_payment(demo, make_citizen("desk", "046190005555"))
    pay_online(citizen, online_paid, 2027, 3, 5, 15, 30)
    with at(2027, 3, 5, 15, 30):
        payment_record(actor=demo.reception_officer, code=desk_paid.code, receipt_number="BL-1")
    online_paid.refresh_from_db()
    desk_paid.refresh_from_db()
    assert online_paid.due_at == desk_paid.due_at
    steps = [
        list(d.steps.order_by("pk").values_list("due_at", flat=True))
        for d in (online_paid, desk_paid)
    ]
    assert steps[0] == steps[1]


def test_the_desk_cannot_record_what_was_paid_online(demo, citizen, obligation_dossier):
    pay_online(citizen, obligation_dossier, 2027, 3, 4, 10, 0)
    with at(2027, 3, 4, 11, 0), pytest.raises(Conflict):
        payment_record(
            actor=demo.reception_officer, code=obligation_dossier.code, receipt_number="X"
        )


def test_paid_at_the_desk_first_an_online_payment_is_to_refund(demo, citizen, obligation_dossier):
    with at(2027, 3, 4, 9, 0):
        payment, _url = payment_start(
            user=citizen, dossier=obligation_dossier, purpose="obligation", idempotency_key="k"
        )
        payment_record(
            actor=demo.reception_officer, code=obligation_dossier.code, receipt_number="BL-7"
        )
    with at(2027, 3, 4, 9, 5):
        assert payment_notify(gateway_params(payment))[0] == "00"
    payment.refresh_from_db()
    assert (payment.status, payment.problem) == (PaymentStatus.TO_REFUND, Problem.PAID_TWICE)
    notice = PaymentNotice.objects.get(dossier=obligation_dossier)
    assert (notice.receipt_number, notice.payment_method) == ("BL-7", "counter")


def test_it_cannot_be_started_once_the_dossier_no_longer_waits(demo, citizen, obligation_dossier):
    with at(2027, 3, 4, 9, 0):
        payment_record(
            actor=demo.reception_officer, code=obligation_dossier.code, receipt_number="BL-7"
        )
        obligation_dossier.refresh_from_db()
        with pytest.raises(Conflict):
            payment_start(
                user=citizen, dossier=obligation_dossier, purpose="obligation", idempotency_key="k"
            )
    due = due_for(obligation_dossier, Purpose.OBLIGATION)
    assert (
        due is not None and due.settled and due.settled_by is None and due.receipt_number == "BL-7"
    )
