"""The public procedure catalogue: list, and the detail of the version in force."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from motcua.api.base import PublicApi
from motcua.api.serializers import (
    PAGE_PARAMETERS,
    Pagination,
    StringField,
    UnitSerializer,
    page_of,
    problems,
    query_of,
)
from motcua.catalog.models import (
    ComponentForm,
    FeeCollector,
    FeeKind,
    OnlineMode,
    ProcedureVersion,
    StatutoryUnit,
)
from motcua.catalog.selectors import (
    procedure_current_version,
    procedure_get,
    procedure_list,
    version_get,
)


# What the list and the detail both say about a procedure's version in force.
class _VersionSerializer(serializers.Serializer):
    national_code = serializers.CharField(source="procedure.national_code")
    name = serializers.CharField()
    sector = serializers.CharField(source="procedure.sector.code")
    sector_name = serializers.CharField(source="procedure.sector.name")
    version = serializers.IntegerField(source="number")
    statutory_amount = serializers.DecimalField(
        max_digits=7, decimal_places=2, coerce_to_string=False
    )
    statutory_unit = serializers.ChoiceField(choices=StatutoryUnit.choices)
    statutory_time_label = serializers.CharField(
        help_text='As printed on forms: "15 ngày làm việc".'
    )
    on_the_spot = serializers.BooleanField(source="is_on_the_spot")
    online_mode = serializers.ChoiceField(choices=OnlineMode.choices)
    competent_unit = UnitSerializer()
    receiving_unit = UnitSerializer()


@extend_schema_serializer(component_name="ProcedureComponent")
class _ComponentSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Send this id in `components` at intake.")
    position = serializers.IntegerField()
    name = serializers.CharField()
    form = serializers.ChoiceField(choices=ComponentForm.choices)
    form_label = serializers.CharField()
    quantity = serializers.IntegerField()
    mandatory = serializers.BooleanField(source="is_mandatory")
    note = serializers.CharField()


@extend_schema_serializer(component_name="FeeItem")
class _FeeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FeeKind.choices)
    name = serializers.CharField()
    amount = serializers.IntegerField(
        allow_null=True, help_text="In đồng; null when it depends on the case."
    )
    basis = serializers.CharField()
    collected_by = serializers.ChoiceField(choices=FeeCollector.choices)


# The catalogue is public information: no credentials needed.
class ProcedureListApi(PublicApi):
    class FilterSerializer(serializers.Serializer):
        search = StringField(
            required=False,
            default="",
            allow_blank=True,
            max_length=200,
            help_text="Code or name; accents optional.",
        )
        sector = StringField(
            required=False, default="", allow_blank=True, max_length=40, help_text="Sector code."
        )

    @extend_schema_serializer(component_name="ProcedureSummary")
    class OutputSerializer(_VersionSerializer):
        pass

    @extend_schema(
        operation_id="procedure_list",
        tags=["catalogue"],
        summary="List the procedures in force",
        description=(
            "Active procedures with their version in force, by national code. Public. "
            "`search` matches the code or the name with or without Vietnamese accents."
        ),
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses={200: page_of(OutputSerializer, "ProcedurePage"), **problems(400)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=query_of(request))
        filters.is_valid(raise_exception=True)
        procedures = procedure_list(
            search=filters.validated_data["search"], sector_code=filters.validated_data["sector"]
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(procedures, request, view=self)
        versions = [procedure.current_version for procedure in page or []]
        return paginator.get_paginated_response(self.OutputSerializer(versions, many=True).data)


class ProcedureDetailApi(PublicApi):
    @extend_schema_serializer(component_name="Procedure")
    class OutputSerializer(_VersionSerializer):
        is_active = serializers.BooleanField(source="procedure.is_active")
        result_type = serializers.CharField()
        financial_obligation = serializers.BooleanField()
        applicant_types = serializers.CharField()
        steps = serializers.CharField()
        method = serializers.CharField()
        requirements = serializers.CharField()
        legal_basis = serializers.CharField()
        published_at = serializers.DateTimeField()
        components = _ComponentSerializer(many=True)
        fee_items = _FeeSerializer(many=True)

    @extend_schema(
        operation_id="procedure_retrieve",
        tags=["catalogue"],
        summary="A procedure's version in force, with its components and fees",
        description=("Public. The component ids are what an intake sends back in `components`."),
        responses={200: OutputSerializer, **problems(404)},
    )
    def get(self, request: Request, national_code: str) -> Response:
        version = _version_in_force(national_code=national_code)
        return Response(self.OutputSerializer(version).data)


def _version_in_force(*, national_code: str) -> ProcedureVersion:
    procedure = procedure_get(national_code=national_code)
    return version_get(pk=procedure_current_version(procedure=procedure).pk)
