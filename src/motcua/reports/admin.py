"""Admin for what the reports are measured against: each indicator's points and target per year
(seeded by `manage.py seed_index766`), and the online-service targets per year. Changes go
through the services, which log them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from motcua.reports.models import IndicatorSetting, OnlineTarget
from motcua.reports.services import (
    indicator_setting_save,
    online_target_delete,
    online_target_save,
)


@admin.register(IndicatorSetting)
class IndicatorSettingAdmin(admin.ModelAdmin):
    """A year's rows are created by the seed; here their points and targets are changed."""

    list_display = ("year", "code", "name", "group", "maximum", "target", "updated_at")
    list_display_links = ("code", "name")
    list_filter = ("year", "group")
    ordering = ("-year", "code")
    readonly_fields = ("year", "code", "group", "updated_at", "updated_by")
    fields = (
        "year",
        "code",
        "group",
        "name",
        "maximum",
        "target",
        "note",
        "updated_at",
        "updated_by",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A year is seeded whole (manage.py seed_index766 --year N), so that no indicator is
        # missing and the group totals hold.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        indicator_setting_save(actor=request.user, setting=obj)


@admin.register(OnlineTarget)
class OnlineTargetAdmin(admin.ModelAdmin):
    list_display = (
        "year",
        "scope",
        "level3_share",
        "level4_share",
        "online_received_share",
        "online_returned_share",
        "updated_at",
    )
    list_filter = ("year",)
    list_select_related = ("unit",)
    ordering = ("-year", "unit__path")
    autocomplete_fields = ("unit",)
    readonly_fields = ("updated_at", "updated_by")
    fields = (
        "year",
        "unit",
        "level3_share",
        "level4_share",
        "online_received_share",
        "online_returned_share",
        "note",
        "updated_at",
        "updated_by",
    )

    @admin.display(description=_("áp dụng cho"), ordering="unit__path")
    def scope(self, obj: OnlineTarget) -> Any:
        return obj.unit or _("Trung tâm (chung)")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        online_target_save(actor=request.user, target=obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        online_target_delete(actor=request.user, target=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[OnlineTarget]) -> None:
        for target in queryset:
            online_target_delete(actor=request.user, target=target)
