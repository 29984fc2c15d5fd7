"""Form 07, the tracking logbook (sổ theo dõi hồ sơ): its rows, and the logbook as a workbook.

The PDF is printed by ``printing.logbook_pdf`` from the same rows and columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from functools import reduce
from io import BytesIO
from operator import or_
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Min, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from motcua.agencies.models import Unit
from motcua.dossiers.models import Dossier

# (header, width in characters of the workbook column, width in % of the printed table).
COLUMNS: tuple[tuple[Any, int, float], ...] = (
    (gettext_lazy("STT"), 6, 3.5),
    (gettext_lazy("Mã hồ sơ"), 26, 12.5),
    (gettext_lazy("Thủ tục hành chính"), 44, 16),
    (gettext_lazy("Người nộp hồ sơ"), 26, 11),
    (gettext_lazy("Cơ quan giải quyết"), 32, 11),
    (gettext_lazy("Ngày nhận hồ sơ"), 17, 7.8),
    (gettext_lazy("Ngày hẹn trả kết quả"), 17, 7.8),
    (gettext_lazy("Ngày chuyển hồ sơ"), 17, 7.8),
    (gettext_lazy("Ngày có kết quả"), 17, 7.8),
    (gettext_lazy("Ngày trả kết quả"), 17, 7.8),
    (gettext_lazy("Ký nhận"), 16, 7),
)
DATE_COLUMNS = range(5, 10)
HEADER_ROW = 5


def logbook_rows(*, units: Iterable[Unit], start: dt.date, end: dt.date) -> QuerySet[Dossier]:
    """Dossiers received or resolved by the units' subtrees, received on local days start–end.

    The caller decides which units the viewer may see. Each row carries ``transferred_at``,
    the first hand-over (the transfer from the desk), blank when there was none.
    """
    paths = [unit.path for unit in units]
    if not paths:
        return Dossier.objects.none()
    in_units = reduce(
        or_,
        (
            Q(receiving_unit__path__startswith=path) | Q(competent_unit__path__startswith=path)
            for path in paths
        ),
    )
    return (
        Dossier.objects.filter(in_units, received_at__gte=_midnight(start))
        .filter(received_at__lt=_midnight(end + dt.timedelta(days=1)))
        .select_related("procedure_version", "competent_unit", "receiving_unit")
        .annotate(transferred_at=Min("handovers__at"))
        .order_by("received_at", "pk")
    )


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def logbook_cells(position: int, dossier: Dossier) -> list[Any]:
    """One row of the logbook: text, and aware datetimes (or None) in the date columns."""
    return [
        position,
        dossier.code,
        dossier.procedure_version.name,
        dossier.applicant_name,
        dossier.competent_unit.name,
        dossier.received_at,
        dossier.due_at,
        getattr(dossier, "transferred_at", None),
        dossier.resolved_at,
        dossier.returned_at,
        "",
    ]


def logbook_title(*, start: dt.date, end: dt.date) -> tuple[str, str]:
    """The title and the period line, as printed on both the PDF and the workbook."""
    period = _("Từ ngày %(start)s đến ngày %(end)s") % {
        "start": f"{start:%d/%m/%Y}",
        "end": f"{end:%d/%m/%Y}",
    }
    return _("SỔ THEO DÕI HỒ SƠ"), period


def logbook_xlsx(
    *, rows: Sequence[Dossier] | QuerySet[Dossier], unit: Unit, start: dt.date, end: dt.date
) -> bytes:
    """Form 07 as an Excel workbook; dates are Excel datetimes in Vietnam time."""
    with translation.override("vi"):
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.title = _("Sổ theo dõi hồ sơ")
        _xlsx_title(sheet, unit=unit, start=start, end=end)
        _xlsx_header(sheet)
        for position, dossier in enumerate(rows, start=1):
            sheet.append([_excel_value(v) for v in logbook_cells(position, dossier)])
            _xlsx_style_row(sheet, sheet.max_row)
        sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=1)
        sheet.print_options.horizontalCentered = True
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _excel_value(value: Any) -> Any:
    # Excel has no time zones: the date is written as the wall clock in Vietnam.
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)
    return value


def _xlsx_title(sheet: Any, *, unit: Unit, start: dt.date, end: dt.date) -> None:
    title, period = logbook_title(start=start, end=end)
    last = len(COLUMNS)
    for row, (text, size) in enumerate(
        [(unit.name.upper(), 12), (title, 14), (period, 12)], start=1
    ):
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last)
        cell = sheet.cell(row=row, column=1, value=text)
        cell.font = Font(name="Times New Roman", size=size, bold=row < 3, italic=row == 3)
        cell.alignment = Alignment(horizontal="center")


def _xlsx_header(sheet: Any) -> None:
    for column, (header, width, _percent) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=column, value=str(header))
        cell.font = Font(name="Times New Roman", size=12, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BORDER
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.row_dimensions[HEADER_ROW].height = 32


_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _xlsx_style_row(sheet: Any, row: int) -> None:
    for column in range(1, len(COLUMNS) + 1):
        cell = sheet.cell(row=row, column=column)
        cell.font = Font(name="Times New Roman", size=12)
        cell.border = _BORDER
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        if column - 1 in DATE_COLUMNS:
            cell.number_format = "dd/mm/yyyy hh:mm"
