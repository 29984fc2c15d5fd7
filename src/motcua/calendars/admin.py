from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from motcua.calendars.models import CalendarOverride
from motcua.calendars.services import (
    calendar_override_add,
    calendar_override_check_add,
    calendar_override_revoke,
)
from motcua.core.errors import DomainError


class CalendarOverrideAddForm(forms.ModelForm):
    class Meta:
        model = CalendarOverride
        fields = ("date", "kind", "unit", "note")
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def clean(self) -> dict[str, Any]:
        # Show the service's refusal next to the form rather than after submitting.
        cleaned = super().clean() or self.cleaned_data
        if not self.errors:
            try:
                calendar_override_check_add(
                    day=cleaned["date"],
                    kind=cleaned["kind"],
                    unit=cleaned.get("unit"),
                    note=cleaned["note"],
                )
            except DomainError as error:
                raise forms.ValidationError(str(error.message)) from error
        return cleaned

    def validate_unique(self) -> None:
        # Uniqueness is the service's rule (with its own message), not the model form's.
        return None


class YearFilter(admin.SimpleListFilter):
    title = _("năm")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        years = CalendarOverride.objects.dates("date", "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(date__year=self.value()) if self.value() else queryset


class ActiveFilter(admin.SimpleListFilter):
    title = _("hiệu lực")
    parameter_name = "active"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Đang áp dụng")), ("no", _("Đã thu hồi"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("yes", "no"):
            return queryset.filter(revoked_at__isnull=self.value() == "yes")
        return queryset


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    """Overrides are added through the service, revoked by an action, never edited or deleted."""

    form = CalendarOverrideAddForm
    list_display = ("date", "kind", "scope", "note", "active", "created_at", "created_by")
    list_filter = (YearFilter, "kind", ActiveFilter)
    list_select_related = ("unit", "created_by")
    search_fields = ("note", "unit__code", "unit__name")
    date_hierarchy = "date"
    ordering = ("-date", "-created_at")
    actions = ("revoke",)
    autocomplete_fields = ("unit",)
    readonly_fields = ("created_at", "created_by", "revoked_at", "revoked_by")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("date", "kind", "unit", "note")
        return ("date", "kind", "unit", "note", *self.readonly_fields)

    @admin.display(description=_("phạm vi"), ordering="unit__path")
    def scope(self, obj: CalendarOverride) -> Any:
        return obj.unit or _("Mọi đơn vị")

    @admin.display(description=_("đang áp dụng"), boolean=True)
    def active(self, obj: CalendarOverride) -> bool:
        return obj.is_active

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Existing rows are shown read-only; a change is a revoke plus a new override.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("calendars.change_calendaroverride")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        created = calendar_override_add(
            actor=request.user,
            day=obj.date,
            kind=obj.kind,
            unit=obj.unit,
            note=obj.note,
        )
        # The admin logs and redirects with the object it passed in; give it the saved row.
        obj.pk, obj.created_at, obj.created_by = created.pk, created.created_at, created.created_by

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # A refusal that slipped past the form (a concurrent add) is a message, never a 500.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            self.message_user(request, str(error.message), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(description=_("Thu hồi"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[CalendarOverride]) -> None:
        revoked = 0
        for override in queryset.filter(revoked_at__isnull=True):
            try:
                calendar_override_revoke(actor=request.user, override=override)
            except DomainError as error:
                self.message_user(request, f"{override}: {error.message}", messages.ERROR)
            else:
                revoked += 1
        message = ngettext(
            "Đã thu hồi %(count)d khai báo.", "Đã thu hồi %(count)d khai báo.", revoked
        )
        self.message_user(request, message % {"count": revoked}, messages.SUCCESS)
