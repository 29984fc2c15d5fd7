"""The desk's decision on a dossier submitted online: accept it (the clock starts), ask for
completion (form 02, electronically) or refuse it (form 03). See `actions`."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from motcua.api.actions import DossierActionApi, action_schema, text
from motcua.api.processing import SupplementItemSerializer
from motcua.dossiers.online import online_accept, online_completion_request, online_refuse
from motcua.dossiers.services import GuidanceItem


@action_schema(
    operation_id="dossier_online_accept",
    summary="Accept a dossier submitted online: its clock starts now",
    description=(
        "For a reception officer of the receiving desk, while the dossier is `submitted_online` "
        "(national status 1). No body. The due date is computed from now, the applicant is "
        "told the appointment and the dossier goes to the competent agency."
    ),
    component="OnlineAcceptInput",
)
class OnlineAcceptApi(DossierActionApi):
    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        online_accept(actor=request.user, code=code)


@action_schema(
    operation_id="dossier_online_completion",
    summary="Ask the online applicant to complete the dossier (form 02)",
    description=(
        "For a reception officer of the receiving desk, while the dossier is "
        "`submitted_online`: everything to complete, each with its reason, in one notice. The "
        "dossier is not accepted (`completion_requested`, national status 5) until the applicant "
        "sends it again."
    ),
    component="OnlineCompletionInput",
)
class OnlineCompletionApi(DossierActionApi):
    creates = True

    class InputSerializer(serializers.Serializer):
        items = SupplementItemSerializer(many=True, help_text="What to complete, and why.")
        legal_basis = text(required=False)

    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        online_completion_request(
            actor=request.user,
            code=code,
            items=[GuidanceItem(name=i["name"], reason=i["reason"]) for i in data["items"]],
            legal_basis=data["legal_basis"],
        )


@action_schema(
    operation_id="dossier_online_refuse",
    summary="Refuse a dossier submitted online (form 03)",
    description=(
        "For a reception officer of the receiving desk, before acceptance: a reason and its "
        "legal basis; the dossier ends as `rejected` and the applicant is told."
    ),
    component="OnlineRefuseInput",
)
class OnlineRefuseApi(DossierActionApi):
    creates = True

    class InputSerializer(serializers.Serializer):
        reason = text()
        legal_basis = text()

    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        online_refuse(
            actor=request.user, code=code, reason=data["reason"], legal_basis=data["legal_basis"]
        )
