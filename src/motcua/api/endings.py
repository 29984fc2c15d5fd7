"""Actions that end a dossier's processing: not eligible, withdrawal, the result, its return,
and an applicant who did not come. Each calls one service of `motcua.dossiers.processing`."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request

from motcua.api.actions import DossierActionApi, action_schema, step_field, text
from motcua.api.serializers import NamedChoiceField
from motcua.dossiers.models import ResultChannel
from motcua.dossiers.processing import (
    Recipient,
    dossier_mark_uncollected,
    dossier_reject,
    dossier_resolve,
    dossier_return,
    withdrawal_confirm,
    withdrawal_decline,
    withdrawal_request,
)


@action_schema(
    operation_id="dossier_reject",
    summary="The dossier is not eligible: a reasoned notice ends its processing",
    description=(
        "For the department head or the agency's leader, while the dossier is processed. "
        "The notice is listed in `notices`; the open steps are closed and the applicant told."
    ),
    component="DossierRejectInput",
)
class DossierRejectApi(DossierActionApi):
    creates = True

    class InputSerializer(serializers.Serializer):
        reason = text()
        legal_basis = text()

    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        dossier_reject(
            actor=request.user, code=code, reason=data["reason"], legal_basis=data["legal_basis"]
        )


@action_schema(
    operation_id="dossier_withdrawal_request",
    summary="The applicant asks to withdraw the dossier",
    description=(
        "For a reception officer of the receiving center, who takes the written request at "
        "the desk, until the result is issued. The competent agency confirms or declines it."
    ),
    component="WithdrawalRequestInput",
)
class WithdrawalRequestApi(DossierActionApi):
    class InputSerializer(serializers.Serializer):
        reason = text(help_text="The applicant's reason.")

    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        withdrawal_request(actor=request.user, code=code, reason=data["reason"])


@action_schema(
    operation_id="dossier_withdrawal_confirm",
    summary="Confirm the withdrawal: processing stops (form 05)",
    description=(
        "For an officer of the competent agency. No body. The stop notice is listed in "
        "`notices`; the open steps are closed and the applicant told."
    ),
    component="WithdrawalConfirmInput",
)
class WithdrawalConfirmApi(DossierActionApi):
    creates = True

    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        withdrawal_confirm(actor=request.user, code=code)


@action_schema(
    operation_id="dossier_withdrawal_decline",
    summary="Decline the withdrawal: back to where it was",
    description="For an officer of the competent agency, e.g. when the result is signed.",
    component="WithdrawalDeclineInput",
)
class WithdrawalDeclineApi(DossierActionApi):
    class InputSerializer(serializers.Serializer):
        reason = text()

    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        withdrawal_decline(actor=request.user, code=code, reason=data["reason"])


@action_schema(
    operation_id="dossier_resolve",
    summary="Issue the result: the dossier is resolved and goes to the desk",
    description=(
        "For whoever holds the last processing step. Multipart, with the signed result as "
        "`document` (PDF or image, checked by content); a procedure whose result is a "
        "document refuses it without one (400, field `document`). A procedure whose result "
        "is not a document may be sent as JSON. Too early: 409 `not_last_step`."
    ),
    component="DossierResolveInput",
)
class DossierResolveApi(DossierActionApi):
    parser_classes = [MultiPartParser, JSONParser]

    class InputSerializer(serializers.Serializer):
        step = step_field()
        result_number = text(max_length=80, help_text="Number and symbol of the result.")
        summary = text(required=False)
        document = serializers.FileField(required=False, allow_null=True, default=None)

    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        dossier_resolve(
            actor=request.user,
            code=code,
            result_number=data["result_number"],
            summary=data["summary"],
            document=data["document"],
            step_id=data["step"],
        )


@action_schema(
    operation_id="dossier_return",
    summary="Hand the result over",
    description=(
        "For a reception officer of the receiving center. At the desk: who collected it "
        "(`recipient_name`, `recipient_id_number`: 12-digit citizen ID); by post: the "
        "`tracking_number`; online: nothing more. Works for a dossier marked uncollected too."
    ),
    component="DossierReturnInput",
)
class DossierReturnApi(DossierActionApi):
    class InputSerializer(serializers.Serializer):
        channel = NamedChoiceField(choices=ResultChannel.choices, enum_name="ReturnChannelEnum")
        recipient_name = text(max_length=200, required=False)
        recipient_id_number = text(max_length=20, required=False)
        tracking_number = text(max_length=40, required=False)

    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        dossier_return(
            actor=request.user,
            code=code,
            channel=data["channel"],
            recipient=Recipient(name=data["recipient_name"], id_number=data["recipient_id_number"]),
            tracking_number=data["tracking_number"],
        )


@action_schema(
    operation_id="dossier_mark_uncollected",
    summary="The applicant did not come for the result",
    description=(
        "For a reception officer of the receiving center, once the appointment has passed "
        "(before it: 409 `not_yet_due`). No body. The result can still be handed over later."
    ),
    component="DossierMarkUncollectedInput",
)
class DossierMarkUncollectedApi(DossierActionApi):
    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        dossier_mark_uncollected(actor=request.user, code=code)
