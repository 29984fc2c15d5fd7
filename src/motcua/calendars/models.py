from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OverrideKind(models.TextChoices):
    DAY_OFF = "day_off", _("Ngày nghỉ")
    WORKING_DAY = "working_day", _("Ngày làm việc bù")


class CalendarOverride(models.Model):
    """An administrator's change to the national calendar, for every unit or one subtree.

    Rows are never deleted: removing an override sets `revoked_at`, so the calendar in force at
    any past instant (a dossier's reception) can always be rebuilt.
    """

    date = models.DateField(_("ngày"))
    kind = models.CharField(_("loại"), max_length=20, choices=OverrideKind.choices)
    unit = models.ForeignKey(
        "agencies.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calendar_overrides",
        verbose_name=_("đơn vị"),
        help_text=_("Để trống: mọi đơn vị. Nếu chọn: đơn vị đó và các đơn vị cấp dưới."),
    )
    note = models.CharField(_("lý do"), max_length=500)
    created_at = models.DateTimeField(_("thời điểm tạo"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("người tạo"),
    )
    revoked_at = models.DateTimeField(_("thời điểm thu hồi"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("người thu hồi"),
    )

    class Meta:
        ordering = ["-date", "-created_at"]
        indexes = [models.Index(fields=["date"], name="calendar_override_date_idx")]
        constraints = [
            # One active override per date and scope; a NULL unit (every unit) needs its own
            # constraint because NULLs never collide in a unique index.
            models.UniqueConstraint(
                fields=["date", "unit"],
                condition=Q(revoked_at__isnull=True, unit__isnull=False),
                name="calendar_override_one_active_per_unit",
            ),
            models.UniqueConstraint(
                fields=["date"],
                condition=Q(revoked_at__isnull=True, unit__isnull=True),
                name="calendar_override_one_active_for_all",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=F("created_at")),
                name="calendar_override_revoked_after_created",
            ),
        ]
        verbose_name = _("ngày nghỉ / làm việc bù")
        verbose_name_plural = _("lịch ngày nghỉ / làm việc bù")

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} — {self.get_kind_display()}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
