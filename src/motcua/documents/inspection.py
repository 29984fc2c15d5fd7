"""Looks inside an upload before it is stored: a small file may still be a bomb — a PDF whose
streams inflate to gigabytes, a PNG or JPEG that declares a billion pixels — that would take
down whoever opens it later (an officer's viewer, the signing step, a thumbnailer); or a
polyglot — a file that is a valid PDF or image and at the same time an archive, a web page or
a script to whatever program reads it another way — or a PDF that runs code when opened.

Nothing here renders or trusts the file; it reads only what is needed to bound the cost of
opening it: the PDF's compressed streams (inflated in bounded chunks), the images' declared
dimensions, and what lies outside the format's own structure.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator

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


def _stream_spans(content: bytes) -> Iterator[tuple[int, int]]:
    """Where each stream's data starts and ends in a PDF."""
    position = 0
    while True:
        found = _STREAM.search(content, position)
        if found is None:
            return
        start = found.end()
        end = content.find(_END, start)
        if end < 0:
            end = len(content)
        yield start, end
        position = end + len(_END)


def pdf_check(content: bytes, name: str) -> None:
    """Refuse a PDF whose compressed streams inflate past MAX_INFLATED_BYTES in total."""
    budget = MAX_INFLATED_BYTES
    for start, end in _stream_spans(content):
        budget -= _inflated_size(content[start:end], budget)
        if budget < 0:
            raise _refuse(name)


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


# A ZIP reader looks for its end-of-central-directory record in the last 64 KiB + 22 bytes:
# a file with one there is also an archive (a JAR, an Office file, an APK) to such readers.
_ZIP_END = b"PK\x05\x06"
_ZIP_TAIL = 65_536 + 22
# What a browser or an interpreter would run if it took the file for its own. Tokens of five
# bytes or more only: in megabytes of compressed pixels a shorter one turns up by chance.
_MARKUP = re.compile(rb"<(script|html|iframe|object|embed)\b|<\?php", re.IGNORECASE)
# PDF names that make a viewer run code, open other files or carry files inside.
_PDF_ACTIVE = frozenset(
    {b"JavaScript", b"JS", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"RichMedia", b"XFA"}
)
_PDF_NAME = re.compile(rb"/([A-Za-z0-9#]+)")
_PDF_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PADDING = b" \t\r\n\x00"


def _refuse_polyglot(name: str) -> ValidationFailed:
    return ValidationFailed(
        _(
            "Tệp “%(name)s” chứa thêm dữ liệu ngoài nội dung văn bản hoặc hình ảnh (tệp nén, "
            "mã lệnh hoặc dữ liệu đính kèm) nên không được nhận. Hãy quét lại hoặc lưu lại "
            "thành tệp PDF, JPEG hoặc PNG thông thường."
        )
        % {"name": name},
        code="upload_polyglot",
    )


def _pdf_names(content: bytes) -> set[bytes]:
    """The names of the PDF's objects, outside its streams: in megabytes of compressed image
    data, "/JS" turns up by chance (about once in ten 2 MB scans)."""
    names: set[bytes] = set()
    position = 0
    for start, end in [*_stream_spans(content), (len(content), len(content))]:
        for found in _PDF_NAME.findall(content, position, start):
            # "#4A#53" spells "JS": names may be hex-escaped to slip past a plain search.
            names.add(_PDF_HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), found))
        position = end
    return names


def _after(content: bytes, marker: bytes) -> bytes | None:
    """What follows the last `marker`, or None when it is missing."""
    end = content.rfind(marker)
    return None if end < 0 else content[end + len(marker) :]


def _trailer(content: bytes, content_type: str) -> bytes | None:
    """The bytes after the format's own end (PDF %%EOF, PNG IEND chunk, JPEG EOI)."""
    if content_type == "application/pdf":
        return _after(content, b"%%EOF")
    if content_type == "image/png":
        tail = _after(content, b"IEND")
        return None if tail is None else tail[4:]  # the chunk's CRC
    return _after(content, b"\xff\xd9")


def polyglot_check(content: bytes, content_type: str, name: str) -> None:
    """Refuse a file that is also something else, or a PDF with active content.

    Compressed PDF object streams are not inflated here, so a name hidden in one is not seen:
    the virus scanner (documents.scanning), when configured, parses those.
    """
    # A file cut short has no end marker: a viewer repairs or rejects it, nothing hides there.
    trailer = _trailer(content, content_type)
    if trailer is not None and trailer.strip(_PADDING):
        raise _refuse_polyglot(name)
    if _ZIP_END in content[-_ZIP_TAIL:]:
        raise _refuse_polyglot(name)
    if content_type == "application/pdf":
        if _pdf_names(content) & _PDF_ACTIVE:
            raise _refuse_polyglot(name)
        return
    # Images carry no text of their own: markup inside one is a payload.
    if _MARKUP.search(content):
        raise _refuse_polyglot(name)


def upload_inspect(content: bytes, content_type: str, name: str) -> None:
    """Refuse decompression bombs and polyglots; the content type was already decided from the
    first bytes."""
    polyglot_check(content, content_type, name)
    if content_type == "application/pdf":
        pdf_check(content, name)
        return
    pixels = _png_pixels(content) if content_type == "image/png" else _jpeg_pixels(content)
    if pixels is not None and pixels > MAX_PIXELS:
        raise _refuse(name)
