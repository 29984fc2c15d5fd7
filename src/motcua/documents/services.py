from __future__ import annotations

import hashlib
import posixpath
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.core.errors import ValidationFailed
from motcua.documents.inspection import upload_inspect
from motcua.documents.models import Document, Provenance
from motcua.documents.scanning import upload_scan

# Decided by the first bytes of the content, never by the name the browser sent.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


def sniff_content_type(head: bytes) -> tuple[str, str] | None:
    for magic, content_type, extension in _SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    return None


def _safe_name(name: str) -> str:
    # Keep only the last path component of whatever the client sent ("..\\..\\x.pdf" → "x.pdf").
    base = posixpath.basename(name.replace("\\", "/")).strip().lstrip(".")
    return base[:200] or "tep"


def document_validate_upload(*, uploaded: UploadedFile) -> tuple[str, str]:
    """Refuse oversized, infected or non-PDF/JPEG/PNG files, bombs and polyglots; return
    (content type, extension). An upload is checked once: the services that validate the whole
    request first and store afterwards call this twice on the same file."""
    checked = getattr(uploaded, "_motcua_checked", None)
    if checked is not None:
        return checked
    limit = settings.MOTCUA_UPLOAD_MAX_BYTES
    if uploaded.size is None or uploaded.size > limit:
        raise ValidationFailed(
            _("Tệp “%(name)s” quá lớn: tối đa %(limit)s MB.")
            % {"name": _safe_name(uploaded.name or ""), "limit": limit // (1024 * 1024)},
            code="upload_too_large",
        )
    name = _safe_name(uploaded.name or "")
    # Bounded by the size limit above, so reading it whole is safe.
    uploaded.seek(0)
    content = uploaded.read()
    uploaded.seek(0)
    # Scanned before anything else looks inside: the malware verdict is the one to give.
    upload_scan(content, name)
    sniffed = sniff_content_type(content[:16])
    if sniffed is None:
        raise ValidationFailed(
            _("Tệp “%(name)s” không phải PDF, JPEG hoặc PNG.") % {"name": name},
            code="upload_wrong_type",
        )
    upload_inspect(content, sniffed[0], name)
    uploaded._motcua_checked = sniffed  # type: ignore[attr-defined]
    return sniffed


def document_store(
    *,
    uploaded: UploadedFile,
    provenance: Provenance,
    verified_by: Any = None,
    owner: Any = None,
    owner_id_number: str = "",
) -> Document:
    """Store a validated upload under its content hash and record it, with whose it is."""
    content_type, extension = document_validate_upload(uploaded=uploaded)
    return _document_save(
        content=uploaded.read(),
        content_type=content_type,
        extension=extension,
        name=uploaded.name or "",
        provenance=provenance,
        verified_by=verified_by,
        owner=owner,
        owner_id_number=owner_id_number,
    )


def document_store_signed_result(
    *,
    content: bytes,
    name: str,
    verified_by: Any = None,
    owner: Any = None,
    owner_id_number: str = "",
) -> Document:
    """Store a result PDF this system signed (signing.sign_pdf) as an issued, signed result."""
    if sniff_content_type(content[:16]) != ("application/pdf", ".pdf"):
        raise ValidationFailed(
            _("Văn bản kết quả phải là tệp PDF để ký số."), code="result_not_pdf"
        )
    return _document_save(
        content=content,
        content_type="application/pdf",
        extension=".pdf",
        name=name,
        provenance=Provenance.ISSUED_RESULT,
        verified_by=verified_by,
        owner=owner,
        owner_id_number=owner_id_number,
        is_signed=True,
    )


def _document_save(
    *,
    content: bytes,
    content_type: str,
    extension: str,
    name: str,
    provenance: str,
    verified_by: Any,
    owner: Any,
    owner_id_number: str,
    is_signed: bool = False,
) -> Document:
    digest = hashlib.sha256(content).hexdigest()
    path = f"documents/{digest[:2]}/{digest}{extension}"
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(content))
    return Document.objects.create(
        sha256=digest,
        file=path,
        content_type=content_type,
        size=len(content),
        original_name=_safe_name(name),
        provenance=provenance,
        verified_by=verified_by,
        verified_at=timezone.now() if verified_by else None,
        owner=owner,
        owner_id_number=owner_id_number.strip()[:20],
        is_signed=is_signed,
    )
