from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, reverse
from pypdf import PdfReader

from motcua.backoffice import urls as backoffice_urls
from motcua.documents.models import Document
from motcua.dossiers.models import Dossier, ReceptionNotice
from motcua.dossiers.tests.helpers import receive, version_of

LAND_FIRST_REGISTRATION = "1.013978"
PUBLIC_PAGES = {"login", "logout"}


def applicant_post(version, *, tick: bool = True, action: str = "accept", **extra):
    data = {
        "applicant_kind": "person",
        "applicant_name": "Lê Văn Tám",
        "applicant_id_number": "046085000111",
        "applicant_address": "5 Nguyễn Huệ, Huế",
        "applicant_phone": "0905123456",
        "applicant_email": "",
        "result_channel": "desk",
        "note": "",
        "legal_basis": "",
        "refusal_reason": "",
        "other_items": "",
        "action": action,
    }
    if tick:
        for component in version.components.all():
            data[f"c_{component.pk}"] = "on"
    data.update(extra)
    return data


def page_urls(dossier: Dossier, notice: ReceptionNotice) -> dict[str, str]:
    """Every back-office page, with arguments for the ones that take them."""
    values = {
        "version_id": dossier.procedure_version_id,
        "code": dossier.code,
        "number": notice.number,
        "component_id": dossier.components.first().pk,
    }
    return {
        pattern.name: reverse(
            f"backoffice:{pattern.name}",
            kwargs={name: values[name] for name in pattern.pattern.converters},
        )
        for pattern in backoffice_urls.urlpatterns
        if isinstance(pattern, URLPattern) and pattern.name
    }


@pytest.fixture
def center_records(demo):
    dossier = receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
    from motcua.dossiers.services import reception_refusal_issue
    from motcua.dossiers.tests.helpers import CITIZEN

    notice = reception_refusal_issue(
        actor=demo.reception_officer,
        version=version_of(LAND_FIRST_REGISTRATION),
        applicant=CITIZEN,
        reason="Không thuộc thẩm quyền",
        legal_basis="Điều 19 Nghị định 118/2025/NĐ-CP",
    )
    return dossier, notice


@pytest.mark.django_db
class TestAccess:
    def test_it_sends_anonymous_visitors_to_the_login_page(self, client, center_records):
        for name, url in page_urls(*center_records).items():
            if name in PUBLIC_PAGES:
                continue
            response = client.get(url)
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("backoffice:login"))

    def test_it_refuses_an_account_without_a_role_on_every_page(self, client, demo, center_records):
        client.force_login(demo.nobody())
        for name, url in page_urls(*center_records).items():
            if name in PUBLIC_PAGES:
                continue
            assert client.get(url).status_code == 403, name

    def test_it_shows_an_officer_of_another_ward_nothing_of_the_center(
        self, client, demo, center_records
    ):
        dossier, notice = center_records
        client.force_login(demo.outsider)
        pages = page_urls(dossier, notice)
        for name in ("dossier", "receipt", "notice", "notice_print"):
            assert client.get(pages[name]).status_code == 404, name
        assert dossier.code not in client.get(pages["dossiers"]).content.decode()
        assert notice.number not in client.get(pages["notices"]).content.decode()
        version = dossier.procedure_version
        response = client.post(pages["intake"], applicant_post(version))
        assert response.status_code == 403
        assert Dossier.objects.count() == 1


@pytest.mark.django_db
class TestIntakePages:
    def test_it_accepts_a_complete_dossier_and_prints_the_receipt(self, client, demo):
        version = version_of(LAND_FIRST_REGISTRATION)
        client.force_login(demo.reception_officer)
        assert (
            version.name
            in client.get(
                reverse("backoffice:intake_select") + "?q=cap giay chung nhan"
            ).content.decode()
        )
        with time_machine.travel(datetime(2026, 4, 14, 2, 0, tzinfo=UTC), tick=False):
            response = client.post(
                reverse("backoffice:intake", args=[version.pk]), applicant_post(version)
            )
        dossier = Dossier.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("backoffice:dossier", args=[dossier.code])
        page = client.get(response["Location"]).content.decode()
        assert dossier.code in page and dossier.lookup_secret in page
        pdf = client.get(reverse("backoffice:receipt", args=[dossier.code]))
        assert pdf["Content-Type"] == "application/pdf"
        # The receipt of the longest-named demo procedure still fits on one sheet.
        receipt = PdfReader(BytesIO(pdf.content))
        assert len(receipt.pages) == 1
        assert dossier.code in receipt.pages[0].extract_text()

    def test_it_explains_what_is_missing_and_keeps_what_was_typed(self, client, demo):
        version = version_of(LAND_FIRST_REGISTRATION)
        client.force_login(demo.reception_officer)
        response = client.post(
            reverse("backoffice:intake", args=[version.pk]), applicant_post(version, tick=False)
        )
        page = response.content.decode()
        assert response.status_code == 400
        assert "chưa đủ thành phần bắt buộc" in page
        assert "Lê Văn Tám" in page
        assert Dossier.objects.count() == 0

    def test_it_refuses_a_malformed_citizen_id_with_a_clear_message(self, client, demo):
        version = version_of(LAND_FIRST_REGISTRATION)
        client.force_login(demo.reception_officer)
        response = client.post(
            reverse("backoffice:intake", args=[version.pk]),
            applicant_post(version, applicant_id_number="12345"),
        )
        assert response.status_code == 400
        assert "12 chữ số" in response.content.decode()
        assert Dossier.objects.count() == 0

    def test_it_refuses_a_scan_that_is_not_a_pdf_or_image_and_saves_nothing(self, client, demo):
        version = version_of(LAND_FIRST_REGISTRATION)
        first = version.components.first()
        client.force_login(demo.reception_officer)
        fake = SimpleUploadedFile("don.pdf", b"MZ\x90\x00 an executable", "application/pdf")
        response = client.post(
            reverse("backoffice:intake", args=[version.pk]),
            {**applicant_post(version), f"f_{first.pk}": fake},
        )
        assert response.status_code == 400
        assert "không phải PDF, JPEG hoặc PNG" in response.content.decode()
        assert Dossier.objects.count() == 0
        assert Document.objects.count() == 0

    def test_it_issues_a_guidance_notice_listing_every_unticked_component(self, client, demo):
        version = version_of(LAND_FIRST_REGISTRATION)
        client.force_login(demo.reception_officer)
        response = client.post(
            reverse("backoffice:intake", args=[version.pk]),
            applicant_post(
                version, tick=False, action="guidance", other_items="Sơ đồ thửa đất: bản vẽ bị mờ"
            ),
        )
        notice = ReceptionNotice.objects.get()
        assert response.status_code == 302
        assert len(notice.items) == version.components.count() + 1
        assert notice.items[-1] == {"name": "Sơ đồ thửa đất", "reason": "bản vẽ bị mờ"}
        pdf = client.get(reverse("backoffice:notice_print", args=[notice.number]))
        assert pdf.content.startswith(b"%PDF")
        assert Dossier.objects.count() == 0

    def test_it_issues_a_reasoned_refusal(self, client, demo):
        version = version_of(LAND_FIRST_REGISTRATION)
        client.force_login(demo.reception_officer)
        response = client.post(
            reverse("backoffice:intake", args=[version.pk]),
            applicant_post(
                version,
                action="refuse",
                refusal_reason="Đất đang có tranh chấp",
                legal_basis="Luật Đất đai 2024",
            ),
        )
        assert response.status_code == 302
        assert ReceptionNotice.objects.get().kind == "refusal"
        assert Dossier.objects.count() == 0

    def test_it_lists_dossiers_in_a_fixed_number_of_queries(
        self, client, demo, django_assert_max_num_queries
    ):
        client.force_login(demo.reception_officer)
        for _ in range(3):
            receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
        with django_assert_max_num_queries(12) as few:
            client.get(reverse("backoffice:dossiers"))
        for _ in range(20):
            receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get(reverse("backoffice:dossiers"))
