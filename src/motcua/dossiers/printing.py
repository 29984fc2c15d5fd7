"""Forms 01–03 as PDFs, generated from the data (never stored: the data is the record)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from motcua.agencies.models import Unit
from motcua.catalog.models import ComponentForm
from motcua.dossiers.models import Dossier, NoticeKind, ReceptionNotice, ResultChannel
from motcua.lib.pdf import html_to_pdf, qr_svg_data_uri


def lookup_url(*, code: str) -> str:
    """What the receipt's QR code opens: the public lookup with the code filled in."""
    return f"{settings.SITE_URL}/tra-cuu/?{urlencode({'ma': code})}"


def _heading(*, unit: Unit, number: str, on: Any) -> SimpleNamespace:
    parent = unit.parent
    return SimpleNamespace(
        parent_name=parent.name if parent else settings.MOTCUA_PROVINCE_NAME,
        unit_name=unit.name,
        number=number,
        place=settings.MOTCUA_PLACE_NAME,
        date=timezone.localtime(on).date(),
    )


def _applicant(row: Dossier | ReceptionNotice) -> SimpleNamespace:
    return SimpleNamespace(
        name=row.applicant_name,
        id_number=row.applicant_id_number,
        address=row.applicant_address,
        phone=row.applicant_phone,
        email=row.applicant_email,
        is_organisation=row.applicant_kind == "organisation",
    )


def _procedure(row: Dossier | ReceptionNotice) -> SimpleNamespace:
    version = row.procedure_version
    return SimpleNamespace(
        code=version.procedure.national_code,
        name=version.name,
        agency_name=version.competent_unit.name,
    )


def receipt_pdf(*, dossier: Dossier) -> bytes:
    """Form 01: receipt and appointment slip."""
    with translation.override("vi"):
        url = lookup_url(code=dossier.code)
        context = {
            # The code is printed under the title and is the logbook entry; the heading's
            # "Số" stays blank for the center's paper register, as in practice.
            "heading": _heading(unit=dossier.receiving_unit, number="", on=dossier.received_at),
            "dossier": SimpleNamespace(
                code=dossier.code,
                lookup_secret=dossier.lookup_secret,
                received_at=dossier.received_at,
                due_at=dossier.due_at,
                statutory_time_label=dossier.procedure_version.statutory_time_label,
                result_channel_label=ResultChannel(dossier.result_channel).label,
                logbook_number=dossier.code,
                is_on_the_spot=dossier.procedure_version.is_on_the_spot,
            ),
            "applicant": _applicant(dossier),
            "procedure": _procedure(dossier),
            "components": [
                SimpleNamespace(
                    position=index,
                    name=c.name,
                    form_label=ComponentForm(c.form).label,
                    quantity=c.quantity,
                )
                for index, c in enumerate(dossier.components.all(), start=1)
            ],
            "officer_name": dossier.received_by.display_name() if dossier.received_by else "",
            "lookup_url": url,
            "qr_data_uri": qr_svg_data_uri(url),
        }
        html = render_to_string("dossiers/forms/form_01_receipt.html", context)
    return html_to_pdf(html)


def notice_pdf(*, notice: ReceptionNotice) -> bytes:
    """Form 02 (guidance) or form 03 (refusal)."""
    template = (
        "dossiers/forms/form_02_guidance.html"
        if notice.kind == NoticeKind.GUIDANCE
        else "dossiers/forms/form_03_refusal.html"
    )
    with translation.override("vi"):
        context = {
            "heading": _heading(
                unit=notice.receiving_unit, number=notice.number, on=notice.issued_at
            ),
            "applicant": _applicant(notice),
            "procedure": _procedure(notice),
            "notice": SimpleNamespace(
                number=notice.number,
                items=[SimpleNamespace(**item) for item in notice.items],
                reason=notice.reason,
                legal_basis=notice.legal_basis,
                contact=f"{notice.receiving_unit.name} — {notice.receiving_unit.address} "
                f"{notice.receiving_unit.phone}".strip(),
                # A guidance notice keeps the officer's note in `reason`; a refusal's reason is
                # already printed as the reason.
                note=notice.reason if notice.kind == NoticeKind.GUIDANCE else "",
            ),
            "officer_name": notice.issued_by.display_name(),
        }
        html = render_to_string(template, context)
    return html_to_pdf(html)
