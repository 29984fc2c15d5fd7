"""The public lookup: a receipt holder's view of a dossier's progress, nothing personal."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from motcua.api.base import PublicApi
from motcua.api.serializers import MilestoneSerializer, StringField, problems
from motcua.core.proxy import client_address
from motcua.dossiers.lookup import dossier_lookup_check
from motcua.dossiers.models import DossierState, ResultChannel
from motcua.dossiers.selectors import dossier_milestones


# Anyone holding a receipt may ask: no credentials, and so no CSRF token either.
class DossierLookupApi(PublicApi):
    @extend_schema_serializer(component_name="Lookup")
    class InputSerializer(serializers.Serializer):
        code = StringField(max_length=60, help_text="Dossier code, as on the receipt.")
        secret = StringField(max_length=20, help_text="Lookup secret, as on the receipt.")

    @extend_schema_serializer(component_name="LookupResult")
    class OutputSerializer(serializers.Serializer):
        # Deliberately no applicant fields: whoever holds the paper sees progress, not people.
        code = serializers.CharField()
        procedure_name = serializers.CharField(source="procedure_version.name")
        competent_unit_name = serializers.CharField(source="competent_unit.name")
        state = serializers.ChoiceField(choices=DossierState.choices)
        state_label = serializers.CharField(source="get_state_display")
        national_status = serializers.IntegerField()
        received_at = serializers.DateTimeField()
        due_at = serializers.DateTimeField(allow_null=True)
        result_channel = serializers.ChoiceField(choices=ResultChannel.choices)
        result_channel_label = serializers.CharField(source="get_result_channel_display")
        milestones = serializers.SerializerMethodField()

        @extend_schema_field(MilestoneSerializer(many=True))
        def get_milestones(self, dossier: Any) -> Any:
            return MilestoneSerializer(self.context["milestones"], many=True).data

    @extend_schema(
        operation_id="dossier_lookup",
        tags=["lookup"],
        summary="Progress of a dossier for the holder of its receipt",
        description=(
            "Public: the dossier code and lookup secret printed on the receipt. Answers only "
            "what a receipt holder may see, never the applicant's identity or contact. A wrong "
            "code and a wrong secret both answer 404; after "
            "MOTCUA_LOOKUP_MAX_FAILURES (5) wrong tries from an address, or "
            "MOTCUA_LOOKUP_MAX_FAILURES_PER_CODE (50) for a code from any address, every try "
            "answers 429 for MOTCUA_LOOKUP_WINDOW_SECONDS (900), even with the right secret."
        ),
        request=InputSerializer,
        parameters=[
            OpenApiParameter(
                "Retry-After",
                int,
                OpenApiParameter.HEADER,
                response=[429],
                description="Seconds to wait before trying again.",
            )
        ],
        responses={200: OutputSerializer, **problems(400, 404, 429)},
    )
    def post(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        dossier = dossier_lookup_check(
            code=body.validated_data["code"],
            secret=body.validated_data["secret"],
            client=client_address(request),
        )
        return Response(lookup_answer(dossier, dossier_milestones(dossier=dossier)))


_instant = serializers.DateTimeField()


def lookup_answer(dossier: Any, milestones: list[Any]) -> dict[str, Any]:
    """DossierLookupApi.OutputSerializer's shape, built directly: this is the hottest public
    path, and a serializer instance costs more than the two queries behind it."""
    return {
        "code": dossier.code,
        "procedure_name": dossier.procedure_version.name,
        "competent_unit_name": dossier.competent_unit.name,
        "state": dossier.state,
        "state_label": dossier.get_state_display(),
        "national_status": dossier.national_status,
        "received_at": _instant.to_representation(dossier.received_at),
        # The appointment the holder was last given (an apology's new date, else the due date).
        "due_at": (
            _instant.to_representation(dossier.appointment_at) if dossier.appointment_at else None
        ),
        "result_channel": dossier.result_channel,
        "result_channel_label": dossier.get_result_channel_display(),
        "milestones": [
            {"at": _instant.to_representation(m.at), "label": m.label} for m in milestones
        ],
    }
