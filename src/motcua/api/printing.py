"""Printable forms of a dossier, as PDF."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from motcua.api.base import Api
from motcua.api.serializers import problems
from motcua.dossiers.printing import control_slip_pdf
from motcua.dossiers.selectors import dossier_get


class PdfRenderer(BaseRenderer):
    """PDF bytes as they are; an error (a problem-details dict) as JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> Any:
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data)


class ControlSlipPdfApi(Api):
    renderer_classes = [PdfRenderer]

    @extend_schema(
        operation_id="dossier_control_slip_pdf",
        tags=["dossiers"],
        summary="The processing control slip (form 06) as PDF",
        description=(
            "One row per hand-over, with how each giver's step finished; printable at any "
            "moment (an open dossier's slip ends with blank rows to fill by hand)."
        ),
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="Form 06."),
            **problems(401, 404),
        },
    )
    def get(self, request: Request, code: str) -> HttpResponse:
        dossier = dossier_get(viewer=request.user, code=code)
        response = HttpResponse(control_slip_pdf(dossier=dossier), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="phieu-kiem-soat-{dossier.code}.pdf"'
        return response
