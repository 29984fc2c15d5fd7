"""The procedure catalogue: sectors, procedures and their immutable published versions."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import Conflict
from motcua.core.models import TimeStampedModel


class StatutoryUnit(models.TextChoices):
    """The unit of a statutory time. Same values as ``motcua.lib.workdays.DurationUnit``."""

    WORKING_DAYS = "working_days", _("ngày làm việc")
    WORKING_HOURS = "working_hours", _("giờ làm việc")
    CALENDAR_DAYS = "calendar_days", _("ngày")
    SAME_DAY = "same_day", _("trong ngày")


class OnlineMode(models.TextChoices):
    """Online public service level (Decree 42/2022): full online, partial, or none."""

    FULL = "full", _("Toàn trình")
    PARTIAL = "partial", _("Một phần")
    NONE = "none", _("Không")


class ComponentForm(models.TextChoices):
    ORIGINAL = "original", _("Bản chính")
    CERTIFIED_COPY = "certified_copy", _("Bản sao chứng thực")
    COPY = "copy", _("Bản sao")
    ORIGINAL_OR_COPY = "original_or_copy", _("Bản chính hoặc bản sao")


class FeeKind(models.TextChoices):
    FEE = "fee", _("Phí")
    CHARGE = "charge", _("Lệ phí")
    # Taxes are not fees, but the tax office's payment notice puts them in the same bill
    # (e.g. personal income tax on a land transfer), so the catalogue lists them too.
    TAX = "tax", _("Thuế")


class StepKind(models.TextChoices):
    """What a step of the internal workflow is for; the services allow actions by kind."""

    RECEPTION = "reception", _("Tiếp nhận, chuyển hồ sơ")
    HANDLING = "handling", _("Thụ lý, xử lý")
    CONSULTATION = "consultation", _("Lấy ý kiến cơ quan phối hợp")
    FINANCIAL = "financial", _("Xác định nghĩa vụ tài chính")
    SIGNING = "signing", _("Ký duyệt")
    RETURN = "return", _("Trả kết quả")


class FeeCollector(models.TextChoices):
    CENTER = "center", _("Bộ phận Một cửa thu")
    TAX_OFFICE = "tax_office", _("Cơ quan thuế thông báo, người nộp nộp vào ngân sách")


class Sector(TimeStampedModel):
    """A field of procedures (lĩnh vực), as in the National Database of Procedures."""

    code = models.CharField(_("mã lĩnh vực"), max_length=40, unique=True)
    name = models.CharField(_("tên lĩnh vực"), max_length=255)

    class Meta:
        ordering = ["code"]
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")

    def __str__(self) -> str:
        return self.name


class Procedure(TimeStampedModel):
    """An administrative procedure (thủ tục hành chính); its identity is stable across versions."""

    national_code = models.CharField(
        _("mã thủ tục"),
        max_length=40,
        unique=True,
        help_text=_("Mã trên Cơ sở dữ liệu quốc gia về thủ tục hành chính, ví dụ 1.001193."),
    )
    name = models.CharField(_("tên thủ tục"), max_length=500)
    sector = models.ForeignKey(
        Sector, on_delete=models.PROTECT, related_name="procedures", verbose_name=_("lĩnh vực")
    )
    # Folded (no diacritics, lower case) code and name, so "dang ky khai sinh" finds the procedure.
    search_text = models.CharField(max_length=1200, db_index=True, editable=False)
    is_active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        ordering = ["national_code"]
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")

    def __str__(self) -> str:
        return f"{self.national_code} — {self.name}"

    @property
    def current_version(self) -> ProcedureVersion | None:
        """The latest published version; uses the selectors' prefetch when it is there."""
        prefetched = getattr(self, "current_versions", None)
        if prefetched is not None:
            return prefetched[0] if prefetched else None
        return self.versions.order_by("-number").first()


class ImmutableRowMixin(models.Model):
    """Published rows are never updated: a change is a new version (dossiers pin old ones)."""

    class Meta:
        abstract = True

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise Conflict(
                _("Phiên bản đã công bố không được sửa; hãy công bố một phiên bản mới."),
                code="version_immutable",
            )
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class ProcedureVersion(ImmutableRowMixin, models.Model):
    """One published, immutable version of a procedure; dossiers pin the one they came under."""

    procedure = models.ForeignKey(
        Procedure, on_delete=models.PROTECT, related_name="versions", verbose_name=_("thủ tục")
    )
    number = models.PositiveIntegerField(_("phiên bản số"))
    name = models.CharField(_("tên thủ tục"), max_length=500)
    competent_unit = models.ForeignKey(
        "agencies.Unit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cơ quan giải quyết"),
    )
    receiving_unit = models.ForeignKey(
        "agencies.Unit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("nơi tiếp nhận"),
    )
    statutory_amount = models.DecimalField(_("thời hạn giải quyết"), max_digits=7, decimal_places=2)
    statutory_unit = models.CharField(
        _("đơn vị thời hạn"), max_length=20, choices=StatutoryUnit.choices
    )
    is_on_the_spot = models.BooleanField(
        _("giải quyết ngay tại Bộ phận Một cửa"),
        default=False,
        help_text=_("Ví dụ chứng thực bản sao: nhận và trả kết quả ngay tại quầy."),
    )
    financial_obligation = models.BooleanField(
        _("có nghĩa vụ tài chính"),
        default=False,
        help_text=_("Cơ quan thuế ra thông báo nộp tiền (thuế, lệ phí trước bạ…)."),
    )
    pause_for_financial_obligation = models.BooleanField(
        _("không tính thời gian thực hiện nghĩa vụ tài chính"),
        default=False,
        help_text=_("Thời gian chờ nộp nghĩa vụ tài chính không tính vào thời hạn giải quyết."),
    )
    result_type = models.CharField(_("kết quả giải quyết"), max_length=500)
    result_is_document = models.BooleanField(_("kết quả là văn bản, giấy tờ"), default=True)
    online_mode = models.CharField(
        _("dịch vụ công trực tuyến"), max_length=10, choices=OnlineMode.choices
    )
    applicant_types = models.TextField(_("đối tượng thực hiện"), blank=True)
    steps = models.TextField(_("trình tự thực hiện"), blank=True)
    method = models.TextField(_("cách thức thực hiện"), blank=True)
    legal_basis = models.TextField(_("căn cứ pháp lý"), blank=True)
    requirements = models.TextField(_("yêu cầu, điều kiện thực hiện"), blank=True)
    # The declaration (tờ khai) an online applicant fills in: a JSON Schema object, checked at
    # publish and used to draw and validate the portal's form.
    form_schema = models.JSONField(_("tờ khai điện tử (JSON Schema)"), default=dict, blank=True)
    content_hash = models.CharField(
        _("mã băm nội dung"),
        max_length=64,
        editable=False,
        help_text=_("SHA-256 của bản ghi nhập."),
    )
    published_at = models.DateTimeField(_("thời điểm công bố"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("người công bố"),
    )

    class Meta:
        ordering = ["procedure_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="catalog_version_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="catalog_version_number_gte_1"),
            models.CheckConstraint(
                condition=Q(statutory_amount__gt=0), name="catalog_version_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(statutory_unit__in=StatutoryUnit.values),
                name="catalog_version_statutory_unit",
            ),
            models.CheckConstraint(
                condition=Q(online_mode__in=OnlineMode.values), name="catalog_version_online_mode"
            ),
            # The pause only exists where there is a financial obligation to wait for.
            models.CheckConstraint(
                condition=Q(financial_obligation=True) | Q(pause_for_financial_obligation=False),
                name="catalog_version_pause_needs_obligation",
            ),
        ]
        verbose_name = _("phiên bản thủ tục")
        verbose_name_plural = _("phiên bản thủ tục")

    def __str__(self) -> str:
        return f"{self.procedure.national_code} v{self.number}"

    @property
    def statutory_time_label(self) -> str:
        """The statutory time as printed: "15 ngày làm việc", "4 giờ làm việc", "trong ngày"."""
        unit = StatutoryUnit(self.statutory_unit)
        if unit == StatutoryUnit.SAME_DAY:
            return str(unit.label)
        return f"{format_amount(self.statutory_amount)} {unit.label}"


def format_amount(amount: Decimal | int) -> str:
    """Vietnamese number style: no decimals for whole amounts, a decimal comma otherwise."""
    value = Decimal(amount)
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f").replace(".", ",")


class ProcedureComponent(ImmutableRowMixin, models.Model):
    """One required document of a version's dossier (thành phần hồ sơ)."""

    version = models.ForeignKey(
        ProcedureVersion, on_delete=models.CASCADE, related_name="components"
    )
    position = models.PositiveSmallIntegerField(_("thứ tự"))
    name = models.CharField(_("tên giấy tờ"), max_length=500)
    form = models.CharField(_("hình thức"), max_length=20, choices=ComponentForm.choices)
    quantity = models.PositiveSmallIntegerField(_("số lượng"), default=1)
    is_mandatory = models.BooleanField(_("bắt buộc"), default=True)
    note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        ordering = ["version_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="catalog_component_pos"),
            models.UniqueConstraint(fields=["version", "name"], name="catalog_component_name"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="catalog_component_qty"),
            models.CheckConstraint(
                condition=Q(form__in=ComponentForm.values), name="catalog_component_form"
            ),
        ]
        verbose_name = _("thành phần hồ sơ")
        verbose_name_plural = _("thành phần hồ sơ")

    def __str__(self) -> str:
        return self.name

    @property
    def form_label(self) -> str:
        return str(ComponentForm(self.form).label)


class FeeItem(ImmutableRowMixin, models.Model):
    """A fee, charge or tax of a version (phí, lệ phí); no amount when it depends on the case."""

    version = models.ForeignKey(
        ProcedureVersion, on_delete=models.CASCADE, related_name="fee_items"
    )
    position = models.PositiveSmallIntegerField(_("thứ tự"))
    kind = models.CharField(_("loại"), max_length=10, choices=FeeKind.choices)
    name = models.CharField(_("tên khoản thu"), max_length=500)
    amount = models.PositiveBigIntegerField(
        _("mức thu (đồng)"),
        null=True,
        blank=True,
        help_text=_("Để trống khi mức thu tùy trường hợp."),
    )
    basis = models.TextField(
        _("cách tính"),
        blank=True,
        help_text=_("Ví dụ: 0,5% giá trị chuyển nhượng; 2.000 đồng/trang."),
    )
    collected_by = models.CharField(
        _("nơi thu"), max_length=20, choices=FeeCollector.choices, default=FeeCollector.CENTER
    )

    class Meta:
        ordering = ["version_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="catalog_fee_position"),
            models.CheckConstraint(condition=Q(kind__in=FeeKind.values), name="catalog_fee_kind"),
            models.CheckConstraint(
                condition=Q(collected_by__in=FeeCollector.values), name="catalog_fee_collector"
            ),
        ]
        verbose_name = _("phí, lệ phí")
        verbose_name_plural = _("phí, lệ phí")

    def __str__(self) -> str:
        return self.name


class WorkflowStep(ImmutableRowMixin, models.Model):
    """One step of a version's internal workflow (quy trình nội bộ).

    Steps of the same `stage` run in parallel (e.g. consultations) and the next stage starts when
    all of them are done. The budget is in the version's statutory unit; the stages' budgets
    (the longest step of each stage) add up to at most the statutory time.
    """

    version = models.ForeignKey(
        ProcedureVersion, on_delete=models.CASCADE, related_name="workflow_steps"
    )
    position = models.PositiveSmallIntegerField(_("thứ tự"))
    stage = models.PositiveSmallIntegerField(_("giai đoạn"))
    code = models.CharField(_("mã bước"), max_length=40)
    name = models.CharField(_("tên bước"), max_length=300)
    kind = models.CharField(_("loại bước"), max_length=20, choices=StepKind.choices)
    unit = models.ForeignKey(
        "agencies.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("đơn vị")
    )
    role = models.CharField(_("vai trò thực hiện"), max_length=40)
    budget = models.DecimalField(_("thời gian"), max_digits=7, decimal_places=2)

    class Meta:
        ordering = ["version_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="catalog_step_position"),
            models.UniqueConstraint(fields=["version", "code"], name="catalog_step_code"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="catalog_step_budget"),
            models.CheckConstraint(condition=Q(kind__in=StepKind.values), name="catalog_step_kind"),
        ]
        verbose_name = _("bước quy trình")
        verbose_name_plural = _("quy trình nội bộ")

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"
