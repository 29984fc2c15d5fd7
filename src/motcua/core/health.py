"""Liveness and readiness probes for the load balancer and the service manager.

Neither touches the session or the CSRF cookie, and a failing readiness is a warning in the
log, not an error: a database restart must not page anybody twice.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.urls import resolve

logger = logging.getLogger(__name__)

# Looked up, never written: exists() proves the storage answers without a write per probe.
STORAGE_PROBE_KEY = ".motcua-readyz"

# Loading the migration graph costs more than the other checks together; once every migration
# is applied, a running process keeps that answer (a new migration comes with a new deploy).
_migrations_applied = False


def _database(alias: str) -> Callable[[], None]:
    def check() -> None:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    return check


def _cache() -> None:
    key, value = f"motcua:readyz:{secrets.token_hex(4)}", secrets.token_hex(8)
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise RuntimeError("the cache did not return what was just stored")
    cache.delete(key)


def _storage() -> None:
    default_storage.exists(STORAGE_PROBE_KEY)


def _migrations() -> None:
    global _migrations_applied
    if _migrations_applied:
        return
    executor = MigrationExecutor(connections["default"])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise RuntimeError("unapplied migrations")
    _migrations_applied = True


def forget_migration_check() -> None:
    """Check the migrations again on the next probe (after migrating a running process)."""
    global _migrations_applied
    _migrations_applied = False


def readiness_checks() -> dict[str, Callable[[], None]]:
    checks = {f"database:{alias}": _database(alias) for alias in connections}
    checks |= {"cache": _cache, "storage": _storage, "migrations": _migrations}
    return checks


class ProbeMiddleware:
    """Answers the probes and the scraper before host validation, the HTTPS redirect and sessions.

    Load balancers, service managers and Prometheus reach each app node by its address, over
    plain HTTP, without cookies: the Host they send is not a site name, and nothing in these
    answers depends on it. The views stay in core/urls.py, so they are resolved, named and
    reversed like any other.
    """

    PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info not in self.PATHS:
            return self.get_response(request)
        match = resolve(request.path_info)
        request.resolver_match = match
        response: HttpResponseBase = match.func(request, *match.args, **match.kwargs)
        return response


def _probe_response(body: Mapping[str, object], *, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    # Django logs every 5xx as an error; an unready instance is the probe's answer, not a bug.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def liveness_view(request: HttpRequest) -> JsonResponse:
    """The process answers: nothing else is asked, so a slow database never restarts it."""
    return _probe_response({"status": "ok"})


def readiness_view(request: HttpRequest) -> JsonResponse:
    """Ready to serve: every database, the cache, the storage, and no unapplied migration."""
    results: dict[str, str] = {}
    for name, check in readiness_checks().items():
        try:
            check()
        # Whatever a backend raises (driver, network, file system) means "not ready".
        except Exception as error:
            # The class only: messages can carry host names, user names or file paths.
            logger.warning("Readiness check %s failed: %s", name, type(error).__name__)
            results[name] = "failing"
        else:
            results[name] = "ok"
    failing = [name for name, result in results.items() if result != "ok"]
    if failing:
        body = {"status": "unavailable", "failing": failing, "checks": results}
        return _probe_response(body, status=503)
    return _probe_response({"status": "ok", "checks": results})
