from __future__ import annotations

import datetime as dt
import io
import subprocess
import unicodedata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from pypdf import PdfReader

from motcua.lib.pdf import html_to_pdf, qr_svg_data_uri

A4_POINTS = (595.28, 841.89)
LOOKUP_URL = "https://motcua.hue.gov.vn/tra-cuu/000.00.04.H40-230414-0002"

COMPONENT_NAMES = [
    "Tờ khai đăng ký khai sinh theo mẫu",
    "Giấy chứng sinh do cơ sở y tế cấp",
    "Giấy chứng nhận kết hôn của cha, mẹ",
]
GUIDANCE_ITEMS = [
    ("Giấy chứng nhận quyền sử dụng đất", "Bản sao chưa được chứng thực"),
    ("Sơ đồ thửa đất", "Thiếu chữ ký xác nhận của chủ hộ liền kề"),
]


def _heading(date: dt.date) -> SimpleNamespace:
    # Given in sentence case: the template is responsible for the upper case of the heading.
    return SimpleNamespace(
        parent_name="Ủy ban nhân dân thành phố Huế",
        unit_name="Trung tâm Phục vụ hành chính công thành phố Huế",
        number="123/TNHS",
        place="Huế",
        date=date,
    )


def _applicant() -> SimpleNamespace:
    return SimpleNamespace(
        name="Nguyễn Thị Hồng Nhung",
        id_number="046190001234",
        address="12 Lê Lợi, phường Thuận Hóa, thành phố Huế",
        phone="0912 345 678",
        email="nhung.nguyen@example.vn",
        is_organisation=False,
    )


def _procedure() -> SimpleNamespace:
    return SimpleNamespace(
        code="1.001193",
        name="Đăng ký khai sinh",
        agency_name="Ủy ban nhân dân phường Thuận Hóa",
    )


def _receipt_context() -> dict[str, Any]:
    forms = ["Bản chính", "Bản chính", "Bản sao chứng thực"]
    return {
        "heading": _heading(dt.date(2025, 2, 3)),
        "dossier": SimpleNamespace(
            code="000.00.04.H40-230414-0002",
            lookup_secret="K7QF2M",
            # 01:30 and 02:00 UTC are 08:30 and 09:00 in Vietnam (UTC+7).
            received_at=dt.datetime(2025, 2, 3, 1, 30, tzinfo=dt.UTC),
            due_at=dt.datetime(2025, 2, 24, 2, 0, tzinfo=dt.UTC),
            statutory_time_label="15 ngày làm việc",
            result_channel_label="Bộ phận Một cửa - Trung tâm Phục vụ hành chính công",
            logbook_number="",
            is_on_the_spot=False,
        ),
        "applicant": _applicant(),
        "procedure": _procedure(),
        "components": [
            SimpleNamespace(position=i, name=name, form_label=form, quantity=1)
            for i, (name, form) in enumerate(zip(COMPONENT_NAMES, forms, strict=True), start=1)
        ],
        "officer_name": "Trần Văn Đức",
        "lookup_url": LOOKUP_URL,
        "qr_data_uri": qr_svg_data_uri(LOOKUP_URL),
    }


def _guidance_context() -> dict[str, Any]:
    return {
        "heading": _heading(dt.date(2025, 7, 5)),
        "applicant": _applicant(),
        "procedure": _procedure(),
        "notice": SimpleNamespace(
            number="45/HDHS",
            items=[SimpleNamespace(name=name, reason=reason) for name, reason in GUIDANCE_ITEMS],
            legal_basis="Điều 15 Nghị định số 118/2025/NĐ-CP",
            contact="Bộ phận Một cửa, số điện thoại 0234 3822 555",
            note="Hồ sơ bổ sung nộp trực tiếp hoặc qua Cổng Dịch vụ công quốc gia.",
        ),
        "officer_name": "Lê Thị Thủy",
    }


def _refusal_context() -> dict[str, Any]:
    return {
        "heading": _heading(dt.date(2025, 11, 20)),
        "applicant": _applicant(),
        "procedure": _procedure(),
        "notice": SimpleNamespace(
            number="46/TCHS",
            reason="Thủ tục không thuộc thẩm quyền giải quyết của Ủy ban nhân dân phường.",
            legal_basis="khoản 3 Điều 16 Nghị định số 118/2025/NĐ-CP",
            contact="",
            note="",
        ),
        "officer_name": "Phạm Quốc Bảo",
    }


def _render(template: str, context: dict[str, Any]) -> bytes:
    with translation.override("vi"):
        html = render_to_string(f"dossiers/forms/{template}", context)
    return html_to_pdf(html)


def _squash(text: str) -> str:
    # Line breaks fall anywhere (even after the hyphen of "NĐ-CP"), so texts are compared
    # without whitespace; the letters and their diacritics still have to match exactly.
    return "".join(unicodedata.normalize("NFC", text).split())


class PdfText:
    def __init__(self, path: Path) -> None:
        reader = PdfReader(io.BytesIO(path.read_bytes()))
        self.squashed = _squash(" ".join(page.extract_text() for page in reader.pages))

    def __contains__(self, needle: str) -> bool:
        return _squash(needle) in self.squashed


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    contexts = {
        "form_01_receipt.html": _receipt_context(),
        "form_02_guidance.html": _guidance_context(),
        "form_03_refusal.html": _refusal_context(),
    }
    directory = tmp_path_factory.mktemp("forms")
    paths = {}
    for template, context in contexts.items():
        path = directory / template.replace(".html", ".pdf")
        path.write_bytes(_render(template, context))
        paths[template] = path
    return paths


def _pdffonts(path: Path) -> list[dict[str, str]]:
    output = subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout
    rows = output.splitlines()[2:]
    fonts = []
    for row in rows:
        # The type column may contain spaces ("CID TrueType"), so read from both ends.
        tokens = row.split()
        fonts.append({"name": tokens[0], "emb": tokens[-5], "uni": tokens[-3]})
    return fonts


ALL_FORMS = ["form_01_receipt.html", "form_02_guidance.html", "form_03_refusal.html"]


@pytest.mark.parametrize("template", ALL_FORMS)
def test_it_prints_on_one_or_two_a4_portrait_pages(
    rendered: dict[str, Path], template: str
) -> None:
    reader = PdfReader(io.BytesIO(rendered[template].read_bytes()))

    assert 1 <= len(reader.pages) <= 2
    for page in reader.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert size == pytest.approx(A4_POINTS, abs=1)


@pytest.mark.parametrize("template", ALL_FORMS)
def test_it_prints_the_national_heading(rendered: dict[str, Path], template: str) -> None:
    text = PdfText(rendered[template])

    assert "ỦY BAN NHÂN DÂN THÀNH PHỐ HUẾ" in text
    assert "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG THÀNH PHỐ HUẾ" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text


@pytest.mark.parametrize("template", ALL_FORMS)
def test_it_embeds_only_liberation_serif_with_unicode_maps(
    rendered: dict[str, Path], template: str
) -> None:
    fonts = _pdffonts(rendered[template])

    # Subset fonts are named like "KZUJSR+Liberation-Serif-Bold"; any other font means that
    # some Vietnamese letter fell back to a font that has it.
    names = {font["name"].split("+")[-1].replace("-", "") for font in fonts}
    assert names
    assert all(name.startswith("LiberationSerif") for name in names), names
    assert {"LiberationSerif", "LiberationSerifBold", "LiberationSerifItalic"} <= names
    assert all(font["emb"] == "yes" and font["uni"] == "yes" for font in fonts), fonts


def test_it_prints_the_receipt_with_the_code_and_the_applicant(
    rendered: dict[str, Path],
) -> None:
    text = PdfText(rendered["form_01_receipt.html"])

    assert "Mẫu số 01" in text
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert "Số: 123/TNHS" in text
    assert "Huế, ngày 03 tháng 02 năm 2025" in text
    assert "Mã hồ sơ: 000.00.04.H40-230414-0002" in text
    assert "Trung tâm Phục vụ hành chính công thành phố Huế tiếp nhận hồ sơ của:" in text
    assert "Ông/Bà: Nguyễn Thị Hồng Nhung" in text
    assert "Nội dung yêu cầu giải quyết: Đăng ký khai sinh (mã thủ tục: 1.001193)" in text
    assert "Thời gian giải quyết hồ sơ theo quy định là: 15 ngày làm việc" in text


def test_it_lists_every_component_with_its_form(rendered: dict[str, Path]) -> None:
    text = PdfText(rendered["form_01_receipt.html"])

    assert "STT Tên giấy tờ Hình thức (bản chính, bản sao, bản sao chứng thực) Số lượng" in text
    for position, name in enumerate(COMPONENT_NAMES, start=1):
        assert f"{position} {name}" in text
    assert "Bản sao chứng thực" in text


def test_it_shows_reception_and_appointment_in_vietnam_time(rendered: dict[str, Path]) -> None:
    text = PdfText(rendered["form_01_receipt.html"])

    assert "Thời gian nhận hồ sơ: 08 giờ 30 phút, ngày 03/02/2025" in text
    assert "Hẹn trả kết quả: 09 giờ 00 phút, ngày 24/02/2025" in text
    assert "02 giờ 00 phút" not in text
    assert "Giải quyết ngay trong ngày" not in text


def test_it_prints_the_lookup_box_and_both_signatures(rendered: dict[str, Path]) -> None:
    text = PdfText(rendered["form_01_receipt.html"])

    assert f"Tra cứu tiến độ: {LOOKUP_URL}" in text
    assert "Mã tra cứu: K7QF2M" in text
    assert "Đăng ký nhận kết quả tại: Bộ phận Một cửa" in text
    assert "NGƯỜI NỘP HỒ SƠ" in text
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" in text
    assert "(Ký và ghi rõ họ tên)" in text
    assert "Trần Văn Đức" in text


def test_it_says_when_a_dossier_is_resolved_on_the_spot() -> None:
    context = _receipt_context()
    context["dossier"].is_on_the_spot = True
    context["dossier"].logbook_number = "Quyển số 02, số thứ tự 118"

    with translation.override("vi"):
        html = render_to_string("dossiers/forms/form_01_receipt.html", context)

    assert "Giải quyết ngay trong ngày" in html
    assert "Quyển số 02, số thứ tự 118" in html


def test_it_numbers_every_item_of_the_supplement_request(rendered: dict[str, Path]) -> None:
    text = PdfText(rendered["form_02_guidance.html"])

    assert "Mẫu số 02" in text
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert "Số: 45/HDHS" in text
    assert "Huế, ngày 05 tháng 7 năm 2025" in text
    assert "Hồ sơ của: Nguyễn Thị Hồng Nhung" in text
    assert "Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:" in text
    for number, (name, reason) in enumerate(GUIDANCE_ITEMS, start=1):
        assert f"{number}. {name} Lý do: {reason}" in text
    assert "Căn cứ pháp lý: Điều 15 Nghị định số 118/2025/NĐ-CP" in text
    assert "liên hệ Bộ phận Một cửa, số điện thoại 0234 3822 555 để được hướng dẫn" in text
    assert "NGƯỜI HƯỚNG DẪN" in text
    assert "Lê Thị Thủy" in text


def test_it_gives_the_reason_and_legal_basis_of_a_refusal(rendered: dict[str, Path]) -> None:
    text = PdfText(rendered["form_03_refusal.html"])

    assert "Mẫu số 03" in text
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert "Huế, ngày 20 tháng 11 năm 2025" in text
    assert "căn cứ quy định tại khoản 3 Điều 16 Nghị định số 118/2025/NĐ-CP" in text
    assert "không tiếp nhận giải quyết hồ sơ này với lý do cụ thể như sau:" in text
    assert "Thủ tục không thuộc thẩm quyền giải quyết của Ủy ban nhân dân phường." in text
    assert "NGƯỜI TỪ CHỐI" in text
    assert "Phạm Quốc Bảo" in text
