"""Logs without personal data: a request id on every line, JSON on demand, and a scrubbing filter.

The filters and the formatter are named in settings.LOGGING; the middleware gives each request
its id (accepted from X-Request-ID or generated) and writes one access line per request.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponseBase

_request_id: ContextVar[str | None] = ContextVar("motcua_request_id", default=None)
_route: ContextVar[str | None] = ContextVar("motcua_route", default=None)
_method: ContextVar[str | None] = ContextVar("motcua_method", default=None)

access_logger = logging.getLogger("motcua.access")
# Probes and scrapes come every few seconds from machines; their access lines would drown the rest.
QUIET_ROUTES = frozenset({"core:healthz", "core:readyz", "core:metrics"})

# A proxy's id (nginx $request_id, a load balancer's trace id) is kept when it looks like one;
# anything longer or with other characters could forge log lines, so a fresh id replaces it.
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def route_of(request: HttpRequest) -> str:
    """The resolved route name ("portal:lookup"), never the path: paths carry dossier codes."""
    match = request.resolver_match
    return match.view_name if match is not None else "unmatched"


def request_id_of(header: str | None) -> str:
    if header and _REQUEST_ID.fullmatch(header):
        return header
    # As random as a UUID4, at a third of the cost: this runs on every request.
    return os.urandom(16).hex()


class RequestLogMiddleware:
    """Gives the request an id for every log line it causes, and logs one access line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_of(request.META.get("HTTP_X_REQUEST_ID"))
        # Kept until the response is closed (request_finished), not only until it leaves the
        # middleware: Django logs a 4xx or 5xx after that, and the server its access line.
        _request_id.set(request_id)
        _method.set(request.method)
        _route.set(None)
        started = perf_counter()
        response = self.get_response(request)
        response.headers["X-Request-ID"] = request_id
        if access_logger.isEnabledFor(logging.INFO) and route_of(request) not in QUIET_ROUTES:
            self._log_access(request, response, started)
        return response

    def process_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        _route.set(route_of(request))

    def _log_access(self, request: HttpRequest, response: HttpResponseBase, started: float) -> None:
        duration_ms = round((perf_counter() - started) * 1000, 1)
        access_logger.info(
            "%s %s %s",
            request.method,
            route_of(request),
            response.status_code,
            extra={"status": response.status_code, "duration_ms": duration_ms},
        )


def _forget_request(sender: object, **kwargs: object) -> None:
    _request_id.set(None)
    _method.set(None)
    _route.set(None)


request_finished.connect(_forget_request, dispatch_uid="motcua.core.logs")


class RequestContextFilter(logging.Filter):
    """Stamps each record with the request it belongs to ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get() or "-"
        record.route = _route.get() or "-"
        record.method = _method.get() or "-"
        return True


# Order matters: ID numbers before phone numbers, addresses before the bare tokens in them.
_SCRUBBERS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Query strings carry lookup codes and secrets, search terms and tokens: drop them whole.
    (re.compile(r"((?:https?://[^\s/?#\"']+)?/[^\s?#\"']*)\?[^\s\"'#]*"), r"\1?[query]"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    # The 12-digit personal ID number (căn cước công dân).
    (re.compile(r"(?<!\d)\d{12}(?!\d)"), "[id-number]"),
    # Vietnamese phone numbers: 0 or +84 / 84, then 9 (mobile) or 10 (landline) digits,
    # written together or in groups.
    (re.compile(r"(?<![\w+])(?:\+84|84|0)[ .-]?(?:\d[ .-]?){8,9}\d(?!\d)"), "[phone]"),
    # A lookup secret next to its name ...
    (
        re.compile(
            r"(?i)((?:lookup_secret|secret|mã tra cứu|ma tra cuu)\W{0,3})[2-9A-HJKMNP-Z]{8}\b"
        ),
        r"\1[secret]",
    ),
    # ... or alone: eight characters of its alphabet with a digit and a letter among them.
    (
        re.compile(r"\b(?=[2-9A-HJKMNP-Z]*[2-9])(?=[2-9A-HJKMNP-Z]*[A-Z])[2-9A-HJKMNP-Z]{8}\b"),
        "[secret]",
    ),
)


def scrub(text: str) -> str:
    """Mask personal data: ID numbers, phone numbers, emails, lookup secrets, query strings."""
    for pattern, replacement in _SCRUBBERS:
        text = pattern.sub(replacement, text)
    return text


class PersonalDataFilter(logging.Filter):
    """Scrubs every record a handler writes, in its message, its arguments and its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        # A bad format string must not lose the record: its template is scrubbed instead.
        except Exception:
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for a log collector."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "route": getattr(record, "route", None),
            "method": getattr(record, "method", None),
        }
        for field in ("status", "duration_ms"):
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)
