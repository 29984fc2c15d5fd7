"""Forms 01–07 as PDFs, generated from the data (never stored: the data is the record)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from motcua.agencies.models import Unit
from motcua.catalog.models import ComponentForm, FeeKind
from motcua.dossiers.logbook import COLUMNS, logbook_cells, logbook_title
from motcua.dossiers.models import (
    Dossier,
    DossierNotice,
    DossierNoticeKind,
    NoticeKind,
    PaymentNotice,
    ReceptionNotice,
    ResultChannel,
    Timeliness,
)
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


def _contact(unit: Unit) -> str:
    phone = _("số điện thoại %(phone)s") % {"phone": unit.phone} if unit.phone else ""
    return ", ".join(part for part in (unit.name, unit.address, phone) if part)


def _items(items: list[dict[str, str]]) -> list[SimpleNamespace]:
    return [SimpleNamespace(name=i.get("name", ""), reason=i.get("reason", "")) for i in items]


def _facts(dossier: Dossier) -> SimpleNamespace:
    """What every form issued during processing says about the dossier."""
    return SimpleNamespace(
        code=dossier.code,
        received_at=dossier.received_at,
        due_at=dossier.due_at,
        rescheduled_due_at=dossier.rescheduled_due_at,
        resolved_at=dossier.resolved_at,
        timeliness_label=_label(dossier.timeliness),
        receiving_unit_name=dossier.receiving_unit.name,
        receiving_contact=_contact(dossier.receiving_unit),
    )


def _label(timeliness: str) -> str:
    return str(Timeliness(timeliness).label) if timeliness else ""


def _signer(user: Any, unit: Unit) -> SimpleNamespace:
    """The name and title (chức danh) under a signature, the title from the user's membership."""
    if user is None:
        return SimpleNamespace(name="", title="")
    memberships = sorted(user.memberships.all(), key=lambda m: m.unit_id != unit.pk)
    return SimpleNamespace(
        name=user.display_name(), title=memberships[0].title if memberships else ""
    )


def _person(unit: Unit, user: Any) -> str:
    return f"{unit.name} — {user.display_name()}" if user else unit.name


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
                items=_items(notice.items),
                reason=notice.reason,
                legal_basis=notice.legal_basis,
                contact=_contact(notice.receiving_unit),
                # A guidance notice keeps the officer's note in `reason`; a refusal's reason is
                # already printed as the reason.
                note=notice.reason if notice.kind == NoticeKind.GUIDANCE else "",
            ),
            "officer_name": notice.issued_by.display_name(),
        }
        html = render_to_string(template, context)
    return html_to_pdf(html)


NOTICE_TEMPLATES = {
    DossierNoticeKind.SUPPLEMENT: "dossiers/forms/form_02_supplement.html",
    DossierNoticeKind.APOLOGY: "dossiers/forms/form_04_apology.html",
    DossierNoticeKind.STOP: "dossiers/forms/form_05_stop.html",
    DossierNoticeKind.REJECTION: "dossiers/forms/notice_rejection.html",
}


def dossier_notice_pdf(*, notice: DossierNotice) -> bytes:
    """Form 02 (supplement), 04 (apology), 05 (stop) or the not-eligible notice of a dossier."""
    dossier = notice.dossier
    with translation.override("vi"):
        context = {
            "heading": _heading(
                unit=notice.issuing_unit, number=notice.number, on=notice.issued_at
            ),
            "dossier": _facts(dossier),
            "applicant": _applicant(dossier),
            "procedure": _procedure(dossier),
            "notice": SimpleNamespace(
                number=notice.number,
                items=_items(notice.items),
                reason=notice.reason,
                legal_basis=notice.legal_basis,
                contact=_contact(notice.issuing_unit),
                note="",
                issued_at=notice.issued_at,
                original_due_at=notice.original_due_at or dossier.original_due_at,
                new_due_at=notice.new_due_at,
            ),
            "officer_name": notice.issued_by.display_name(),
            "signer": _signer(notice.signed_by or notice.issued_by, notice.issuing_unit),
        }
        html = render_to_string(NOTICE_TEMPLATES[DossierNoticeKind(notice.kind)], context)
    return html_to_pdf(html)


def payment_notice_pdf(*, payment: PaymentNotice) -> bytes:
    """The tax office's payment notice (thông báo nộp tiền) of a dossier."""
    dossier = payment.dossier
    with translation.override("vi"):
        context = {
            "heading": _heading(
                unit=payment.issuing_unit, number=payment.number, on=payment.issued_at
            ),
            "dossier": _facts(dossier),
            "applicant": _applicant(dossier),
            "procedure": _procedure(dossier),
            "lines": [
                SimpleNamespace(
                    name=line.get("name", ""),
                    kind_label=FeeKind(line["kind"]).label if line.get("kind") else "",
                    amount=line.get("amount", 0),
                )
                for line in payment.lines
            ],
            "payment": payment,
            "signer": _signer(payment.issued_by, payment.issuing_unit),
        }
        html = render_to_string("dossiers/forms/payment_notice.html", context)
    return html_to_pdf(html)


def control_slip_pdf(*, dossier: Dossier) -> bytes:
    """Form 06: the processing control slip, one row per hand-over; printable at any moment."""
    handovers = dossier.handovers.select_related("from_unit", "from_user", "to_unit", "to_user")
    with translation.override("vi"):
        context = {
            "heading": _heading(unit=dossier.receiving_unit, number="", on=timezone.now()),
            "dossier": _facts(dossier),
            "applicant": _applicant(dossier),
            "procedure": _procedure(dossier),
            "rows": [
                SimpleNamespace(
                    giver=_person(h.from_unit, h.from_user),
                    receiver=_person(h.to_unit, h.to_user),
                    at=h.at,
                    timeliness_label=_label(h.timeliness),
                    note=h.note,
                )
                for h in handovers
            ],
            # While the dossier is open the paper slip travels with it: rows left to fill by hand.
            "blank_rows": range(3 if dossier.is_open else 0),
        }
        html = render_to_string("dossiers/forms/form_06_control_slip.html", context)
    return html_to_pdf(html)


def logbook_pdf(
    *, rows: Sequence[Dossier] | QuerySet[Dossier], unit: Unit, start: dt.date, end: dt.date
) -> bytes:
    """Form 07: the tracking logbook of a unit over a period (rows from ``logbook_rows``)."""
    with translation.override("vi"):
        title, period = logbook_title(start=start, end=end)
        context = {
            "heading": _heading(unit=unit, number="", on=timezone.now()),
            "title": title,
            "period": period,
            "columns": [SimpleNamespace(header=c[0], width=f"{c[2]}%") for c in COLUMNS],
            "rows": [_logbook_row(position, dossier) for position, dossier in enumerate(rows, 1)],
        }
        html = render_to_string("dossiers/forms/form_07_logbook.html", context)
    return html_to_pdf(html)


def _logbook_row(position: int, dossier: Dossier) -> SimpleNamespace:
    cells = logbook_cells(position, dossier)
    # A narrow column breaks the code after a hyphen (never between digits).
    cells[1] = mark_safe(escape(cells[1]).replace("-", "-<wbr>"))
    # The texts, then the five dates; the last column is left blank for the signature.
    return SimpleNamespace(
        texts=cells[:5], dates=cells[5:10], rescheduled_due_at=dossier.rescheduled_due_at
    )
