from django.contrib import admin

from motcua.audit.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("seq", "occurred_at", "kind", "target_type", "target_id", "actor_label")
    list_filter = ("kind", "target_type")
    search_fields = ("target_id",)

    # The log is append-only: the admin may read it, never change it.
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
