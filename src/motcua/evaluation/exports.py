"""The evaluation summary as an Excel workbook: one sheet, a row per competent agency and per
procedure and their total, with each indicator's average, the average total out of 18, the class
and the number of dossiers per class. Numbers only; the dossiers are on the back-office list."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from motcua.evaluation.models import Grade
from motcua.evaluation.rules import INDICATORS
from motcua.evaluation.selectors import EvaluationRow, EvaluationSummary

_FONT = "Times New Roman"


def _headers() -> list[str]:
    return [
        _("Cơ quan / thủ tục"),
        _("Số hồ sơ"),
        *[f"{n}. {indicator.label}" for n, indicator in enumerate(INDICATORS, start=1)],
        _("Hồ sơ đánh giá đủ 9 chỉ số"),
        _("Chưa đánh giá đủ"),
        _("Điểm bình quân (tối đa 18)"),
        _("Xếp loại"),
        *[str(grade.label) for grade in Grade],
    ]


def _number(value: Decimal | None) -> Any:
    # "Chưa đánh giá" in words: an empty cell would read as zero points to whoever sums it.
    return _("Chưa đánh giá") if value is None else float(value)


def _values(row: EvaluationRow) -> list[Any]:
    grade = row.grade
    return [
        row.label,
        row.dossiers,
        *[_number(row.average(indicator)) for indicator in INDICATORS],
        row.evaluated,
        row.not_evaluated,
        _number(row.average_total),
        str(grade.label) if grade else _("Chưa đánh giá"),
        *[row.grades[grade] for grade in Grade],
    ]


def _block(sheet: Any, title: str, rows: list[EvaluationRow]) -> None:
    sheet.append([])
    sheet.append([title])
    sheet.cell(row=sheet.max_row, column=1).font = Font(name=_FONT, bold=True)
    for row in rows:
        sheet.append(_values(row))


def summary_xlsx(*, summary: EvaluationSummary) -> bytes:
    """The workbook of a summary (see the module docstring)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Đánh giá giải quyết TTHC")[:31]
    sheet.append([_("BẢNG TỔNG HỢP ĐÁNH GIÁ VIỆC GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH")])
    sheet.cell(row=1, column=1).font = Font(name=_FONT, size=14, bold=True)
    unit = summary.scope.unit.name if summary.scope.unit else ""
    sheet.append([f"{summary.period.label} ({summary.period.range_label.lower()}) {unit}".strip()])
    sheet.append([])
    sheet.append(_headers())
    for cell in sheet[sheet.max_row]:
        cell.font = Font(name=_FONT, bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    _block(sheet, _("Theo cơ quan giải quyết"), summary.by_agency)
    _block(sheet, _("Theo thủ tục hành chính"), summary.by_procedure)
    sheet.append([])
    sheet.append(_values(summary.total))
    sheet.column_dimensions["A"].width = 48
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
