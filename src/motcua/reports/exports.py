"""The operational report as an Excel workbook and as a PDF, from the same rows and the same
columns as the page (`COLUMNS`), so the three always show the same figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from motcua.agencies.models import Unit
from motcua.lib.pdf import html_to_pdf
from motcua.reports.operational import Measure, OperationalRow
from motcua.reports.selectors import LateDossier, OperationalReport

ON_TIME_RATE = "on_time_rate"
LATE_RATE = "late_rate"


@dataclass(frozen=True)
class Column:
    """A column of the report: a measure (or a rate) under the header of its group."""

    key: str
    header: Any
    group: Any


_TO_PROCESS = gettext_lazy("Số hồ sơ phải giải quyết")
_FINISHED = gettext_lazy("Số hồ sơ đã giải quyết")
_OPEN = gettext_lazy("Số hồ sơ đang giải quyết")
_RATES = gettext_lazy("Tỷ lệ (%)")
COLUMNS: tuple[Column, ...] = (
    Column(Measure.TO_PROCESS, gettext_lazy("Tổng số"), _TO_PROCESS),
    Column(Measure.CARRIED_OVER, gettext_lazy("Kỳ trước chuyển qua"), _TO_PROCESS),
    Column(Measure.RECEIVED, gettext_lazy("Tiếp nhận trong kỳ"), _TO_PROCESS),
    Column(Measure.RECEIVED_COUNTER, gettext_lazy("Trực tiếp"), _TO_PROCESS),
    Column(Measure.RECEIVED_ONLINE, gettext_lazy("Trực tuyến"), _TO_PROCESS),
    Column(Measure.RECEIVED_POST, gettext_lazy("Bưu chính"), _TO_PROCESS),
    Column(Measure.FINISHED, gettext_lazy("Tổng số"), _FINISHED),
    Column(Measure.FINISHED_EARLY, gettext_lazy("Trước hạn"), _FINISHED),
    Column(Measure.FINISHED_ON_TIME, gettext_lazy("Đúng hạn"), _FINISHED),
    Column(Measure.FINISHED_LATE, gettext_lazy("Quá hạn"), _FINISHED),
    Column(
        Measure.ENDED_WITHOUT_RESULT,
        gettext_lazy("Trong đó dừng, rút, không đủ điều kiện"),
        _FINISHED,
    ),
    Column(Measure.OPEN, gettext_lazy("Tổng số"), _OPEN),
    Column(Measure.OPEN_WITHIN, gettext_lazy("Trong hạn"), _OPEN),
    Column(Measure.OPEN_OVERDUE, gettext_lazy("Quá hạn"), _OPEN),
    Column(Measure.UNCOLLECTED, gettext_lazy("Có kết quả, chưa trả"), None),
    Column(ON_TIME_RATE, gettext_lazy("Đúng hạn"), _RATES),
    Column(LATE_RATE, gettext_lazy("Quá hạn"), _RATES),
)


def cell(row: OperationalRow, key: str) -> int | Decimal | None:
    """A row's figure in a column; a rate with nothing to process is None ("N/A")."""
    if key == ON_TIME_RATE:
        return row.on_time_rate
    if key == LATE_RATE:
        return row.late_rate
    return row[key]


@dataclass
class HeaderGroup:
    """A cell of the header's first line: a group over `span` columns, or (not grouped) the
    header of a single column spanning both lines."""

    label: Any
    span: int
    grouped: bool


def column_groups() -> list[HeaderGroup]:
    groups: list[HeaderGroup] = []
    for column in COLUMNS:
        if groups and groups[-1].grouped and groups[-1].label is column.group:
            groups[-1].span += 1
        elif column.group is None:
            groups.append(HeaderGroup(column.header, 1, grouped=False))
        else:
            groups.append(HeaderGroup(column.group, 1, grouped=True))
    return groups


def report_title() -> str:
    return _("BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH")


def report_subtitle(report: OperationalReport) -> str:
    """The period, and what the figures cover beyond it."""
    parts = [f"{report.period.label} ({report.period.range_label.lower()})"]
    scope = report.scope
    if scope.sector is not None:
        parts.append(_("lĩnh vực %(name)s") % {"name": scope.sector.name})
    if scope.procedure is not None:
        parts.append(_("thủ tục %(code)s") % {"code": scope.procedure.national_code})
    return "; ".join(parts)


def _when(instant: dt.datetime) -> str:
    local = timezone.localtime(instant)
    return f"{local:%H:%M} {local:%d/%m/%Y}"


def report_as_of(report: OperationalReport) -> str:
    if report.running:
        return _("Số liệu tạm tính đến %(at)s, cập nhật vài phút một lần.") % {
            "at": _when(report.as_of)
        }
    if report.closed_at is not None:
        return _("Số liệu tính đến %(at)s, chốt lúc %(closed)s.") % {
            "at": _when(report.as_of),
            "closed": _when(report.closed_at),
        }
    return _("Số liệu tính đến %(at)s.") % {"at": _when(report.as_of)}


def late_reason_text(late: LateDossier) -> str:
    """Why a dossier is late, in words: where it was held up, its apology, its supplements."""
    reasons = []
    if late.held_up_by:
        reasons.append(_("Chậm tại: %(units)s") % {"units": ", ".join(late.held_up_by)})
    if late.multi_supplement:
        reasons.append(_("Yêu cầu bổ sung quá một lần"))
    if late.apology_reason:
        reasons.append(_("Lý do nêu trong văn bản xin lỗi: %(r)s") % {"r": late.apology_reason})
    return "; ".join(reasons) or _("Quá hạn giải quyết")


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def late_cells(position: int, late: LateDossier) -> list[Any]:
    """One late dossier: its code, procedure, agency, dates (Vietnam's wall clock), reasons."""
    dossier = late.dossier
    ended = dossier.resolved_at or dossier.returned_at or dossier.stopped_at
    return [
        position,
        dossier.code,
        dossier.procedure_version.name,
        dossier.competent_unit.name,
        _local(dossier.received_at),
        _local(dossier.due_at),
        _local(ended),
        late_reason_text(late),
    ]


LATE_HEADERS = (
    gettext_lazy("STT"),
    gettext_lazy("Mã hồ sơ"),
    gettext_lazy("Thủ tục hành chính"),
    gettext_lazy("Cơ quan giải quyết"),
    gettext_lazy("Ngày tiếp nhận"),
    gettext_lazy("Hạn giải quyết"),
    gettext_lazy("Ngày kết thúc"),
    gettext_lazy("Lý do chậm"),
)


# ---------------------------------------------------------------------------------------------
# Excel

_FONT = "Times New Roman"
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_ROW = 6


def report_xlsx(
    *, report: OperationalReport, late: Sequence[LateDossier], heading_unit: Unit | None
) -> bytes:
    """The report as a workbook: per agency, per procedure, and the late dossiers."""
    with translation.override("vi"):
        workbook = Workbook()
        agencies = workbook.active
        assert agencies is not None
        agencies.title = _("Theo cơ quan")
        _figures_sheet(agencies, report, report.by_agency, _("Cơ quan giải quyết"), heading_unit)
        procedures = workbook.create_sheet(_("Theo thủ tục"))
        _figures_sheet(
            procedures, report, report.by_procedure, _("Thủ tục hành chính"), heading_unit
        )
        _late_sheet(workbook.create_sheet(_("Hồ sơ chậm")), report, late, heading_unit)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _title_rows(
    sheet: Any, report: OperationalReport, width: int, unit_name: str, title: str = ""
) -> None:
    lines = [
        (unit_name.upper(), 12, True, False),
        (title or report_title(), 14, True, False),
        (report_subtitle(report), 12, False, True),
        (report_as_of(report), 11, False, True),
    ]
    for row, (text, size, bold, italic) in enumerate(lines, start=1):
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        target = sheet.cell(row=row, column=1, value=text)
        target.font = Font(name=_FONT, size=size, bold=bold, italic=italic)
        target.alignment = Alignment(horizontal="center")


def _header_cell(sheet: Any, row: int, column: int, text: Any) -> None:
    target = sheet.cell(row=row, column=column, value=str(text))
    target.font = Font(name=_FONT, size=11, bold=True)
    target.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    target.border = _BORDER


def _figures_header(sheet: Any, first: str) -> None:
    top, below = _HEADER_ROW, _HEADER_ROW + 1
    for column, text in ((1, _("STT")), (2, first)):
        _header_cell(sheet, top, column, text)
        _header_cell(sheet, below, column, "")
        sheet.merge_cells(start_row=top, start_column=column, end_row=below, end_column=column)
    column = 3
    for group in column_groups():
        if not group.grouped:
            _header_cell(sheet, top, column, group.label)
            _header_cell(sheet, below, column, "")
            sheet.merge_cells(start_row=top, start_column=column, end_row=below, end_column=column)
        else:
            for offset, spec in enumerate(COLUMNS[column - 3 : column - 3 + group.span]):
                _header_cell(sheet, top, column + offset, group.label if offset == 0 else "")
                _header_cell(sheet, below, column + offset, spec.header)
            end = column + group.span - 1
            sheet.merge_cells(start_row=top, start_column=column, end_row=top, end_column=end)
        column += group.span
    sheet.row_dimensions[below].height = 48


def _figures_row(sheet: Any, values: list[Any], bold: bool = False) -> None:
    sheet.append(values)
    row = sheet.max_row
    for column in range(1, len(values) + 1):
        target = sheet.cell(row=row, column=column)
        target.font = Font(name=_FONT, size=11, bold=bold)
        target.border = _BORDER
        target.alignment = Alignment(vertical="top", wrap_text=column == 2)
        if column > 2 + len(COLUMNS) - 2:
            target.number_format = "0.00"


def _figures_sheet(
    sheet: Any,
    report: OperationalReport,
    rows: Sequence[OperationalRow],
    first: str,
    heading_unit: Unit | None,
) -> None:
    _title_rows(sheet, report, 2 + len(COLUMNS), _unit_name(heading_unit))
    _figures_header(sheet, first)
    for position, row in enumerate(rows, start=1):
        _figures_row(sheet, [position, row.label, *(_excel(cell(row, c.key)) for c in COLUMNS)])
    total = report.total
    _figures_row(sheet, ["", total.label, *(_excel(cell(total, c.key)) for c in COLUMNS)], True)
    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 44
    for column in range(3, 3 + len(COLUMNS)):
        sheet.column_dimensions[get_column_letter(column)].width = 11
    sheet.freeze_panes = sheet.cell(row=_HEADER_ROW + 2, column=3)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.print_title_rows = f"{_HEADER_ROW}:{_HEADER_ROW + 1}"


def _unit_name(unit: Unit | None) -> str:
    return unit.name if unit else settings.MOTCUA_CENTER_NAME


def _excel(value: int | Decimal | None) -> Any:
    # Excel keeps rates as numbers (shown with 2 decimals); "N/A" when nothing was to process.
    if value is None:
        return "N/A"
    return float(value) if isinstance(value, Decimal) else value


def _late_sheet(
    sheet: Any, report: OperationalReport, late: Sequence[LateDossier], heading_unit: Unit | None
) -> None:
    title = _("DANH SÁCH HỒ SƠ CHẬM VÀ LÝ DO")
    _title_rows(sheet, report, len(LATE_HEADERS), _unit_name(heading_unit), title)
    for column, header in enumerate(LATE_HEADERS, start=1):
        _header_cell(sheet, _HEADER_ROW, column, header)
    for position, item in enumerate(late, start=1):
        sheet.append(late_cells(position, item))
        for column in range(1, len(LATE_HEADERS) + 1):
            target = sheet.cell(row=sheet.max_row, column=column)
            target.font = Font(name=_FONT, size=11)
            target.border = _BORDER
            target.alignment = Alignment(vertical="top", wrap_text=True)
            if 5 <= column <= 7:
                target.number_format = "dd/mm/yyyy hh:mm"
    for column, width in enumerate((6, 26, 40, 30, 17, 17, 17, 60), start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


# ---------------------------------------------------------------------------------------------
# PDF


def report_pdf(
    *, report: OperationalReport, late: Sequence[LateDossier], heading_unit: Unit | None
) -> bytes:
    """The report printed on A4 landscape, with the standard heading and signatures."""
    with translation.override("vi"):
        parent = heading_unit.parent if heading_unit else None
        context = {
            "heading": SimpleNamespace(
                parent_name=parent.name if parent else settings.MOTCUA_PROVINCE_NAME,
                unit_name=heading_unit.name if heading_unit else settings.MOTCUA_CENTER_NAME,
                number="",
                place=settings.MOTCUA_PLACE_NAME,
                date=timezone.localdate(),
            ),
            "title": report_title(),
            "subtitle": report_subtitle(report),
            "as_of": report_as_of(report),
            "groups": column_groups(),
            "columns": COLUMNS,
            "by_agency": _printed_rows(report.by_agency),
            "by_procedure": _printed_rows(report.by_procedure),
            "total": _printed_row(report.total),
            "late_causes": report.late_causes,
            "late_total": report.total[Measure.LATE],
            "late": [
                SimpleNamespace(cells=late_cells(position, item))
                for position, item in enumerate(late, start=1)
            ],
            "late_headers": LATE_HEADERS,
        }
        html = render_to_string("reports/operational_report.html", context)
    return html_to_pdf(html)


def _printed_row(row: OperationalRow) -> SimpleNamespace:
    return SimpleNamespace(label=row.label, cells=[cell(row, c.key) for c in COLUMNS])


def _printed_rows(rows: Sequence[OperationalRow]) -> list[SimpleNamespace]:
    return [_printed_row(row) for row in rows]
