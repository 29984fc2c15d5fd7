from __future__ import annotations

import io
import urllib.parse
from xml.etree import ElementTree

from pypdf import PdfReader

from motcua.lib.pdf import html_to_pdf, qr_svg_data_uri

SVG_NS = "{http://www.w3.org/2000/svg}"
LOOKUP_URL = "https://motcua.hue.gov.vn/tra-cuu/000.00.04.H40-230414-0002?ma=K7QF2M"


def _decode_data_uri(uri: str) -> tuple[str, str]:
    header, _, payload = uri.partition(",")
    return header, urllib.parse.unquote(payload)


def test_it_encodes_the_qr_code_as_an_svg_data_uri() -> None:
    header, payload = _decode_data_uri(qr_svg_data_uri(LOOKUP_URL))

    assert header.startswith("data:image/svg+xml")
    root = ElementTree.fromstring(payload)
    assert root.tag == f"{SVG_NS}svg"
    assert root.find(f"{SVG_NS}path") is not None


def test_it_leaves_the_size_to_css_and_keeps_a_square_viewbox() -> None:
    _, payload = _decode_data_uri(qr_svg_data_uri(LOOKUP_URL))

    root = ElementTree.fromstring(payload)
    assert "width" not in root.attrib
    assert "height" not in root.attrib
    min_x, min_y, width, height = (int(v) for v in root.attrib["viewBox"].split())
    assert (min_x, min_y) == (0, 0)
    assert width == height


def test_it_turns_html_into_a_pdf() -> None:
    html = "<html><body><p>Giấy tiếp nhận hồ sơ</p></body></html>"

    pdf = html_to_pdf(html)

    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert "Giấy tiếp nhận hồ sơ" in reader.pages[0].extract_text()
