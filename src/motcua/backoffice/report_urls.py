"""Supervision and statistics: the live dashboard (giam-sat), the dossiers behind its numbers,
and the operational report (bao-cao) with its Excel and PDF versions."""

from django.urls import URLPattern, URLResolver, path

from motcua.backoffice import report_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("giam-sat/", report_views.stats_dashboard, name="stats_dashboard"),
    path("giam-sat/ho-so/", report_views.stats_dossiers, name="stats_dossiers"),
    path("bao-cao/", report_views.operational_report_view, name="operational_report"),
    path(
        "bao-cao/bao-cao.xlsx",
        report_views.operational_report_xlsx,
        name="operational_report_xlsx",
    ),
    path(
        "bao-cao/bao-cao.pdf",
        report_views.operational_report_pdf,
        name="operational_report_pdf",
    ),
]
