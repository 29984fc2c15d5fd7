"""The evaluation of procedure handling (danh-gia-giai-quyet): the summary of a period, its
Excel version, the evaluated dossiers, and one dossier's evaluation with the entry form."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from motcua.backoffice import evaluation_views

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "danh-gia-giai-quyet/",
        evaluation_views.evaluation_summary_view,
        name="evaluation_summary",
    ),
    path(
        "danh-gia-giai-quyet/danh-gia-giai-quyet.xlsx",
        evaluation_views.evaluation_summary_xlsx,
        name="evaluation_summary_xlsx",
    ),
    path(
        "danh-gia-giai-quyet/ho-so/",
        evaluation_views.evaluation_dossiers_view,
        name="evaluation_dossiers",
    ),
    path(
        "danh-gia-giai-quyet/ho-so/<str:code>/",
        evaluation_views.evaluation_dossier_view,
        name="evaluation_dossier",
    ),
    path(
        "danh-gia-giai-quyet/ho-so/<str:code>/bo-diem/",
        evaluation_views.evaluation_entry_clear_view,
        name="evaluation_entry_clear",
    ),
]
