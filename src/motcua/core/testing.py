"""Helpers for tests of every app: small, valid files to upload."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfWriter

A4 = (595, 842)


def sample_pdf(*, title: str = "Kết quả giải quyết thủ tục hành chính", pages: int = 1) -> bytes:
    """A small, well-formed PDF of blank A4 pages, which a PDF library can parse and sign."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=A4[0], height=A4[1])
    writer.add_metadata({"/Title": title})
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def sample_encrypted_pdf() -> bytes:
    """A one-page PDF that opens without a password but is encrypted (owner password set)."""
    writer = PdfWriter()
    writer.add_blank_page(width=A4[0], height=A4[1])
    writer.encrypt(user_password="", owner_password="chu-so-huu")
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
