"""Probes and metrics, at the root and without a trailing slash, as probes are usually written."""

from __future__ import annotations

from django.urls import path

from motcua.core.health import liveness_view, readiness_view
from motcua.core.metrics import metrics_view

app_name = "core"

urlpatterns = [
    path("healthz", liveness_view, name="healthz"),
    path("readyz", readiness_view, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
]
