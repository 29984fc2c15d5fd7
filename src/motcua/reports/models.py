"""What the reports are measured against: the Decision 766 index's points and targets, and the
province's own online-service targets, both set per year by an administrator."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IndicatorGroup(models.TextChoices):
    """The five groups of Decision 766/QĐ-TTg (DOMAIN.md §6)."""

    PUBLICITY = "publicity", _("Công khai, minh bạch")
    PROGRESS = "progress", _("Tiến độ, kết quả giải quyết")
    ONLINE_SERVICE = "online_service", _("Cung cấp dịch vụ trực tuyến")
    DIGITISATION = "digitisation", _("Số hóa hồ sơ")
    SATISFACTION = "satisfaction", _("Mức độ hài lòng")


# The decision's points per group; 100 in all.
GROUP_MAXIMA: dict[str, Decimal] = {
    IndicatorGroup.PUBLICITY: Decimal(18),
    IndicatorGroup.PROGRESS: Decimal(20),
    IndicatorGroup.ONLINE_SERVICE: Decimal(22),
    IndicatorGroup.DIGITISATION: Decimal(22),
    IndicatorGroup.SATISFACTION: Decimal(18),
}


class IndicatorCode(models.TextChoices):
    """The indicators the system computes from its own data (the others are scored elsewhere)."""

    ON_TIME = "2.1", _("Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn")
    RESOLUTION_TIME = "2.2", _("Thời gian giải quyết trung bình của thủ tục hành chính")
    ONLINE_PROCEDURES = "3.1", _("Tỷ lệ thủ tục hành chính cung cấp dịch vụ công trực tuyến")
    ONLINE_DOSSIERS = "3.3", _("Tỷ lệ hồ sơ trực tuyến")
    ONLINE_PAYMENT = "3.6", _("Tỷ lệ thanh toán trực tuyến")
    ELECTRONIC_RESULTS = "4.1", _("Tỷ lệ cấp kết quả giải quyết điện tử")
    DIGITISED = "4.2", _("Tỷ lệ số hóa hồ sơ")
    REUSE = "4.3", _("Tỷ lệ khai thác, sử dụng lại thông tin, dữ liệu số hóa")
    SATISFACTION = "5.4", _("Tỷ lệ hài lòng trong tiếp nhận, giải quyết thủ tục hành chính")


INDICATOR_GROUPS: dict[str, str] = {
    IndicatorCode.ON_TIME: IndicatorGroup.PROGRESS,
    IndicatorCode.RESOLUTION_TIME: IndicatorGroup.PROGRESS,
    IndicatorCode.ONLINE_PROCEDURES: IndicatorGroup.ONLINE_SERVICE,
    IndicatorCode.ONLINE_DOSSIERS: IndicatorGroup.ONLINE_SERVICE,
    IndicatorCode.ONLINE_PAYMENT: IndicatorGroup.ONLINE_SERVICE,
    IndicatorCode.ELECTRONIC_RESULTS: IndicatorGroup.DIGITISATION,
    IndicatorCode.DIGITISED: IndicatorGroup.DIGITISATION,
    IndicatorCode.REUSE: IndicatorGroup.DIGITISATION,
    IndicatorCode.SATISFACTION: IndicatorGroup.SATISFACTION,
}
# An average time has no rate to compare with a target: it is reported, not scored.
UNSCORED = frozenset({IndicatorCode.RESOLUTION_TIME})

_PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


def _percent_field(label: str | object, help_text: str | object = "") -> models.DecimalField:
    return models.DecimalField(
        label,  # type: ignore[arg-type]
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=_PERCENT,
        help_text=help_text,  # type: ignore[arg-type]
    )


class IndicatorSetting(models.Model):
    """One indicator's maximum points and target rate for a year.

    Points = maximum × min(1, rate / target). A year without rows uses the latest earlier
    year's, else the defaults of `motcua.reports.services.INDICATOR_DEFAULTS`.
    """

    year = models.PositiveSmallIntegerField(_("năm"))
    code = models.CharField(_("mã chỉ số"), max_length=5, choices=IndicatorCode.choices)
    group = models.CharField(_("nhóm chỉ số"), max_length=20, choices=IndicatorGroup.choices)
    name = models.CharField(_("tên chỉ số"), max_length=300)
    maximum = models.DecimalField(
        _("điểm tối đa"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    target = _percent_field(
        _("tỷ lệ đạt điểm tối đa (%)"),
        _("Đạt tỷ lệ này trở lên thì được điểm tối đa; thấp hơn thì tính theo tỷ lệ."),
    )
    note = models.TextField(
        _("ghi chú, căn cứ"),
        blank=True,
        help_text=_("Căn cứ của điểm và chỉ tiêu; «(check)» là giá trị chưa đối chiếu văn bản."),
    )
    updated_at = models.DateTimeField(_("cập nhật lúc"), default=timezone.now, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("người cập nhật"),
    )

    class Meta:
        ordering = ["-year", "code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "code"], name="indicator_setting_year_code"),
            models.CheckConstraint(
                condition=Q(code__in=IndicatorCode.values), name="indicator_setting_code_known"
            ),
            models.CheckConstraint(
                condition=Q(group__in=IndicatorGroup.values), name="indicator_setting_group_known"
            ),
            models.CheckConstraint(
                condition=Q(maximum__gte=0), name="indicator_setting_maximum_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(target__isnull=True) | Q(target__gt=0, target__lte=100),
                name="indicator_setting_target_percent",
            ),
        ]
        verbose_name = _("điểm, chỉ tiêu chỉ số 766")
        verbose_name_plural = _("điểm, chỉ tiêu chỉ số 766")

    def __str__(self) -> str:
        return f"{self.year} — {self.code} {self.name}"

    def clean(self) -> None:
        expected_group = INDICATOR_GROUPS.get(self.code)
        if expected_group and self.group != expected_group:
            raise ValidationError({"group": _("Chỉ số này thuộc nhóm khác.")})
        if self.code in UNSCORED:
            if self.maximum or self.target is not None:
                raise ValidationError(
                    _(
                        "Chỉ số %(code)s chỉ để theo dõi, không chấm điểm: "
                        "để điểm tối đa 0 và bỏ trống tỷ lệ."
                    )
                    % {"code": self.code}
                )
            return
        if self.target is None:
            raise ValidationError({"target": _("Cần nhập tỷ lệ đạt điểm tối đa.")})
        self._check_group_total()

    def _check_group_total(self) -> None:
        others = (
            IndicatorSetting.objects.filter(year=self.year, group=self.group)
            .exclude(pk=self.pk)
            .aggregate(total=Sum("maximum"))["total"]
        ) or Decimal(0)
        limit = GROUP_MAXIMA.get(self.group, Decimal(0))
        if others + (self.maximum or 0) > limit:
            raise ValidationError(
                {
                    "maximum": _(
                        "Tổng điểm tối đa của nhóm «%(group)s» năm %(year)s vượt %(limit)s điểm."
                    )
                    % {
                        "group": IndicatorGroup(self.group).label,
                        "year": self.year,
                        "limit": limit,
                    }
                }
            )


class OnlineTarget(models.Model):
    """The province's own online-service targets for a year (Huế 2017: every agency offers all
    its procedures at level 3, half at level 4, and 30% of dossiers are received and returned
    online at level 4), for the center (no unit) or one agency. An agency without its own row
    is held to the center's."""

    year = models.PositiveSmallIntegerField(_("năm"))
    unit = models.ForeignKey(
        "agencies.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cơ quan"),
        help_text=_("Để trống: chỉ tiêu chung của Trung tâm, áp dụng cho cơ quan chưa có riêng."),
    )
    level3_share = _percent_field(
        _("tỷ lệ thủ tục trực tuyến mức độ 3 trở lên (%)"),
        _("Thủ tục cung cấp dịch vụ công trực tuyến một phần hoặc toàn trình."),
    )
    level4_share = _percent_field(
        _("tỷ lệ thủ tục trực tuyến mức độ 4 (%)"),
        _("Thủ tục cung cấp dịch vụ công trực tuyến toàn trình."),
    )
    online_received_share = _percent_field(
        _("tỷ lệ hồ sơ tiếp nhận trực tuyến mức độ 4 (%)"),
        _("Hồ sơ nộp trực tuyến của thủ tục toàn trình trên tổng số hồ sơ tiếp nhận."),
    )
    online_returned_share = _percent_field(
        _("tỷ lệ hồ sơ trả kết quả trực tuyến (%)"),
        _("Hồ sơ trả kết quả trực tuyến trên tổng số hồ sơ đã trả kết quả."),
    )
    note = models.TextField(_("ghi chú, căn cứ"), blank=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), default=timezone.now, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("người cập nhật"),
    )

    class Meta:
        ordering = ["-year", "unit__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "unit"],
                condition=Q(unit__isnull=False),
                name="online_target_year_unit",
            ),
            # NULLs never collide in a unique index: the center's row needs its own constraint.
            models.UniqueConstraint(
                fields=["year"], condition=Q(unit__isnull=True), name="online_target_year_center"
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True})
                    | Q(**{f"{name}__gte": 0, f"{name}__lte": 100}),
                    name=f"online_target_{name}_percent",
                )
                for name in (
                    "level3_share",
                    "level4_share",
                    "online_received_share",
                    "online_returned_share",
                )
            ),
            # Full online (level 4) procedures are also offered at level 3 or above.
            models.CheckConstraint(
                condition=Q(level3_share__isnull=True)
                | Q(level4_share__isnull=True)
                | Q(level4_share__lte=models.F("level3_share")),
                name="online_target_level4_within_level3",
            ),
        ]
        verbose_name = _("chỉ tiêu dịch vụ công trực tuyến")
        verbose_name_plural = _("chỉ tiêu dịch vụ công trực tuyến")

    def __str__(self) -> str:
        return f"{self.year} — {self.unit or _('Trung tâm')}"

    def clean(self) -> None:
        if (
            self.level3_share is not None
            and self.level4_share is not None
            and self.level4_share > self.level3_share
        ):
            raise ValidationError(
                {"level4_share": _("Tỷ lệ mức độ 4 không thể lớn hơn tỷ lệ mức độ 3 trở lên.")}
            )


# ---------------------------------------------------------------------------------------------
# Closed periods: the figures of a period that has ended, counted once from the dossiers


class ClosedPeriod(models.Model):
    """The figures of a reporting period counted from the dossiers (`reports.closing`), which
    the reports read instead of counting millions of dossiers again.

    Once the period has ended they are counted once (`close_periods`): its figures as
    of `closed_at`. A later change to a dossier of the period (a late rating, a corrected date)
    shows only after the period is counted again (`close_periods --recount`), and
    `close_periods --check` lists such differences. While the period runs (`running`), they are
    counted again every few minutes and read while fresh (settings.MOTCUA_RUNNING_FIGURES_MAX_AGE):
    the figures as they stood at `closed_at`."""

    kind = models.CharField(_("loại kỳ"), max_length=20)
    year = models.PositiveSmallIntegerField(_("năm"))
    number = models.PositiveSmallIntegerField(_("số thứ tự"))
    closed_at = models.DateTimeField(_("chốt số liệu lúc"))
    running = models.BooleanField(_("số liệu tạm tính"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "number"], name="closed_period_once")
        ]
        verbose_name = _("kỳ báo cáo đã chốt số liệu")
        verbose_name_plural = _("kỳ báo cáo đã chốt số liệu")

    def __str__(self) -> str:
        return f"{self.kind} {self.number}/{self.year}"


# What a closed period keeps per row: the operational report's measures
# (`reports.operational.COUNTED`) and the Decision 766 index's own counts
# (`reports.index766.index_conditions`), each a number of dossiers.
FIGURES = (
    "received",
    "received_counter",
    "received_online",
    "received_post",
    "carried_over",
    "to_process",
    "finished",
    "finished_early",
    "finished_on_time",
    "finished_late",
    "ended_without_result",
    "open",
    "open_within",
    "open_overdue",
    "open_near_due",
    "open_paused",
    "uncollected",
    "late",
    "late_apologised",
    "late_multi_supplement",
    "dissatisfied",
    "late_or_dissatisfied",
    "fee_bearing",
    "paid_online",
    "results",
    "signed_results",
    "digitised",
    "reused",
)


class ScopeKey(models.Model):
    """The finest scope a report narrows to: the dossiers of one receiving unit, competent unit
    and procedure version. The field names are the dossier's, so the reports' scope condition
    (`reports.scope`) filters these rows as it filters dossiers."""

    receiving_unit = models.ForeignKey("agencies.Unit", on_delete=models.PROTECT, related_name="+")
    competent_unit = models.ForeignKey("agencies.Unit", on_delete=models.PROTECT, related_name="+")
    procedure_version = models.ForeignKey(
        "catalog.ProcedureVersion", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True


class PeriodFigures(ScopeKey):
    """The counts of a closed period for the dossiers of one receiving unit, competent unit and
    procedure version: the finest scope a report narrows to, so any scope is a sum of rows,
    taken by the database. The field names are the dossier's, so the reports' scope condition
    filters both. One column per name of FIGURES (added below the class)."""

    period = models.ForeignKey(ClosedPeriod, on_delete=models.CASCADE, related_name="figures")
    # The agency the competent unit belongs to: the row of the report it adds to.
    agency = models.ForeignKey("agencies.Unit", on_delete=models.PROTECT, related_name="+")
    # 2.2: dossiers whose resolution (else return) ended in the period, and the time they took
    # less their pauses, in microseconds of working time (wall time for calendar-day ones).
    resolutions = models.PositiveIntegerField(default=0)
    resolution_time = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "receiving_unit", "competent_unit", "procedure_version"],
                name="period_figures_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.period}: {self.procedure_version_id} @ {self.competent_unit_id}"

    def figures(self) -> dict[str, int]:
        """The counts that are not zero."""
        return {name: getattr(self, name) for name in FIGURES if getattr(self, name)}


for _name in FIGURES:
    PeriodFigures.add_to_class(_name, models.PositiveIntegerField(default=0))


class AgencyCountKind(models.TextChoices):
    # Late dossiers of the period held up by a step of the agency (the report's reasons).
    LATE_CAUSE = "late_cause", _("hồ sơ chậm do cơ quan")
    # Dossiers with a step of the agency late during the period (the dashboard's delays).
    STEP_DELAY = "step_delay", _("hồ sơ có bước chậm tại cơ quan")


class PeriodAgencyCount(ScopeKey):
    """Dossiers of a counted period (of one receiving unit, competent unit and procedure
    version) whose step at `agency` was late, in one of two senses (`kind`): a dossier held up
    by two agencies counts for both."""

    period = models.ForeignKey(ClosedPeriod, on_delete=models.CASCADE, related_name="agency_counts")
    kind = models.CharField(max_length=20, choices=AgencyCountKind.choices)
    agency = models.ForeignKey("agencies.Unit", on_delete=models.PROTECT, related_name="+")
    dossiers = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.period} {self.kind}: {self.dossiers} @ {self.agency_id}"


class PeriodSlowStep(ScopeKey):
    """A step late during a counted period, among the ones most past their due time of its
    dossier's receiving unit, competent unit and procedure version: whatever the scope, its
    slowest steps are among the rows the scope selects."""

    period = models.ForeignKey(ClosedPeriod, on_delete=models.CASCADE, related_name="slow_steps")
    step = models.ForeignKey("dossiers.DossierStep", on_delete=models.CASCADE, related_name="+")
    # Wall time from the step's due time to its end, or to closed_at while open.
    overrun = models.DurationField()

    def __str__(self) -> str:
        return f"{self.period}: step {self.step_id} +{self.overrun}"
