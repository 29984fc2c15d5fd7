from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from motcua.accounts.models import User


@admin.register(User)
class MotcuaUserAdmin(UserAdmin):
    fieldsets = (*(UserAdmin.fieldsets or ()), ("motcua", {"fields": ("full_name", "is_system")}))
    list_display = ("username", "full_name", "email", "is_staff", "is_system")
