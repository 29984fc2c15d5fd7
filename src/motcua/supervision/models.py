"""Supervision by the center (DOMAIN.md §1: it tracks and urges the agencies): escalation rules
as data, the alerts the periodic sweep sent by them, and the urges a leader sends to an agency."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Trigger(models.TextChoices):
    NEAR_DUE = "near_due", _("Sắp đến hạn")
    OVERDUE = "overdue", _("Quá hạn")


class Subject(models.TextChoices):
    """What a rule watches: one step's own due time, or the dossier's legal due date."""

    STEP = "step", _("Bước xử lý")
    DOSSIER = "dossier", _("Hồ sơ")


class Audience(models.TextChoices):
    """Why a person was told."""

    ASSIGNEE = "assignee", _("Người xử lý")
    DEPARTMENT_HEAD = "department_head", _("Lãnh đạo phòng")
    AGENCY_HEAD = "agency_head", _("Lãnh đạo cơ quan")
    CENTER_LEADER = "center_leader", _("Lãnh đạo Trung tâm")


# The rule's flag for each audience, in the order people are listed.
AUDIENCE_FLAGS = {
    Audience.ASSIGNEE: "tell_assignee",
    Audience.DEPARTMENT_HEAD: "tell_department_head",
    Audience.AGENCY_HEAD: "tell_agency_head",
    Audience.CENTER_LEADER: "tell_center_leaders",
}


class EscalationRule(models.Model):
    """Who is told, and how, when a step or a dossier is near due or overdue, and after how long.

    "After how long" is working time past the trigger (0 = at once): past the due time for
    overdue, past the moment the step became near due (MOTCUA_NEAR_DUE_WORKING_HOURS of working
    time left) for near due. Each rule sends once per step or dossier (see Alert).
    """

    name = models.CharField(_("tên quy tắc"), max_length=200)
    subject = models.CharField(
        _("áp dụng cho"), max_length=10, choices=Subject.choices, default=Subject.STEP
    )
    trigger = models.CharField(_("khi"), max_length=10, choices=Trigger.choices)
    delay_hours = models.PositiveSmallIntegerField(
        _("sau (giờ làm việc)"),
        default=0,
        help_text=_("Số giờ làm việc kể từ khi sắp đến hạn hoặc quá hạn; 0 là báo ngay."),
    )
    tell_assignee = models.BooleanField(
        _("báo người xử lý"),
        default=False,
        help_text=_("Người được giao bước; chưa giao thì những người của đơn vị có thể nhận."),
    )
    tell_department_head = models.BooleanField(_("báo lãnh đạo phòng"), default=False)
    tell_agency_head = models.BooleanField(_("báo lãnh đạo cơ quan"), default=False)
    tell_center_leaders = models.BooleanField(
        _("báo lãnh đạo Trung tâm"),
        default=False,
        help_text=_("Lãnh đạo Trung tâm đã tiếp nhận hồ sơ."),
    )
    by_email = models.BooleanField(_("gửi thư điện tử"), default=True)
    by_sms = models.BooleanField(_("gửi tin nhắn SMS"), default=False)
    active = models.BooleanField(_("đang áp dụng"), default=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        ordering = ["subject", "trigger", "delay_hours", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tell_assignee=True)
                | Q(tell_department_head=True)
                | Q(tell_agency_head=True)
                | Q(tell_center_leaders=True),
                name="escalation_rule_tells_someone",
            ),
        ]
        verbose_name = _("quy tắc cảnh báo, báo cáo vượt cấp")
        verbose_name_plural = _("quy tắc cảnh báo, báo cáo vượt cấp")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not any(getattr(self, flag) for flag in AUDIENCE_FLAGS.values()):
            raise ValidationError(_("Chọn ít nhất một đối tượng được báo."))
        near = settings.MOTCUA_NEAR_DUE_WORKING_HOURS
        if self.trigger == Trigger.NEAR_DUE and self.delay_hours > near:
            # Past that, the step is overdue: a near-due alert would never be sent.
            raise ValidationError(
                {
                    "delay_hours": _(
                        "Cảnh báo sắp đến hạn bắt đầu khi còn %(n)s giờ làm việc; "
                        "hãy chọn từ 0 đến %(n)s giờ."
                    )
                    % {"n": near}
                }
            )

    @property
    def audiences(self) -> list[Audience]:
        return [audience for audience, flag in AUDIENCE_FLAGS.items() if getattr(self, flag)]


class Alert(models.Model):
    """One rule fired for one step (or one dossier): the unique constraints are what make the
    sweep send it once, even when two sweeps run at the same time."""

    rule = models.ForeignKey(EscalationRule, on_delete=models.PROTECT, related_name="alerts")
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="+")
    # Empty for a rule on the dossier's own due date.
    step = models.ForeignKey(
        "dossiers.DossierStep", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Copied from the rule, which may be edited later.
    trigger = models.CharField(_("khi"), max_length=10, choices=Trigger.choices)
    # The unit whose work is late: the step's unit, or the dossier's competent unit.
    unit = models.ForeignKey("agencies.Unit", on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(_("hạn"))
    sent_at = models.DateTimeField(_("gửi lúc"))
    subject = models.CharField(_("tiêu đề"), max_length=255)
    body = models.TextField(_("nội dung"))

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["step", "rule"],
                condition=Q(step__isnull=False),
                name="alert_once_per_step_rule",
            ),
            models.UniqueConstraint(
                fields=["dossier", "rule"],
                condition=Q(step__isnull=True),
                name="alert_once_per_dossier_rule",
            ),
        ]
        indexes = [models.Index(fields=["dossier", "sent_at"], name="alert_dossier_idx")]
        verbose_name = _("cảnh báo")
        verbose_name_plural = _("cảnh báo")

    def __str__(self) -> str:
        return self.subject


class AlertRecipient(models.Model):
    """Who was told of an alert, why, and whether they have read it (their in-app list)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    audience = models.CharField(_("với tư cách"), max_length=20, choices=Audience.choices)
    read_at = models.DateTimeField(_("đã xem lúc"), null=True, blank=True)

    class Meta:
        ordering = ["alert_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "user"], name="alert_recipient_once")
        ]
        indexes = [models.Index(fields=["user", "alert"], name="alert_recipient_user_idx")]
        verbose_name = _("người nhận cảnh báo")
        verbose_name_plural = _("người nhận cảnh báo")

    def __str__(self) -> str:
        return f"{self.alert_id} → {self.user_id}"


class AlertReadMark(models.Model):
    """How far down their alerts an officer has looked: the newest delivery (AlertRecipient id)
    listed when they last opened the alerts page. Unread alerts delivered after it are new to
    them (the badge of the navigation); reading one is still marked on its row (read_at).

    A delivery's id, not a time: the sweep stamps every alert of a run with the run's start, so
    an alert committed after the page was opened may carry an earlier time, never a lower id
    than one committed before (short of two deliveries racing in the same instant)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    seen_through = models.PositiveBigIntegerField(_("đã xem đến"), default=0)

    class Meta:
        verbose_name = _("mốc đã xem cảnh báo")
        verbose_name_plural = _("mốc đã xem cảnh báo")

    def __str__(self) -> str:
        return f"{self.user_id} ≤ {self.seen_through}"


class Urge(models.Model):
    """A reminder (đôn đốc) from the center's leadership to an agency about one or more dossiers."""

    urged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    urged_by_role = models.CharField(max_length=40)
    # The agency (or center, or commune) urged.
    unit = models.ForeignKey("agencies.Unit", on_delete=models.PROTECT, related_name="+")
    dossiers = models.ManyToManyField("dossiers.Dossier", related_name="+")
    message = models.TextField(_("nội dung đôn đốc"))
    at = models.DateTimeField(_("lúc"))

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["unit", "at"], name="urge_unit_idx"),
            models.Index(fields=["urged_by", "at"], name="urge_sender_idx"),
        ]
        verbose_name = _("đôn đốc")
        verbose_name_plural = _("đôn đốc")

    def __str__(self) -> str:
        return f"{self.unit_id} {self.at:%Y-%m-%d %H:%M}"


class UrgeRecipient(models.Model):
    """Who in the agency an urge was sent to, and why."""

    urge = models.ForeignKey(Urge, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    audience = models.CharField(_("với tư cách"), max_length=20, choices=Audience.choices)

    class Meta:
        ordering = ["urge_id", "pk"]
        constraints = [models.UniqueConstraint(fields=["urge", "user"], name="urge_recipient_once")]
        indexes = [models.Index(fields=["user", "urge"], name="urge_recipient_user_idx")]
        verbose_name = _("người nhận đôn đốc")
        verbose_name_plural = _("người nhận đôn đốc")

    def __str__(self) -> str:
        return f"{self.urge_id} → {self.user_id}"
