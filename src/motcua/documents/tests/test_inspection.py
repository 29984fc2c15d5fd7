"""Uploads are inspected before they are stored: ordinary files pass quickly, bombs are refused."""

from __future__ import annotations

import os
import struct
import zlib

import pytest

from motcua.core.errors import ValidationFailed
from motcua.core.testing import sample_pdf
from motcua.documents.inspection import MAX_PIXELS, upload_inspect


def flate_pdf(content: bytes, *, layers: int = 1, eol: bytes = b"\n") -> bytes:
    for _ in range(layers):
        content = zlib.compress(content, 9)
    return (
        b"%PDF-1.4\n1 0 obj<</Filter/FlateDecode>>stream"
        + eol
        + content
        + eol
        + (b"endstream endobj\n%%EOF")
    )


def png(width: int, height: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + struct.pack(">II", width, height) + b"\x08\x02\0\0\0"


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


class TestOrdinaryFilesPass:
    @pytest.mark.parametrize("eol", [b"\n", b"\r\n"])
    def test_a_large_born_digital_pdf(self, eol):
        # Text that inflates to 10 MB, with the end-of-line PDFs put before "endstream" (a
        # stream followed by anything used to keep the inflater waiting for ever).
        text = b"BT /F1 11 Tf 72 700 Td (Giay de nghi) Tj ET\n" * 250_000
        upload_inspect(flate_pdf(text, eol=eol), "application/pdf", "don.pdf")

    def test_a_real_pdf_and_a_scan(self):
        upload_inspect(sample_pdf(pages=30), "application/pdf", "ket-qua.pdf")
        scan = b"%PDF-1.4\n1 0 obj<</Filter/DCTDecode>>stream\n" + os.urandom(2_000_000)
        upload_inspect(scan + b"\nendstream endobj\n%%EOF", "application/pdf", "scan.pdf")

    def test_images_of_a_scanned_page(self):
        upload_inspect(png(2480, 3508), "image/png", "a4-300dpi.png")
        upload_inspect(jpeg(2480, 3508), "image/jpeg", "a4-300dpi.jpg")


class TestBombsAreRefused:
    def test_a_flate_bomb(self):
        bomb = flate_pdf(b"\0" * (300 * 1024 * 1024))
        assert len(bomb) < 1024 * 1024
        with pytest.raises(ValidationFailed) as refused:
            upload_inspect(bomb, "application/pdf", "bom.pdf")
        assert refused.value.code == "upload_bomb"
        assert "bom.pdf" in str(refused.value.message)

    def test_a_bomb_in_two_layers_of_flate(self):
        bomb = flate_pdf(b"\0" * (400 * 1024 * 1024), layers=2)
        assert len(bomb) < 64 * 1024
        with pytest.raises(ValidationFailed):
            upload_inspect(bomb, "application/pdf", "bom2.pdf")

    def test_many_streams_that_add_up(self):
        one = zlib.compress(b"\0" * (20 * 1024 * 1024), 9)
        streams = b"".join(
            b"%d 0 obj<</Filter/FlateDecode>>stream\n" % i + one + b"\nendstream endobj\n"
            for i in range(8)
        )
        with pytest.raises(ValidationFailed):
            upload_inspect(b"%PDF-1.4\n" + streams + b"%%EOF", "application/pdf", "many.pdf")

    @pytest.mark.parametrize("make", [png, jpeg])
    def test_an_image_declaring_too_many_pixels(self, make):
        side = int(MAX_PIXELS**0.5) + 100
        with pytest.raises(ValidationFailed):
            upload_inspect(make(side, side), "image/png" if make is png else "image/jpeg", "anh")


class TestPolyglotsAreRefused:
    """Files that are a PDF or an image and also something else to another reader."""

    @pytest.mark.parametrize(
        "content_type, content",
        [
            ("application/pdf", sample_pdf() + b"PK\x05\x06" + b"\0" * 18),
            ("application/pdf", sample_pdf() + b"<script>alert(1)</script>"),
            ("application/pdf", b"%PDF-1.4\n1 0 obj<</S/JavaScript/JS(x)>>endobj\n%%EOF\n"),
            ("application/pdf", b"%PDF-1.4\n1 0 obj<</#4C#61unch/F(cmd.exe)>>endobj\n%%EOF\n"),
            ("application/pdf", b"%PDF-1.4\n1 0 obj<</Type/EmbeddedFile>>endobj\n%%EOF\n"),
            ("image/jpeg", jpeg(800, 600) + b"PK\x03\x04payload"),
            ("image/jpeg", jpeg(800, 600)[:-2] + b"<script>x</script>" + b"\xff\xd9"),
            ("image/png", png(800, 600) + b"\0\0\0\0IEND\xae\x42\x60\x82<?php echo 1;"),
        ],
        ids=[
            "pdf+zip",
            "pdf+html",
            "pdf-javascript",
            "pdf-launch-hex-escaped",
            "pdf-embedded-file",
            "jpeg+zip",
            "jpeg-script-inside",
            "png+php",
        ],
    )
    def test_refused(self, content_type, content):
        with pytest.raises(ValidationFailed) as refused:
            upload_inspect(content, content_type, "tep")
        assert refused.value.code == "upload_polyglot"

    @pytest.mark.parametrize(
        "content_type, content",
        [
            ("application/pdf", sample_pdf()),
            ("application/pdf", sample_pdf() + b"\r\n\0\0"),  # padding a scanner left
            ("image/jpeg", jpeg(800, 600)),
            ("image/png", png(800, 600) + b"\0\0\0\0IEND\xae\x42\x60\x82"),
        ],
        ids=["pdf", "pdf-padded", "jpeg", "png"],
    )
    def test_ordinary_files_pass(self, content_type, content):
        upload_inspect(content, content_type, "tep")


def test_names_that_chance_writes_into_a_scans_image_data_do_not_refuse_it():
    # Compressed image data is random to a reader: "/JS" or "/Launch" inside it is not a name.
    image = os.urandom(4096) + b"/JS (x) /Launch /EmbeddedFile" + os.urandom(4096)
    scan = b"%PDF-1.4\n1 0 obj<</Filter/DCTDecode>>stream\n" + image + b"\nendstream endobj\n%%EOF"
    upload_inspect(scan, "application/pdf", "scan.pdf")
