"""Malware scanning of uploads through a ClamAV daemon (clamd), when one is configured.

clamd's INSTREAM command over TCP or a Unix socket: "zINSTREAM\\0", then the content in chunks
each preceded by its length as a 4-byte big-endian integer, then a zero-length chunk; clamd
answers "stream: OK", "stream: <signature> FOUND" or "... ERROR", NUL-terminated.

Without MOTCUA_CLAMD_URL nothing is scanned (the embedded default: no daemon to talk to). With
it, the scanner fails closed: an upload is refused while the daemon cannot give a verdict,
since a file let through unscanned would be opened later by an officer's viewer.
"""

from __future__ import annotations

import logging
import socket
import struct
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from motcua.core.errors import ValidationFailed

logger = logging.getLogger(__name__)

_CHUNK = 64 * 1024
_REPLY_LIMIT = 4096


class ScannerUnavailable(ValidationFailed):
    """The upload cannot be accepted now: the scanner gave no verdict. Not the file's fault."""

    status = 503
    code = "upload_scanner_unavailable"


def _connect(url: str, timeout: float) -> socket.socket:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(parts.path)
        return sock
    if parts.scheme == "tcp" and parts.hostname and parts.port:
        return socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    raise ValueError(f"MOTCUA_CLAMD_URL must be tcp://host:port or unix:///path, got {url!r}")


def _instream(url: str, content: bytes, timeout: float) -> str:
    """clamd's verdict on `content`, without the "stream: " prefix and the NUL."""
    with _connect(url, timeout) as sock:
        sock.sendall(b"zINSTREAM\0")
        for start in range(0, len(content), _CHUNK):
            chunk = content[start : start + _CHUNK]
            sock.sendall(struct.pack(">I", len(chunk)) + chunk)
        sock.sendall(struct.pack(">I", 0))
        reply = b""
        while not reply.endswith(b"\0") and len(reply) < _REPLY_LIMIT:
            received = sock.recv(_REPLY_LIMIT)
            if not received:
                break
            reply += received
    return reply.rstrip(b"\0").decode("utf-8", "replace").removeprefix("stream: ").strip()


def upload_scan(content: bytes, name: str) -> None:
    """Refuse content the configured scanner finds malicious, or that it cannot judge."""
    url = settings.MOTCUA_CLAMD_URL
    if not url:
        return
    try:
        verdict = _instream(url, content, settings.MOTCUA_CLAMD_TIMEOUT_SECONDS)
    except OSError as error:
        logger.error("virus scanner unreachable: %s", error.__class__.__name__)
        verdict = ""
    if verdict == "OK":
        return
    if verdict.endswith(" FOUND"):
        # The signature's name goes to the log for the administrator, not to the applicant.
        logger.warning("upload refused by the virus scanner: %s", verdict.removesuffix(" FOUND"))
        raise ValidationFailed(
            _(
                "Tệp “%(name)s” bị phần mềm diệt virus phát hiện mã độc nên không được nhận. "
                "Hãy quét lại máy tính và tải lên tệp khác."
            )
            % {"name": name},
            code="upload_infected",
        )
    if verdict:
        logger.error("virus scanner error: %s", verdict[:200])
    raise ScannerUnavailable(
        _(
            "Chưa kiểm tra được tệp “%(name)s” (dịch vụ quét virus tạm thời không phản hồi). "
            "Vui lòng thử lại sau ít phút."
        )
        % {"name": name}
    )
