"""Admin bases for what only the services write (the catalogue's publish, the sweeps, the
reviewers' page): the admin is for looking, never for adding, changing or deleting."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(_ReadOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    pass


class ReadOnlyInline(_ReadOnly, admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False
