"""Results signed by the issuing agency (PAdES baseline B, pyHanko), and checking them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    PdfSignatureStatus,
    SignatureCoverageLevel,
    validate_pdf_signature,
)
from pyhanko_certvalidator import ValidationContext

from motcua.agencies.models import Unit
from motcua.core.errors import ValidationFailed
from motcua.documents.pki import trust_roots, unit_signer

SIGNATURE_FIELD = "KetQua"

# Untrusted bytes make a PDF parser fail in many ways besides its own error class (a missing
# key, a wrong type, a bad number, a reference to nowhere): all of them mean "not a usable PDF".
_PARSE_ERRORS = (
    PdfError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    EOFError,
    RecursionError,
)


@dataclass(frozen=True)
class SignatureReport:
    """What a PDF reader would say about the last signature of a document."""

    signed: bool
    # The signed bytes are unchanged (digest matches).
    intact: bool = False
    # Intact and the signature itself checks out with the signer's public key.
    valid: bool = False
    # The signer's certificate chains up to a certificate of ca.pem (checked offline).
    trusted: bool = False
    signer_name: str = ""
    # The agency's code, from the certificate's serialNumber attribute.
    signer_unit_code: str = ""
    signed_at: datetime | None = None
    # Nothing was appended after the signature.
    covers_whole_document: bool = False

    @property
    def ok(self) -> bool:
        """Signed, unchanged since, and by a certificate we trust."""
        return self.signed and self.valid and self.trusted and self.covers_whole_document


def sign_pdf(content: bytes, *, unit: Unit) -> bytes:
    """Sign a PDF in the agency's name; the original bytes are kept (incremental update)."""
    writer = _incremental_writer(content)
    signer = unit_signer(unit=unit)
    output = BytesIO()
    try:
        _outside_event_loop(
            lambda: signers.sign_pdf(writer, _metadata(writer, unit), signer=signer, output=output)
        )
    except SigningError as error:
        # For instance a document certified by its author with "no changes allowed".
        raise ValidationFailed(
            _("Không ký số được tệp kết quả (%(reason)s).") % {"reason": error},
            code="result_not_signable",
            extra={"field": "document"},
        ) from error
    except _PARSE_ERRORS as error:
        raise _not_a_pdf() from error
    return output.getvalue()


def _outside_event_loop[T](work: Callable[[], T]) -> T:
    """pyHanko's synchronous API runs its own event loop (asyncio.run), which fails in a thread
    that already runs one (an async caller, a test driving a browser): run it in a thread of
    its own there."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def _metadata(writer: IncrementalPdfFileWriter, unit: Unit) -> signers.PdfSignatureMetadata:
    # The signature is part of a Vietnamese administrative document, whatever the officer's
    # screen language.
    with translation.override("vi"):
        reason = _("Kết quả giải quyết thủ tục hành chính")
    return signers.PdfSignatureMetadata(
        field_name=_free_field_name(writer),
        reason=reason,
        location=settings.MOTCUA_PLACE_NAME,
        name=unit.name,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )


def signature_report(content: bytes) -> SignatureReport:
    """Check the document's last signature offline against the CA of ca.pem."""
    context = ValidationContext(trust_roots=trust_roots(), allow_fetching=False)
    reader = _reader(content)
    try:
        signatures = reader.embedded_regular_signatures
    except _PARSE_ERRORS as error:
        raise _not_a_pdf() from error
    if not signatures:
        return SignatureReport(signed=False)
    return _report(signatures[-1], context)


def _report(signature: EmbeddedPdfSignature, context: ValidationContext) -> SignatureReport:
    try:
        status: PdfSignatureStatus = _outside_event_loop(
            lambda: validate_pdf_signature(signature, context)
        )
    except _PARSE_ERRORS:
        # A signature whose own bytes were damaged cannot even be read: it proves nothing.
        return SignatureReport(signed=True)
    subject = status.signing_cert.subject.native
    return SignatureReport(
        signed=True,
        intact=bool(status.intact),
        valid=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        signer_name=str(subject.get("common_name", "")),
        signer_unit_code=str(subject.get("serial_number", "")),
        signed_at=status.signer_reported_dt,
        covers_whole_document=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
    )


def _reader(content: bytes) -> PdfFileReader:
    if not content.startswith(b"%PDF-"):
        raise _not_a_pdf()
    try:
        reader = PdfFileReader(BytesIO(content))
    except _PARSE_ERRORS as error:
        raise _not_a_pdf() from error
    if reader.encrypted:
        raise ValidationFailed(
            _(
                "Tệp kết quả được đặt mật khẩu (mã hóa) nên không ký số hay kiểm tra chữ ký "
                "được; hãy dùng tệp PDF không đặt mật khẩu."
            ),
            code="result_encrypted",
            extra={"field": "document"},
        )
    return reader


def _incremental_writer(content: bytes) -> IncrementalPdfFileWriter:
    _reader(content)
    try:
        return IncrementalPdfFileWriter(BytesIO(content))
    except _PARSE_ERRORS as error:
        raise _not_a_pdf() from error


def _free_field_name(writer: IncrementalPdfFileWriter) -> str:
    # A result signed before (by the agency's own token, or here) keeps its signature fields;
    # the new signature gets a field of its own.
    taken = {name for name, _value, _ref in fields.enumerate_sig_fields(writer)}
    name, number = SIGNATURE_FIELD, 1
    while name in taken:
        number += 1
        name = f"{SIGNATURE_FIELD}{number}"
    return name


def _not_a_pdf() -> ValidationFailed:
    return ValidationFailed(
        _("Tệp kết quả không phải PDF hợp lệ, hoặc bị hỏng; hãy xuất lại tệp PDF rồi tải lên."),
        code="result_not_pdf",
        extra={"field": "document"},
    )
