from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.catalog.models import ComponentForm


class DossierState(models.TextChoices):
    SUBMITTED_ONLINE = "submitted_online", _("Mới nộp trực tuyến")
    # An online dossier sent back before acceptance to be completed (form 02, electronically).
    COMPLETION_REQUESTED = "completion_requested", _("Yêu cầu hoàn thiện hồ sơ")
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
    DossierState.COMPLETION_REQUESTED: 5,
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


class Timeliness(models.TextChoices):
    """How a step or a dossier finished against its due time (DOMAIN.md §4)."""

    EARLY = "early", _("Trước hạn")
    ON_TIME = "on_time", _("Đúng hạn")
    LATE = "late", _("Quá hạn")


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
    """A dossier (hồ sơ): never deleted, its code never changes.

    Counter dossiers are accepted when created; online ones are submitted first (received_at
    empty, the clock not started) and accepted by a reception officer.
    """

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
    received_at = models.DateTimeField(_("thời điểm tiếp nhận"), null=True, blank=True)
    # Online dossiers: who submitted them (their account) and when; the form's answers.
    applicant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="dossiers_filed",
        null=True,
        blank=True,
    )
    submitted_at = models.DateTimeField(_("thời điểm nộp trực tuyến"), null=True, blank=True)
    form_data = models.JSONField(_("tờ khai"), default=dict, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    # The clock (DOMAIN.md §4): the appointment printed on the receipt, the legal due date (the
    # original moved by the pauses; lateness is measured against it), and the new date of an
    # apology (form 04), which the applicant is told but which does not excuse the delay.
    original_due_at = models.DateTimeField(_("hạn trả ban đầu"), null=True)
    due_at = models.DateTimeField(_("hạn trả kết quả"), null=True)
    rescheduled_due_at = models.DateTimeField(_("ngày hẹn lại"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("thời điểm giải quyết xong"), null=True, blank=True)
    timeliness = models.CharField(
        _("kết quả đúng hạn"), max_length=10, choices=Timeliness.choices, blank=True
    )
    returned_at = models.DateTimeField(_("thời điểm trả kết quả"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("thời điểm dừng giải quyết"), null=True, blank=True)
    # When the deadline sweep first saw the dossier open past its due date (logged once).
    overdue_noted_at = models.DateTimeField(null=True, blank=True)
    # The stage of the internal workflow in progress (0 before transfer).
    stage = models.PositiveSmallIntegerField(default=0)
    supplement_count = models.PositiveSmallIntegerField(default=0)
    # Withdrawal asked by the applicant: the state to go back to if the officer declines.
    state_before_withdrawal = models.CharField(max_length=30, blank=True)
    withdrawal_reason = models.TextField(_("lý do rút hồ sơ"), blank=True)
    # The result (resolve) and its hand-over to the applicant (return).
    result_number = models.CharField(_("số, ký hiệu văn bản kết quả"), max_length=80, blank=True)
    result_summary = models.TextField(_("trích yếu kết quả"), blank=True)
    result_document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    return_channel = models.CharField(
        _("hình thức trả"), max_length=10, choices=ResultChannel.choices, blank=True
    )
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    recipient_name = models.CharField(_("người nhận kết quả"), max_length=200, blank=True)
    recipient_id_number = models.CharField(_("số giấy tờ người nhận"), max_length=20, blank=True)
    postal_tracking_number = models.CharField(_("số hiệu bưu gửi"), max_length=40, blank=True)
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
            # The dashboard's received today and this week, across every desk.
            models.Index(fields=["received_at"], name="dossier_received_at_idx"),
            models.Index(
                fields=["competent_unit", "state", "due_at"], name="dossier_competent_idx"
            ),
            # The desks' queue of online dossiers waiting to be accepted.
            models.Index(
                fields=["receiving_unit", "submitted_at"],
                name="dossier_online_queue_idx",
                condition=models.Q(state="submitted_online"),
            ),
            models.Index(fields=["applicant_id_number"], name="dossier_applicant_id_idx"),
        ]
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")

    def __str__(self) -> str:
        return self.code

    @property
    def national_status(self) -> int:
        return NATIONAL_STATUS[DossierState(self.state)]

    @property
    def appointment_at(self):  # type: ignore[no-untyped-def]
        """What the applicant was last told: the apology's new date, else the due date."""
        return self.rescheduled_due_at or self.due_at

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


# States in which the dossier is still being worked on (its clock can run or be paused).
OPEN_STATES = frozenset(
    {
        DossierState.RECEIVED,
        DossierState.IN_PROCESSING,
        DossierState.SUPPLEMENT_REQUESTED,
        DossierState.AWAITING_PAYMENT,
        DossierState.WITHDRAWAL_REQUESTED,
    }
)


class DossierStep(models.Model):
    """A piece of work on a dossier by a unit (and, once assigned, an officer), with its budget.

    Steps come from the procedure version's workflow, or are added for a consultation of
    another agency. Open steps are the worklists.
    """

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="steps")
    # The dossier's procedure, copied so a worklist filtered by procedure stays on the partial
    # indexes of open steps instead of joining every dossier.
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="+")
    # The dossier's state while the step is open, copied for the same reason (worklists filtered
    # by state); written by every service that changes the state (processing.core._state_set).
    dossier_state = models.CharField(max_length=30, blank=True)
    workflow_step = models.ForeignKey(
        "catalog.WorkflowStep", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    stage = models.PositiveSmallIntegerField()
    kind = models.CharField(_("loại bước"), max_length=20)
    name = models.CharField(_("bước"), max_length=300)
    unit = models.ForeignKey("agencies.Unit", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=40)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    budget = models.DecimalField(max_digits=7, decimal_places=2)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(_("hạn của bước"))
    finished_at = models.DateTimeField(null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    timeliness = models.CharField(max_length=10, choices=Timeliness.choices, blank=True)
    # When the deadline sweep first saw the step open past its due time (logged once).
    overdue_noted_at = models.DateTimeField(null=True, blank=True)
    # A consultation's answer, an examiner's conclusion: what the next person needs to know.
    note = models.TextField(_("ý kiến, kết quả xử lý"), blank=True)

    class Meta:
        ordering = ["dossier_id", "started_at", "pk"]
        indexes = [
            # The worklists: open steps of a unit or of an officer, most urgent first.
            models.Index(
                fields=["unit", "due_at"],
                name="step_open_unit_idx",
                condition=models.Q(finished_at__isnull=True),
            ),
            models.Index(
                fields=["assignee", "due_at"],
                name="step_open_assignee_idx",
                condition=models.Q(finished_at__isnull=True),
            ),
            models.Index(
                fields=["unit", "procedure", "due_at"],
                name="step_open_unit_proc_idx",
                condition=models.Q(finished_at__isnull=True),
            ),
            models.Index(
                fields=["assignee", "procedure", "due_at"],
                name="step_open_assignee_proc_idx",
                condition=models.Q(finished_at__isnull=True),
            ),
            models.Index(
                fields=["unit", "dossier_state", "due_at"],
                name="step_open_unit_state_idx",
                condition=models.Q(finished_at__isnull=True),
            ),
            models.Index(
                fields=["assignee", "dossier_state", "due_at"],
                name="step_open_assignee_state_idx",
                condition=models.Q(finished_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.name}"

    @property
    def is_open(self) -> bool:
        return self.finished_at is None


class Handover(models.Model):
    """One hand-over of the dossier (a row of the processing control slip, form 06)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="handovers")
    at = models.DateTimeField()
    from_unit = models.ForeignKey("agencies.Unit", on_delete=models.PROTECT, related_name="+")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    to_unit = models.ForeignKey("agencies.Unit", on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # How the giver's step finished against its own budget; blank for a re-assignment.
    timeliness = models.CharField(max_length=10, choices=Timeliness.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["dossier_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.at:%Y-%m-%d %H:%M}"


class PauseReason(models.TextChoices):
    SUPPLEMENT = "supplement", _("Chờ bổ sung hồ sơ")
    FINANCIAL_OBLIGATION = "financial_obligation", _("Chờ thực hiện nghĩa vụ tài chính")


class DossierPause(models.Model):
    """A time the clock stood still; closed pauses move the due date (lib.workdays)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="pauses")
    reason = models.CharField(max_length=30, choices=PauseReason.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dossier_id", "started_at"]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.reason}"


class DossierNoticeKind(models.TextChoices):
    SUPPLEMENT = "supplement", _("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ")
    APOLOGY = "apology", _("Văn bản xin lỗi và hẹn lại ngày trả kết quả")
    STOP = "stop", _("Thông báo dừng giải quyết hồ sơ")
    REJECTION = "rejection", _("Thông báo hồ sơ không đủ điều kiện giải quyết")


class DossierNotice(models.Model):
    """A form issued while the dossier is processed: 02 (supplement), 04 (apology), 05 (stop),
    or the reasoned notice that the dossier is not eligible."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20, choices=DossierNoticeKind.choices)
    number = models.CharField(_("số"), max_length=60, unique=True)
    issuing_unit = models.ForeignKey("agencies.Unit", on_delete=models.PROTECT, related_name="+")
    # Supplement: [{"name": ..., "reason": ...}, ...], everything in one notice.
    items = models.JSONField(default=list, blank=True)
    reason = models.TextField(_("lý do"), blank=True)
    legal_basis = models.TextField(_("căn cứ pháp lý"), blank=True)
    original_due_at = models.DateTimeField(null=True, blank=True)
    new_due_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["dossier_id", "issued_at"]
        constraints = [
            # An apology, like a stop or a rejection, is issued once per dossier.
            models.UniqueConstraint(
                fields=["dossier", "kind"],
                condition=~models.Q(kind="supplement"),
                name="dossier_notice_once",
            )
        ]

    def __str__(self) -> str:
        return self.number


class SupplementStatus(models.TextChoices):
    PROPOSED = "proposed", _("Chờ lãnh đạo phòng duyệt")
    DECLINED = "declined", _("Lãnh đạo phòng không duyệt")
    ISSUED = "issued", _("Đã gửi yêu cầu bổ sung")
    RECEIVED = "received", _("Đã nhận hồ sơ bổ sung")


class SupplementRequest(models.Model):
    """A handling officer's request for a supplement; once per dossier, approved by the head."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="supplements")
    status = models.CharField(max_length=10, choices=SupplementStatus.choices)
    items = models.JSONField(default=list)
    legal_basis = models.TextField(blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    notice = models.OneToOneField(
        DossierNotice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["dossier_id", "proposed_at"]
        constraints = [
            # One live request per dossier: a declined proposal may be followed by another.
            models.UniqueConstraint(
                fields=["dossier"],
                condition=~models.Q(status="declined"),
                name="supplement_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.status}"


class PaymentNotice(models.Model):
    """The financial obligation: the tax office's notice (tax and fee lines) and its payment."""

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="payment")
    number = models.CharField(_("số thông báo"), max_length=60, unique=True)
    issuing_unit = models.ForeignKey("agencies.Unit", on_delete=models.PROTECT, related_name="+")
    # [{"kind": "tax"|"charge"|"fee", "name": ..., "amount": int đồng}, ...]
    lines = models.JSONField(default=list)
    total = models.PositiveBigIntegerField(_("tổng số tiền (đồng)"))
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    payment_method = models.CharField(max_length=20, blank=True)
    receipt_number = models.CharField(_("số biên lai / chứng từ"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return self.number


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
    # Taken from the applicant's store of verified documents instead of being submitted again.
    reused = models.BooleanField(_("tái sử dụng"), default=False)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class NumberSeries(models.TextChoices):
    DOSSIER = "dossier", _("Hồ sơ")
    GUIDANCE = "guidance", _("Phiếu hướng dẫn")
    REFUSAL = "refusal", _("Phiếu từ chối")
    NOTICE = "notice", _("Phiếu, văn bản trong quá trình giải quyết")
    PAYMENT = "payment", _("Thông báo nghĩa vụ tài chính")


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
    # The online dossier the notice answers (a counter notice has none: nothing was accepted).
    dossier = models.ForeignKey(
        "Dossier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reception_notices",
    )
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


class DossierDraft(models.Model):
    """An online dossier being prepared: saved as the citizen goes, so closing the browser loses
    nothing. It has no code and counts nowhere until it is submitted."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dossier_drafts"
    )
    procedure_version = models.ForeignKey(
        "catalog.ProcedureVersion", on_delete=models.PROTECT, related_name="+"
    )
    # {"name": …, "id_number": …, "address": …, "phone": …, "email": …, "kind": …}
    applicant = models.JSONField(default=dict, blank=True)
    form_data = models.JSONField(default=dict, blank=True)
    # {requirement id (str): {"document": id, "reused": bool}}
    attachments = models.JSONField(default=dict, blank=True)
    result_channel = models.CharField(
        max_length=10, choices=ResultChannel.choices, default=ResultChannel.ONLINE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("hồ sơ nháp")
        verbose_name_plural = _("hồ sơ nháp")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.procedure_version_id}"
