"""Uploads pass through a ClamAV daemon when one is configured: the EICAR test file is refused
as malware, clean files pass, and a daemon that gives no verdict lets nothing through.

Each case runs against the stand-in speaking clamd's protocol and, when MOTCUA_TEST_CLAMD_URL
names one (.ci/run starts Debian's clamd with scripts/clamd-test), against the real daemon."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.core.errors import ValidationFailed
from motcua.core.testing import sample_pdf
from motcua.documents.scanning import ScannerUnavailable
from motcua.documents.services import document_validate_upload
from motcua.documents.tests.fake_clamd import EICAR, FakeClamd

REAL_CLAMD = os.environ.get("MOTCUA_TEST_CLAMD_URL", "")


@pytest.fixture(params=["stand-in", "clamd"])
def scanner(request: pytest.FixtureRequest, settings) -> Iterator[str]:
    if request.param == "clamd":
        if not REAL_CLAMD:
            pytest.skip("MOTCUA_TEST_CLAMD_URL is not set (scripts/clamd-test start)")
        settings.MOTCUA_CLAMD_URL = REAL_CLAMD
        yield REAL_CLAMD
        return
    with FakeClamd() as daemon:
        settings.MOTCUA_CLAMD_URL = daemon.url
        yield daemon.url


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


class TestTheScanner:
    def test_it_refuses_the_eicar_test_file_as_malware(self, scanner):
        with pytest.raises(ValidationFailed) as refused:
            document_validate_upload(uploaded=upload("eicar.pdf", EICAR))
        assert refused.value.code == "upload_infected"
        assert "mã độc" in str(refused.value.message)

    def test_it_refuses_a_pdf_that_carries_the_test_string(self, scanner):
        carrier = sample_pdf().replace(b"%%EOF", b"% " + EICAR + b"\n%%EOF", 1)
        with pytest.raises(ValidationFailed) as refused:
            document_validate_upload(uploaded=upload("don.pdf", carrier))
        assert refused.value.code == "upload_infected"

    def test_it_lets_a_clean_pdf_through(self, scanner):
        assert document_validate_upload(uploaded=upload("don.pdf", sample_pdf())) == (
            "application/pdf",
            ".pdf",
        )

    def test_it_scans_a_file_once_however_often_it_is_validated(self, settings):
        with FakeClamd() as daemon:
            settings.MOTCUA_CLAMD_URL = daemon.url
            scan = upload("don.pdf", sample_pdf())
            document_validate_upload(uploaded=scan)
            document_validate_upload(uploaded=scan)
            assert daemon.scanned == 1


class TestNoVerdictNoUpload:
    def test_a_daemon_that_hangs_up_refuses_the_upload_for_now(self, settings):
        with FakeClamd(mode="silent") as daemon:
            settings.MOTCUA_CLAMD_URL = daemon.url
            with pytest.raises(ScannerUnavailable) as refused:
                document_validate_upload(uploaded=upload("don.pdf", sample_pdf()))
        assert refused.value.status == 503

    def test_a_daemon_that_is_not_there_refuses_the_upload_for_now(self, settings):
        with FakeClamd() as daemon:
            url = daemon.url
        settings.MOTCUA_CLAMD_URL = url  # nothing listens there any more
        with pytest.raises(ScannerUnavailable):
            document_validate_upload(uploaded=upload("don.pdf", sample_pdf()))

    def test_without_a_daemon_configured_nothing_is_scanned(self, settings):
        settings.MOTCUA_CLAMD_URL = ""
        with pytest.raises(ValidationFailed) as refused:
            document_validate_upload(uploaded=upload("eicar.pdf", EICAR))
        assert refused.value.code == "upload_wrong_type"  # refused, but not as malware
