"""A database that cannot be reached answers 503, never a 500 with its traceback.

While PostgreSQL restarts, fails over or refuses connections, every request that needs it fails.
This middleware turns those failures into 503 Service Unavailable with Retry-After: problem
details (RFC 9457) for the API and for clients that do not take HTML, a short translated page
for people. Nothing about the failure (driver, SQL, host) is shown. The process keeps running:
Django drops a connection found broken at the end of the request, and with CONN_HEALTH_CHECKS a
persistent connection is checked before reuse, so the first request after the database is back
is served by the same process.

Only failures to reach the database are answered so; a query error (a bug, a missing table) stays
a 500 that is logged and fixed.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from motcua.core.errors import PROBLEM_CONTENT_TYPE, problem_body

logger = logging.getLogger(__name__)

# Long enough for a restart or a failover to finish, short enough that a counter retries soon.
RETRY_AFTER_SECONDS = 5
# PostgreSQL's SQLSTATEs for "not there for us now": connection exceptions (class 08), too many
# connections and other exhausted resources (class 53), and the administrator's or a crash's
# shutdown and a server still starting up (57P01-57P03). psycopg gives no SQLSTATE when it could
# not connect at all or the server closed the connection: those are failures to reach it too.
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53")
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
# SQLite: the file cannot be opened, or another process held its lock past the timeout.
_UNAVAILABLE_SQLITE_ERRORS = frozenset({"SQLITE_CANTOPEN", "SQLITE_BUSY"})


def database_unreachable(error: BaseException) -> bool:
    """Whether a database error means the database cannot be reached (rather than a bad query)."""
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    # Django re-raises the driver's exception as its own, from the driver's.
    cause = error.__cause__
    if isinstance(cause, sqlite3.Error):
        return getattr(cause, "sqlite_errorname", "") in _UNAVAILABLE_SQLITE_ERRORS
    if cause is None or not hasattr(cause, "sqlstate"):
        return False
    sqlstate = cause.sqlstate
    return (
        sqlstate is None
        or sqlstate.startswith(_UNAVAILABLE_SQLSTATE_CLASSES)
        or sqlstate in _UNAVAILABLE_SQLSTATES
    )


class DatabaseUnavailableMiddleware:
    """Outermost but for SecurityMiddleware, so its hook sees what every other one let through."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_unreachable(exception):
            return None
        # The kind of failure only: its message may carry a host name or a query's values.
        logger.warning(
            "Database unreachable, answered 503 to %s %s: %s",
            request.method,
            request.path,
            type(exception.__cause__ or exception).__name__,
        )
        return unavailable_response(request)


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After, as problem details or as a page, never cached."""
    title = _("Dịch vụ tạm thời gián đoạn")
    detail = _("Hệ thống đang tạm thời gián đoạn. Vui lòng thử lại sau ít phút.")
    if _wants_problem_details(request):
        body = problem_body(
            status=503,
            code="service_unavailable",
            title=title,
            detail=detail,
            extra={"retry_after": RETRY_AFTER_SECONDS},
        )
        response = HttpResponse(
            json.dumps(body, ensure_ascii=False), status=503, content_type=PROBLEM_CONTENT_TYPE
        )
    else:
        response = HttpResponse(_page(title, detail), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _wants_problem_details(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or not request.accepts("text/html")


def _page(title: str, detail: str) -> str:
    # Built here rather than from a template: the site's templates run context processors that
    # read the database, which is exactly what is missing.
    return format_html(
        '<!doctype html><html lang="{}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{}</title></head><body><main><p>{}</p><h1>{}</h1><p>{}</p></main></body></html>",
        get_language() or settings.LANGUAGE_CODE,
        title,
        settings.MOTCUA_CENTER_NAME,
        title,
        detail,
    )
