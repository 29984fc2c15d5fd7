from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.catalog.models import ComponentForm


class DossierState(models.TextChoices):
    SUBMITTED_ONLINE = "submitted_online", _("Mới nộp trực tuyến")
    RECEIVED = "received", _("Đã tiếp nhận")
    IN_PROCESSING = "in_processing", _("Đang giải quyết")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Yêu cầu bổ sung")
    AWAITING_PAYMENT = "awaiting_payment", _("Chờ thực hiện nghĩa vụ tài chính")
    WITHDRAWAL_REQUESTED = "withdrawal_requested", _("Đề nghị rút hồ sơ")
    STOPPED = "stopped", _("Dừng xử lý")
    REJECTED = "rejected", _("Không đủ điều kiện giải quyết")
    RESOLVED = "resolved", _("Đã giải quyết")
    RETURNED = "returned", _("Đã trả kết quả")
    UNCOLLECTED = "uncollected", _("Chưa đến nhận kết quả")


# The National Public Service Portal's status codes (DOMAIN.md §3).
NATIONAL_STATUS = {
    DossierState.SUBMITTED_ONLINE: 1,
    DossierState.RECEIVED: 2,
    DossierState.IN_PROCESSING: 4,
    DossierState.SUPPLEMENT_REQUESTED: 5,
    DossierState.AWAITING_PAYMENT: 6,
    DossierState.WITHDRAWAL_REQUESTED: 7,
    DossierState.STOPPED: 8,
    DossierState.REJECTED: 8,
    DossierState.RESOLVED: 9,
    DossierState.RETURNED: 10,
    DossierState.UNCOLLECTED: 9,
}


class Channel(models.TextChoices):
    COUNTER = "counter", _("Trực tiếp")
    ONLINE = "online", _("Trực tuyến")
    POST = "post", _("Bưu chính công ích")


class ResultChannel(models.TextChoices):
    DESK = "desk", _("Tại Trung tâm Phục vụ hành chính công")
    POST = "post", _("Qua dịch vụ bưu chính công ích")
    ONLINE = "online", _("Trực tuyến")


class ApplicantKind(models.TextChoices):
    PERSON = "person", _("Cá nhân")
    ORGANISATION = "organisation", _("Tổ chức")


class Applicant(models.Model):
    """The applicant's identity as written on the receipt (abstract: embedded in each row)."""

    applicant_kind = models.CharField(
        _("loại người nộp"),
        max_length=20,
        choices=ApplicantKind.choices,
        default=ApplicantKind.PERSON,
    )
    applicant_name = models.CharField(_("họ tên / tên tổ chức"), max_length=200)
    applicant_id_number = models.CharField(_("số định danh / mã số thuế"), max_length=20)
    applicant_address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    applicant_phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("thư điện tử"), blank=True)

    class Meta:
        abstract = True


class Dossier(Applicant):
    """An accepted dossier (hồ sơ): never deleted, its code never changes."""

    code = models.CharField(_("mã hồ sơ"), max_length=60, unique=True)
    lookup_secret = models.CharField(_("mã tra cứu"), max_length=12)
    procedure_version = models.ForeignKey(
        "catalog.ProcedureVersion", on_delete=models.PROTECT, related_name="dossiers"
    )
    receiving_unit = models.ForeignKey("agencies.Unit", on_delete=models.PROTECT, related_name="+")
    competent_unit = models.ForeignKey("agencies.Unit", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("kênh nộp"), max_length=10, choices=Channel.choices)
    result_channel = models.CharField(
        _("nhận kết quả"), max_length=10, choices=ResultChannel.choices, default=ResultChannel.DESK
    )
    state = models.CharField(_("trạng thái"), max_length=30, choices=DossierState.choices)
    received_at = models.DateTimeField(_("thời điểm tiếp nhận"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    original_due_at = models.DateTimeField(_("hạn trả ban đầu"), null=True)
    due_at = models.DateTimeField(_("hạn trả kết quả"), null=True)
    resolved_at = models.DateTimeField(_("thời điểm giải quyết xong"), null=True, blank=True)
    returned_at = models.DateTimeField(_("thời điểm trả kết quả"), null=True, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)
    # The public timeline ([{"kind": ..., "at": ISO 8601}, ...]): a read model of the public
    # events of the log, written in the same transaction, so the public lookup is one query.
    milestones = models.JSONField(default=list, editable=False)
    # Folded code + applicant name for diacritics-insensitive search.
    search_text = models.CharField(max_length=400, db_index=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["receiving_unit", "-received_at"], name="dossier_receiving_idx"),
            models.Index(
                fields=["competent_unit", "state", "due_at"], name="dossier_competent_idx"
            ),
        ]
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")

    def __str__(self) -> str:
        return self.code

    @property
    def national_status(self) -> int:
        return NATIONAL_STATUS[DossierState(self.state)]


class DossierComponent(models.Model):
    """One component received, as ticked at the counter (with its scan when there is one)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="components")
    requirement = models.ForeignKey(
        "catalog.ProcedureComponent", null=True, on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=500)
    form = models.CharField(max_length=20, choices=ComponentForm.choices)
    quantity = models.PositiveSmallIntegerField(default=1)
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class NumberSeries(models.TextChoices):
    DOSSIER = "dossier", _("Hồ sơ")
    GUIDANCE = "guidance", _("Phiếu hướng dẫn")
    REFUSAL = "refusal", _("Phiếu từ chối")


class DossierCodeCounter(models.Model):
    """The last number used per unit, series and day; locked while a number is taken."""

    unit = models.ForeignKey("agencies.Unit", on_delete=models.PROTECT, related_name="+")
    series = models.CharField(
        max_length=10, choices=NumberSeries.choices, default=NumberSeries.DOSSIER
    )
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "series", "day"], name="dossier_code_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.day}: {self.last}"


class NoticeKind(models.TextChoices):
    GUIDANCE = "guidance", _("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ")
    REFUSAL = "refusal", _("Phiếu từ chối tiếp nhận giải quyết hồ sơ")


class ReceptionNotice(Applicant):
    """Form 02 or 03 issued at the counter when a dossier is not accepted."""

    number = models.CharField(_("số phiếu"), max_length=60, unique=True)
    kind = models.CharField(_("loại phiếu"), max_length=20, choices=NoticeKind.choices)
    procedure_version = models.ForeignKey(
        "catalog.ProcedureVersion", on_delete=models.PROTECT, related_name="+"
    )
    receiving_unit = models.ForeignKey("agencies.Unit", on_delete=models.PROTECT, related_name="+")
    # Guidance: [{"name": ..., "reason": ...}, ...] — everything missing, in one notice.
    items = models.JSONField(default=list, blank=True)
    reason = models.TextField(_("lý do"), blank=True)
    legal_basis = models.TextField(_("căn cứ pháp lý"), blank=True)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("phiếu tại quầy")
        verbose_name_plural = _("phiếu tại quầy")

    def __str__(self) -> str:
        return self.number


class IdempotencyRecord(models.Model):
    """Remembers a client's Idempotency-Key so a retried intake returns the same dossier."""

    key = models.CharField(max_length=200)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    fingerprint = models.CharField(max_length=64)
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return self.key
