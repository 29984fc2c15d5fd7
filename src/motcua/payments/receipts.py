"""The electronic receipt of a settled payment: its number (a series per unit and year), the
amount in words, and the PDF (generated from the data, never stored: the data is the record)."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from motcua.agencies.models import Unit
from motcua.catalog.models import FeeKind
from motcua.lib.pdf import html_to_pdf, qr_svg_data_uri
from motcua.payments.models import Payment, Purpose, ReceiptCounter


def receipt_number_take(*, unit: Unit, at: datetime) -> str:
    """The unit's next receipt number of the year, e.g. "000.12.01.H57-BL2027-000001".

    The UPDATE locks the counter row until the caller commits, so numbers are unique and, as a
    rollback also rolls the counter back, gap-free (what an auditor of receipts checks).
    """
    year = timezone.localtime(at).year
    table = ReceiptCounter._meta.db_table
    increment = (
        f"UPDATE {table} SET last = last + 1 WHERE unit_id = %s AND year = %s RETURNING last"
    )
    with connection.cursor() as cursor:
        cursor.execute(increment, [unit.pk, year])
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                f"INSERT INTO {table} (unit_id, year, last) VALUES (%s, %s, 0) "
                "ON CONFLICT DO NOTHING",
                [unit.pk, year],
            )
            cursor.execute(increment, [unit.pk, year])
            row = cursor.fetchone()
    return f"{unit.code}-BL{year}-{int(row[0]):06d}"


# ---------------------------------------------------------------------------------------------
# The amount in words, as Vietnamese receipts print it: "Một trăm linh năm nghìn đồng".

_DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
_SCALES = ["", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ"]


def _units_word(units: int, tens: int) -> str:
    if units == 1 and tens >= 2:
        return "mốt"
    if units == 4 and tens >= 2:
        return "tư"
    if units == 5 and tens >= 1:
        return "lăm"
    return _DIGITS[units]


def _group_words(number: int, *, leading: bool) -> list[str]:
    """Words for 1..999; a group after the first says its hundreds even when zero."""
    hundreds, tens, units = number // 100, number // 10 % 10, number % 10
    words: list[str] = []
    if hundreds or not leading:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units:
        words.append(_units_word(units, tens))
    return words


def amount_in_words(amount: int) -> str:
    """ "105.000" → "Một trăm linh năm nghìn đồng"; up to 999 triệu tỷ."""
    if amount == 0:
        return "Không đồng"
    groups: list[int] = []
    while amount:
        groups.append(amount % 1000)
        amount //= 1000
    if len(groups) > len(_SCALES):
        raise ValueError("amount too large to write in words")
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        if groups[index] == 0:
            continue
        words += _group_words(groups[index], leading=not words)
        if _SCALES[index]:
            words.append(_SCALES[index])
    text = " ".join(words) + " đồng"
    return text[0].upper() + text[1:]


# ---------------------------------------------------------------------------------------------
# The PDF


def _heading(unit: Unit, payment: Payment) -> SimpleNamespace:
    parent = unit.parent
    return SimpleNamespace(
        parent_name=parent.name if parent else settings.MOTCUA_PROVINCE_NAME,
        unit_name=unit.name,
        number=payment.receipt_number,
        place=settings.MOTCUA_PLACE_NAME,
        date=timezone.localtime(payment.paid_at).date(),
    )


def _lines(payment: Payment) -> list[SimpleNamespace]:
    return [
        SimpleNamespace(
            name=line.get("name", ""),
            kind_label=FeeKind(line["kind"]).label if line.get("kind") in FeeKind.values else "",
            amount=int(line.get("amount", 0)),
        )
        for line in payment.lines
    ]


def receipt_pdf(*, payment: Payment) -> bytes:
    """The receipt of a payment that settled a due (it has a receipt number)."""
    dossier = payment.dossier
    unit = payment.receipt_unit or dossier.receiving_unit
    with translation.override("vi"):
        title = (
            _("BIÊN LAI THU PHÍ, LỆ PHÍ")
            if payment.purpose == Purpose.FEE
            else _("BIÊN LAI THU TIỀN NGHĨA VỤ TÀI CHÍNH")
        )
        context = {
            "heading": _heading(unit, payment),
            "title": title,
            "payment": payment,
            "dossier": dossier,
            "procedure_code": dossier.procedure_version.procedure.national_code,
            "lines": _lines(payment),
            "amount_words": amount_in_words(payment.amount),
            "qr_data_uri": qr_svg_data_uri(
                f"{payment.receipt_number}|{payment.txn_ref}|{payment.amount}"
            ),
        }
        html = render_to_string("payments/receipt.html", context)
    return html_to_pdf(html)
