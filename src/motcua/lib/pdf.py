"""Turn an HTML string into PDF bytes, and text into a QR code to embed in that HTML."""

from __future__ import annotations

import segno
import weasyprint


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """Render a complete HTML document (with its own CSS) to PDF bytes."""
    pdf = weasyprint.HTML(string=html, base_url=base_url).write_pdf()
    # write_pdf() without a target always returns bytes; the library is untyped.
    assert isinstance(pdf, bytes)
    return pdf


def qr_svg_data_uri(text: str) -> str:
    """Encode text as a QR code (error correction M) in an SVG data URI for ``<img src>``."""
    qr = segno.make(text, error="m", boost_error=False)
    # The 4-module quiet zone is what scanners need; omitting the size adds a viewBox so that
    # the CSS width and height of the <img> scale the code without clipping it.
    return qr.svg_data_uri(border=4, omitsize=True, svgclass=None, lineclass=None)
