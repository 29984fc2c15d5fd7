"""Supervision and statistics, read-only (see `motcua.api.reports` and docs/api.md)."""

from __future__ import annotations

from django.urls import path

from motcua.api import reports

urlpatterns = [
    path("reports/operational/", reports.OperationalReportApi.as_view(), name="report_operational"),
    path(
        "reports/operational/dossiers/",
        reports.MeasureDossierListApi.as_view(),
        name="report_dossiers",
    ),
    path("reports/dashboard/", reports.DashboardApi.as_view(), name="report_dashboard"),
    path("reports/index-766/", reports.Index766Api.as_view(), name="report_index766"),
    path("alerts/", reports.AlertListApi.as_view(), name="alert_list"),
]
