"""The evaluation of procedure handling (đánh giá việc giải quyết thủ tục hành chính): nine
indicators worth 0, 1 or 2 points each, 18 in all, and the points a person enters where the
data cannot decide (see `evaluation.rules` for how each indicator is scored)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MAX_POINTS = 2
POINTS = (0, 1, 2)


class Indicator(models.TextChoices):
    """The nine indicators, in the order of the official evaluation table."""

    TOTAL_TIME = "total_time", _("Tổng thời gian giải quyết so với quy định")
    AGENCY_TIME = "agency_time", _("Thời gian thực hiện của từng cơ quan, đơn vị tham gia")
    CONTACTS = "contacts", _("Số lần phải liên hệ với nơi tiếp nhận để hoàn thiện hồ sơ")
    AGENCIES_CONTACTED = "agencies_contacted", _("Số cơ quan, đơn vị phải liên hệ")
    ONE_STOP = "one_stop", _("Tiếp nhận, trả kết quả tại Bộ phận Một cửa")
    PUBLICITY = "publicity", _("Công khai thủ tục hành chính")
    ATTITUDE = "attitude", _("Thái độ của cán bộ, công chức")
    FEEDBACK = "feedback_handling", _("Tiếp thu, giải trình phản ánh, kiến nghị")
    ONLINE_SERVICE = "online_service", _("Tiến độ, chất lượng dịch vụ công trực tuyến")


# What a person may enter. The other four are facts of the dossier's record (its times, its
# supplement requests, where it was received and returned): a wrong figure there is corrected
# in the record, not overwritten in the evaluation.
MANUAL_INDICATORS = (
    Indicator.AGENCIES_CONTACTED,
    Indicator.PUBLICITY,
    Indicator.ATTITUDE,
    Indicator.FEEDBACK,
    Indicator.ONLINE_SERVICE,
)


class Grade(models.TextChoices):
    """The classes of a total out of 18 (see `rules.grade_of` for the bounds)."""

    EXCELLENT = "excellent", _("Xuất sắc")
    GOOD = "good", _("Tốt")
    FAIR = "fair", _("Khá")
    AVERAGE = "average", _("Trung bình")
    WEAK = "weak", _("Yếu")


class EvaluationEntry(models.Model):
    """The points a center leader or procedure controller gave one indicator of one dossier.

    One current value per dossier and indicator; every earlier value is in the audit log."""

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="evaluation_entries"
    )
    indicator = models.CharField(_("chỉ số"), max_length=30, choices=Indicator.choices)
    points = models.PositiveSmallIntegerField(_("điểm"))
    note = models.TextField(_("ghi chú, căn cứ"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("người chấm"),
    )
    entered_at = models.DateTimeField(_("thời điểm chấm"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "indicator"], name="evaluation_entry_one_per_indicator"
            ),
            models.CheckConstraint(
                condition=Q(points__lte=MAX_POINTS), name="evaluation_entry_points_range"
            ),
            models.CheckConstraint(
                condition=Q(indicator__in=[str(i) for i in MANUAL_INDICATORS]),
                name="evaluation_entry_manual_indicator",
            ),
        ]
        verbose_name = _("điểm đánh giá nhập tay")
        verbose_name_plural = _("điểm đánh giá nhập tay")

    def __str__(self) -> str:
        return f"{self.dossier_id} — {self.indicator}: {self.points}"
