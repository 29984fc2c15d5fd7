"""The processing pages with Django's test client: the worklist, the dossier page and one page
per action, each tried by the persona who may act, by one who may not, and with bad input.

States are reached through the real services; time is frozen (time-machine) on a land-use
right transfer (1.013831, 8 working days) received on Mon 1 March 2027 at 09:00, due Thu 11
March 17:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from motcua.agencies.models import Unit
from motcua.audit.models import Event
from motcua.backoffice.processing_views import available_actions
from motcua.backoffice.views import WorkRow, left_text
from motcua.core.testing import sample_pdf
from motcua.dossiers import processing
from motcua.dossiers.models import (
    Dossier,
    DossierNotice,
    DossierState,
    PaymentNotice,
    SupplementRequest,
)
from motcua.dossiers.tests.helpers import receive
from motcua.dossiers.worklists import Urgency, WorkItem

pytestmark = pytest.mark.django_db

LAND_TRANSFER = "1.013831"
TAX_OFFICE = "000.00.60.H57"
VN = timedelta(hours=7)
# A real PDF: results are signed, so they must parse.
PDF = sample_pdf()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC) - VN


START = local(2027, 3, 1, 9, 0)


@pytest.fixture
def frozen(time_machine: Any) -> Any:
    time_machine.move_to(START, tick=False)
    return time_machine


@pytest.fixture
def dossier(demo: Any, frozen: Any) -> Dossier:
    return receive(demo.reception_officer, LAND_TRANSFER)


def url(name: str, dossier: Dossier, *args: str) -> str:
    return reverse(f"backoffice:{name}", args=[dossier.code, *args])


def fresh(dossier: Dossier) -> Dossier:
    return Dossier.objects.get(pk=dossier.pk)


def page_of(response: Any) -> str:
    return response.content.decode()


def snapshot(dossier: Dossier) -> tuple[Any, ...]:
    """What an action changes: the row, its steps, notices, supplements and the event log."""
    row = fresh(dossier)
    return (
        row.state,
        row.due_at,
        row.rescheduled_due_at,
        row.result_number,
        row.returned_at,
        list(row.steps.values_list("pk", "assignee_id", "finished_at")),
        DossierNotice.objects.filter(dossier=row).count(),
        SupplementRequest.objects.filter(dossier=row).count(),
        PaymentNotice.objects.filter(dossier=row).count(),
        Event.objects.filter(target_id=row.code).count(),
    )


# Reaching each state through the services, as the people of the demo would.


def assigned(demo: Any, dossier: Dossier) -> Dossier:
    step = dossier.steps.get(finished_at__isnull=True)
    processing.step_assign(
        actor=demo.land_head, code=dossier.code, step_id=step.pk, assignee=demo.land_specialist
    )
    return dossier


def at_tax(demo: Any, dossier: Dossier) -> Dossier:
    assigned(demo, dossier)
    processing.step_forward(actor=demo.land_specialist, code=dossier.code)
    return dossier


def awaiting_payment(demo: Any, dossier: Dossier) -> Dossier:
    at_tax(demo, dossier)
    processing.payment_notice_issue(
        actor=demo.tax_officer,
        code=dossier.code,
        lines=[processing.PaymentLine(kind="tax", name="Thuế thu nhập cá nhân", amount=1_000)],
    )
    return dossier


def drafting(demo: Any, dossier: Dossier) -> Dossier:
    awaiting_payment(demo, dossier)
    processing.payment_record(actor=demo.reception_officer, code=dossier.code, receipt_number="1")
    return dossier


def last_step(demo: Any, dossier: Dossier) -> Dossier:
    drafting(demo, dossier)
    processing.step_forward(actor=demo.land_specialist, code=dossier.code)
    processing.step_forward(actor=demo.land_director, code=dossier.code)
    return dossier


def resolved(demo: Any, dossier: Dossier) -> Dossier:
    last_step(demo, dossier)
    processing.dossier_resolve(
        actor=demo.land_specialist,
        code=dossier.code,
        result_number="CS 1",
        document=SimpleUploadedFile("ket-qua.pdf", PDF, content_type="application/pdf"),
    )
    return dossier


def supplement_proposed(demo: Any, dossier: Dossier) -> Dossier:
    assigned(demo, dossier)
    processing.supplement_propose(
        actor=demo.land_specialist,
        code=dossier.code,
        items=[processing.SupplementItem(name="Sơ đồ thửa đất", reason="Bản vẽ bị mờ")],
    )
    return dossier


def supplement_issued(demo: Any, dossier: Dossier) -> Dossier:
    supplement_proposed(demo, dossier)
    processing.supplement_decide(actor=demo.land_head, code=dossier.code, approve=True)
    return dossier


def withdrawal_requested(demo: Any, dossier: Dossier) -> Dossier:
    processing.withdrawal_request(
        actor=demo.reception_officer, code=dossier.code, reason="Gia đình thỏa thuận lại"
    )
    return dossier


class TestWhatEachPersonaMayDo:
    def test_it_offers_each_persona_only_the_actions_of_their_step(self, demo, dossier):
        assert available_actions(demo.land_head, dossier) == ["assign", "reject"]
        assert available_actions(demo.reception_officer, dossier) == ["withdrawal_request"]
        assert available_actions(demo.tax_officer, dossier) == []
        assert available_actions(demo.outsider, dossier) == []
        assigned(demo, dossier)
        assert available_actions(demo.land_specialist, dossier) == [
            "forward",
            "consult",
            "supplement_propose",
        ]
        assert "apology" in available_actions(demo.land_director, dossier)

    def test_it_offers_the_tax_officer_the_payment_notice_and_the_desk_the_payment(
        self, demo, dossier
    ):
        at_tax(demo, dossier)
        assert available_actions(demo.tax_officer, dossier) == ["payment_notice"]
        assert available_actions(demo.land_specialist, fresh(dossier)) == []
        processing.payment_notice_issue(
            actor=demo.tax_officer,
            code=dossier.code,
            lines=[processing.PaymentLine(kind="tax", name="Thuế", amount=5)],
        )
        assert "payment_record" in available_actions(demo.reception_officer, fresh(dossier))

    def test_it_offers_resolve_instead_of_forward_on_the_last_step(self, demo, dossier):
        last_step(demo, dossier)
        assert available_actions(demo.land_specialist, fresh(dossier)) == [
            "resolve",
            "consult",
            "supplement_propose",
        ]
        processing.dossier_resolve(
            actor=demo.land_specialist,
            code=dossier.code,
            result_number="CS 1",
            document=SimpleUploadedFile("kq.pdf", PDF, content_type="application/pdf"),
        )
        assert available_actions(demo.reception_officer, fresh(dossier)) == [
            "return",
            "mark_uncollected",
        ]

    def test_it_shows_the_buttons_on_the_dossier_page(self, client, demo, dossier):
        client.force_login(demo.land_head)
        page = page_of(client.get(url("dossier", dossier)))
        assert url("dossier_assign", dossier) in page
        assert url("dossier_forward", dossier) not in page
        client.force_login(demo.reception_officer)
        page = page_of(client.get(url("dossier", dossier)))
        assert url("dossier_assign", dossier) not in page
        assert url("dossier_withdrawal_request", dossier) in page


class TestAssign:
    def test_the_head_gives_the_examination_to_the_specialist(self, client, demo, dossier):
        client.force_login(demo.land_head)
        form = client.get(url("dossier_assign", dossier))
        assert "Nguyễn Văn Bình" in page_of(form)
        step = dossier.steps.get(finished_at__isnull=True)
        response = client.post(
            url("dossier_assign", dossier), {"step": step.pk, "assignee": demo.land_specialist.pk}
        )
        assert response.status_code == 302
        assert response["Location"] == url("dossier", dossier)
        step.refresh_from_db()
        assert step.assignee == demo.land_specialist
        assert "Đã giao bước" in page_of(client.get(response["Location"]))

    def test_a_second_click_is_refused_on_the_form(self, client, demo, dossier):
        client.force_login(demo.land_head)
        step = dossier.steps.get(finished_at__isnull=True)
        data = {"step": step.pk, "assignee": demo.land_specialist.pk}
        client.post(url("dossier_assign", dossier), data)
        before = snapshot(dossier)
        response = client.post(url("dossier_assign", dossier), data)
        assert response.status_code == 409
        assert "đã được phân công cho Nguyễn Văn Bình" in page_of(response)
        assert snapshot(dossier) == before

    def test_the_specialist_may_not_assign(self, client, demo, dossier):
        client.force_login(demo.land_specialist)
        before = snapshot(dossier)
        assert client.get(url("dossier_assign", dossier)).status_code == 403
        step = dossier.steps.get(finished_at__isnull=True)
        response = client.post(
            url("dossier_assign", dossier), {"step": step.pk, "assignee": demo.land_specialist.pk}
        )
        assert response.status_code == 403
        assert "Chỉ lãnh đạo phòng, lãnh đạo cơ quan" in page_of(response)
        assert "được phân công hồ sơ" in page_of(response)
        assert snapshot(dossier) == before

    def test_an_officer_of_another_unit_cannot_be_given_the_step(self, client, demo, dossier):
        client.force_login(demo.land_head)
        before = snapshot(dossier)
        step = dossier.steps.get(finished_at__isnull=True)
        response = client.post(
            url("dossier_assign", dossier), {"step": step.pk, "assignee": demo.tax_officer.pk}
        )
        assert response.status_code == 400
        assert "Người được phân công phải là chuyên viên thụ lý" in page_of(response)
        assert snapshot(dossier) == before


class TestForward:
    def test_the_specialist_sends_the_dossier_to_the_tax_office(self, client, demo, dossier):
        assigned(demo, dossier)
        client.force_login(demo.land_specialist)
        response = client.post(url("dossier_forward", dossier), {"note": "Hồ sơ hợp lệ."})
        assert response.status_code == 302
        open_units = set(
            fresh(dossier).steps.filter(finished_at__isnull=True).values_list("unit__code", flat=1)
        )
        assert open_units == {TAX_OFFICE}

    def test_a_double_submit_shows_the_services_refusal(self, client, demo, dossier):
        assigned(demo, dossier)
        client.force_login(demo.land_specialist)
        form = client.get(url("dossier_forward", dossier))
        step = dossier.steps.get(finished_at__isnull=True)
        assert f'name="step" value="{step.pk}"' in page_of(form)
        client.post(url("dossier_forward", dossier), {"note": "", "step": step.pk})
        before = snapshot(dossier)
        response = client.post(url("dossier_forward", dossier), {"note": "", "step": step.pk})
        assert response.status_code == 409
        assert "không còn mở" in page_of(response) and "Hãy tải lại hồ sơ" in page_of(response)
        assert snapshot(dossier) == before

    def test_a_form_that_names_no_step_is_refused_once_the_dossier_moved_on(
        self, client, demo, dossier
    ):
        assigned(demo, dossier)
        client.force_login(demo.land_specialist)
        client.post(url("dossier_forward", dossier), {"note": ""})
        before = snapshot(dossier)
        response = client.post(url("dossier_forward", dossier), {"note": ""})
        assert response.status_code == 409
        assert "Không thể chuyển bước tiếp theo" in page_of(response)
        assert snapshot(dossier) == before

    def test_another_officer_is_refused_with_the_services_message(self, client, demo, dossier):
        assigned(demo, dossier)
        client.force_login(demo.land_director)
        before = snapshot(dossier)
        response = client.post(url("dossier_forward", dossier), {"note": ""})
        assert response.status_code == 403
        assert "Không thực hiện được" in page_of(response)
        assert "Không thể chuyển bước tiếp theo" in page_of(response)
        assert "của Nguyễn Văn Bình" in page_of(response)
        assert snapshot(dossier) == before

    def test_the_tax_office_does_not_see_a_dossier_not_yet_sent_to_it(self, client, demo, dossier):
        assigned(demo, dossier)
        client.force_login(demo.tax_officer)
        before = snapshot(dossier)
        assert client.post(url("dossier_forward", dossier), {"note": ""}).status_code == 404
        assert snapshot(dossier) == before


class TestConsultation:
    def test_the_specialist_asks_the_tax_office_which_answers(self, client, demo, dossier):
        assigned(demo, dossier)
        tax = Unit.objects.get(code=TAX_OFFICE)
        client.force_login(demo.land_specialist)
        response = client.post(
            url("dossier_consult", dossier),
            {"unit": tax.pk, "question": "Giá đất tính thuế?", "budget": "1"},
        )
        assert response.status_code == 302
        assert available_actions(demo.tax_officer, fresh(dossier)) == ["consultation_reply"]
        client.force_login(demo.tax_officer)
        response = client.post(
            url("dossier_consultation_reply", dossier), {"note": "Theo bảng giá đất 2027."}
        )
        assert response.status_code == 302
        step = fresh(dossier).steps.get(kind="consultation")
        assert step.note == "Theo bảng giá đất 2027." and step.timeliness == "early"

    def test_it_needs_a_question(self, client, demo, dossier):
        assigned(demo, dossier)
        tax = Unit.objects.get(code=TAX_OFFICE)
        client.force_login(demo.land_specialist)
        before = snapshot(dossier)
        response = client.post(
            url("dossier_consult", dossier), {"unit": tax.pk, "question": " ", "budget": "1"}
        )
        assert response.status_code == 400
        assert snapshot(dossier) == before


class TestSupplement:
    def test_the_specialist_proposes_and_the_head_approves(self, client, demo, dossier):
        assigned(demo, dossier)
        client.force_login(demo.land_specialist)
        response = client.post(
            url("dossier_supplement_propose", dossier),
            {
                "item_name_0": "Sơ đồ thửa đất",
                "item_reason_0": "Bản vẽ bị mờ",
                "item_name_1": "Hợp đồng chuyển nhượng",
                "item_reason_1": "Thiếu trang 2",
                "legal_basis": "Điều 9 Nghị định 118/2025/NĐ-CP",
            },
        )
        assert response.status_code == 302
        client.force_login(demo.land_head)
        worklist = page_of(client.get(reverse("backoffice:worklist")))
        assert "Đề nghị bổ sung chờ duyệt" in worklist and "Thiếu trang 2" in worklist
        response = client.post(url("dossier_supplement_decide", dossier), {"decision": "approve"})
        assert response.status_code == 302
        assert fresh(dossier).state == DossierState.SUPPLEMENT_REQUESTED
        notice = DossierNotice.objects.get(dossier=dossier)
        page = page_of(client.get(url("dossier", dossier)))
        assert notice.number in page and "Chờ bổ sung hồ sơ" in page
        pdf = client.get(url("dossier_notice_print", dossier, notice.number))
        assert pdf["Content-Type"] == "application/pdf"
        assert "Thiếu trang 2" in PdfReader(BytesIO(pdf.content)).pages[0].extract_text()

    def test_every_item_needs_a_reason(self, client, demo, dossier):
        assigned(demo, dossier)
        client.force_login(demo.land_specialist)
        before = snapshot(dossier)
        response = client.post(
            url("dossier_supplement_propose", dossier),
            {"item_name_0": "Sơ đồ thửa đất", "item_reason_0": "", "legal_basis": ""},
        )
        assert response.status_code == 400
        assert "Mỗi nội dung cần bổ sung phải có lý do." in page_of(response)
        assert snapshot(dossier) == before

    def test_only_the_head_approves(self, client, demo, dossier):
        supplement_proposed(demo, dossier)
        client.force_login(demo.land_specialist)
        before = snapshot(dossier)
        response = client.post(url("dossier_supplement_decide", dossier), {"decision": "approve"})
        assert response.status_code == 403
        assert "Chỉ lãnh đạo phòng" in page_of(response)
        assert snapshot(dossier) == before

    def test_the_desk_receives_it_and_a_second_request_is_refused(
        self, client, demo, dossier, frozen
    ):
        supplement_issued(demo, dossier)
        frozen.move_to(local(2027, 3, 3, 9, 0), tick=False)
        client.force_login(demo.reception_officer)
        scan = SimpleUploadedFile("so-do.pdf", PDF, content_type="application/pdf")
        response = client.post(
            url("dossier_supplement_receive", dossier), {"note": "Đã nhận", "scans": [scan]}
        )
        assert response.status_code == 302
        row = fresh(dossier)
        assert row.state == DossierState.IN_PROCESSING
        # Paused from 1 March 09:00 to 3 March 09:00; the count starts the day after reception,
        # so 9 office hours are excluded (2 March, 3 March 07:30-09:00): 11 March 17:00 + 9 h.
        assert row.due_at == local(2027, 3, 15, 9, 0)
        client.force_login(demo.land_specialist)
        before = snapshot(dossier)
        response = client.post(
            url("dossier_supplement_propose", dossier),
            {"item_name_0": "Giấy tờ khác", "item_reason_0": "Thiếu"},
        )
        assert response.status_code == 409
        assert "không yêu cầu lần thứ hai" in page_of(response)
        assert snapshot(dossier) == before


class TestPayment:
    def test_the_tax_officer_issues_the_notice_with_the_catalogues_lines(
        self, client, demo, dossier
    ):
        at_tax(demo, dossier)
        client.force_login(demo.tax_officer)
        form = client.get(url("dossier_payment_notice", dossier))
        assert form.status_code == 200
        assert "Thuế thu nhập cá nhân từ chuyển nhượng bất động sản" in page_of(form)
        assert "Lệ phí trước bạ nhà, đất" in page_of(form)
        fields = form.context["form"].initial | {
            name: field.initial for name, field in form.context["form"].fields.items()
        }
        data = {k: v for k, v in fields.items() if v is not None}
        data |= {"line_amount_0": "30.000.000", "line_amount_1": "7 500 000"}
        response = client.post(url("dossier_payment_notice", dossier), data)
        assert response.status_code == 302
        payment = PaymentNotice.objects.get(dossier=dossier)
        assert payment.total == 37_500_000
        pdf = client.get(url("payment_notice_print", dossier))
        assert pdf["Content-Type"] == "application/pdf"
        assert payment.number in PdfReader(BytesIO(pdf.content)).pages[0].extract_text()
        assert "37.500.000" in page_of(client.get(url("dossier", dossier)))

    def test_the_desk_sees_the_dossiers_waiting_for_the_applicants_payment(
        self, client, demo, dossier
    ):
        at_tax(demo, dossier)
        client.force_login(demo.reception_officer)
        assert dossier.code not in page_of(client.get(reverse("backoffice:worklist")))
        client.force_login(demo.tax_officer)
        client.post(
            url("dossier_payment_notice", dossier),
            {"line_kind_0": "charge", "line_name_0": "Lệ phí trước bạ", "line_amount_0": "500000"},
        )
        client.force_login(demo.reception_officer)
        page = page_of(client.get(reverse("backoffice:worklist")))
        assert dossier.code in page.split("Chờ người nộp bổ sung hoặc nộp tiền")[1]

    def test_a_notice_without_an_amount_is_refused_on_the_form(self, client, demo, dossier):
        at_tax(demo, dossier)
        client.force_login(demo.tax_officer)
        before = snapshot(dossier)
        response = client.post(
            url("dossier_payment_notice", dossier),
            {"line_kind_0": "tax", "line_name_0": "Thuế", "line_amount_0": ""},
        )
        assert response.status_code == 400
        assert "ít nhất một khoản với số tiền lớn hơn 0" in page_of(response)
        assert snapshot(dossier) == before

    def test_the_specialist_may_not_issue_it(self, client, demo, dossier):
        at_tax(demo, dossier)
        client.force_login(demo.land_specialist)
        before = snapshot(dossier)
        response = client.post(
            url("dossier_payment_notice", dossier),
            {"line_kind_0": "tax", "line_name_0": "Thuế", "line_amount_0": "5"},
        )
        assert response.status_code == 403
        assert "Không thể ra thông báo nghĩa vụ tài chính" in page_of(response)
        assert snapshot(dossier) == before

    def test_the_desk_records_the_payment_once(self, client, demo, dossier):
        awaiting_payment(demo, dossier)
        client.force_login(demo.reception_officer)
        response = client.post(url("dossier_payment_record", dossier), {"receipt_number": "BL-1"})
        assert response.status_code == 302
        assert PaymentNotice.objects.get(dossier=dossier).receipt_number == "BL-1"
        before = snapshot(dossier)
        again = client.post(url("dossier_payment_record", dossier), {"receipt_number": "BL-1"})
        assert again.status_code == 409
        assert "Không thể ghi nhận nộp tiền" in page_of(again)
        assert snapshot(dossier) == before

    def test_only_the_desk_records_a_payment(self, client, demo, dossier):
        awaiting_payment(demo, dossier)
        client.force_login(demo.land_specialist)
        before = snapshot(dossier)
        response = client.post(url("dossier_payment_record", dossier), {"receipt_number": "1"})
        assert response.status_code == 403
        assert "Chỉ công chức tiếp nhận và trả kết quả" in page_of(response)
        assert snapshot(dossier) == before


class TestApology:
    def test_the_director_sets_a_new_date_in_vietnam_time(self, client, demo, dossier):
        client.force_login(demo.land_director)
        response = client.post(
            url("dossier_apology", dossier),
            {"reason": "Chờ ý kiến cơ quan thuế", "new_due_at": "2027-03-16T10:00"},
        )
        assert response.status_code == 302
        row = fresh(dossier)
        assert row.rescheduled_due_at == local(2027, 3, 16, 10, 0)
        assert row.due_at == local(2027, 3, 11, 17, 0)
        page = page_of(client.get(url("dossier", dossier)))
        assert "10:00 16/03/2027" in page
        notice = DossierNotice.objects.get(dossier=dossier)
        pdf = client.get(url("dossier_notice_print", dossier, notice.number))
        assert pdf.content.startswith(b"%PDF")

    def test_a_new_date_before_the_due_date_is_refused_on_the_field(self, client, demo, dossier):
        client.force_login(demo.land_director)
        before = snapshot(dossier)
        response = client.post(
            url("dossier_apology", dossier),
            {"reason": "Chậm", "new_due_at": "2027-03-10T10:00"},
        )
        assert response.status_code == 400
        assert "Ngày hẹn mới phải sau hạn trả hiện tại (17:00 11/03/2027)" in page_of(response)
        assert snapshot(dossier) == before

    def test_an_apology_less_than_a_working_day_before_the_due_date_is_refused(
        self, client, demo, dossier, frozen
    ):
        frozen.move_to(local(2027, 3, 11, 9, 0), tick=False)
        client.force_login(demo.land_director)
        before = snapshot(dossier)
        response = client.post(
            url("dossier_apology", dossier),
            {"reason": "Chậm", "new_due_at": "2027-03-16T10:00"},
        )
        assert response.status_code == 409
        assert "chậm nhất một ngày làm việc trước hạn trả" in page_of(response)
        assert snapshot(dossier) == before

    def test_only_the_signing_authority_apologises(self, client, demo, dossier):
        client.force_login(demo.land_head)
        before = snapshot(dossier)
        response = client.post(
            url("dossier_apology", dossier),
            {"reason": "Chậm", "new_due_at": "2027-03-16T10:00"},
        )
        assert response.status_code == 403
        assert "ký văn bản xin lỗi" in page_of(response)
        assert snapshot(dossier) == before


class TestReject:
    def test_the_head_rejects_with_a_reasoned_notice(self, client, demo, dossier):
        client.force_login(demo.land_head)
        response = client.post(
            url("dossier_reject", dossier),
            {"reason": "Đất đang có tranh chấp", "legal_basis": "Điều 45 Luật Đất đai 2024"},
        )
        assert response.status_code == 302
        assert fresh(dossier).state == DossierState.REJECTED
        assert not fresh(dossier).steps.filter(finished_at__isnull=True).exists()

    def test_it_needs_a_legal_basis(self, client, demo, dossier):
        client.force_login(demo.land_head)
        before = snapshot(dossier)
        response = client.post(url("dossier_reject", dossier), {"reason": "Tranh chấp"})
        assert response.status_code == 400
        assert snapshot(dossier) == before

    def test_the_specialist_may_not_reject(self, client, demo, dossier):
        client.force_login(demo.land_specialist)
        before = snapshot(dossier)
        response = client.post(
            url("dossier_reject", dossier), {"reason": "Tranh chấp", "legal_basis": "Luật"}
        )
        assert response.status_code == 403
        assert "từ chối giải quyết hồ sơ" in page_of(response)
        assert snapshot(dossier) == before


class TestWithdrawal:
    def test_the_desk_takes_the_request_and_the_agency_confirms(self, client, demo, dossier):
        client.force_login(demo.reception_officer)
        response = client.post(
            url("dossier_withdrawal_request", dossier), {"reason": "Gia đình thỏa thuận lại"}
        )
        assert response.status_code == 302
        assert fresh(dossier).state == DossierState.WITHDRAWAL_REQUESTED
        client.force_login(demo.land_specialist)
        response = client.post(url("dossier_withdrawal_confirm", dossier), {})
        assert response.status_code == 302
        assert fresh(dossier).state == DossierState.STOPPED
        notice = DossierNotice.objects.get(dossier=dossier, kind="stop")
        pdf = client.get(url("dossier_notice_print", dossier, notice.number))
        assert pdf["Content-Type"] == "application/pdf"

    def test_the_head_declines_and_work_goes_on(self, client, demo, dossier):
        withdrawal_requested(demo, dossier)
        client.force_login(demo.land_head)
        response = client.post(
            url("dossier_withdrawal_decline", dossier), {"reason": "Kết quả đã ký"}
        )
        assert response.status_code == 302
        assert fresh(dossier).state == DossierState.IN_PROCESSING

    def test_the_tax_office_may_not_confirm(self, client, demo, dossier):
        at_tax(demo, dossier)
        withdrawal_requested(demo, dossier)
        client.force_login(demo.tax_officer)
        before = snapshot(dossier)
        response = client.post(url("dossier_withdrawal_confirm", dossier), {})
        assert response.status_code == 403
        assert "xác nhận việc rút hồ sơ" in page_of(response)
        assert snapshot(dossier) == before


class TestResolveAndReturn:
    def test_the_specialist_resolves_with_the_signed_result(self, client, demo, dossier):
        last_step(demo, dossier)
        client.force_login(demo.land_specialist)
        document = SimpleUploadedFile("ket-qua.pdf", PDF, content_type="application/pdf")
        response = client.post(
            url("dossier_resolve", dossier),
            {"result_number": "CS 123456", "summary": "Xác nhận biến động", "document": document},
        )
        assert response.status_code == 302
        row = fresh(dossier)
        assert row.state == DossierState.RESOLVED and row.timeliness == "early"
        result = client.get(url("result_document", dossier))
        assert result["Content-Type"] == "application/pdf"
        # The upload, signed by the land office in an incremental update that keeps its bytes.
        assert result.content.startswith(PDF) and len(result.content) > len(PDF)

    def test_a_result_without_its_document_is_refused_on_the_form(self, client, demo, dossier):
        last_step(demo, dossier)
        client.force_login(demo.land_specialist)
        before = snapshot(dossier)
        response = client.post(url("dossier_resolve", dossier), {"result_number": "CS 1"})
        assert response.status_code == 400
        assert "Cần đính kèm văn bản kết quả giải quyết." in page_of(response)
        assert snapshot(dossier) == before

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"channel": "desk"}, "Cần ghi họ tên người nhận kết quả."),
            (
                {"channel": "desk", "recipient_name": "An", "recipient_id_number": "123"},
                "phải gồm đúng 12 chữ số",
            ),
            ({"channel": "post"}, "Cần nhập số hiệu bưu gửi"),
        ],
    )
    def test_a_return_without_who_or_how_is_refused(self, client, demo, dossier, data, message):
        resolved(demo, dossier)
        client.force_login(demo.reception_officer)
        before = snapshot(dossier)
        response = client.post(url("dossier_return", dossier), data)
        assert response.status_code == 400
        assert message in page_of(response)
        assert snapshot(dossier) == before

    def test_the_desk_returns_the_result_to_the_applicant(self, client, demo, dossier):
        resolved(demo, dossier)
        client.force_login(demo.reception_officer)
        response = client.post(
            url("dossier_return", dossier),
            {
                "channel": "desk",
                "recipient_name": "Nguyễn Thị Hồng Nhung",
                "recipient_id_number": "046190001234",
            },
        )
        assert response.status_code == 302
        row = fresh(dossier)
        assert row.state == DossierState.RETURNED and row.recipient_id_number == "046190001234"
        assert "Nguyễn Thị Hồng Nhung (046190001234)" in page_of(client.get(url("dossier", row)))

    def test_only_the_desk_returns_a_result(self, client, demo, dossier):
        resolved(demo, dossier)
        client.force_login(demo.land_specialist)
        before = snapshot(dossier)
        response = client.post(url("dossier_return", dossier), {"channel": "online"})
        assert response.status_code == 403
        assert "Chỉ công chức tiếp nhận và trả kết quả" in page_of(response)
        assert snapshot(dossier) == before

    def test_uncollected_only_after_the_appointment(self, client, demo, dossier, frozen):
        resolved(demo, dossier)
        client.force_login(demo.reception_officer)
        before = snapshot(dossier)
        response = client.post(url("dossier_mark_uncollected", dossier), {})
        assert response.status_code == 409
        assert "Chưa đến ngày hẹn trả (17:00 11/03/2027)" in page_of(response)
        assert snapshot(dossier) == before
        frozen.move_to(local(2027, 3, 12, 9, 0), tick=False)
        response = client.post(url("dossier_mark_uncollected", dossier), {})
        assert response.status_code == 302
        assert fresh(dossier).state == DossierState.UNCOLLECTED
        response = client.post(url("dossier_return", dossier), {"channel": "online"})
        assert response.status_code == 302
        assert fresh(dossier).state == DossierState.RETURNED


class TestDossierPage:
    def test_it_shows_the_trace_the_clock_and_the_control_slip(self, client, demo, dossier):
        drafting(demo, dossier)
        client.force_login(demo.land_specialist)
        page = page_of(client.get(url("dossier", dossier)))
        assert "Quá trình xử lý" in page
        assert "Thẩm định hồ sơ" in page and "Trước hạn" in page
        assert 'id="clock-original">17:00 11/03/2027<' in page
        assert 'id="clock-status">Trong hạn<' in page
        assert "Chờ thực hiện nghĩa vụ tài chính" in page  # the pause
        slip = client.get(url("control_slip", dossier))
        assert slip["Content-Type"] == "application/pdf"
        assert dossier.code in PdfReader(BytesIO(slip.content)).pages[0].extract_text()


class TestOutsider:
    def test_an_officer_of_another_ward_sees_and_does_nothing(self, client, demo, dossier):
        assigned(demo, dossier)
        client.force_login(demo.outsider)
        worklist = client.get(reverse("backoffice:worklist") + "?tab=unit")
        assert dossier.code not in page_of(worklist)
        assert [count for _value, _label, count in worklist.context["tabs"]] == [0, 0, 0]
        assert client.get(url("dossier", dossier)).status_code == 404
        assert client.get(url("control_slip", dossier)).status_code == 404
        before = snapshot(dossier)
        for name in ("dossier_forward", "dossier_withdrawal_request", "dossier_assign"):
            assert client.get(url(name, dossier)).status_code == 404, name
            assert client.post(url(name, dossier), {"reason": "x"}).status_code == 404, name
        assert snapshot(dossier) == before


class TestWorklist:
    def test_the_head_finds_the_new_dossier_in_the_units_tab(self, client, demo, dossier):
        client.force_login(demo.land_head)
        assert dossier.code not in page_of(client.get(reverse("backoffice:worklist")))
        page = page_of(client.get(reverse("backoffice:worklist") + "?tab=unit"))
        assert dossier.code in page
        assert "Bộ phận Đăng ký và cấp giấy chứng nhận" in page  # not assigned: the unit holds it

    def test_the_specialist_sees_time_left_and_urgency_in_words(
        self, client, demo, dossier, frozen
    ):
        assigned(demo, dossier)
        client.force_login(demo.land_specialist)
        page = page_of(client.get(reverse("backoffice:worklist")))
        # Examination: 2.5 days from 1 March 09:00, due 3 March 14:45: 6 + 7.5 + 5.25 office
        # hours left, that is 2 days (7.5 h each) and 3.75 h, shown to one decimal.
        assert dossier.code in page and "14:45 03/03/2027" in page
        assert "2 ngày 3,8 giờ" in page and "Trong hạn" in page
        frozen.move_to(local(2027, 3, 4, 9, 0), tick=False)
        page = page_of(client.get(reverse("backoffice:worklist")))
        assert "quá 3,8 giờ" in page and 'class="badge bad">Quá hạn<' in page

    def test_the_tax_officer_sees_only_what_was_sent_to_the_tax_office(self, client, demo, dossier):
        at_tax(demo, dossier)
        other = receive(demo.reception_officer, LAND_TRANSFER)
        client.force_login(demo.tax_officer)
        page = page_of(client.get(reverse("backoffice:worklist") + "?tab=unit"))
        assert dossier.code in page and other.code not in page
        assert client.get(url("dossier", dossier)).status_code == 200
        assert client.get(url("dossier", other)).status_code == 404

    def test_it_filters_by_procedure_and_state(self, client, demo, dossier):
        client.force_login(demo.land_head)
        base = reverse("backoffice:worklist") + "?tab=unit"
        assert dossier.code in page_of(client.get(base + "&procedure=1.013831"))
        assert dossier.code not in page_of(client.get(base + "&procedure=1.013978"))
        assert dossier.code in page_of(client.get(base + "&state=in_processing"))
        assert dossier.code not in page_of(client.get(base + "&state=awaiting_payment"))

    def test_it_builds_a_page_in_a_fixed_number_of_queries(
        self, client, demo, frozen, django_assert_max_num_queries
    ):
        client.force_login(demo.land_head)
        page = reverse("backoffice:worklist") + "?tab=unit"
        for _ in range(5):
            receive(demo.reception_officer, LAND_TRANSFER)
        client.get(page)
        with CaptureQueriesContext(connection) as five:
            response = client.get(page)
        assert len(response.context["rows"]) == 5
        # Session, user, memberships, three tab counts, the calendar, the rows, the supplements.
        assert len(five.captured_queries) <= 9
        for _ in range(25):
            receive(demo.reception_officer, LAND_TRANSFER)
        with django_assert_max_num_queries(len(five.captured_queries)):
            response = client.get(page)
        assert len(response.context["rows"]) == 25
        assert "Trang 1/2" in page_of(response)


def work_item(left: timedelta) -> WorkItem:
    return WorkItem(
        step=None,  # type: ignore[arg-type]
        urgency=Urgency.WITHIN,
        left=left,
        working_day=timedelta(hours=7.5),
    )


@pytest.mark.parametrize(
    ("left", "text"),
    [
        (timedelta(hours=2 * 7.5 + 3.5), "2 ngày 3,5 giờ"),
        (timedelta(hours=7.5), "1 ngày"),
        (timedelta(hours=2), "2 giờ"),
        (timedelta(0), "0 giờ"),
        (-timedelta(hours=7.5 + 2), "quá 1 ngày 2 giờ"),
    ],
)
def test_it_says_the_time_left_as_officers_do(left, text):
    assert left_text(work_item(left)) == text
    assert WorkRow(work_item(left), text).left == text


class TestLogbook:
    def test_the_desk_lists_and_downloads_its_logbook(self, client, demo, dossier):
        client.force_login(demo.reception_officer)
        center = Unit.objects.get(code="000.00.01.H57")
        query = f"?unit={center.pk}&start=2027-03-01&end=2027-03-31"
        page = client.get(reverse("backoffice:logbook") + query)
        assert page.status_code == 200 and dossier.code in page_of(page)
        pdf = client.get(reverse("backoffice:logbook_pdf") + query)
        assert pdf["Content-Type"] == "application/pdf"
        text = "".join(PdfReader(BytesIO(pdf.content)).pages[0].extract_text().split())
        assert dossier.code in text
        xlsx = client.get(reverse("backoffice:logbook_xlsx") + query)
        assert xlsx["Content-Type"] == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert xlsx["Content-Disposition"] == (
            'attachment; filename="so-theo-doi-000.00.01.H57-20270301-20270331.xlsx"'
        )
        sheet = load_workbook(BytesIO(xlsx.content)).active
        assert dossier.code in [cell.value for cell in sheet["B"]]

    def test_it_opens_on_this_month_of_the_first_unit(self, client, demo, dossier):
        client.force_login(demo.reception_officer)
        response = client.get(reverse("backoffice:logbook"))
        assert response.status_code == 200 and dossier.code in page_of(response)

    def test_an_outsider_cannot_open_the_centers_logbook(self, client, demo, dossier):
        client.force_login(demo.outsider)
        center = Unit.objects.get(code="000.00.01.H57")
        query = f"?unit={center.pk}&start=2027-03-01&end=2027-03-31"
        assert client.get(reverse("backoffice:logbook") + query).status_code == 400
        assert client.get(reverse("backoffice:logbook_xlsx") + query).status_code == 400
        assert dossier.code not in page_of(client.get(reverse("backoffice:logbook")))

    def test_a_period_ending_before_it_starts_is_refused(self, client, demo):
        client.force_login(demo.reception_officer)
        center = Unit.objects.get(code="000.00.01.H57")
        query = f"?unit={center.pk}&start=2027-03-31&end=2027-03-01"
        response = client.get(reverse("backoffice:logbook") + query)
        assert response.status_code == 400
        assert "Ngày kết thúc phải sau ngày bắt đầu." in page_of(response)
