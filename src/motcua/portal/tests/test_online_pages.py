"""The citizen's online pages through Django's test client: start, draft, submit, follow, and
what a stranger gets on each of them."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from motcua.documents.models import Document
from motcua.documents.tests.fake_clamd import EICAR, FakeClamd
from motcua.dossiers import online
from motcua.dossiers.models import Dossier, DossierDraft, DossierState
from motcua.dossiers.tests.helpers import version_of
from motcua.dossiers.tests.test_online import BUSINESS, PDF, _fields, _sample, citizen, pdf


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _start(client: Client) -> DossierDraft:
    response = client.post(reverse("portal:draft_start", args=[BUSINESS]))
    assert response.status_code == 302
    return DossierDraft.objects.latest("pk")


def _complete_post(draft: DossierDraft, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "applicant_kind": "person",
        "applicant_name": "Trần Văn Bình",
        "applicant_id_number": "046090001111",
        "applicant_address": "5 Lê Lợi",
        "applicant_phone": "0905123456",
        "applicant_email": "binh@example.vn",
        "result_channel": "online",
    }
    for field in _fields(draft.procedure_version):
        value = _sample(field)
        if value is True:
            data[field.name] = "on"
        else:
            data[field.name] = value
    for requirement in draft.procedure_version.components.all():
        if requirement.is_mandatory:
            data[f"file_{requirement.pk}"] = pdf()
    return data | extra


@pytest.mark.django_db
class TestTheCitizenSubmits:
    def test_from_the_procedure_page_to_the_code_and_the_expected_date(self, demo):
        client = signed_in(citizen())
        page = client.get(reverse("portal:procedure", args=[BUSINESS]))
        assert "Nộp hồ sơ trực tuyến" in page.content.decode()
        draft = _start(client)
        form = client.get(reverse("portal:draft", args=[draft.pk]))
        assert form.status_code == 200
        for field in _fields(draft.procedure_version):
            assert (
                f'id="{field.name}"' in form.content.decode() or field.name in form.content.decode()
            )
        response = client.post(
            reverse("portal:draft", args=[draft.pk]), _complete_post(draft, submit="1")
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        dossier = Dossier.objects.get()
        assert response["Location"].endswith(f"/ho-so-cua-toi/{dossier.code}/?moi=1")
        shown = client.get(response["Location"]).content.decode()
        assert dossier.code in shown
        assert "Đã nộp hồ sơ thành công" in shown
        assert "Tiếp theo" in shown
        assert dossier.state == DossierState.SUBMITTED_ONLINE

    def test_the_draft_survives_closing_the_browser(self, demo):
        user = citizen()
        client = signed_in(user)
        draft = _start(client)
        client.post(
            reverse("portal:draft", args=[draft.pk]),
            {"applicant_name": "Trần Văn Bình", "applicant_address": "Kiệt 12", "save": "1"},
        )
        later = signed_in(user)  # a new session, as after closing the browser
        listing = later.get(reverse("portal:my_dossiers")).content.decode()
        assert reverse("portal:draft", args=[draft.pk]) in listing
        assert "Kiệt 12" in later.get(reverse("portal:draft", args=[draft.pk])).content.decode()

    def test_submitting_an_incomplete_draft_shows_each_problem_at_its_field(self, demo):
        client = signed_in(citizen())
        draft = _start(client)
        response = client.post(
            reverse("portal:draft", args=[draft.pk]),
            {"applicant_name": "", "submit": "1"},
        )
        assert response.status_code == 400
        body = response.content.decode()
        assert 'aria-invalid="true"' in body
        assert "Cần đính kèm giấy tờ này." in body
        assert not Dossier.objects.exists()

    def test_signing_in_is_needed_and_officers_are_not_citizens(self, demo):
        anonymous = Client().post(reverse("portal:draft_start", args=[BUSINESS]))
        assert anonymous.status_code == 302 and reverse("portal:login") in anonymous["Location"]
        officer = signed_in(demo.reception_officer).get(reverse("portal:my_dossiers"))
        assert officer.status_code == 403


BAD_UPLOADS = {
    "an executable named .pdf": ("to-khai.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 64),
    "a PDF bomb": (
        "bom.pdf",
        b"%PDF-1.4\n1 0 obj<</Filter/FlateDecode>>stream\n"
        + zlib.compress(b"\0" * (300 * 1024 * 1024), 9)
        + b"\nendstream endobj\n%%EOF",
    ),
    "a PNG claiming 2.5 billion pixels": (
        "anh.png",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + struct.pack(">II", 50000, 50000) + b"\x08\x02\0\0\0",
    ),
    "a PDF that is also a ZIP archive": ("hop-dong.pdf", PDF + b"PK\x05\x06" + b"\0" * 18),
    "a PDF that runs JavaScript when opened": (
        "don.pdf",
        b"%PDF-1.4\n1 0 obj<</OpenAction<</S/#4A#61vaScript/JS(app.alert(1))>>>>endobj\n%%EOF\n",
    ),
    "a JPEG with a web page after its end": (
        "anh.jpg",
        b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xd9<html>",
    ),
}


@pytest.mark.django_db
class TestBadUploads:
    @pytest.mark.parametrize("case", BAD_UPLOADS)
    def test_refused_and_nothing_stored(self, demo, case, settings):
        name, content = BAD_UPLOADS[case]
        client = signed_in(citizen())
        draft = _start(client)
        requirement = draft.procedure_version.components.first()
        response = client.post(
            reverse("portal:draft", args=[draft.pk]),
            {
                "applicant_name": "Đổi tên",
                f"file_{requirement.pk}": SimpleUploadedFile(name, content),
                "save": "1",
            },
        )
        assert response.status_code == 400
        assert 'role="alert"' in response.content.decode()
        assert not Document.objects.exists()
        draft.refresh_from_db()
        assert draft.attachments == {}
        assert draft.applicant.get("name") != "Đổi tên"  # nothing of the request was kept

    def test_too_large_is_refused(self, demo, settings):
        settings.MOTCUA_UPLOAD_MAX_BYTES = 1024
        client = signed_in(citizen())
        draft = _start(client)
        requirement = draft.procedure_version.components.first()
        response = client.post(
            reverse("portal:draft", args=[draft.pk]),
            {f"file_{requirement.pk}": SimpleUploadedFile("lon.pdf", PDF + b"\0" * 2048)},
        )
        assert response.status_code == 400
        assert not Document.objects.exists()

    def test_a_name_with_path_separators_is_stored_under_its_last_part(self, demo):
        client = signed_in(citizen())
        draft = _start(client)
        requirement = draft.procedure_version.components.first()
        client.post(
            reverse("portal:draft", args=[draft.pk]),
            {f"file_{requirement.pk}": SimpleUploadedFile("../../etc/..\\passwd.pdf", PDF)},
        )
        stored = Document.objects.get()
        assert "/" not in stored.original_name and "\\" not in stored.original_name
        assert ".." not in stored.file.name


@pytest.mark.django_db
def test_the_virus_scanner_refuses_the_test_file_and_nothing_is_stored(demo, settings):
    client = signed_in(citizen())
    draft = _start(client)
    requirement = draft.procedure_version.components.first()
    with FakeClamd() as scanner:
        settings.MOTCUA_CLAMD_URL = scanner.url
        response = client.post(
            reverse("portal:draft", args=[draft.pk]),
            {f"file_{requirement.pk}": SimpleUploadedFile("to-khai.pdf", EICAR), "save": "1"},
        )
    assert response.status_code == 400
    assert "mã độc" in response.content.decode()
    assert not Document.objects.exists()
    draft.refresh_from_db()
    assert draft.attachments == {}


@pytest.mark.django_db
class TestPrivacyOnEveryPage:
    def test_a_stranger_gets_not_found_everywhere(self, demo):
        owner = citizen()
        draft = online.draft_start(user=owner, version=version_of(BUSINESS))
        upload = online.draft_attach(
            draft=draft,
            requirement_id=draft.procedure_version.components.first().pk,
            uploaded=pdf(),
        )
        from motcua.dossiers.tests.test_online import filled_draft

        dossier = online.draft_submit(draft=filled_draft(owner)).dossier
        stranger = signed_in(citizen("nguoila", id_number="046090009999"))
        pages = [
            ("get", reverse("portal:draft", args=[draft.pk])),
            ("post", reverse("portal:draft", args=[draft.pk])),
            ("post", reverse("portal:draft_delete", args=[draft.pk])),
            ("get", reverse("portal:my_dossier", args=[dossier.code])),
            ("post", reverse("portal:my_dossier_resubmit", args=[dossier.code])),
            ("post", reverse("portal:my_dossier_supplement", args=[dossier.code])),
            ("post", reverse("portal:my_dossier_withdraw", args=[dossier.code])),
            ("get", reverse("portal:my_dossier_result", args=[dossier.code])),
            ("get", reverse("portal:document_download", args=[upload.pk])),
        ]
        for method, url in pages:
            response = getattr(stranger, method)(url)
            assert response.status_code == 404, (url, response.status_code)
        assert dossier.code not in stranger.get(reverse("portal:my_dossiers")).content.decode()
        assert DossierDraft.objects.filter(pk=draft.pk).exists()
        dossier.refresh_from_db()
        assert dossier.state == DossierState.SUBMITTED_ONLINE
