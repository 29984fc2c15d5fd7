"""Pieces shared by the API classes: the problem-details shape, aware datetimes, unit refs,
pagination."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_choice_field
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_serializer
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from motcua.core.errors import PROBLEM_CONTENT_TYPE, ValidationFailed


@extend_schema_serializer(component_name="ProblemFieldError")
class ProblemFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True, help_text="Dotted path of the field, e.g. applicant.id_number."
    )
    message = serializers.CharField()
    code = serializers.CharField()


@extend_schema_serializer(component_name="Problem")
class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, plus a stable `code` and, where known, the fields at fault."""

    type = serializers.URLField(help_text="https://motcua.vn/problems/<code>; an identifier.")
    title = serializers.CharField(help_text="Translated summary of the HTTP status.")
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="Translated explanation of this occurrence.")
    code = serializers.CharField(help_text="Stable machine-readable code.")
    field = serializers.CharField(required=False, help_text="The field at fault, when one is.")
    header = serializers.CharField(required=False, help_text="The request header at fault.")
    # DRF's metaclass moves declared fields off the class, so these names shadow nothing.
    errors = ProblemFieldErrorSerializer(  # type: ignore[assignment]
        many=True, required=False, help_text="Every field at fault, with its message."
    )
    missing = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="incomplete_dossier: ids of the mandatory components not received.",
    )


PROBLEM_DESCRIPTIONS = {
    400: "Bad input (validation_failed, or a domain code such as incomplete_dossier).",
    401: "No or invalid credentials.",
    403: "Authenticated but not allowed.",
    404: "Not found, or not visible to the caller.",
    409: (
        "Conflict with the dossier's state or an earlier request: wrong_state, wrong_step, "
        "already_assigned, supplement_once, apology_too_late, idempotency_key_reused, …"
    ),
    406: "No representation matches the Accept header (the API answers JSON).",
    415: "The body is not in a media type the operation takes (see its request body).",
    429: "Too many attempts; see the Retry-After header.",
    503: "The database cannot be reached for now; retry after Retry-After seconds.",
}


def problems(*statuses: int) -> dict[tuple[int, str], OpenApiResponse]:
    """Schema responses for error statuses, all in the problem-details shape."""
    return {
        (status, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            ProblemSerializer, description=PROBLEM_DESCRIPTIONS.get(status, "")
        )
        for status in statuses
    }


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 datetime that must carry its offset: a naive one is ambiguous, so refused."""

    default_error_messages = {
        "invalid": _(
            "Thời điểm phải theo ISO 8601 và có múi giờ, ví dụ 2027-02-03T16:59:00+07:00."
        ),
        "naive": _("Thời điểm phải có múi giờ, ví dụ 2027-02-03T16:59:00+07:00."),
    }

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


@extend_schema_serializer(component_name="UnitRef")
class UnitSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="Milestone")
class MilestoneSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    label = serializers.CharField()  # type: ignore[assignment]


# The pages' own message (already in the catalogue), for a query parameter that is not valid.
BAD_PARAMETER = _("Tham số «%(name)s» không hợp lệ.")
MAX_LIMIT = 200
# Far beyond any list, and within every database's integer for OFFSET.
MAX_OFFSET = 2**31 - 1


class Pagination(LimitOffsetPagination):
    """limit/offset pages; a limit or offset that is not a whole number in range is a 400, not
    silently the default."""

    max_limit = MAX_LIMIT

    def get_limit(self, request: Request) -> int:
        default = self.default_limit or MAX_LIMIT
        return _page_parameter(request, self.limit_query_param, low=1, high=MAX_LIMIT) or default

    def get_offset(self, request: Request) -> int:
        return _page_parameter(request, self.offset_query_param, low=0, high=MAX_OFFSET) or 0


def _page_parameter(request: Request, name: str, *, low: int, high: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    # Digits only: int() would also take "+5", " 5", "1_000" and other scripts' digits.
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ValidationFailed(BAD_PARAMETER % {"name": name}, extra={"field": name})
    return int(raw)


PAGE_PARAMETERS = [
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        description=f"Items per page (default 50, at most {MAX_LIMIT}).",
    ),
    OpenApiParameter(
        "offset",
        {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
        description="Items to skip.",
    ),
]


def query_of(request: Request) -> dict[str, str]:
    """The query parameters as a plain dict, for a filter serializer.

    Given a QueryDict, DRF reads an empty value (`?kind=`) as an absent one and silently applies
    the default; from a plain dict an empty value is a value, refused when it is not valid.
    """
    return request.query_params.dict()


class _SurrogatesRefused(ProhibitSurrogateCharactersValidator):
    message = _("Không được chứa ký tự thay thế (surrogate) U+{code_point:X}.")


class StringField(serializers.CharField):
    """A string of a body or a query: a number is refused rather than turned into text, as the
    schema says `type: string`; NUL and surrogate characters are refused, in our words."""

    default_error_messages = {"invalid": _("Giá trị phải là một chuỗi ký tự.")}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [_worded(validator) for validator in self.validators]

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def _worded(validator: Any) -> Any:
    if isinstance(validator, ProhibitNullCharactersValidator):
        return ProhibitNullCharactersValidator(message=_("Không được chứa ký tự NUL."))
    if isinstance(validator, ProhibitSurrogateCharactersValidator):
        return _SurrogatesRefused()
    return validator


class TrueFalseField(serializers.BooleanField):
    """A JSON boolean: true or false, not 0, 1, "yes" or "on" as DRF's BooleanField takes."""

    default_error_messages = {"invalid": _("Giá trị phải là true hoặc false.")}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


def paginate(
    *,
    queryset: QuerySet[Any],
    request: Request,
    view: Any,
    serializer: type[serializers.Serializer],
) -> Response:
    """One page of `queryset` in the limit/offset envelope (count, next, previous, results)."""
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


@cache
def page_of(serializer: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The schema of a page of `serializer` items (for extend_schema only)."""

    @extend_schema_serializer(component_name=name)
    class PageSerializer(serializers.Serializer):
        count = serializers.IntegerField()
        next = serializers.URLField(allow_null=True)
        previous = serializers.URLField(allow_null=True)
        results = serializer(many=True)

    return PageSerializer


@extend_schema_serializer(component_name="UserRef")
class UserSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")


class NamedChoiceField(serializers.ChoiceField):
    """A choice whose schema is the enum component `enum_name`, wherever the field appears.

    The schema generator names an inline enum after its field ("kind", "channel") and falls back
    to hashed names when one field name covers several choice sets (a step's kind, a fee's
    kind…). Naming the component here keeps the committed schema readable and stable.
    """

    def __init__(self, *, enum_name: str, **kwargs: Any) -> None:
        self.enum_name = enum_name
        super().__init__(**kwargs)


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField

    def get_name(self) -> str:
        return str(self.target.enum_name)

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        schema = build_choice_field(self.target)
        schema.pop("x-spec-enum-id", None)
        return schema
