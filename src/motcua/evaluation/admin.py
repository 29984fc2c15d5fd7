"""Admin for the entered evaluation points: read-only, since entering, changing and clearing go
through `evaluation.services` (the back-office page), which checks the role and logs each
change in the audit log."""

from __future__ import annotations

from django.contrib import admin

from motcua.core.admin import ReadOnlyAdmin
from motcua.evaluation.models import EvaluationEntry


@admin.register(EvaluationEntry)
class EvaluationEntryAdmin(ReadOnlyAdmin):
    list_display = ("dossier", "indicator", "points", "entered_by", "entered_at")
    list_filter = ("indicator", "points")
    search_fields = ("dossier__code",)
    list_select_related = ("dossier", "entered_by")
    ordering = ("-entered_at",)
