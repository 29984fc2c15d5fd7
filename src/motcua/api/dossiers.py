"""Dossiers for officers and integrated systems: counter intake and the list.

The representation of one dossier is in `dossier_detail`; the actions on it in `processing`."""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from motcua.api.base import Api
from motcua.api.serializers import (
    PAGE_PARAMETERS,
    AwareDateTimeField,
    StringField,
    UnitSerializer,
    page_of,
    paginate,
    problems,
    query_of,
)
from motcua.catalog.models import ProcedureVersion
from motcua.catalog.selectors import version_in_force
from motcua.core.errors import NotFound, ValidationFailed
from motcua.dossiers.models import (
    ApplicantKind,
    Channel,
    ComponentForm,
    DossierState,
    ResultChannel,
)
from motcua.dossiers.selectors import dossier_list
from motcua.dossiers.services import (
    ApplicantData,
    ReceivedComponent,
    dossier_receive,
    intake_fingerprint,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX_LENGTH = 200
IDEMPOTENCY_KEY = re.compile(r"[!-~]+")


@extend_schema_field({"type": "string", "maxLength": 40, "example": "1.013978"})
class ProcedureField(serializers.Field):
    """A procedure's national code in, its version in force out (and the code when rendered)."""

    def to_internal_value(self, data: Any) -> ProcedureVersion:
        code = StringField(max_length=40).run_validation(data)
        try:
            return version_in_force(national_code=code)
        except NotFound as error:
            unknown = error.code == NotFound.code
            raise serializers.ValidationError(
                str(error.message), code="unknown_procedure" if unknown else error.code
            ) from error

    def to_representation(self, value: ProcedureVersion) -> str:
        return value.procedure.national_code


@extend_schema_field(OpenApiTypes.URI)
class ReceiptUrlField(serializers.Field):
    """The back-office receipt PDF (form 01); opening it needs an officer's session."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="code", read_only=True, **kwargs)

    def to_representation(self, value: str) -> str:
        path = reverse("backoffice:receipt", kwargs={"code": value})
        return self.context["request"].build_absolute_uri(path)


@extend_schema_serializer(component_name="ProcedureRef")
class ProcedureRefSerializer(serializers.Serializer):
    code = serializers.CharField(source="procedure.national_code")
    name = serializers.CharField()
    version = serializers.IntegerField(source="number")


@extend_schema_serializer(component_name="DossierComponent")
class DossierComponentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="requirement_id", allow_null=True)
    name = serializers.CharField()
    form = serializers.ChoiceField(choices=ComponentForm.choices)
    quantity = serializers.IntegerField()
    scanned = serializers.SerializerMethodField()
    provenance = serializers.CharField(
        source="document.provenance",
        allow_null=True,
        default=None,
        help_text="scanned_at_counter, uploaded_by_applicant or issued_result; null: no file.",
    )
    reused = serializers.BooleanField(
        help_text="Taken from the applicant's store of verified documents, not submitted again."
    )

    def get_scanned(self, component: Any) -> bool:
        return component.document_id is not None


@extend_schema_serializer(component_name="Applicant")
class ApplicantSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=ApplicantKind.choices, default=ApplicantKind.PERSON, source="applicant_kind"
    )
    name = StringField(max_length=200, source="applicant_name")
    id_number = StringField(
        max_length=20,
        source="applicant_id_number",
        help_text="Person: citizen ID (CCCD, 12 digits); organisation: tax code.",
    )
    address = StringField(
        max_length=300, required=False, default="", allow_blank=True, source="applicant_address"
    )
    phone = StringField(
        max_length=20, required=False, default="", allow_blank=True, source="applicant_phone"
    )
    email = StringField(
        max_length=254, required=False, default="", allow_blank=True, source="applicant_email"
    )


# What every representation of a dossier says.
class DossierBaseSerializer(serializers.Serializer):
    code = serializers.CharField()
    state = serializers.ChoiceField(choices=DossierState.choices)
    state_label = serializers.CharField(source="get_state_display")
    national_status = serializers.IntegerField(
        help_text="Status code of the National Public Service Portal."
    )
    channel = serializers.ChoiceField(choices=Channel.choices)
    result_channel = serializers.ChoiceField(choices=ResultChannel.choices)
    received_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    procedure = ProcedureRefSerializer(source="procedure_version")


class DossierReceiveApi(Api):
    @extend_schema_serializer(component_name="DossierIntake")
    class InputSerializer(serializers.Serializer):
        @extend_schema_serializer(component_name="ReceivedComponent")
        class ComponentSerializer(serializers.Serializer):
            id = serializers.IntegerField(min_value=1, help_text="A component id of the procedure.")
            quantity = serializers.IntegerField(
                min_value=1, max_value=100, required=False, allow_null=True, default=None
            )

        procedure = ProcedureField(help_text="National code of the procedure.")
        applicant = ApplicantSerializer()
        components = ComponentSerializer(many=True)
        result_channel = serializers.ChoiceField(
            choices=ResultChannel.choices, default=ResultChannel.DESK
        )
        note = StringField(required=False, default="", allow_blank=True, max_length=2000)
        received_at = AwareDateTimeField(
            required=False,
            default=None,
            allow_null=True,
            help_text="Defaults to now; if sent, it must be today (with its offset).",
        )

    @extend_schema_serializer(component_name="DossierReceipt")
    class OutputSerializer(DossierBaseSerializer):
        lookup_secret = serializers.CharField(help_text="Printed on the receipt; used to look up.")
        components = DossierComponentSerializer(many=True)
        receipt_url = ReceiptUrlField()

    @extend_schema(
        operation_id="dossier_receive",
        tags=["dossiers"],
        summary="Receive a complete dossier at the counter",
        description=(
            "For reception officers of the procedure's receiving center and integrated systems "
            "(token). Gives the dossier its code, appointment (due_at) and lookup secret. "
            "Send a fresh `Idempotency-Key` per intake and the same key when retrying: a retry "
            "with the same body answers 200 with the dossier created the first time and "
            "`Idempotent-Replayed: true`; the same key with another body is a 409. A dossier "
            "missing a mandatory component is refused (400 `incomplete_dossier`, listing "
            "`missing`): issue a guidance notice (form 02) instead."
        ),
        request=InputSerializer,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH,
                    "pattern": f"^{IDEMPOTENCY_KEY.pattern}$",
                },
                OpenApiParameter.HEADER,
                required=True,
                description=(
                    "Unique per intake, e.g. a UUID: 1–200 visible ASCII characters, no spaces. "
                    "A retry sends the same key."
                ),
            ),
            OpenApiParameter(
                "Idempotent-Replayed",
                str,
                OpenApiParameter.HEADER,
                response=[200],
                enum=["true"],
                description="Present on a replayed retry.",
            ),
        ],
        responses={
            201: OpenApiResponse(OutputSerializer, description="Received."),
            200: OpenApiResponse(
                OutputSerializer, description="A retry: the dossier the key created before."
            ),
            **problems(400, 401, 403, 409),
        },
    )
    def post(self, request: Request) -> Response:
        key = _idempotency_key(request)
        body = DossierReceiveApi.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        dossier, replayed = dossier_receive(
            actor=request.user,
            version=data["procedure"],
            applicant=ApplicantData.from_fields(data["applicant"]),
            components=[
                ReceivedComponent(requirement_id=item["id"], quantity=item["quantity"])
                for item in data["components"]
            ],
            result_channel=data["result_channel"],
            note=data["note"],
            received_at=data["received_at"],
            idempotency_key=key,
            fingerprint=intake_fingerprint(body.data),
        )
        output = DossierReceiveApi.OutputSerializer(dossier, context={"request": request})
        if replayed:
            return Response(output.data, status=200, headers={"Idempotent-Replayed": "true"})
        return Response(output.data, status=201)


def _idempotency_key(request: Request) -> str:
    key = request.headers.get(IDEMPOTENCY_HEADER, "")
    if not key:
        raise ValidationFailed(
            _("Thiếu tiêu đề Idempotency-Key (một chuỗi duy nhất cho mỗi lần nộp)."),
            code="idempotency_key_missing",
            extra={"header": IDEMPOTENCY_HEADER},
        )
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ValidationFailed(
            _("Idempotency-Key dài quá %(n)s ký tự.") % {"n": IDEMPOTENCY_KEY_MAX_LENGTH},
            code="idempotency_key_too_long",
            extra={"header": IDEMPOTENCY_HEADER},
        )
    # Visible ASCII only, as the schema says: no spaces a proxy might trim, no control
    # character (PostgreSQL refuses NUL), nothing two clients could encode differently.
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise ValidationFailed(
            _("Idempotency-Key chỉ được gồm các ký tự ASCII in được, không có khoảng trắng."),
            code="idempotency_key_invalid",
            extra={"header": IDEMPOTENCY_HEADER},
        )
    return key


class DossierListApi(Api):
    class FilterSerializer(serializers.Serializer):
        search = StringField(
            required=False,
            default="",
            allow_blank=True,
            max_length=200,
            help_text="Dossier code or applicant name; accents optional.",
        )
        state = serializers.ChoiceField(
            choices=DossierState.choices, required=False, default="", allow_blank=True
        )

    @extend_schema_serializer(component_name="DossierSummary")
    class OutputSerializer(DossierBaseSerializer):
        applicant_name = serializers.CharField()
        competent_unit = UnitSerializer()

    @extend_schema(
        operation_id="dossier_list",
        tags=["dossiers"],
        summary="Dossiers of the caller's units, newest first",
        description=(
            "Only dossiers received by, or to be resolved by, a unit of the caller (or a unit "
            "below it) are listed."
        ),
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses={200: page_of(OutputSerializer, "DossierPage"), **problems(400, 401)},
    )
    def get(self, request: Request) -> Response:
        filters = DossierListApi.FilterSerializer(data=query_of(request))
        filters.is_valid(raise_exception=True)
        dossiers = dossier_list(viewer=request.user, **filters.validated_data)
        return paginate(
            queryset=dossiers,
            request=request,
            view=self,
            serializer=DossierListApi.OutputSerializer,
        )


# `/dossiers/` answers two operations. Each keeps its own class and names its serializers
# through it (not through `self`), so combining them here cannot mix them up.
class DossierCollectionApi(DossierListApi, DossierReceiveApi):  # type: ignore[misc]
    pass
