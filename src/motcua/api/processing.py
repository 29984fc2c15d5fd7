"""Actions on a dossier while it is processed: assign, forward, consult another agency, ask
for a supplement, the financial obligation, the apology. Each calls one service of
`motcua.dossiers.processing` and answers with the dossier (see `actions`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from motcua.agencies.selectors import unit_by_code
from motcua.api.actions import DossierActionApi, action_schema, step_field, text
from motcua.api.base import Api
from motcua.api.dossier_detail import PaymentLineSerializer
from motcua.api.serializers import AwareDateTimeField, StringField, TrueFalseField, problems
from motcua.core.errors import ValidationFailed
from motcua.dossiers.processing import (
    PaymentLine,
    SupplementItem,
    apology_issue,
    consultation_reply,
    consultation_request,
    payment_lines_proposed,
    payment_notice_issue,
    payment_record,
    step_assign,
    step_forward,
    supplement_decide,
    supplement_propose,
    supplement_receive,
)
from motcua.dossiers.selectors import dossier_get


@action_schema(
    operation_id="dossier_assign",
    summary="Assign an open step to an officer",
    description=(
        "For the head of the step's department (or the agency's leader). The assignee must "
        "hold the step's role in the same agency. Assigning to the same officer again is a "
        "409 `already_assigned`; a finished step, 409 `wrong_step`."
    ),
    component="StepAssignInput",
)
class StepAssignApi(DossierActionApi):
    class InputSerializer(serializers.Serializer):
        step = serializers.IntegerField(min_value=1, help_text="An open step's id (`steps`).")
        assignee = StringField(max_length=150, help_text="The officer's username.")

    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        # An unknown username goes on as None: the service refuses it in its own words.
        assignee = (
            get_user_model().objects.filter(username=data["assignee"], is_active=True).first()
        )
        step_assign(actor=request.user, code=code, step_id=data["step"], assignee=assignee)


@action_schema(
    operation_id="dossier_forward",
    summary="Finish the caller's step and send the dossier on",
    description=(
        "For whoever holds the open handling or signing step (its assignee, else an officer "
        "of its role in its unit). When every step of the stage is done the next stage opens "
        "and a hand-over is recorded for each of its units. The last processing step is "
        "finished with `result` instead (409 `resolve_instead`); an unanswered consultation "
        "blocks (409 `consultation_open`)."
    ),
    component="StepForwardInput",
)
class StepForwardApi(DossierActionApi):
    class InputSerializer(serializers.Serializer):
        step = step_field()
        note = text(required=False, help_text="The conclusion, for the next person.")

    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        step_forward(actor=request.user, code=code, note=data["note"], step_id=data["step"])


@action_schema(
    operation_id="dossier_consultation_request",
    summary="Ask another agency's opinion",
    description=(
        "For the officer holding the handling step. Adds a consultation step for the other "
        "agency with its own budget (in the procedure's unit, at most 60), so a delay it "
        "causes is attributed to it, and a hand-over to it."
    ),
    component="ConsultationRequestInput",
)
class ConsultationRequestApi(DossierActionApi):
    creates = True

    class InputSerializer(serializers.Serializer):
        unit = StringField(max_length=40, help_text="The consulted unit's code.")
        question = text()
        budget = serializers.DecimalField(
            max_digits=5, decimal_places=2, help_text="Its own time, e.g. 2 (working days)."
        )

    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        unit = unit_by_code(code=data["unit"])
        if unit is None:
            raise ValidationFailed(
                _("Không có đơn vị mã «%(code)s».") % {"code": data["unit"]},
                extra={"field": "unit"},
            )
        consultation_request(
            actor=request.user,
            code=code,
            unit=unit,
            question=data["question"],
            budget=data["budget"],
        )


@action_schema(
    operation_id="dossier_consultation_reply",
    summary="The consulted agency answers",
    description="For an officer of the consulted agency; closes its step against its budget.",
    component="ConsultationReplyInput",
)
class ConsultationReplyApi(DossierActionApi):
    class InputSerializer(serializers.Serializer):
        opinion = text(max_length=5000)

    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        consultation_reply(actor=request.user, code=code, opinion=data["opinion"])


class SupplementItemSerializer(serializers.Serializer):
    name = StringField(max_length=300, allow_blank=True)
    reason = StringField(max_length=1000, allow_blank=True)


@action_schema(
    operation_id="dossier_supplement_propose",
    summary="Propose the (one) supplement request",
    description=(
        "For the officer holding the handling step: everything missing, in one request, for "
        "the department head to approve (`supplement-requests/decision`). A dossier is asked "
        "for a supplement once: a second request is a 409 `supplement_once` (unless the first "
        "was declined)."
    ),
    component="SupplementProposeInput",
)
class SupplementProposeApi(DossierActionApi):
    creates = True

    class InputSerializer(serializers.Serializer):
        items = SupplementItemSerializer(many=True, help_text="What to bring, and why.")
        legal_basis = text(required=False)

    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        supplement_propose(
            actor=request.user,
            code=code,
            items=[SupplementItem(name=i["name"], reason=i["reason"]) for i in data["items"]],
            legal_basis=data["legal_basis"],
        )


@action_schema(
    operation_id="dossier_supplement_decide",
    summary="Approve or decline the proposed supplement request",
    description=(
        "For the department head. Approved: form 02 is issued (listed in `notices`), the "
        "applicant is told, the dossier waits for the supplement and its clock stops. "
        "Declined: processing goes on. No proposal waiting: 409 `no_pending_supplement`."
    ),
    component="SupplementDecideInput",
)
class SupplementDecideApi(DossierActionApi):
    class InputSerializer(serializers.Serializer):
        approve = TrueFalseField()
        note = text(required=False)

    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        supplement_decide(actor=request.user, code=code, approve=data["approve"], note=data["note"])


@action_schema(
    operation_id="dossier_supplement_receive",
    summary="The applicant brought the supplement to the desk",
    description=(
        "For a reception officer of the receiving center. The clock runs again and the due "
        "date moves by the pause; the applicant is told the new date. JSON, or multipart "
        "with the scans (`scans`, repeated) checked by content like at intake."
    ),
    component="SupplementReceiveInput",
)
class SupplementReceiveApi(DossierActionApi):
    parser_classes = [JSONParser, MultiPartParser]

    class InputSerializer(serializers.Serializer):
        note = text(required=False)
        scans = serializers.ListField(
            child=serializers.FileField(), required=False, default=list, max_length=20
        )

    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        supplement_receive(actor=request.user, code=code, note=data["note"], scans=data["scans"])


@action_schema(
    operation_id="dossier_payment_notice_issue",
    summary="The tax office's payment notice",
    description=(
        "For an officer of the agency holding the financial step. The dossier waits for the "
        "payment; where the procedure says so, its clock stops until then. A second notice is "
        "a 409 (`wrong_state` while waiting, `payment_notice_exists` after). The catalogue's "
        "lines are at `payment-notice/proposed-lines/`."
    ),
    component="PaymentNoticeIssueInput",
)
class PaymentNoticeIssueApi(DossierActionApi):
    creates = True

    class InputSerializer(serializers.Serializer):
        lines = PaymentLineSerializer(many=True, help_text="Tax, charge and fee lines, in đồng.")

    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        lines = [PaymentLine(**line) for line in data["lines"]]
        payment_notice_issue(actor=request.user, code=code, lines=lines)


class PaymentLinesProposedApi(Api):
    class OutputSerializer(serializers.Serializer):
        lines = PaymentLineSerializer(many=True)

    @extend_schema(
        operation_id="dossier_payment_lines_proposed",
        tags=["dossier actions"],
        summary="The catalogue's lines for the tax office's payment notice",
        description=(
            "The tax office's fee items of the dossier's procedure, with the catalogue's "
            "amount (0 where it depends on the case), to complete and send to `payment-notice`."
        ),
        responses={200: OutputSerializer, **problems(401, 404)},
    )
    def get(self, request: Request, code: str) -> Response:
        dossier = dossier_get(viewer=request.user, code=code)
        lines = payment_lines_proposed(dossier)
        return Response(PaymentLinesProposedApi.OutputSerializer({"lines": lines}).data)


@action_schema(
    operation_id="dossier_payment_record",
    summary="The applicant paid",
    description=(
        "For a reception officer of the receiving center. The clock runs again from the "
        "proof of payment; the due date moves by the pause and the applicant is told it."
    ),
    component="PaymentRecordInput",
)
class PaymentRecordApi(DossierActionApi):
    class InputSerializer(serializers.Serializer):
        receipt_number = text(max_length=60, help_text="The receipt or proof of payment.")
        method = StringField(max_length=20, required=False, default="counter")

    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        payment_record(
            actor=request.user,
            code=code,
            receipt_number=data["receipt_number"],
            method=data["method"],
        )


@action_schema(
    operation_id="dossier_apology_issue",
    summary="Apologise and give a new date (form 04)",
    description=(
        "For the competent agency's leader, once (409 `apology_once`), at least one working "
        "day before the due date (409 `apology_too_late`). The applicant is told the new date; "
        "lateness is still measured against the due date."
    ),
    component="ApologyIssueInput",
)
class ApologyIssueApi(DossierActionApi):
    creates = True

    class InputSerializer(serializers.Serializer):
        reason = text()
        new_due_at = AwareDateTimeField(help_text="After the current due date, with its offset.")

    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        apology_issue(
            actor=request.user, code=code, reason=data["reason"], new_due_at=data["new_due_at"]
        )
