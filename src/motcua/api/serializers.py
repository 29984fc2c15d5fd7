"""Pieces shared by the API classes: the problem-details shape, aware datetimes, unit refs,
pagination."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

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

from motcua.api.errors import PROBLEM_CONTENT_TYPE


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
    429: "Too many attempts; see the Retry-After header.",
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


class Pagination(LimitOffsetPagination):
    max_limit = 200


PAGE_PARAMETERS = [
    OpenApiParameter("limit", int, description="Items per page (default 50, at most 200)."),
    OpenApiParameter("offset", int, description="Items to skip."),
]


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
