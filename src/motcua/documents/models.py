from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Provenance(models.TextChoices):
    SCANNED_AT_COUNTER = "scanned_at_counter", _("Số hóa tại quầy, đã đối chiếu bản chính")
    UPLOADED_BY_APPLICANT = "uploaded_by_applicant", _("Người nộp tải lên")
    ISSUED_RESULT = "issued_result", _("Kết quả giải quyết")


class Document(models.Model):
    """A stored file, addressed by the sha256 of its content, with where it came from."""

    sha256 = models.CharField(max_length=64, db_index=True)
    file = models.FileField(upload_to="documents/", max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    original_name = models.CharField(_("tên tệp"), max_length=255)
    provenance = models.CharField(_("nguồn gốc"), max_length=40, choices=Provenance.choices)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    # Whose document it is: the applicant's ID number (counter scans, results) and, for online
    # applicants, their account. The document store shows a citizen only their own.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    owner_id_number = models.CharField(_("số định danh chủ sở hữu"), max_length=20, blank=True)
    # Issued results carry the issuing agency's digital signature (PAdES).
    is_signed = models.BooleanField(_("đã ký số"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["owner_id_number"], name="document_owner_id_idx")]
        verbose_name = _("tài liệu")
        verbose_name_plural = _("tài liệu")

    def __str__(self) -> str:
        return self.original_name
