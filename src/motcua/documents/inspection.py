"""Looks inside an upload before it is stored: a small file may still be a bomb — a PDF whose
streams inflate to gigabytes, a PNG or JPEG that declares a billion pixels — that would take
down whoever opens it later (an officer's viewer, the signing step, a thumbnailer).

Nothing here renders or trusts the file; it reads only what is needed to bound the cost of
opening it: the PDF's compressed streams (inflated in bounded chunks) and the images' declared
dimensions.
"""

from __future__ import annotations

import re
import struct
import zlib

from django.utils.translation import gettext as _

from motcua.core.errors import ValidationFailed

# Far above any scanned dossier (a 300-page scan at 300 dpi inflates to a few hundred MB only
# when stored raw, which scanners do not do), far below what hurts a server.
MAX_INFLATED_BYTES = 128 * 1024 * 1024
MAX_PIXELS = 80_000_000  # e.g. 10,000 × 8,000: an A0 page at 300 dpi is ~ 140 M; A3 ~ 17 M
_CHUNK = 1024 * 1024
_NESTED_LIMIT = 16 * _CHUNK
_STREAM = re.compile(rb"stream\r?\n")
_END = b"endstream"


def _refuse(name: str) -> ValidationFailed:
    return ValidationFailed(
        _(
            "Tệp “%(name)s” có nội dung bất thường (giải nén quá lớn) nên không được nhận. "
            "Hãy xuất lại tệp từ máy quét hoặc phần mềm soạn thảo."
        )
        % {"name": name},
        code="upload_bomb",
    )


def _inflated_size(data: bytes, budget: int) -> int:
    """How many bytes a zlib stream inflates to, stopping once past `budget`. When the output
    is itself a zlib stream (chained filters), that is inflated too, within the same budget."""
    inflater = zlib.decompressobj()
    total = 0
    kept = bytearray()  # the start of the output, to look for a nested layer
    pending = data
    try:
        while total <= budget:
            out = inflater.decompress(pending, _CHUNK)
            total += len(out)
            if len(kept) < _NESTED_LIMIT:
                kept += out
            pending = inflater.unconsumed_tail
            # The stream ended (what follows it, the "\n" before "endstream", stays in the
            # tail for ever), or no progress, or input used up without filling the buffer.
            if inflater.eof or not out or (not pending and len(out) < _CHUNK):
                break
    except zlib.error:
        return total  # not (only) Flate: a viewer fails on it, it does not explode
    if total <= budget and kept[:1] == b"\x78" and len(kept) == total:
        total += _inflated_size(bytes(kept), budget - total)
    return total


def pdf_check(content: bytes, name: str) -> None:
    """Refuse a PDF whose compressed streams inflate past MAX_INFLATED_BYTES in total."""
    budget = MAX_INFLATED_BYTES
    position = 0
    while True:
        found = _STREAM.search(content, position)
        if found is None:
            return
        start = found.end()
        end = content.find(_END, start)
        if end < 0:
            end = len(content)
        budget -= _inflated_size(content[start:end], budget)
        if budget < 0:
            raise _refuse(name)
        position = end + len(_END)


def _png_pixels(content: bytes) -> int | None:
    # The IHDR chunk comes first: width and height as big-endian 32-bit integers.
    if len(content) < 24 or content[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", content[16:24])
    return width * height


def _jpeg_pixels(content: bytes) -> int | None:
    # Walk the markers to the first start-of-frame (SOF0–SOF15 except DHT/JPG/DAC).
    position = 2
    while position + 9 < len(content):
        if content[position] != 0xFF:
            return None
        marker = content[position + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            position += 2
            continue
        (length,) = struct.unpack(">H", content[position + 2 : position + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", content[position + 5 : position + 9])
            return width * height
        position += 2 + length
    return None


def upload_inspect(content: bytes, content_type: str, name: str) -> None:
    """Refuse decompression bombs; the content type was already decided from the first bytes."""
    if content_type == "application/pdf":
        pdf_check(content, name)
        return
    pixels = _png_pixels(content) if content_type == "image/png" else _jpeg_pixels(content)
    if pixels is not None and pixels > MAX_PIXELS:
        raise _refuse(name)
