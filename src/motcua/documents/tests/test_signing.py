"""Results signed by the issuing agency: they validate, a change shows, a non-PDF is refused."""

from __future__ import annotations

import shutil
import stat
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from motcua.agencies.models import Unit, UnitKind
from motcua.core.errors import ValidationFailed
from motcua.core.testing import sample_encrypted_pdf, sample_pdf
from motcua.documents.models import Provenance
from motcua.documents.pki import (
    DEMO_CA_NAME,
    SigningNotConfigured,
    ca_certificate_path,
    unit_certificate_ensure,
    unit_credential_paths,
)
from motcua.documents.services import document_store
from motcua.documents.signing import sign_pdf, signature_report

# Not saved: signing reads only the unit's code and name.
LAND_OFFICE = Unit(
    code="000.20.30.H57",
    name="Chi nhánh Văn phòng Đăng ký đất đai thành phố Huế",
    kind=UnitKind.AGENCY,
)
LAND_TRANSFER = "1.013831"
VN = timedelta(hours=7)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC) - VN


class TestSignPdf:
    def test_it_signs_a_result_that_validates_and_is_trusted_by_the_demo_ca(self) -> None:
        original = sample_pdf()
        signed = sign_pdf(original, unit=LAND_OFFICE)

        assert signed.startswith(original)  # an incremental update: the original bytes stay
        report = signature_report(signed)
        assert report.signed and report.intact and report.valid and report.trusted
        assert report.covers_whole_document and report.ok
        assert report.signer_name == LAND_OFFICE.name
        assert report.signer_unit_code == "000.20.30.H57"
        assert report.signed_at is not None
        assert abs(report.signed_at - datetime.now(UTC)) < timedelta(minutes=5)

    def test_a_standard_pdf_reader_says_the_signature_is_valid(self, tmp_path) -> None:
        if shutil.which("pdfsig") is None:
            pytest.skip("pdfsig (poppler-utils) is not installed: apt-get install poppler-utils")
        path = tmp_path / "ket-qua.pdf"
        path.write_bytes(sign_pdf(sample_pdf(), unit=LAND_OFFICE))

        output = subprocess.run(
            ["pdfsig", str(path)], capture_output=True, text=True, check=False, timeout=60
        ).stdout

        assert "Signature is Valid." in output
        assert "Signature Field Name: KetQua" in output
        assert f"Common Name: {LAND_OFFICE.name}" in output
        assert "Total document signed" in output

    def test_a_byte_changed_after_signing_makes_the_signature_invalid(self) -> None:
        signed = sign_pdf(sample_pdf(title="Giay chung nhan so 1"), unit=LAND_OFFICE)
        # The title is in the original revision, which the signature covers.
        tampered = signed.replace(b"so 1", b"so 7", 1)
        assert tampered != signed

        report = signature_report(tampered)

        assert report.signed
        assert not report.intact and not report.valid and not report.ok

    def test_bytes_appended_after_signing_are_not_covered(self) -> None:
        signed = sign_pdf(sample_pdf(), unit=LAND_OFFICE)

        report = signature_report(signed + b"\n% them sau khi ky\n")

        assert report.intact and report.valid
        assert not report.covers_whole_document and not report.ok

    def test_a_second_signature_keeps_the_first_and_is_the_one_reported(self) -> None:
        ward = Unit(code="000.00.12.H57", name="Ủy ban nhân dân phường Thuận Hóa", kind="commune")
        once = sign_pdf(sample_pdf(), unit=LAND_OFFICE)

        twice = sign_pdf(once, unit=ward)

        assert twice.startswith(once)
        report = signature_report(twice)
        assert report.ok and report.signer_unit_code == "000.00.12.H57"

    def test_an_unsigned_pdf_is_reported_as_unsigned(self) -> None:
        report = signature_report(sample_pdf())

        assert not report.signed and not report.ok

    def test_a_signature_from_another_ca_is_valid_but_not_trusted(self, settings, tmp_path):
        ours = settings.MOTCUA_PKI_DIR
        settings.MOTCUA_PKI_DIR = tmp_path / "someone-else"
        foreign = sign_pdf(sample_pdf(), unit=LAND_OFFICE)
        settings.MOTCUA_PKI_DIR = ours

        report = signature_report(foreign)

        assert report.intact and report.valid
        assert not report.trusted and not report.ok

    @pytest.mark.parametrize(
        "content",
        [
            b"\xff\xd8\xff\xe0 a JPEG",
            b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n",
            sample_pdf()[:200],
            b"",
        ],
        ids=["jpeg", "fake-pdf", "truncated", "empty"],
    )
    def test_what_is_not_a_pdf_is_refused_in_vietnamese(self, content: bytes) -> None:
        with pytest.raises(ValidationFailed) as signing:
            sign_pdf(content, unit=LAND_OFFICE)
        with pytest.raises(ValidationFailed) as checking:
            signature_report(content)

        for error in (signing.value, checking.value):
            assert error.code == "result_not_pdf"
            assert str(error.message).startswith("Tệp kết quả không phải PDF hợp lệ")

    def test_an_encrypted_pdf_is_refused(self) -> None:
        with pytest.raises(ValidationFailed) as signing:
            sign_pdf(sample_encrypted_pdf(), unit=LAND_OFFICE)
        with pytest.raises(ValidationFailed) as checking:
            signature_report(sample_encrypted_pdf())

        assert signing.value.code == checking.value.code == "result_encrypted"
        assert "mật khẩu" in str(signing.value.message)


class TestPki:
    def test_the_agency_certificate_names_the_agency_and_only_signs(self) -> None:
        paths = unit_certificate_ensure(unit=LAND_OFFICE)
        cert = x509.load_pem_x509_certificate(paths.certificate.read_bytes())

        def name(oid: x509.ObjectIdentifier) -> object:
            return cert.subject.get_attributes_for_oid(oid)[0].value

        assert name(NameOID.COMMON_NAME) == LAND_OFFICE.name
        assert name(NameOID.SERIAL_NUMBER) == "000.20.30.H57"
        assert name(NameOID.ORGANIZATION_NAME) == "Ủy ban nhân dân thành phố Huế"
        assert name(NameOID.COUNTRY_NAME) == "VN"
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
        issuer = x509.load_pem_x509_certificate(ca_certificate_path().read_bytes())
        ca_name = issuer.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        assert ca_name == DEMO_CA_NAME
        cert.verify_directly_issued_by(issuer)
        assert stat.S_IMODE(paths.key.stat().st_mode) == 0o600
        assert stat.S_IMODE((ca_certificate_path().parent / "ca.key").stat().st_mode) == 0o600

    def test_a_long_agency_name_is_cut_to_what_x509_allows(self, settings, tmp_path) -> None:
        settings.MOTCUA_PKI_DIR = tmp_path
        long = Unit(code="000.99.99.H57", name="Ủy ban nhân dân " * 8, kind="agency")

        signed = sign_pdf(sample_pdf(), unit=long)

        report = signature_report(signed)
        assert report.ok and len(report.signer_name) == 64
        assert report.signer_name.startswith("Ủy ban nhân dân Ủy ban")
        assert report.signer_name.endswith("…")

    def test_a_renamed_agency_gets_a_new_demo_certificate(self, settings, tmp_path) -> None:
        settings.MOTCUA_PKI_DIR = tmp_path
        unit = Unit(code="000.00.60.H57", name="Chi cục Thuế thành phố Huế", kind="agency")
        first = unit_certificate_ensure(unit=unit).certificate.read_bytes()
        assert unit_certificate_ensure(unit=unit).certificate.read_bytes() == first

        unit.name = "Thuế cơ sở 1 thành phố Huế"

        assert unit_certificate_ensure(unit=unit).certificate.read_bytes() != first
        assert signature_report(sign_pdf(sample_pdf(), unit=unit)).signer_name == unit.name

    def test_racing_workers_create_one_ca_and_one_certificate(self, settings, tmp_path) -> None:
        settings.MOTCUA_PKI_DIR = tmp_path

        def issue(_: int) -> bytes:
            return unit_certificate_ensure(unit=LAND_OFFICE).certificate.read_bytes()

        with ThreadPoolExecutor(max_workers=6) as pool:
            certificates = set(pool.map(issue, range(12)))

        assert len(certificates) == 1
        assert not [p for p in tmp_path.rglob(".*") if p.name != ".lock"]  # no temporary left

    def test_without_the_demo_pki_a_missing_certificate_is_a_clear_error(self, settings, tmp_path):
        settings.MOTCUA_PKI_DIR = tmp_path
        settings.MOTCUA_SIGNING_DEMO_PKI = False

        with pytest.raises(SigningNotConfigured) as caught:
            sign_pdf(sample_pdf(), unit=LAND_OFFICE)

        expected = unit_credential_paths(unit_code="000.20.30.H57").certificate
        assert str(expected) in str(caught.value.message)
        assert "Chưa cài đặt chứng thư số" in str(caught.value.message)
        assert not list(tmp_path.iterdir())  # nothing generated in production mode

    def test_without_the_demo_pki_installed_files_are_used(self, settings, tmp_path) -> None:
        settings.MOTCUA_PKI_DIR = tmp_path
        unit_certificate_ensure(unit=LAND_OFFICE)
        (tmp_path / "ca.key").unlink()  # production holds no CA key
        settings.MOTCUA_SIGNING_DEMO_PKI = False

        assert signature_report(sign_pdf(sample_pdf(), unit=LAND_OFFICE)).ok

    @pytest.mark.django_db
    def test_the_demo_command_creates_every_issuing_agency_once(self, demo, settings, tmp_path):
        settings.MOTCUA_PKI_DIR = tmp_path
        out = StringIO()

        call_command("pki_demo", stdout=out)
        first = {p.name: p.read_bytes() for p in (tmp_path / "units").iterdir()}
        call_command("pki_demo", stdout=StringIO())

        assert "000.20.30.H57.pem" in first and "000.00.12.H57.key" in first
        assert "000.20.30.H57.P01.pem" not in first  # a department signs through its agency
        assert first == {p.name: p.read_bytes() for p in (tmp_path / "units").iterdir()}
        assert str(tmp_path / "units" / "000.20.30.H57.pem") in out.getvalue()


@pytest.mark.django_db
def test_an_upload_is_recorded_with_its_owner(demo) -> None:
    citizen = demo.nobody()
    upload = SimpleUploadedFile("so-do.pdf", sample_pdf())

    document = document_store(
        uploaded=upload,
        provenance=Provenance.SCANNED_AT_COUNTER,
        owner=citizen,
        owner_id_number=" 046190001234 ",
    )

    assert document.owner == citizen and document.owner_id_number == "046190001234"
    assert not document.is_signed
