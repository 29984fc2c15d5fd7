"""The CPU cost of what online services add to a request, measured in-process on one core:

- signing a result (documents.signing.sign_pdf, PAdES with an RSA agency key): it runs inside
  the officer's "issue the result" request;
- checking a signed result (signature_report), as a verifier of a downloaded result does;
- inspecting an upload for decompression bombs (documents.inspection.upload_inspect): it runs
  on every attachment before it is stored — a legitimate 10 MB scan, and a 1 GiB Flate bomb
  that must be refused quickly.

Run from the repository root: `.venv/bin/python benchmarks/online.py`. Certificates are made in
a temporary directory (the demo PKI), nothing else is written. Prints one line per figure.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
os.environ.setdefault("MOTCUA_PKI_DIR", tempfile.mkdtemp(prefix="motcua-bench-pki-"))
os.environ.setdefault("MOTCUA_SIGNING_DEMO_PKI", "true")

import django

django.setup()

from pypdf import PdfWriter  # noqa: E402

from motcua.agencies.models import Unit  # noqa: E402
from motcua.core.errors import ValidationFailed  # noqa: E402
from motcua.documents.inspection import upload_inspect  # noqa: E402
from motcua.documents.signing import sign_pdf, signature_report  # noqa: E402


def blank_pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def per_second(work: Callable[[], object], *, seconds: float = 5.0) -> float:
    work()  # warm-up (certificate loading, imports)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        work()
        done += 1
    return done / (time.perf_counter() - start)


def once(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    # Not saved: the PKI needs only the agency's code and name.
    agency = Unit(code="000.12.02.H57", name="Phòng Kinh tế, Hạ tầng và Đô thị phường Thuận Hóa")
    one_page, twenty_pages = blank_pdf(1), blank_pdf(20)
    signed = sign_pdf(one_page, unit=agency)
    assert signature_report(signed).ok

    print(f"sign a 1-page result:   {per_second(lambda: sign_pdf(one_page, unit=agency)):7.1f}/s")
    print(
        f"sign a 20-page result:  {per_second(lambda: sign_pdf(twenty_pages, unit=agency)):7.1f}/s"
    )
    print(f"verify a signed result: {per_second(lambda: signature_report(signed)):7.1f}/s")

    # A 10 MB scan: JPEG-like random bytes in a PDF stream (not Flate, as scanners write).
    scan = b"%PDF-1.4\n1 0 obj<</Filter/DCTDecode>>stream\n" + os.urandom(10 * 1024 * 1024)
    scan += b"\nendstream endobj\n%%EOF"
    rate = per_second(lambda: upload_inspect(scan, "application/pdf", "scan.pdf"), seconds=3)
    print(f"inspect a 10 MB scan:   {rate * 10:7.1f} MB/s")
    # 10 MB of text-like content compressed with Flate (a born-digital document).
    text = (b"BT /F1 11 Tf 72 700 Td (Giay de nghi dang ky ho kinh doanh) Tj ET\n" * 160_000)[
        : 10 * 1024 * 1024
    ]
    flate = b"%PDF-1.4\n1 0 obj<</Filter/FlateDecode>>stream\n" + zlib.compress(text)
    flate += b"\nendstream endobj\n%%EOF"
    rate = per_second(lambda: upload_inspect(flate, "application/pdf", "doc.pdf"), seconds=3)
    print(f"inspect 10 MB of Flate: {rate * 10:7.1f} MB inflated/s ({len(flate) // 1024} KiB file)")

    bomb = b"%PDF-1.4\n1 0 obj<</Filter/FlateDecode>>stream\n"
    bomb += zlib.compress(b"\0" * (1024 * 1024 * 1024), 9) + b"\nendstream endobj\n%%EOF"

    def refuse_bomb() -> None:
        try:
            upload_inspect(bomb, "application/pdf", "bomb.pdf")
        except ValidationFailed:
            return
        raise AssertionError("the bomb was accepted")

    print(f"refuse a 1 GiB bomb ({len(bomb) // 1024} KiB file): {once(refuse_bomb) * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
