"""Admin for the catalogue: for looking things up only. Changes go through ``import_catalog``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Role
from motcua.catalog.models import (
    FeeItem,
    OnlineMode,
    Procedure,
    ProcedureComponent,
    ProcedureVersion,
    Sector,
    WorkflowStep,
    format_amount,
)
from motcua.core.admin import ReadOnlyAdmin, ReadOnlyInline
from motcua.lib.jsonform import form_fields

IMMUTABLE_NOTE = _(
    "Phiên bản đã công bố là bất biến: hồ sơ đã tiếp nhận theo phiên bản nào thì giữ nguyên "
    "phiên bản đó. Muốn thay đổi thủ tục, hãy sửa tệp danh mục và chạy lệnh import_catalog "
    "để công bố phiên bản mới."
)


@admin.register(Sector)
class SectorAdmin(ReadOnlyAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Procedure)
class ProcedureAdmin(ReadOnlyAdmin):
    list_display = ("national_code", "name", "sector", "current_number", "current_online_mode")
    list_filter = ("sector", "is_active")
    search_fields = ("national_code", "name", "search_text")
    list_select_related = ("sector",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Procedure]:
        # Annotated rather than read per row, so the list costs the same for 10 or 1,000 rows.
        latest = ProcedureVersion.objects.filter(procedure=OuterRef("pk")).order_by("-number")
        return (
            super()
            .get_queryset(request)
            .annotate(
                current_number=Subquery(latest.values("number")[:1]),
                current_online_mode=Subquery(latest.values("online_mode")[:1]),
            )
        )

    @admin.display(description=_("phiên bản hiện hành"), ordering="current_number")
    def current_number(self, obj: Any) -> int | None:
        return obj.current_number

    @admin.display(description=_("dịch vụ công trực tuyến"))
    def current_online_mode(self, obj: Any) -> str:
        mode = obj.current_online_mode
        return str(OnlineMode(mode).label) if mode else "—"


class ComponentInline(ReadOnlyInline):
    model = ProcedureComponent
    fields = ("position", "name", "form", "quantity", "is_mandatory", "note")


class FeeItemInline(ReadOnlyInline):
    model = FeeItem
    fields = ("position", "kind", "name", "amount", "basis", "collected_by")


class WorkflowStepInline(ReadOnlyInline):
    """The version's internal workflow, read-only like the version itself."""

    model = WorkflowStep
    fields = ("position", "stage", "code", "name", "kind", "unit", "role_label", "budget_label")
    readonly_fields = fields
    ordering = ("position",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[WorkflowStep]:
        return super().get_queryset(request).select_related("unit")

    @admin.display(description=_("vai trò thực hiện"))
    def role_label(self, obj: WorkflowStep) -> str:
        # The field holds a plain agencies.Role value, without choices, so the label is looked up.
        return str(Role(obj.role).label) if obj.role in Role.values else obj.role

    @admin.display(description=_("thời gian"))
    def budget_label(self, obj: WorkflowStep) -> str:
        return format_amount(obj.budget)


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(ReadOnlyAdmin):
    list_display = (
        "procedure",
        "number",
        "statutory_time_label",
        "competent_unit",
        "online_mode",
        "published_at",
    )
    list_filter = ("online_mode", "statutory_unit", "procedure__sector")
    search_fields = ("procedure__national_code", "name")
    list_select_related = ("procedure", "competent_unit")
    inlines = (ComponentInline, FeeItemInline, WorkflowStepInline)
    readonly_fields = ("form_summary",)
    fieldsets = (
        (
            None,
            {
                "description": IMMUTABLE_NOTE,
                "fields": (
                    "procedure",
                    "number",
                    "name",
                    "competent_unit",
                    "receiving_unit",
                    ("statutory_amount", "statutory_unit"),
                    "is_on_the_spot",
                    "financial_obligation",
                    "pause_for_financial_obligation",
                    "result_type",
                    "result_is_document",
                    "online_mode",
                ),
            },
        ),
        (
            _("Nội dung công khai"),
            {"fields": ("applicant_types", "steps", "method", "legal_basis", "requirements")},
        ),
        (_("Tờ khai điện tử"), {"fields": ("form_summary", "form_schema")}),
        (_("Công bố"), {"fields": ("content_hash", "published_at", "published_by")}),
    )

    @admin.display(description=_("các trường của tờ khai"))
    def form_summary(self, obj: ProcedureVersion) -> SafeString | str:
        if not obj.form_schema:
            return str(_("Thủ tục này không có tờ khai điện tử."))
        rows = format_html_join(
            "",
            '<li>{}{} <code>{}</code> <span class="help">{}</span></li>',
            (
                (field.label, " *" if field.required else "", field.name, field.kind)
                for field in form_fields(obj.form_schema)
            ),
        )
        return format_html("<ol>{}</ol>", rows)

    @admin.display(description=_("thời hạn giải quyết"))
    def statutory_time_label(self, obj: ProcedureVersion) -> str:
        return obj.statutory_time_label

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "subtitle": IMMUTABLE_NOTE}
        return super().changelist_view(request, extra_context)
