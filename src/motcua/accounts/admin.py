from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import ExternalIdentity, User


class ExternalIdentityInline(admin.TabularInline):
    model = ExternalIdentity
    extra = 0
    fields = ("issuer", "subject", "created_at", "last_login_at")
    readonly_fields = fields
    can_delete = True

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(User)
class MotcuaUserAdmin(UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("motcua", {"fields": ("full_name", "is_system")}),
        (
            _("Công dân"),
            {"fields": ("is_citizen", "id_number", "id_number_verified", "phone")},
        ),
    )
    list_display = ("username", "full_name", "email", "phone", "is_citizen", "is_staff")
    list_filter = ("is_citizen", "is_staff", "is_active")
    search_fields = ("username", "full_name", "email", "phone", "id_number")
    inlines = [ExternalIdentityInline]
