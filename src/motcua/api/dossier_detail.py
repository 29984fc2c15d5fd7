"""One dossier as an officer sees it: the intake, the clock, the route through the agencies
(steps and hand-overs), the documents issued on the way and what the applicant was told.

Every action under `/dossiers/{code}/…` answers with this representation too.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from motcua.api.base import Api
from motcua.api.dossiers import (
    ApplicantSerializer,
    DossierBaseSerializer,
    DossierComponentSerializer,
    ReceiptUrlField,
)
from motcua.api.serializers import (
    MilestoneSerializer,
    NamedChoiceField,
    StringField,
    UnitSerializer,
    UserSerializer,
    problems,
)
from motcua.catalog.models import FeeKind, StepKind
from motcua.dossiers.models import (
    Dossier,
    DossierNoticeKind,
    PauseReason,
    PaymentNotice,
    ResultChannel,
    SupplementStatus,
    Timeliness,
)
from motcua.dossiers.selectors import dossier_milestones, dossier_trace_get
from motcua.notifications.models import Channel as MessageChannel
from motcua.notifications.models import DeliveryStatus
from motcua.notifications.selectors import messages_for

TIMELINESS_HELP = "early, on_time or late against its own due time; empty while open."


def _timeliness(help_text: str = TIMELINESS_HELP) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=Timeliness.choices, allow_blank=True, help_text=help_text
    )


@extend_schema_serializer(component_name="DossierPause")
class PauseSerializer(serializers.Serializer):
    reason = NamedChoiceField(choices=PauseReason.choices, enum_name="PauseReasonEnum")
    reason_label = serializers.CharField(source="get_reason_display")
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True, help_text="Null while paused.")


@extend_schema_serializer(component_name="DossierClock")
class ClockSerializer(serializers.Serializer):
    submitted_at = serializers.DateTimeField(
        allow_null=True, help_text="Online dossiers: when the applicant submitted it."
    )
    received_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was accepted (the clock starts); empty until then."
    )
    original_due_at = serializers.DateTimeField(
        allow_null=True, help_text="The appointment printed on the receipt."
    )
    due_at = serializers.DateTimeField(
        allow_null=True,
        help_text="The legal due date: the original one moved by the closed pauses. Lateness "
        "is measured against it.",
    )
    rescheduled_due_at = serializers.DateTimeField(
        allow_null=True, help_text="The new date of an apology (form 04); it excuses nothing."
    )
    appointment_at = serializers.DateTimeField(
        allow_null=True, help_text="What the applicant was last told: rescheduled, else due."
    )
    resolved_at = serializers.DateTimeField(allow_null=True)
    timeliness = _timeliness()
    paused = serializers.SerializerMethodField()
    pauses = PauseSerializer(many=True, source="pauses.all")

    def get_paused(self, dossier: Dossier) -> bool:
        return any(pause.ended_at is None for pause in dossier.pauses.all())


@extend_schema_serializer(component_name="DossierStep")
class StepSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="What `assign` and `forward` take as `step`.")
    code = serializers.CharField(
        source="workflow_step.code",
        allow_null=True,
        help_text="The workflow step's code in the procedure; null for a consultation.",
    )
    stage = serializers.IntegerField(help_text="Steps of one stage run in parallel.")
    kind = NamedChoiceField(choices=StepKind.choices, enum_name="StepKindEnum")
    name = serializers.CharField()
    unit = UnitSerializer()
    role = serializers.CharField(help_text="The role that acts on it in that unit.")
    assignee = UserSerializer(allow_null=True)
    budget = serializers.FloatField(help_text="In the procedure's unit (working days or hours).")
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    finished_by = UserSerializer(allow_null=True)
    timeliness = _timeliness()
    note = serializers.CharField(help_text="The conclusion or the consulted agency's opinion.")


@extend_schema_serializer(component_name="Handover")
class HandoverSerializer(serializers.Serializer):
    """A row of the processing control slip (form 06)."""

    at = serializers.DateTimeField()
    from_unit = UnitSerializer()
    from_user = UserSerializer(allow_null=True)
    to_unit = UnitSerializer()
    to_user = UserSerializer(allow_null=True)
    timeliness = _timeliness(
        help_text="How the giver's step finished against its budget; empty for an assignment."
    )
    note = serializers.CharField()


@extend_schema_serializer(component_name="NoticeItem")
class ItemSerializer(serializers.Serializer):
    name = serializers.CharField()
    reason = serializers.CharField()


@extend_schema_serializer(component_name="DossierNotice")
class NoticeSerializer(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.ChoiceField(choices=DossierNoticeKind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    issuing_unit = UnitSerializer()
    items = ItemSerializer(many=True, help_text="Supplement (form 02): what to bring, and why.")
    reason = serializers.CharField()
    legal_basis = serializers.CharField()
    original_due_at = serializers.DateTimeField(allow_null=True)
    new_due_at = serializers.DateTimeField(allow_null=True, help_text="Apology (form 04).")
    issued_at = serializers.DateTimeField()
    issued_by = UserSerializer()
    signed_by = UserSerializer(allow_null=True)


@extend_schema_serializer(component_name="SupplementRequest")
class SupplementSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=SupplementStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    items = ItemSerializer(many=True)
    legal_basis = serializers.CharField()
    proposed_by = UserSerializer()
    proposed_at = serializers.DateTimeField()
    decided_by = UserSerializer(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()
    notice = serializers.CharField(
        source="notice.number", allow_null=True, help_text="Number of the form 02 once issued."
    )
    received_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="PaymentLine")
class PaymentLineSerializer(serializers.Serializer):
    kind = NamedChoiceField(choices=FeeKind.choices, enum_name="FeeKindEnum")
    name = StringField(max_length=300)
    amount = serializers.IntegerField(min_value=0, help_text="Whole đồng.")


@extend_schema_serializer(component_name="PaymentNotice")
class PaymentSerializer(serializers.Serializer):
    number = serializers.CharField()
    issuing_unit = UnitSerializer()
    lines = PaymentLineSerializer(many=True)
    total = serializers.IntegerField(help_text="Whole đồng.")
    issued_at = serializers.DateTimeField()
    issued_by = UserSerializer()
    paid_at = serializers.DateTimeField(allow_null=True)
    receipt_number = serializers.CharField()
    payment_method = serializers.CharField()


# How the result was handed over; null until it was.
RETURN_CHANNEL = NamedChoiceField(
    choices=ResultChannel.choices, enum_name="ReturnChannelEnum", allow_null=True
)


@extend_schema_serializer(component_name="DossierResult")
class ResultSerializer(serializers.Serializer):
    number = serializers.CharField(source="result_number")
    summary = serializers.CharField(source="result_summary")
    document_name = serializers.CharField(source="result_document.original_name", allow_null=True)
    document_sha256 = serializers.CharField(source="result_document.sha256", allow_null=True)
    return_channel = serializers.SerializerMethodField()
    returned_at = serializers.DateTimeField(allow_null=True)
    recipient_name = serializers.CharField()
    recipient_id_number = serializers.CharField()
    postal_tracking_number = serializers.CharField()

    @extend_schema_field(RETURN_CHANNEL)
    def get_return_channel(self, dossier: Dossier) -> str | None:
        return dossier.return_channel or None


@extend_schema_serializer(component_name="ApplicantMessage")
class MessageSerializer(serializers.Serializer):
    channel = NamedChoiceField(choices=MessageChannel.choices, enum_name="MessageChannelEnum")
    recipient = serializers.CharField(help_text="The phone number or email address.")
    topic = serializers.CharField(help_text="What it is about, e.g. dossier.payment_requested.")
    subject = serializers.CharField()
    body = serializers.CharField()
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)


class DossierDetailApi(Api):
    @extend_schema_serializer(component_name="Dossier")
    class OutputSerializer(DossierBaseSerializer):
        applicant = ApplicantSerializer(source="*")
        receiving_unit = UnitSerializer()
        competent_unit = UnitSerializer()
        original_due_at = serializers.DateTimeField(allow_null=True)
        resolved_at = serializers.DateTimeField(allow_null=True)
        returned_at = serializers.DateTimeField(allow_null=True)
        stopped_at = serializers.DateTimeField(allow_null=True)
        note = serializers.CharField()
        components = DossierComponentSerializer(many=True)
        milestones = serializers.SerializerMethodField()
        receipt_url = ReceiptUrlField()
        clock = ClockSerializer(source="*")
        stage = serializers.IntegerField(help_text="The workflow stage in progress.")
        steps = StepSerializer(many=True, source="steps.all")
        handovers = HandoverSerializer(many=True, source="handovers.all")
        supplements = SupplementSerializer(many=True, source="supplements.all")
        notices = NoticeSerializer(many=True, source="notices.all")
        payment = serializers.SerializerMethodField()
        withdrawal_reason = serializers.CharField()
        result = ResultSerializer(source="*")
        messages = serializers.SerializerMethodField()

        @extend_schema_field(MilestoneSerializer(many=True))
        def get_milestones(self, dossier: Dossier) -> Any:
            return MilestoneSerializer(dossier_milestones(dossier=dossier), many=True).data

        @extend_schema_field(PaymentSerializer(allow_null=True))
        def get_payment(self, dossier: Dossier) -> Any:
            try:
                payment = dossier.payment
            except PaymentNotice.DoesNotExist:
                return None
            return PaymentSerializer(payment).data

        @extend_schema_field(MessageSerializer(many=True))
        def get_messages(self, dossier: Dossier) -> Any:
            return MessageSerializer(self.context["messages"], many=True).data

    @extend_schema(
        operation_id="dossier_retrieve",
        tags=["dossiers"],
        summary="One dossier the caller may see",
        description=(
            "With the applicant, the components received, the clock (due dates and pauses), "
            "the steps and hand-overs of its route, the supplement requests, notices and "
            "payment notice issued, the result, the messages sent to the applicant and the "
            "public milestones. A dossier the caller may not see is reported as not found (404)."
        ),
        responses={200: OutputSerializer, **problems(401, 404)},
    )
    def get(self, request: Request, code: str) -> Response:
        return Response(dossier_representation(request, code=code))


def dossier_representation(request: Request, *, code: str) -> Any:
    """The dossier as the caller may see it, in a fixed number of queries."""
    dossier = dossier_trace_get(viewer=request.user, code=code)
    context = {
        "request": request,
        "messages": list(messages_for(target_type="dossier", target_id=dossier.code)),
    }
    return DossierDetailApi.OutputSerializer(dossier, context=context).data
