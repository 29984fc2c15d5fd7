"""Forms printed while a dossier is processed: 02, 04, 05, the not-eligible notice, the payment
notice, the control slip (06) and the logbook (07), checked on the PDF text and the workbook."""

from __future__ import annotations

import datetime as dt
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from openpyxl import load_workbook
from pypdf import PdfReader

from motcua.agencies.models import Unit
from motcua.dossiers.logbook import logbook_rows, logbook_xlsx
from motcua.dossiers.models import (
    DossierNotice,
    DossierNoticeKind,
    Handover,
    PaymentNotice,
    Timeliness,
)
from motcua.dossiers.printing import (
    control_slip_pdf,
    dossier_notice_pdf,
    logbook_pdf,
    payment_notice_pdf,
)
from motcua.dossiers.tests.helpers import receive
from motcua.dossiers.tests.test_form_templates import A4_POINTS, PdfText, _pdffonts

LAND_FIRST_REGISTRATION = "1.013978"
CENTER = "000.00.01.H57"
LAND_OFFICE = "000.20.30.H57"
LAND_DEPARTMENT = "000.20.30.H57.P01"
TAX_OFFICE = "000.00.60.H57"
VN = timedelta(hours=7)

CENTER_NAME = "Trung tâm Phục vụ hành chính công thành phố Huế"
LAND_OFFICE_NAME = "Chi nhánh Văn phòng Đăng ký đất đai thành phố Huế"
DEPARTMENT_NAME = "Bộ phận Đăng ký và cấp giấy chứng nhận"


def local(*args: int) -> datetime:
    """A wall-clock time in Vietnam, as an aware UTC datetime."""
    return datetime(*args, tzinfo=UTC) - VN


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def received_on(demo: Any, *when: int) -> Any:
    with time_machine.travel(local(*when), tick=False):
        dossier = receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
    # The tests write their own trace, whatever the routing at reception recorded.
    dossier.handovers.all().delete()
    return dossier


def text_of(pdf: bytes, tmp_path: Path, name: str = "form.pdf") -> PdfText:
    path = tmp_path / name
    path.write_bytes(pdf)
    return PdfText(path)


def pages_of(pdf: bytes) -> list[Any]:
    return list(PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def dossier(demo: Any) -> Any:
    return received_on(demo, 2026, 4, 14, 9, 0)


def notice(dossier: Any, demo: Any, kind: str, **fields: Any) -> DossierNotice:
    fields.setdefault("issuing_unit", unit(LAND_OFFICE))
    fields.setdefault("issued_at", local(2026, 4, 20, 15, 0))
    return DossierNotice.objects.create(
        dossier=dossier,
        kind=kind,
        number=f"{kind}-01/CNVPĐKĐĐ",
        issued_by=demo.land_specialist,
        **fields,
    )


def handover(dossier: Any, at: datetime, giver: tuple, taker: tuple, **fields: Any) -> Handover:
    return Handover.objects.create(
        dossier=dossier,
        at=at,
        from_unit=unit(giver[0]),
        from_user=giver[1],
        to_unit=unit(taker[0]),
        to_user=taker[1],
        **fields,
    )


# The national heading (issuing body, unit, country and motto) is on every form.
def assert_national_heading(text: PdfText, unit_name: str) -> None:
    assert "ỦY BAN NHÂN DÂN THÀNH PHỐ HUẾ" in text
    assert unit_name.upper() in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text


def assert_liberation_serif_only(pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    fonts = _pdffonts(path)
    names = {font["name"].split("+")[-1].replace("-", "") for font in fonts}
    assert {"LiberationSerif", "LiberationSerifBold"} <= names
    assert all(name.startswith("LiberationSerif") for name in names), names
    assert all(font["emb"] == "yes" and font["uni"] == "yes" for font in fonts), fonts


@pytest.mark.django_db
class TestNotices:
    def test_it_lists_every_item_of_a_supplement_request_and_pauses_the_clock(
        self, demo, dossier, tmp_path
    ):
        items = [
            {"name": "Sơ đồ thửa đất", "reason": "Thiếu chữ ký xác nhận của chủ sử dụng liền kề"},
            {"name": "Giấy tờ về quyền sử dụng đất", "reason": "Bản sao chưa được chứng thực"},
        ]
        row = notice(
            dossier,
            demo,
            DossierNoticeKind.SUPPLEMENT,
            items=items,
            legal_basis="Điều 15 Nghị định số 118/2025/NĐ-CP",
        )

        pdf = dossier_notice_pdf(notice=row)
        text = text_of(pdf, tmp_path)

        assert_national_heading(text, LAND_OFFICE_NAME)
        assert "Mẫu số 02" in text
        assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
        assert f"Số: {row.number}" in text
        assert "Huế, ngày 20 tháng 4 năm 2026" in text
        assert f"Mã hồ sơ: {dossier.code}" in text
        assert "Hồ sơ của: Nguyễn Thị Hồng Nhung" in text
        for number, item in enumerate(items, start=1):
            assert f"{number}. {item['name']} Lý do: {item['reason']}" in text
        assert "Căn cứ pháp lý: Điều 15 Nghị định số 118/2025/NĐ-CP" in text
        assert f"Hồ sơ bổ sung nộp tại {CENTER_NAME}" in text
        assert "Thời hạn giải quyết hồ sơ được tạm dừng kể từ ngày 20/04/2026" in text
        assert f"liên hệ {LAND_OFFICE_NAME}, 28 Lê Lợi" in text
        assert "Nguyễn Văn Bình" in text
        assert_liberation_serif_only(pdf, tmp_path)

    def test_it_apologises_with_the_original_and_the_new_date_signed_by_the_head(
        self, demo, dossier, tmp_path
    ):
        row = notice(
            dossier,
            demo,
            DossierNoticeKind.APOLOGY,
            reason="Phải lấy ý kiến của Thuế cơ sở 1 thành phố Huế về nghĩa vụ tài chính.",
            original_due_at=local(2026, 5, 13, 16, 0),
            new_due_at=local(2026, 5, 20, 9, 30),
            signed_by=demo.person("lanhdao"),
        )

        pdf = dossier_notice_pdf(notice=row)
        text = text_of(pdf, tmp_path)

        assert_national_heading(text, LAND_OFFICE_NAME)
        assert "Mẫu số 04" in text
        assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
        assert "Kính gửi: Nguyễn Thị Hồng Nhung" in text
        assert f"Mã hồ sơ: {dossier.code}" in text
        assert "Thời gian nhận hồ sơ: 09 giờ 00 phút, ngày 14/04/2026" in text
        assert "Thời hạn trả kết quả giải quyết hồ sơ: 16 giờ 00 phút, ngày 13/05/2026" in text
        assert "lý do: Phải lấy ý kiến của Thuế cơ sở 1 thành phố Huế" in text
        assert f"{LAND_OFFICE_NAME} xin lỗi ông/bà/tổ chức" in text
        assert "hẹn trả kết quả giải quyết hồ sơ vào lúc: 09 giờ 30 phút, ngày 20/05/2026" in text
        assert "GIÁM ĐỐC CHI NHÁNH" in text
        assert "Hoàng Quốc Việt" in text
        assert_liberation_serif_only(pdf, tmp_path)

    def test_it_stops_a_withdrawn_dossier_and_says_what_happens_to_the_documents(
        self, demo, dossier, tmp_path
    ):
        row = notice(
            dossier,
            demo,
            DossierNoticeKind.STOP,
            reason="Người nộp hồ sơ có văn bản đề nghị rút hồ sơ ngày 20/04/2026.",
            signed_by=demo.person("lanhdao"),
        )

        text = text_of(dossier_notice_pdf(notice=row), tmp_path)

        assert_national_heading(text, LAND_OFFICE_NAME)
        assert "Mẫu số 05" in text
        assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text
        assert f"Mã hồ sơ: {dossier.code}" in text
        assert "dừng giải quyết hồ sơ nêu trên kể từ ngày 20/04/2026 với lý do:" in text
        assert "đề nghị rút hồ sơ ngày 20/04/2026" in text
        assert f"Hồ sơ giấy đã nộp được trả lại cho ông/bà/tổ chức tại {CENTER_NAME}" in text

    def test_it_gives_the_reason_and_legal_basis_of_a_dossier_that_is_not_eligible(
        self, demo, dossier, tmp_path
    ):
        row = notice(
            dossier,
            demo,
            DossierNoticeKind.REJECTION,
            reason="Thửa đất đang có tranh chấp chưa được giải quyết.",
            legal_basis="khoản 1 Điều 151 Luật Đất đai 2024",
            signed_by=demo.person("lanhdao"),
        )

        text = text_of(dossier_notice_pdf(notice=row), tmp_path)

        assert_national_heading(text, LAND_OFFICE_NAME)
        assert "THÔNG BÁO VỀ VIỆC HỒ SƠ KHÔNG ĐỦ ĐIỀU KIỆN GIẢI QUYẾT" in text
        assert "căn cứ khoản 1 Điều 151 Luật Đất đai 2024" in text
        assert "không đủ điều kiện giải quyết với lý do:" in text
        assert "Thửa đất đang có tranh chấp chưa được giải quyết." in text
        assert "GIÁM ĐỐC CHI NHÁNH" in text
        assert "Hoàng Quốc Việt" in text


@pytest.mark.django_db
def test_it_prints_the_payment_notice_with_vietnamese_amounts(demo, dossier, tmp_path):
    payment = PaymentNotice.objects.create(
        dossier=dossier,
        number="TB-0001/TCS1",
        issuing_unit=unit(TAX_OFFICE),
        lines=[
            {"kind": "tax", "name": "Thuế thu nhập cá nhân", "amount": 1_234_567},
            {"kind": "charge", "name": "Lệ phí trước bạ", "amount": 12_500_000},
        ],
        total=13_734_567,
        issued_at=local(2026, 4, 22, 10, 0),
        issued_by=demo.tax_officer,
    )

    pdf = payment_notice_pdf(payment=payment)
    text = text_of(pdf, tmp_path)

    assert_national_heading(text, "Thuế cơ sở 1 thành phố Huế")
    assert "THÔNG BÁO NỘP TIỀN" in text
    assert "Số: TB-0001/TCS1" in text
    assert "Huế, ngày 22 tháng 4 năm 2026" in text
    assert f"Mã hồ sơ: {dossier.code}" in text
    assert "1 Thuế thu nhập cá nhân Thuế 1.234.567 đ" in text
    assert "2 Lệ phí trước bạ Lệ phí 12.500.000 đ" in text
    assert "Tổng cộng 13.734.567 đ" in text
    assert f"nộp tiền tại quầy thu của {CENTER_NAME}" in text
    assert f"ghi rõ mã hồ sơ {dossier.code} và số thông báo TB-0001/TCS1" in text
    assert "Đặng Thu Trang" in text
    assert_liberation_serif_only(pdf, tmp_path)


@pytest.mark.django_db
class TestControlSlip:
    def test_it_prints_each_hand_over_with_who_when_and_how_it_finished(
        self, demo, dossier, tmp_path
    ):
        officer, specialist = demo.reception_officer, demo.land_specialist
        head = demo.person("truongphong")
        handover(
            dossier,
            local(2026, 4, 14, 10, 15),
            (CENTER, officer),
            (LAND_DEPARTMENT, specialist),
            timeliness=Timeliness.EARLY,
            note="Chuyển hồ sơ giấy",
        )
        handover(
            dossier,
            local(2026, 4, 15, 8, 0),
            (LAND_DEPARTMENT, head),
            (LAND_DEPARTMENT, specialist),
        )
        handover(
            dossier,
            local(2026, 4, 29, 16, 45),
            (LAND_DEPARTMENT, specialist),
            (LAND_DEPARTMENT, head),
            timeliness=Timeliness.LATE,
        )
        dossier.rescheduled_due_at = local(2026, 5, 20, 9, 30)

        pdf = control_slip_pdf(dossier=dossier)
        text = text_of(pdf, tmp_path)

        assert_national_heading(text, CENTER_NAME)
        assert "Mẫu số 06" in text
        assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
        assert f"Mã hồ sơ: {dossier.code}" in text
        assert "Người nộp hồ sơ: Nguyễn Thị Hồng Nhung" in text
        assert f"Cơ quan giải quyết: {LAND_OFFICE_NAME}" in text
        assert "Thời gian nhận hồ sơ: 09 giờ 00 phút, ngày 14/04/2026" in text
        assert "hẹn lại: 09 giờ 30 phút, ngày 20/05/2026" in text
        assert (
            "STT Tên cơ quan, đơn vị Thời gian giao, nhận hồ sơ "
            "Kết quả giải quyết hồ sơ (trước hạn/đúng hạn/quá hạn) Ghi chú"
        ) in text
        assert (
            f"1 Giao: {CENTER_NAME} — Trần Thị Thu Hà "
            f"Nhận: {DEPARTMENT_NAME} — Nguyễn Văn Bình "
            "10:15 ngày 14/04/2026 Trước hạn Chuyển hồ sơ giấy"
        ) in text
        # A re-assignment inside the department is not judged.
        assert (
            f"2 Giao: {DEPARTMENT_NAME} — Phạm Thị Lan Nhận: {DEPARTMENT_NAME} — "
            "Nguyễn Văn Bình 08:00 ngày 15/04/2026 3 Giao"
        ) in text
        assert "16:45 ngày 29/04/2026 Quá hạn" in text
        assert "Đúng hạn" not in text
        assert_liberation_serif_only(pdf, tmp_path)

    def test_it_prints_right_after_reception_with_rows_left_to_fill_in(
        self, demo, dossier, tmp_path
    ):
        handover(
            dossier,
            local(2026, 4, 14, 9, 5),
            (CENTER, demo.reception_officer),
            (LAND_OFFICE, None),
        )

        pdf = control_slip_pdf(dossier=dossier)
        text = text_of(pdf, tmp_path)

        assert len(pages_of(pdf)) == 1
        assert f"1 Giao: {CENTER_NAME} — Trần Thị Thu Hà Nhận: {LAND_OFFICE_NAME}" in text
        assert "09:05 ngày 14/04/2026" in text
        assert "2 Giao: Nhận: 3 Giao: Nhận: 4 Giao: Nhận:" in text

    def test_it_repeats_the_table_header_on_every_page_of_a_long_trace(
        self, demo, dossier, tmp_path
    ):
        specialist, head = demo.land_specialist, demo.person("truongphong")
        for n in range(40):
            handover(
                dossier,
                local(2026, 4, 14, 10, 0) + timedelta(hours=n),
                (LAND_DEPARTMENT, specialist if n % 2 else head),
                (LAND_DEPARTMENT, head if n % 2 else specialist),
                timeliness=Timeliness.ON_TIME,
                note=f"Lượt {n + 1}",
            )

        pdf = control_slip_pdf(dossier=dossier)
        pages = pages_of(pdf)

        assert len(pages) >= 3
        for page in pages:
            size = (float(page.mediabox.width), float(page.mediabox.height))
            assert size == pytest.approx(A4_POINTS, abs=1)
            assert "Tênc" in "".join(page.extract_text().split())  # "Tên cơ quan, đơn vị"
        text = text_of(pdf, tmp_path)
        assert "Lượt 40" in text
        assert "40 Giao" in text


@pytest.mark.django_db
class TestLogbook:
    @pytest.fixture
    def dossiers(self, demo):
        return [
            received_on(demo, 2026, 4, 13, 16, 30),  # the day before the period
            received_on(demo, 2026, 4, 14, 7, 30),
            received_on(demo, 2026, 4, 15, 16, 50),  # the last day, late afternoon
            received_on(demo, 2026, 4, 16, 7, 0),  # the day after the period
        ]

    def test_it_lists_the_dossiers_received_in_the_period_in_order(self, demo, dossiers):
        center = unit(CENTER)
        inside = dossiers[1:3]

        rows = list(
            logbook_rows(units=[center], start=dt.date(2026, 4, 14), end=dt.date(2026, 4, 15))
        )

        assert rows == inside
        assert (
            list(
                logbook_rows(
                    units=[unit(LAND_OFFICE)], start=dt.date(2026, 4, 14), end=dt.date(2026, 4, 15)
                )
            )
            == inside
        )
        assert not logbook_rows(
            units=[unit(TAX_OFFICE)], start=dt.date(2026, 4, 14), end=dt.date(2026, 4, 15)
        ).exists()

    def test_it_reads_the_rows_in_one_query(self, demo, dossiers, django_assert_num_queries):
        rows = logbook_rows(
            units=[unit(CENTER)], start=dt.date(2026, 4, 13), end=dt.date(2026, 4, 16)
        )
        with django_assert_num_queries(1):
            names = [
                (r.procedure_version.name, r.competent_unit.name, r.transferred_at) for r in rows
            ]
        assert len(names) == 4

    def test_it_prints_the_logbook_on_landscape_pages(self, demo, dossiers, tmp_path):
        first = dossiers[1]
        handover(
            first, local(2026, 4, 14, 9, 10), (CENTER, demo.reception_officer), (LAND_OFFICE, None)
        )
        first.resolved_at = local(2026, 5, 4, 14, 0)
        first.returned_at = local(2026, 5, 5, 8, 15)
        first.save()
        dossiers[2].rescheduled_due_at = local(2026, 5, 25, 8, 0)
        dossiers[2].save()
        center = unit(CENTER)
        rows = logbook_rows(units=[center], start=dt.date(2026, 4, 14), end=dt.date(2026, 4, 15))

        pdf = logbook_pdf(
            rows=rows, unit=center, start=dt.date(2026, 4, 14), end=dt.date(2026, 4, 15)
        )
        text = text_of(pdf, tmp_path)

        for page in pages_of(pdf):
            assert float(page.mediabox.width) > float(page.mediabox.height)
        assert_national_heading(text, CENTER_NAME)
        assert "SỔ THEO DÕI HỒ SƠ" in text
        assert "Từ ngày 14/04/2026 đến ngày 15/04/2026" in text
        assert (
            "STT Mã hồ sơ Thủ tục hành chính Người nộp hồ sơ Cơ quan giải quyết Ngày nhận hồ sơ "
            "Ngày hẹn trả kết quả Ngày chuyển hồ sơ Ngày có kết quả Ngày trả kết quả Ký nhận"
        ) in text
        assert f"1 {first.code}" in text
        assert f"2 {dossiers[2].code}" in text
        assert dossiers[0].code not in text
        assert dossiers[3].code not in text
        assert "07:30 14/04/2026" in text
        assert "09:10 14/04/2026 14:00 04/05/2026 08:15 05/05/2026" in text
        assert "16:50 15/04/2026" in text
        assert "hẹn lại 25/05/2026" in text
        assert_liberation_serif_only(pdf, tmp_path)

    def test_it_writes_the_logbook_as_a_workbook_with_real_dates(self, demo, dossiers):
        center = unit(CENTER)
        first = dossiers[1]
        first.returned_at = local(2026, 5, 5, 8, 15)
        first.save()
        rows = logbook_rows(units=[center], start=dt.date(2026, 4, 14), end=dt.date(2026, 4, 15))

        content = logbook_xlsx(
            rows=rows, unit=center, start=dt.date(2026, 4, 14), end=dt.date(2026, 4, 15)
        )

        sheet = load_workbook(io.BytesIO(content)).active
        assert sheet["A1"].value == CENTER_NAME.upper()
        assert sheet["A2"].value == "SỔ THEO DÕI HỒ SƠ"
        assert sheet["A3"].value == "Từ ngày 14/04/2026 đến ngày 15/04/2026"
        assert [c.value for c in sheet[5]][:3] == ["STT", "Mã hồ sơ", "Thủ tục hành chính"]
        assert sheet.freeze_panes == "A6"
        data = [[c.value for c in row] for row in sheet.iter_rows(min_row=6)]
        assert [row[1] for row in data] == [first.code, dossiers[2].code]
        assert data[0][0] == 1
        assert data[0][3] == "Nguyễn Thị Hồng Nhung"
        assert data[0][4] == LAND_OFFICE_NAME
        # Naive wall-clock times in Vietnam, as Excel has no time zones.
        assert data[0][5] == datetime(2026, 4, 14, 7, 30)
        assert data[0][9] == datetime(2026, 5, 5, 8, 15)
        assert data[1][5] == datetime(2026, 4, 15, 16, 50)
        assert data[0][6] == first.due_at.astimezone(UTC).replace(tzinfo=None) + VN
        assert data[0][7] is None
        assert sheet["F6"].number_format == "dd/mm/yyyy hh:mm"
        assert sheet.column_dimensions["C"].width > sheet.column_dimensions["A"].width
