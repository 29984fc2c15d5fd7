"""Prometheus metrics: requests by route, in-flight requests, database errors, backlogs.

With several app processes (granian or gunicorn workers) set PROMETHEUS_MULTIPROC_DIR to an
empty directory shared by them before they start: each process then writes its figures there
and /metrics adds them up, whichever worker answers the scrape.
"""

from __future__ import annotations

import glob
import hmac
import ipaddress
import logging
import os
import re
from collections.abc import Callable, Iterator
from time import perf_counter
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "motcua_http_requests",
    "HTTP requests answered, by route name, method and status class.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "motcua_http_request_duration_seconds",
    "Time from the first middleware to the response, by route name, method and status class.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
IN_FLIGHT = Gauge(
    "motcua_http_requests_in_progress",
    "Requests being answered right now.",
    multiprocess_mode="livesum",
)
DATABASE_ERRORS = Counter(
    "motcua_database_errors",
    "Statements the database refused or failed, by connection alias and error class.",
    ["alias", "error"],
)

# A method outside these is counted as "other", so a client cannot create label values at will.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")


class RequestMetricsMiddleware:
    """Counts and times every request under its route name; outermost, so it sees them all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        # labels() takes a lock and builds a key each time; the children are reused instead.
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        # A connection opened before this module was imported (while the app was set up) is
        # watched from now on; later ones are watched as they open (_watch_connection).
        for connection in connections.all(initialized_only=True):
            _watch_connection(sender=None, connection=connection)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = perf_counter()
        IN_FLIGHT.inc()
        try:
            response = self.get_response(request)
        finally:
            IN_FLIGHT.dec()
        match = request.resolver_match
        route = match.view_name if match is not None else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        status = _STATUS_CLASSES[min(max(response.status_code // 100, 1), 5) - 1]
        key = (route, method or "other", status)
        children = self._children.get(key)
        if children is None:
            children = (REQUESTS.labels(*key), LATENCY.labels(*key))
            self._children[key] = children
        children[0].inc()
        children[1].observe(perf_counter() - started)
        return response


def _count_database_errors(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    try:
        return execute(sql, params, many, context)
    except DatabaseError as error:
        DATABASE_ERRORS.labels(context["connection"].alias, type(error).__name__).inc()
        raise


def _watch_connection(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    # First in the list, so that code which pushes and pops its own wrapper around a block
    # (connection.execute_wrapper) still pops its own when a reconnection happens inside it.
    if _count_database_errors not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _count_database_errors)


connection_created.connect(_watch_connection, dispatch_uid="motcua.core.metrics")


class BacklogCollector(Collector):
    """Gauges counted when scraped, one COUNT query each (settings.MOTCUA_METRICS_BACKLOGS)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, (documentation, model_label, filters) in settings.MOTCUA_METRICS_BACKLOGS.items():
            model = apps.get_model(model_label)
            try:
                count = model._default_manager.filter(**filters).count()
            except DatabaseError as error:
                # The request figures are still worth a scrape while the database is away;
                # the gauge is missing, which an alert on absent() notices.
                logger.warning("Backlog %s not counted: %s", name, type(error).__name__)
                continue
            gauge = GaugeMetricFamily(name, documentation)
            gauge.add_metric([], count)
            yield gauge


def _reap_dead_processes(path: str) -> None:
    """Forget the in-flight count of workers that died (killed, restarted) without saying so."""
    for file in glob.glob(os.path.join(path, "gauge_live*_*.db")):
        found = re.search(r"_(\d+)\.db$", file)
        if found is None:
            continue
        pid = int(found.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, path)
        except PermissionError:
            # Alive, under another user.
            continue


def exposition() -> bytes:
    """Every metric in Prometheus' text format, added up over the app processes if several."""
    path = os.environ.get(MULTIPROCESS_DIR_VARIABLE)
    if path:
        _reap_dead_processes(path)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path)
        processes = generate_latest(registry)
    else:
        processes = generate_latest(REGISTRY)
    backlogs = CollectorRegistry(auto_describe=False)
    backlogs.register(BacklogCollector())
    return processes + generate_latest(backlogs)


def scrape_allowed(request: HttpRequest) -> bool:
    """With MOTCUA_METRICS_TOKEN: that bearer token; without: this machine, not through a proxy."""
    token = settings.MOTCUA_METRICS_TOKEN
    if token:
        sent = request.META.get("HTTP_AUTHORIZATION", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    # A reverse proxy on this machine connects from loopback too: a forwarded request came
    # from elsewhere.
    forwarded = any(
        header in request.META
        for header in ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")
    )
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return address.is_loopback and not forwarded


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not scrape_allowed(request):
        return HttpResponse(status=403)
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
