"""Admin for supervision: the escalation rules are edited here (through the service, which logs
each change); the alerts and urges sent are shown read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from motcua.core.admin import ReadOnlyAdmin, ReadOnlyInline
from motcua.core.errors import DomainError
from motcua.supervision.models import (
    Alert,
    AlertRecipient,
    EscalationRule,
    Urge,
    UrgeRecipient,
)
from motcua.supervision.services import escalation_rule_save


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    """Rules are switched off rather than deleted: the alerts they sent refer to them."""

    list_display = ("name", "subject", "trigger", "delay_hours", "told", "channels", "active")
    list_filter = ("subject", "trigger", "active")
    list_editable = ("active",)
    readonly_fields = ("updated_at",)
    fieldsets = (
        (None, {"fields": ("name", "subject", "trigger", "delay_hours", "active")}),
        (
            _("Báo cho ai"),
            {
                "fields": (
                    "tell_assignee",
                    "tell_department_head",
                    "tell_agency_head",
                    "tell_center_leaders",
                )
            },
        ),
        (
            _("Kênh gửi (luôn có trong danh sách cảnh báo của người nhận)"),
            {"fields": ("by_email", "by_sms")},
        ),
        (None, {"fields": ("updated_at",)}),
    )

    @admin.display(description=_("báo cho"))
    def told(self, obj: EscalationRule) -> str:
        return ", ".join(str(audience.label) for audience in obj.audiences)

    @admin.display(description=_("kênh"))
    def channels(self, obj: EscalationRule) -> str:
        names = [str(_("trong hệ thống"))]
        if obj.by_email:
            names.append(str(_("thư điện tử")))
        if obj.by_sms:
            names.append(str(_("SMS")))
        return ", ".join(names)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        escalation_rule_save(actor=request.user, rule=obj)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The form runs the model's checks first; a refusal that still reaches the service is
        # a message, never a 500.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            self.message_user(request, str(error.message), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class AlertRecipientInline(ReadOnlyInline):
    model = AlertRecipient
    fields = ("user", "audience", "read_at")
    readonly_fields = fields


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("sent_at", "dossier", "trigger", "unit", "rule")
    list_filter = ("trigger", "rule")
    list_select_related = ("dossier", "unit", "rule")
    search_fields = ("dossier__code",)
    date_hierarchy = "sent_at"
    inlines = (AlertRecipientInline,)


class UrgeRecipientInline(ReadOnlyInline):
    model = UrgeRecipient
    fields = ("user", "audience")
    readonly_fields = fields


@admin.register(Urge)
class UrgeAdmin(ReadOnlyAdmin):
    list_display = ("at", "unit", "urged_by", "message")
    list_select_related = ("unit", "urged_by")
    search_fields = ("dossiers__code", "unit__name", "message")
    date_hierarchy = "at"
    inlines = (UrgeRecipientInline,)
