from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from motcua.accounts.models import ExternalIdentity, SecondFactor, User
from motcua.accounts.officer_signin import second_factor_require, second_factor_reset
from motcua.core.errors import DomainError


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
        # Changed only through the actions, which record who changed it.
        (
            _("Xác thực hai lớp"),
            {"fields": ("second_factor_required", "second_factor_enrolled")},
        ),
        (
            _("Công dân"),
            {"fields": ("is_citizen", "id_number", "id_number_verified", "phone")},
        ),
    )
    readonly_fields = ("second_factor_required", "second_factor_enrolled")
    list_display = ("username", "full_name", "email", "phone", "is_citizen", "is_staff")
    list_filter = ("is_citizen", "is_staff", "is_active", "second_factor_required")
    search_fields = ("username", "full_name", "email", "phone", "id_number")
    inlines = [ExternalIdentityInline]
    actions = ["require_second_factor", "stop_requiring_second_factor", "reset_second_factor"]

    @admin.display(description=_("đã đăng ký xác thực hai lớp"), boolean=True)
    def second_factor_enrolled(self, obj: User) -> bool:
        return SecondFactor.objects.filter(user=obj).exists()

    @admin.action(description=_("Bắt buộc xác thực hai lớp"), permissions=["change"])
    def require_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._require(request, queryset, required=True)

    @admin.action(description=_("Bỏ bắt buộc xác thực hai lớp"), permissions=["change"])
    def stop_requiring_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._require(request, queryset, required=False)

    def _require(self, request: HttpRequest, queryset: QuerySet[User], *, required: bool) -> None:
        for user in queryset:
            second_factor_require(actor=request.user, user=user, required=required)
        self.message_user(request, _("Đã cập nhật."), messages.SUCCESS)

    @admin.action(
        description=_("Đặt lại xác thực hai lớp (mất điện thoại)"), permissions=["change"]
    )
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done = 0
        for user in queryset:
            try:
                second_factor_reset(actor=request.user, user=user)
            except DomainError as error:
                self.message_user(request, str(error.message), messages.WARNING)
            else:
                done += 1
        message = ngettext(
            "Đã đặt lại xác thực hai lớp của %(count)d tài khoản.",
            "Đã đặt lại xác thực hai lớp của %(count)d tài khoản.",
            done,
        )
        self.message_user(request, message % {"count": done}, messages.SUCCESS)
