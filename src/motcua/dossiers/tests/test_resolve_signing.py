"""The resolve step signs the result in the issuing agency's name and stores it for the applicant.

Signing itself (pki, signing) is tested in documents/tests/test_signing.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.core.errors import ValidationFailed
from motcua.core.testing import sample_encrypted_pdf, sample_pdf
from motcua.documents.models import Document, Provenance
from motcua.documents.pki import SigningNotConfigured
from motcua.documents.signing import signature_report
from motcua.dossiers.models import Dossier, DossierState
from motcua.dossiers.processing import (
    PaymentLine,
    dossier_resolve,
    payment_notice_issue,
    payment_record,
    step_assign,
    step_forward,
)
from motcua.dossiers.tests.helpers import CITIZEN, receive

LAND_TRANSFER = "1.013831"
VN = timedelta(hours=7)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC) - VN


def _at_the_last_step(demo):  # type: ignore[no-untyped-def]
    """A land transfer, examined, taxed, paid, drafted and signed: only publication is left."""
    with time_machine.travel(local(2027, 2, 1, 9, 0), tick=False):
        dossier = receive(demo.reception_officer, LAND_TRANSFER)
        step = dossier.steps.get(finished_at__isnull=True)
        step_assign(
            actor=demo.land_head, code=dossier.code, step_id=step.pk, assignee=demo.land_specialist
        )
        step_forward(actor=demo.land_specialist, code=dossier.code)
        payment_notice_issue(
            actor=demo.tax_officer,
            code=dossier.code,
            lines=[PaymentLine(kind="charge", name="Lệ phí trước bạ", amount=500_000)],
        )
        payment_record(actor=demo.reception_officer, code=dossier.code, receipt_number="BL-9")
        step_forward(actor=demo.land_specialist, code=dossier.code)
        step_forward(actor=demo.land_director, code=dossier.code)
    return dossier


def _resolve(demo, dossier, content: bytes, name: str = "ket-qua.pdf"):  # type: ignore[no-untyped-def]
    with time_machine.travel(local(2027, 2, 16, 15, 0), tick=False):
        return dossier_resolve(
            actor=demo.land_specialist,
            code=dossier.code,
            result_number="CS 123456",
            document=SimpleUploadedFile(name, content),
        )


@pytest.mark.django_db
class TestResolve:
    def test_the_result_is_stored_signed_by_the_issuing_agency_for_the_applicant(self, demo):
        dossier = _at_the_last_step(demo)
        original = sample_pdf()

        _resolve(demo, dossier, original)

        dossier.refresh_from_db()
        stored = dossier.result_document
        assert dossier.state == DossierState.RESOLVED
        assert stored.provenance == Provenance.ISSUED_RESULT and stored.is_signed
        assert stored.owner_id_number == CITIZEN.id_number and stored.owner is None
        assert stored.verified_by == demo.land_specialist
        content = stored.file.read()
        assert content.startswith(original) and len(content) == stored.size
        report = signature_report(content)
        assert report.ok and report.signed_at == local(2027, 2, 16, 15, 0)
        # The land office's director signed (the workflow's signing step): its certificate.
        assert report.signer_unit_code == "000.20.30.H57"
        assert report.signer_name == "Chi nhánh Văn phòng Đăng ký đất đai thành phố Huế"

    def test_an_online_applicant_owns_the_result_in_their_account(self, demo):
        dossier = _at_the_last_step(demo)
        citizen = demo.nobody()
        # Online submission is its own service; the account is attached here directly.
        Dossier.objects.filter(pk=dossier.pk).update(applicant_user=citizen)

        _resolve(demo, dossier, sample_pdf())

        dossier.refresh_from_db()
        assert dossier.result_document.owner == citizen

    @pytest.mark.parametrize(
        ("content", "code"),
        [
            (b"\xff\xd8\xff\xe0 a JPEG", "result_not_pdf"),
            (b"\x89PNG\r\n\x1a\n a PNG", "result_not_pdf"),
            (b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n", "result_not_pdf"),
            (sample_encrypted_pdf(), "result_encrypted"),
        ],
        ids=["jpeg", "png", "fake-pdf", "encrypted"],
    )
    def test_a_result_that_cannot_be_signed_is_refused_and_nothing_is_stored(
        self, demo, content: bytes, code: str
    ):
        dossier = _at_the_last_step(demo)
        documents = Document.objects.count()

        with pytest.raises(ValidationFailed) as caught:
            _resolve(demo, dossier, content)

        assert caught.value.code == code
        assert caught.value.extra == {"field": "document"}
        assert Document.objects.count() == documents
        assert Dossier.objects.get(pk=dossier.pk).state == DossierState.IN_PROCESSING

    def test_an_image_is_refused_with_the_pdf_reason(self, demo):
        dossier = _at_the_last_step(demo)

        with pytest.raises(ValidationFailed) as caught:
            _resolve(demo, dossier, b"\xff\xd8\xff\xe0 a JPEG", name="ket-qua.jpg")

        assert caught.value.message == "Văn bản kết quả phải là tệp PDF để ký số."

    def test_without_the_agency_certificate_nothing_changes(self, demo, settings, tmp_path):
        dossier = _at_the_last_step(demo)
        settings.MOTCUA_PKI_DIR, settings.MOTCUA_SIGNING_DEMO_PKI = tmp_path, False
        documents = Document.objects.count()

        with pytest.raises(SigningNotConfigured) as caught:
            _resolve(demo, dossier, sample_pdf())

        assert str(tmp_path / "units" / "000.20.30.H57.pem") in str(caught.value.message)
        assert Document.objects.count() == documents
        assert Dossier.objects.get(pk=dossier.pk).state == DossierState.IN_PROCESSING
