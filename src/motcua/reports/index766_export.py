"""The Decision 766 index as an Excel workbook: the page's rows and figures, cell for cell."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from motcua.reports.index766 import GroupResult, Index766Report, IndicatorResult

NOT_APPLICABLE = "N/A"
INDEX_COLUMNS: tuple[tuple[Any, int], ...] = (
    (gettext_lazy("Mã"), 7),
    (gettext_lazy("Chỉ số"), 58),
    (gettext_lazy("Tử số"), 10),
    (gettext_lazy("Mẫu số"), 10),
    (gettext_lazy("Tỷ lệ (%)"), 11),
    (gettext_lazy("Tỷ lệ đạt điểm tối đa (%)"), 14),
    (gettext_lazy("Điểm tối đa"), 11),
    (gettext_lazy("Điểm"), 10),
)
TIME_COLUMNS: tuple[tuple[Any, int], ...] = (
    (gettext_lazy("Mã thủ tục"), 12),
    (gettext_lazy("Thủ tục hành chính"), 60),
    (gettext_lazy("Số hồ sơ đã giải quyết"), 14),
    (gettext_lazy("Thời gian trung bình"), 14),
    (gettext_lazy("Đơn vị tính"), 18),
    (gettext_lazy("Thời hạn quy định"), 14),
)
HEADER_ROW = 6
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_FONT = "Times New Roman"


def indicator_cells(indicator: IndicatorResult) -> list[Any]:
    """One indicator as the page shows it: "N/A" where the denominator is empty."""
    if not indicator.scored:
        return [indicator.code, indicator.name, "", indicator.denominator, "", "", "", ""]
    na = indicator.not_applicable
    return [
        indicator.code,
        indicator.name,
        indicator.numerator,
        indicator.denominator,
        NOT_APPLICABLE if na else indicator.rate,
        indicator.target,
        indicator.maximum,
        NOT_APPLICABLE if na else indicator.points,
    ]


def group_cells(group: GroupResult) -> list[Any]:
    return ["", group.label, "", "", "", "", group.maximum, group.points]


def index766_xlsx(report: Index766Report) -> bytes:
    """The index and, on a second sheet, the average resolution times (2.2)."""
    with translation.override("vi"):
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.title = _("Chỉ số 766")
        _title(sheet, report, len(INDEX_COLUMNS))
        _header(sheet, INDEX_COLUMNS)
        for group in report.groups:
            _row(sheet, group_cells(group), bold=True)
            for indicator in group.indicators:
                _row(sheet, indicator_cells(indicator))
        total = ["", _("Tổng điểm"), "", "", "", "", report.total_maximum, report.total]
        _row(sheet, total, bold=True)
        _times_sheet(workbook.create_sheet(_("2.2 Thời gian giải quyết")), report)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _times_sheet(sheet: Any, report: Index766Report) -> None:
    _title(sheet, report, len(TIME_COLUMNS))
    _header(sheet, TIME_COLUMNS)
    for time in report.procedure_times:
        cells = [
            time.national_code,
            time.name,
            time.count,
            time.average,
            time.unit_label,
            time.statutory_label,
        ]
        _row(sheet, cells)


def _title(sheet: Any, report: Index766Report, width: int) -> None:
    lines = [
        (report.unit.name.upper(), 12, True),
        (
            _("CHỈ SỐ ĐÁNH GIÁ CHẤT LƯỢNG PHỤC VỤ NGƯỜI DÂN, DOANH NGHIỆP (QUYẾT ĐỊNH 766/QĐ-TTg)"),
            13,
            True,
        ),
        (f"{report.period.label} — {report.period.range_label}", 12, False),
        (
            _("Số liệu tính đến %(at)s")
            % {"at": f"{timezone.localtime(report.as_of):%H:%M %d/%m/%Y}"},
            11,
            False,
        ),
    ]
    for row, (text, size, bold) in enumerate(lines, start=1):
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        cell = sheet.cell(row=row, column=1, value=text)
        cell.font = Font(name=_FONT, size=size, bold=bold, italic=not bold)
        cell.alignment = Alignment(horizontal="center")


def _header(sheet: Any, columns: tuple[tuple[Any, int], ...]) -> None:
    for column, (header, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=column, value=str(header))
        cell.font = Font(name=_FONT, size=12, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BORDER
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=1)


def _row(sheet: Any, values: list[Any], *, bold: bool = False) -> None:
    sheet.append(values)
    row = sheet.max_row
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column)
        cell.font = Font(name=_FONT, size=12, bold=bold)
        cell.border = _BORDER
        cell.alignment = Alignment(vertical="top", wrap_text=column == 2)
        if isinstance(value, Decimal):
            cell.number_format = "0.00"
