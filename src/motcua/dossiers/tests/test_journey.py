"""The land journey of issue 3, through the services, on the real calendar across Tết 2027.

Tết 2027 (holidays package): Thu 4 – Wed 10 February are days off. The land-use right transfer
(1.013831) takes 8 working days counted from the day after reception, and the time waiting for the
financial obligation is excluded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.audit.models import Event
from motcua.audit.services import event_chain_verify
from motcua.core.testing import sample_pdf
from motcua.dossiers.models import DossierState, Handover, Timeliness
from motcua.dossiers.processing import (
    PaymentLine,
    Recipient,
    dossier_resolve,
    dossier_return,
    payment_notice_issue,
    payment_record,
    step_assign,
    step_forward,
)
from motcua.dossiers.tests.helpers import receive
from motcua.notifications.models import Message

LAND_TRANSFER = "1.013831"
VN = timedelta(hours=7)
# A real PDF: results are signed, so they must parse.
PDF = sample_pdf()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC) - VN


def at(*args: int):  # type: ignore[no-untyped-def]
    return time_machine.travel(local(*args), tick=False)


def open_steps(dossier):  # type: ignore[no-untyped-def]
    # Every open step carries the dossier's state (the worklists filter on that copy).
    dossier.refresh_from_db(fields=["state"])
    copied = set(
        dossier.steps.filter(finished_at__isnull=True).values_list("dossier_state", flat=True)
    )
    assert copied <= {dossier.state}
    steps = dossier.steps.filter(finished_at__isnull=True).select_related("workflow_step", "unit")
    return [(s.workflow_step.code, s.unit.code) for s in steps]


@pytest.mark.django_db
def test_the_land_transfer_goes_through_every_agency_and_back_to_the_desk(demo):
    with at(2027, 2, 1, 9, 0):
        dossier = receive(demo.reception_officer, LAND_TRANSFER)
    # Day 1 is Tue 2 Feb; 3 Feb is day 2; Tết; 11, 12, 15, 16, 17, 18 Feb are days 3–8.
    assert dossier.original_due_at == local(2027, 2, 18, 17, 0)
    assert dossier.state == DossierState.IN_PROCESSING
    assert open_steps(dossier) == [("tham_dinh", "000.20.30.H57.P01")]

    with at(2027, 2, 1, 10, 0):
        examine = dossier.steps.get(finished_at__isnull=True)
        step_assign(
            actor=demo.land_head,
            code=dossier.code,
            step_id=examine.pk,
            assignee=demo.land_specialist,
        )
    with at(2027, 2, 2, 14, 0):
        step_forward(actor=demo.land_specialist, code=dossier.code, note="Hồ sơ hợp lệ.")
    assert open_steps(dossier) == [("nghia_vu_tai_chinh", "000.00.60.H57")]

    with at(2027, 2, 3, 10, 0):
        payment = payment_notice_issue(
            actor=demo.tax_officer,
            code=dossier.code,
            lines=[
                PaymentLine(kind="tax", name="Thuế thu nhập cá nhân", amount=30_000_000),
                PaymentLine(kind="charge", name="Lệ phí trước bạ", amount=7_500_000),
            ],
        )
    assert payment.total == 37_500_000
    dossier.refresh_from_db()
    assert dossier.state == DossierState.AWAITING_PAYMENT
    assert open_steps(dossier) == [("du_thao", "000.20.30.H57.P01")]

    # Paid after Tết. Paused: 3 Feb 10:00–17:00 (5 h), 11 Feb (7.5 h), 12 Feb 07:30–09:00 (1.5 h)
    # = 14 office hours, so the due date moves from Thu 18 Feb 17:00 by 14 h: Mon 22 Feb 16:00.
    with at(2027, 2, 12, 9, 0):
        payment_record(actor=demo.reception_officer, code=dossier.code, receipt_number="BL-0001")
    dossier.refresh_from_db()
    assert dossier.state == DossierState.IN_PROCESSING
    assert open_steps(dossier) == [("du_thao", "000.20.30.H57.P01")]
    assert dossier.due_at == local(2027, 2, 22, 16, 0)
    assert dossier.original_due_at == local(2027, 2, 18, 17, 0)

    with at(2027, 2, 15, 9, 0):
        step_forward(actor=demo.land_specialist, code=dossier.code)
    with at(2027, 2, 16, 10, 0):
        step_forward(actor=demo.land_director, code=dossier.code)
    with at(2027, 2, 16, 15, 0):
        dossier_resolve(
            actor=demo.land_specialist,
            code=dossier.code,
            result_number="CS 123456",
            document=SimpleUploadedFile("ket-qua.pdf", PDF, content_type="application/pdf"),
        )
    with at(2027, 2, 17, 9, 0):
        dossier_return(
            actor=demo.reception_officer,
            code=dossier.code,
            channel="desk",
            recipient=Recipient(name="Nguyễn Thị Hồng Nhung", id_number="046190001234"),
        )

    dossier.refresh_from_db()
    assert dossier.state == DossierState.RETURNED
    assert dossier.resolved_at == local(2027, 2, 16, 15, 0)
    assert dossier.timeliness == Timeliness.EARLY
    assert dossier.recipient_id_number == "046190001234"
    assert not dossier.steps.filter(finished_at__isnull=True).exists()

    slip = [
        (h.from_unit.code, h.to_unit.code, h.to_user.username if h.to_user else "", h.timeliness)
        for h in Handover.objects.filter(dossier=dossier).order_by("at", "pk")
    ]
    assert slip == [
        ("000.00.01.H57", "000.20.30.H57.P01", "", "on_time"),  # reception, the same day
        ("000.20.30.H57.P01", "000.20.30.H57.P01", "chuyenvien", ""),  # assignment
        # Examination: 2.5 days from 1 Feb 09:00, due 3 Feb 14:45, done 2 Feb.
        ("000.20.30.H57.P01", "000.00.60.H57", "", "early"),
        # Tax: 2 days from 2 Feb 14:00, due 11 Feb 14:00 (Tết skipped), done 3 Feb.
        ("000.00.60.H57", "000.20.30.H57.P01", "", "early"),
        # Draft: 1 day from 3 Feb 10:00 plus the 14 h paused: due 15 Feb 09:00, done then.
        ("000.20.30.H57.P01", "000.20.30.H57", "", "on_time"),
        # Signing: 1 day from 15 Feb 09:00, due 16 Feb 09:00, signed at 10:00.
        ("000.20.30.H57", "000.20.30.H57.P01", "", "late"),
        # Issue: 1 day from 16 Feb 10:00, done 16 Feb 15:00, before the due day.
        ("000.20.30.H57.P01", "000.00.01.H57", "", "early"),
    ]
    topics = list(
        Message.objects.filter(target_id=dossier.code, channel="sms")
        .order_by("pk")
        .values_list("topic", flat=True)
    )
    assert topics == [
        "dossier.received",
        "dossier.payment_requested",
        "dossier.payment_received",
        "dossier.resolved",
        "dossier.returned",
    ]
    assert [m["kind"] for m in dossier.milestones] == [
        "dossier.received",
        "dossier.transferred",
        "dossier.payment_requested",
        "dossier.payment_received",
        "dossier.resolved",
        "dossier.returned",
    ]
    assert Event.objects.filter(target_id=dossier.code).count() == 10
    assert event_chain_verify().ok
