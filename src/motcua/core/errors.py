"""One error hierarchy. Services raise these; the API renders them as problem details (RFC 9457)
and the HTML side shows the translated message."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise

# RFC 9457 problem details, as the API renders every error (api.errors) and as the core answers
# when the database is unreachable (core.unavailable): one shape whoever builds it.
PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://motcua.vn/problems/"


def problem_body(
    *,
    status: int,
    code: str,
    title: str | Promise,
    detail: str | Promise,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The members of one problem: the RFC's five and our stable `code`, then `extra`."""
    return {
        "type": f"{PROBLEM_TYPE_BASE}{code}",
        "title": str(title),
        "status": status,
        "detail": str(detail),
        "code": code,
        **(extra or {}),
    }


class DomainError(Exception):
    """A refusal the caller can understand and correct; never a 500."""

    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str | Promise,
        *,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.extra = extra or {}


class ValidationFailed(DomainError):
    status = 400
    code = "validation_failed"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Throttled(DomainError):
    status = 429
    code = "throttled"
