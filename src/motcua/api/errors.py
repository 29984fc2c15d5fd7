"""Every API error as RFC 9457 problem details, with a stable `code` and a translated `detail`.

Services raise `motcua.core.errors.DomainError`; DRF raises its own exceptions while parsing,
authenticating and validating. Both end here, so a client sees one shape whatever went wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from motcua.core.errors import PROBLEM_CONTENT_TYPE, DomainError, problem_body
from motcua.core.errors import Throttled as DomainThrottled

# A short summary per HTTP status: the RFC's `title`, the same for every problem of that kind.
TITLES = {
    400: gettext_lazy("Yêu cầu không hợp lệ"),
    401: gettext_lazy("Chưa xác thực"),
    403: gettext_lazy("Không có quyền"),
    404: gettext_lazy("Không tìm thấy"),
    405: gettext_lazy("Phương thức không được hỗ trợ"),
    406: gettext_lazy("Không có định dạng phản hồi phù hợp"),
    409: gettext_lazy("Xung đột"),
    415: gettext_lazy("Kiểu nội dung không được hỗ trợ"),
    429: gettext_lazy("Quá nhiều yêu cầu"),
}

# Stable codes and translated messages for DRF's own exceptions; DRF's Vietnamese catalogue
# is incomplete, so the API says these in its own words.
DRF_PROBLEMS: dict[type[exceptions.APIException], tuple[str, Any]] = {
    exceptions.NotAuthenticated: (
        "not_authenticated",
        gettext_lazy("Cần xác thực: gửi tiêu đề Authorization: Token <khóa> hoặc đăng nhập."),
    ),
    exceptions.AuthenticationFailed: (
        "authentication_failed",
        gettext_lazy("Thông tin xác thực không hợp lệ (mã thông báo sai hoặc tài khoản bị khóa)."),
    ),
    exceptions.PermissionDenied: (
        "permission_denied",
        gettext_lazy("Bạn không có quyền thực hiện thao tác này."),
    ),
    exceptions.NotFound: ("not_found", gettext_lazy("Không tìm thấy tài nguyên được yêu cầu.")),
    exceptions.MethodNotAllowed: (
        "method_not_allowed",
        gettext_lazy("Phương thức HTTP này không được hỗ trợ tại địa chỉ này."),
    ),
    exceptions.NotAcceptable: (
        "not_acceptable",
        gettext_lazy("Không thể trả lời theo định dạng yêu cầu trong tiêu đề Accept."),
    ),
    exceptions.UnsupportedMediaType: (
        "unsupported_media_type",
        gettext_lazy("Kiểu nội dung không được hỗ trợ; hãy gửi application/json."),
    ),
    exceptions.ParseError: (
        "parse_error",
        gettext_lazy("Nội dung yêu cầu không đọc được (JSON không hợp lệ)."),
    ),
    exceptions.Throttled: (
        "throttled",
        gettext_lazy("Quá nhiều yêu cầu; vui lòng thử lại sau."),
    ),
}

# Services name fields after model columns; the API names them after the request body.
FIELD_NAMES = {
    "applicant_kind": "applicant.kind",
    "applicant_name": "applicant.name",
    "applicant_id_number": "applicant.id_number",
    "applicant_address": "applicant.address",
    "applicant_phone": "applicant.phone",
    "applicant_email": "applicant.email",
}


def problem_response(
    *, status: int, code: str, detail: str, extra: dict[str, Any] | None = None, headers=None
) -> Response:
    """A problem-details response; `extra` members are added next to the RFC 9457 ones."""
    body = problem_body(
        status=status, code=code, title=TITLES.get(status, _("Lỗi")), detail=detail, extra=extra
    )
    return Response(body, status=status, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def problem_details_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: domain and DRF errors as problem details; anything else is a 500."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, DomainError):
        set_rollback()
        return _domain_problem(exc)
    if isinstance(exc, exceptions.ValidationError):
        set_rollback()
        return _validation_problem(exc)
    if isinstance(exc, exceptions.APIException):
        set_rollback()
        return _drf_problem(exc)
    return None


def _domain_problem(exc: DomainError) -> Response:
    extra = dict(exc.extra)
    headers = {}
    if isinstance(exc, DomainThrottled):
        # The service counts failures over a window; waiting one window always clears it.
        retry_after = int(extra.pop("retry_after", settings.MOTCUA_LOOKUP_WINDOW_SECONDS))
        headers["Retry-After"] = str(retry_after)
    field = extra.get("field")
    if field:
        extra["field"] = FIELD_NAMES.get(field, field)
        extra["errors"] = [{"field": extra["field"], "message": str(exc.message), "code": exc.code}]
    return problem_response(
        status=exc.status, code=exc.code, detail=str(exc.message), extra=extra, headers=headers
    )


def _validation_problem(exc: exceptions.ValidationError) -> Response:
    errors = [
        {
            "field": field or None,
            "message": str(message),
            "code": getattr(message, "code", "invalid"),
        }
        for field, message in _flatten(exc.detail, prefix="")
    ]
    extra: dict[str, Any] = {"errors": errors}
    if len(errors) == 1:
        detail = str(errors[0]["message"])
        if errors[0]["field"]:
            extra["field"] = errors[0]["field"]
    else:
        detail = _("Dữ liệu gửi lên không hợp lệ.")
    return problem_response(status=400, code="validation_failed", detail=detail, extra=extra)


def _flatten(detail: Any, *, prefix: str) -> Iterator[tuple[str, Any]]:
    """Nested DRF error details as (dotted field path, message): "components.0.id"."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            yield from _flatten(value, prefix=_join(prefix, name))
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        for index, item in enumerate(detail):
            yield from _flatten(item, prefix=_join(prefix, str(index)))
    elif isinstance(detail, list):
        for message in detail:
            yield prefix, message
    else:
        yield prefix, detail


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix and name else prefix or name


def _drf_problem(exc: exceptions.APIException) -> Response:
    headers = {}
    # APIView.handle_exception sets auth_header; Throttled carries wait (seconds).
    if auth_header := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if wait := getattr(exc, "wait", None):
        headers["Retry-After"] = f"{int(wait)}"
    code, message = _drf_code_and_message(exc)
    return problem_response(status=exc.status_code, code=code, detail=str(message), headers=headers)


def _drf_code_and_message(exc: exceptions.APIException) -> tuple[str, Any]:
    for kind in type(exc).__mro__:
        if kind in DRF_PROBLEMS:
            return DRF_PROBLEMS[kind]
    return exc.default_code, exc.detail
