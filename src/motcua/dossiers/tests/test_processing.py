"""Each processing action: who may take it, when, what it changes; and every refusal changes
nothing. Times are frozen on the real calendar (holidays package, no overrides)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.agencies.models import Unit
from motcua.audit.models import Event
from motcua.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from motcua.core.testing import sample_pdf
from motcua.dossiers.lookup import dossier_lookup_check
from motcua.dossiers.models import (
    Dossier,
    DossierNotice,
    DossierPause,
    DossierState,
    DossierStep,
    Handover,
    Timeliness,
)
from motcua.dossiers.processing import (
    PaymentLine,
    Recipient,
    SupplementItem,
    apology_issue,
    consultation_reply,
    consultation_request,
    dossier_mark_uncollected,
    dossier_reject,
    dossier_resolve,
    dossier_return,
    payment_notice_issue,
    step_assign,
    step_forward,
    supplement_decide,
    supplement_propose,
    supplement_receive,
    withdrawal_confirm,
    withdrawal_decline,
    withdrawal_request,
)
from motcua.dossiers.selectors import dossier_get
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


def snapshot(dossier: Dossier) -> tuple:
    """Everything a refused action must leave as it was."""
    fresh = Dossier.objects.get(pk=dossier.pk)
    return (
        fresh.state,
        fresh.due_at,
        fresh.rescheduled_due_at,
        fresh.milestones,
        list(DossierStep.objects.filter(dossier=dossier).values_list("finished_at", "assignee")),
        Handover.objects.filter(dossier=dossier).count(),
        DossierNotice.objects.filter(dossier=dossier).count(),
        Event.objects.count(),
        Message.objects.count(),
    )


@pytest.fixture
def examined(demo):  # type: ignore[no-untyped-def]
    """A land transfer received Mon 1 Feb 2027 09:00 and assigned to the land specialist."""
    with at(2027, 2, 1, 9, 0):
        dossier = receive(demo.reception_officer, LAND_TRANSFER)
        step = dossier.steps.get(finished_at__isnull=True)
        step_assign(
            actor=demo.land_head,
            code=dossier.code,
            step_id=step.pk,
            assignee=demo.land_specialist,
        )
    return dossier


def refused(error: type[Exception], dossier: Dossier, action, **kwargs):  # type: ignore[no-untyped-def]
    before = snapshot(dossier)
    with pytest.raises(error) as caught:
        action(code=dossier.code, **kwargs)
    assert snapshot(dossier) == before
    return caught.value


@pytest.mark.django_db
class TestForward:
    def test_only_the_assignee_forwards_and_a_second_click_is_refused(self, demo, examined):
        refused(PermissionDenied, examined, step_forward, actor=demo.tax_officer)
        refused(PermissionDenied, examined, step_forward, actor=demo.land_head)
        with at(2027, 2, 2, 9, 0):
            step_forward(actor=demo.land_specialist, code=examined.code)
            error = refused(Conflict, examined, step_forward, actor=demo.land_specialist)
        assert "Thuế cơ sở 1 thành phố Huế" in error.message

    def test_the_tax_office_sees_the_dossier_only_once_it_is_sent_there(self, demo, examined):
        with pytest.raises(NotFound):
            dossier_get(viewer=demo.tax_officer, code=examined.code)
        with at(2027, 2, 2, 9, 0):
            step_forward(actor=demo.land_specialist, code=examined.code)
        assert dossier_get(viewer=demo.tax_officer, code=examined.code) == examined

    def test_an_officer_of_another_ward_can_neither_see_nor_act(self, demo, examined):
        with pytest.raises(NotFound):
            dossier_get(viewer=demo.outsider, code=examined.code)
        refused(PermissionDenied, examined, step_forward, actor=demo.outsider)
        refused(
            PermissionDenied,
            examined,
            withdrawal_request,
            actor=demo.outsider,
            reason="Không cần nữa",
        )

    def test_the_last_step_resolves_and_cannot_be_forwarded(self, demo, examined):
        with at(2027, 2, 2, 9, 0):
            refused(
                Conflict,
                examined,
                dossier_resolve,
                actor=demo.land_specialist,
                result_number="CS 1",
                document=SimpleUploadedFile("kq.pdf", PDF, content_type="application/pdf"),
            )


@pytest.mark.django_db
class TestConsultation:
    def test_the_consulted_agency_is_timed_on_its_own_sub_deadline(self, demo, examined):
        police = Unit.objects.get(code="000.00.70.H57.P01")
        with at(2027, 2, 1, 10, 0):
            consultation = consultation_request(
                actor=demo.land_specialist,
                code=examined.code,
                unit=police,
                question="Xác minh nơi cư trú của bên chuyển nhượng",
                budget="1",
            )
        # One working day from Mon 10:00 is Tue 10:00.
        assert consultation.due_at == local(2027, 2, 2, 10, 0)
        refused(Conflict, examined, step_forward, actor=demo.land_specialist)
        # Only the consulted agency answers (the police officer there is a handling officer).
        refused(
            PermissionDenied,
            examined,
            consultation_reply,
            actor=demo.tax_officer,
            opinion="Đã xác minh",
        )
        with at(2027, 2, 3, 9, 0):
            consultation_reply(
                actor=demo.police_officer, code=examined.code, opinion="Đúng nơi cư trú."
            )
        consultation.refresh_from_db()
        assert consultation.timeliness == Timeliness.LATE
        assert Handover.objects.filter(dossier=examined, from_unit=police).get().timeliness == (
            Timeliness.LATE
        )

    def test_it_needs_another_agency_a_question_and_a_time(self, demo, examined):
        land = Unit.objects.get(code="000.20.30.H57.P01")
        police = Unit.objects.get(code="000.00.70.H57")
        for unit, question, budget, field in [
            (land, "Ý kiến", "1", "unit"),
            (police, "  ", "1", "question"),
            (police, "Ý kiến", "0", "budget"),
            (police, "Ý kiến", "mười", "budget"),
        ]:
            error = refused(
                ValidationFailed,
                examined,
                consultation_request,
                actor=demo.land_specialist,
                unit=unit,
                question=question,
                budget=budget,
            )
            assert error.extra["field"] == field


@pytest.mark.django_db
class TestSupplement:
    ITEMS = [SupplementItem(name="Hợp đồng chuyển nhượng", reason="Thiếu chữ ký bên nhận")]

    def test_once_approved_by_the_head_the_clock_stops_and_resumes(self, demo, examined):
        with at(2027, 2, 1, 14, 0):
            supplement_propose(actor=demo.land_specialist, code=examined.code, items=self.ITEMS)
            refused(
                Conflict,
                examined,
                supplement_propose,
                actor=demo.land_specialist,
                items=self.ITEMS,
            )
            refused(
                PermissionDenied,
                examined,
                supplement_decide,
                actor=demo.land_specialist,
                approve=True,
            )
            supplement_decide(actor=demo.land_head, code=examined.code, approve=True)
        examined.refresh_from_db()
        assert examined.state == DossierState.SUPPLEMENT_REQUESTED
        assert examined.supplement_count == 1
        notice = DossierNotice.objects.get(dossier=examined, kind="supplement")
        assert notice.items == [
            {"name": "Hợp đồng chuyển nhượng", "reason": "Thiếu chữ ký bên nhận"}
        ]
        assert Message.objects.filter(
            target_id=examined.code, topic="dossier.supplement_requested", channel="sms"
        ).exists()
        refused(PermissionDenied, examined, supplement_receive, actor=demo.land_specialist)

        # Supplemented Thu 11 Feb 08:30, after Tết. The clock started Tue 2 Feb 07:30 (day one
        # is the day after reception), so the pause counts Tue and Wed (7.5 h each) and Thu
        # 07:30–08:30 (1 h) = 16 h: due Thu 18 Feb 17:00 + 16 h = Tue 23 Feb 08:30.
        with at(2027, 2, 11, 8, 30):
            supplement_receive(actor=demo.reception_officer, code=examined.code)
        examined.refresh_from_db()
        assert examined.state == DossierState.IN_PROCESSING
        assert examined.due_at == local(2027, 2, 23, 8, 30)
        assert examined.original_due_at == local(2027, 2, 18, 17, 0)
        assert DossierPause.objects.get(dossier=examined).ended_at == local(2027, 2, 11, 8, 30)
        error = refused(
            Conflict, examined, supplement_propose, actor=demo.land_specialist, items=self.ITEMS
        )
        assert error.code == "supplement_once"

    def test_a_declined_proposal_can_be_made_again(self, demo, examined):
        supplement_propose(actor=demo.land_specialist, code=examined.code, items=self.ITEMS)
        supplement_decide(actor=demo.land_head, code=examined.code, approve=False, note="Không cần")
        supplement_propose(actor=demo.land_specialist, code=examined.code, items=self.ITEMS)
        examined.refresh_from_db()
        assert examined.state == DossierState.IN_PROCESSING

    def test_every_item_needs_a_reason(self, demo, examined):
        error = refused(
            ValidationFailed,
            examined,
            supplement_propose,
            actor=demo.land_specialist,
            items=[SupplementItem(name="Sổ hộ khẩu", reason=" ")],
        )
        assert error.extra["field"] == "items"


@pytest.mark.django_db
class TestApology:
    def test_signed_by_the_director_once_at_least_a_working_day_before_the_due_date(
        self, demo, examined
    ):
        new_date = local(2027, 2, 25, 17, 0)
        refused(
            PermissionDenied,
            examined,
            apology_issue,
            actor=demo.land_specialist,
            reason="Chờ xác minh",
            new_due_at=new_date,
        )
        with at(2027, 2, 16, 16, 0):
            notice = apology_issue(
                actor=demo.land_director,
                code=examined.code,
                reason="Chờ xác minh nguồn gốc đất",
                new_due_at=new_date,
            )
            error = refused(
                Conflict,
                examined,
                apology_issue,
                actor=demo.land_director,
                reason="Lần nữa",
                new_due_at=new_date,
            )
        assert error.code == "apology_once"
        examined.refresh_from_db()
        assert examined.appointment_at == new_date
        # The receipt holder's lookup shows the new date and the apology in the timeline.
        public = dossier_lookup_check(
            code=examined.code, secret=examined.lookup_secret, client="127.0.0.1"
        )
        assert public.appointment_at == new_date
        assert public.milestones[-1]["kind"] == "dossier.rescheduled"
        assert examined.due_at == notice.original_due_at == local(2027, 2, 18, 17, 0)

    def test_refused_less_than_a_working_day_before_the_due_date(self, demo, examined):
        # Due Thu 18 Feb 17:00: at 08:00 that day only 7 of the 7.5 office hours are left.
        with at(2027, 2, 18, 8, 0):
            error = refused(
                Conflict,
                examined,
                apology_issue,
                actor=demo.land_director,
                reason="Chậm",
                new_due_at=local(2027, 2, 25, 17, 0),
            )
        assert error.code == "apology_too_late"

    def test_a_late_dossier_is_still_late_after_the_apology(self, demo, examined):
        with at(2027, 2, 10, 9, 0):
            apology_issue(
                actor=demo.land_director,
                code=examined.code,
                reason="Chờ xác minh",
                new_due_at=local(2027, 3, 1, 17, 0),
            )
        dossier = _walk_to_resolution(demo, examined, when=(2027, 2, 24, 9, 0))
        assert dossier.timeliness == Timeliness.LATE


def _walk_to_resolution(demo, dossier, *, when):  # type: ignore[no-untyped-def]
    with at(*when):
        step_forward(actor=demo.land_specialist, code=dossier.code)
        payment_notice_issue(
            actor=demo.tax_officer,
            code=dossier.code,
            lines=[PaymentLine(kind="charge", name="Lệ phí trước bạ", amount=500_000)],
        )
        from motcua.dossiers.processing import payment_record

        payment_record(actor=demo.reception_officer, code=dossier.code, receipt_number="BL-9")
        step_forward(actor=demo.land_specialist, code=dossier.code)
        step_forward(actor=demo.land_director, code=dossier.code)
        dossier_resolve(
            actor=demo.land_specialist,
            code=dossier.code,
            result_number="CS 9",
            document=SimpleUploadedFile("kq.pdf", PDF, content_type="application/pdf"),
        )
    dossier.refresh_from_db()
    return dossier


@pytest.mark.django_db
class TestEndings:
    def test_not_eligible_closes_the_work_with_a_reasoned_notice(self, demo, examined):
        error = refused(
            ValidationFailed,
            examined,
            dossier_reject,
            actor=demo.land_head,
            reason="Đất đang có tranh chấp",
            legal_basis="",
        )
        assert error.extra["field"] == "legal_basis"
        dossier_reject(
            actor=demo.land_head,
            code=examined.code,
            reason="Đất đang có tranh chấp",
            legal_basis="Điều 45 Luật Đất đai 2024",
        )
        examined.refresh_from_db()
        assert examined.state == DossierState.REJECTED
        assert not examined.steps.filter(finished_at__isnull=True).exists()

    def test_withdrawal_asked_at_the_desk_confirmed_by_the_agency(self, demo, examined):
        withdrawal_request(actor=demo.reception_officer, code=examined.code, reason="Đổi ý")
        refused(PermissionDenied, examined, withdrawal_confirm, actor=demo.reception_officer)
        withdrawal_confirm(actor=demo.land_specialist, code=examined.code)
        examined.refresh_from_db()
        assert examined.state == DossierState.STOPPED
        assert DossierNotice.objects.get(dossier=examined, kind="stop").reason.endswith("Đổi ý")
        refused(Conflict, examined, withdrawal_confirm, actor=demo.land_specialist)

    def test_a_declined_withdrawal_goes_back_to_where_it_was(self, demo, examined):
        withdrawal_request(actor=demo.reception_officer, code=examined.code, reason="Đổi ý")
        refused(Conflict, examined, step_forward, actor=demo.land_specialist)
        withdrawal_decline(actor=demo.land_head, code=examined.code, reason="Đã ký kết quả")
        examined.refresh_from_db()
        assert examined.state == DossierState.IN_PROCESSING

    def test_return_needs_who_collected_it_or_the_postal_tracking_number(self, demo, examined):
        dossier = _walk_to_resolution(demo, examined, when=(2027, 2, 2, 9, 0))
        assert dossier.state == DossierState.RESOLVED
        for kwargs, field in [
            ({"channel": "desk"}, "recipient_name"),
            (
                {"channel": "desk", "recipient": Recipient("Lê Văn Tám", "12")},
                "recipient_id_number",
            ),
            ({"channel": "post"}, "tracking_number"),
            ({"channel": "pigeon"}, "channel"),
        ]:
            error = refused(
                ValidationFailed, dossier, dossier_return, actor=demo.reception_officer, **kwargs
            )
            assert error.extra["field"] == field
        refused(
            PermissionDenied,
            dossier,
            dossier_return,
            actor=demo.land_specialist,
            channel="post",
            tracking_number="EA123456789VN",
        )
        with at(2027, 2, 2, 10, 0):
            refused(Conflict, dossier, dossier_mark_uncollected, actor=demo.reception_officer)
        with at(2027, 3, 1, 9, 0):
            dossier_mark_uncollected(actor=demo.reception_officer, code=dossier.code)
            dossier_return(
                actor=demo.reception_officer,
                code=dossier.code,
                channel="post",
                tracking_number="EA123456789VN",
            )
        dossier.refresh_from_db()
        assert dossier.state == DossierState.RETURNED
        assert dossier.postal_tracking_number == "EA123456789VN"

    def test_a_result_needs_its_document_and_number(self, demo, examined):
        with at(2027, 2, 2, 9, 0):
            step_forward(actor=demo.land_specialist, code=examined.code)
            payment_notice_issue(
                actor=demo.tax_officer,
                code=examined.code,
                lines=[PaymentLine(kind="charge", name="Lệ phí", amount=100_000)],
            )
            error = refused(
                Conflict,
                examined,
                dossier_resolve,
                actor=demo.land_specialist,
                result_number="CS 1",
            )
        assert error.code == "wrong_state"


@pytest.mark.django_db
def test_an_officer_of_one_commune_cannot_act_on_another_communes_dossiers(demo):
    """Phú Xuân's desk officer against a dossier of Thuận Hóa ward (household business)."""
    with at(2027, 3, 1, 9, 0):
        dossier = receive(demo.ward_officer, "1.001612")
    assert dossier.receiving_unit.code == "000.12.01.H57"
    with pytest.raises(NotFound):
        dossier_get(viewer=demo.outsider, code=dossier.code)
    refused(PermissionDenied, dossier, withdrawal_request, actor=demo.outsider, reason="Rút hồ sơ")
    refused(PermissionDenied, dossier, step_forward, actor=demo.outsider)
    assert dossier_get(viewer=demo.ward_officer, code=dossier.code) == dossier
