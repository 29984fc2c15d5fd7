"""Back-office pages for supervision and statistics: the live dashboard, the list of dossiers
behind each of its numbers, and the operational report on screen, as Excel and as PDF.

The figures come from `reports.selectors`; every number links to the list of its dossiers
(same measure, period and scope). Charts are SVG drawn on the server, each with a title and a
table of its data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.backoffice.access import officer_required
from motcua.backoffice.report_params import int_param, period_param, scope_param
from motcua.core.errors import ValidationFailed
from motcua.core.replica import reading_from_replica
from motcua.reports.exports import COLUMNS, column_groups, report_as_of, report_pdf, report_xlsx
from motcua.reports.operational import MEASURE_LABELS, Measure, OperationalRow
from motcua.reports.periods import REPORT_KINDS, Period
from motcua.reports.selectors import (
    ReportChoices,
    ReportScope,
    dashboard,
    late_dossier_list,
    measure_dossiers,
    operational_report,
    report_choices,
    report_home_unit,
)

PAGE_SIZE = 25
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# ---------------------------------------------------------------------------------------------
# Parameters and filters


class ScopeForm(forms.Form):
    """The filters, for display: the values were already checked by `report_scope_get`."""

    unit = forms.ChoiceField(label=gettext_lazy("Đơn vị"), required=False)
    sector = forms.ChoiceField(label=gettext_lazy("Lĩnh vực"), required=False)
    procedure = forms.ChoiceField(label=gettext_lazy("Thủ tục hành chính"), required=False)

    def __init__(self, *args: Any, choices: ReportChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = [(u.pk, "— " * max(0, u.path.count("/") - 2) + u.name) for u in choices.units]
        self.fields["unit"].choices = [("", _("Tất cả đơn vị được xem")), *units]  # type: ignore[attr-defined]
        sectors = [(s.pk, s.name) for s in choices.sectors]
        self.fields["sector"].choices = [("", _("Tất cả lĩnh vực")), *sectors]  # type: ignore[attr-defined]
        procedures = [(p.pk, f"{p.national_code} — {p.name[:90]}") for p in choices.procedures]
        self.fields["procedure"].choices = [("", _("Tất cả thủ tục")), *procedures]  # type: ignore[attr-defined]


class PeriodForm(ScopeForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kỳ báo cáo"),
        choices=[(kind.value, kind.label) for kind in REPORT_KINDS],
    )
    number = forms.IntegerField(
        label=gettext_lazy("Tháng / quý / 6 tháng (số thứ tự)"),
        min_value=1,
        max_value=12,
        widget=forms.NumberInput(attrs={"class": "input-wide"}),
    )
    year = forms.IntegerField(
        label=gettext_lazy("Năm"),
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"class": "input-wide"}),
    )

    field_order = ["kind", "number", "year", "unit", "sector", "procedure"]


# ---------------------------------------------------------------------------------------------
# Numbers that link to their dossiers


@dataclass(frozen=True)
class Cell:
    value: Any
    url: str = ""


def drill_url(measure: str, period: Period, scope: ReportScope, **extra: int | None) -> str:
    """The list of dossiers behind a number."""
    query: dict[str, Any] = {"measure": measure, "p": period.token, **scope.query()}
    query.update({name: value for name, value in extra.items() if value is not None})
    return f"{reverse('backoffice:stats_dossiers')}?{urlencode(query)}"


def _is_measure(name: str) -> bool:
    return name in {m.value for m in Measure}


@dataclass(frozen=True)
class LinkedRow:
    row: OperationalRow
    cells: list[Cell]


def _linked_rows(
    rows: list[OperationalRow], period: Period, scope: ReportScope, key: str | None
) -> list[LinkedRow]:
    linked = []
    for row in rows:
        extra = {key: row.key} if key else {}
        cells = [
            Cell(row[c.key], drill_url(c.key, period, scope, **extra))
            if _is_measure(c.key)
            else Cell(getattr(row, c.key))
            for c in COLUMNS
        ]
        linked.append(LinkedRow(row, cells))
    return linked


# ---------------------------------------------------------------------------------------------
# Charts


@dataclass(frozen=True)
class TrendPoint:
    label: str
    received: int
    finished: int
    x: float
    y_received: float
    y_finished: float
    received_url: str
    finished_url: str


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    ticks: list[tuple[int, float]]
    points: list[TrendPoint]

    @property
    def plot_right(self) -> int:
        return self.width - self.right

    @property
    def received_line(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y_received:.1f}" for p in self.points)

    @property
    def finished_line(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y_finished:.1f}" for p in self.points)


def _nice_ceiling(value: int, steps: int = 4) -> int:
    """The smallest 1, 2 or 5 × 10^k step whose `steps` multiples reach `value`."""
    raw = max(1, math.ceil(value / steps))
    power = 10 ** (len(str(raw)) - 1)
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return step * steps


def trend_chart(
    trend: list[tuple[Period, int, int]], scope: ReportScope, *, width: int = 520
) -> TrendChart:
    height, left, right, top, bottom = 300, 48, 16, 20, 250
    top_value = _nice_ceiling(max([1, *(max(r, f) for _p, r, f in trend)]))
    span = (width - left - right) / max(1, len(trend))

    def y(value: int) -> float:
        return bottom - (bottom - top) * value / top_value

    points = [
        TrendPoint(
            label=f"{period.number:02d}/{period.year % 100:02d}",
            received=received,
            finished=finished,
            x=left + span * (index + 0.5),
            y_received=y(received),
            y_finished=y(finished),
            received_url=drill_url(Measure.RECEIVED, period, scope),
            finished_url=drill_url(Measure.FINISHED, period, scope),
        )
        for index, (period, received, finished) in enumerate(trend)
    ]
    ticks = [(top_value * i // 4, y(top_value * i // 4)) for i in range(5)]
    return TrendChart(width, height, left, right, top, bottom, ticks, points)


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | None
    value_text: str
    y: float
    width: float
    tone: str
    url: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot: int
    bars: list[Bar]


_TONES = {"ok": "#1f7a3a", "warn": "#b26a00", "bad": "#b00020", "na": "#8a94a0"}


def _percent(value: Decimal | None) -> str:
    return "N/A" if value is None else f"{formats.number_format(value, 2)}%"


def _tone(value: Decimal | None) -> str:
    if value is None:
        return _TONES["na"]
    return _TONES["ok" if value >= 90 else "warn" if value >= 70 else "bad"]


def on_time_chart(
    rows: list[OperationalRow], period: Period, scope: ReportScope, *, width: int = 440
) -> BarChart:
    """The on-time rate per agency: one bar each, its label above it."""
    row_height, plot = 46, width - 80
    bars = [
        Bar(
            label=row.label,
            value=row.on_time_rate,
            value_text=_percent(row.on_time_rate),
            y=index * row_height,
            width=float(plot * (row.on_time_rate or 0) / 100),
            tone=_tone(row.on_time_rate),
            url=drill_url(Measure.LATE, period, scope, agency=row.key),
        )
        for index, row in enumerate(rows)
    ]
    return BarChart(width, max(row_height, row_height * len(rows)), plot, bars)


# ---------------------------------------------------------------------------------------------
# The dashboard


@dataclass(frozen=True)
class ReceivedLine:
    label: str
    cells: list[Cell]


_RECEIVED = (
    Measure.RECEIVED,
    Measure.RECEIVED_COUNTER,
    Measure.RECEIVED_ONLINE,
    Measure.RECEIVED_POST,
)
_STATUS = (
    Measure.OPEN_WITHIN,
    Measure.OPEN_NEAR_DUE,
    Measure.OPEN_OVERDUE,
    Measure.OPEN_PAUSED,
    Measure.FINISHED_EARLY,
    Measure.FINISHED_ON_TIME,
    Measure.FINISHED_LATE,
    Measure.UNCOLLECTED,
)


@officer_required
@reading_from_replica()
def stats_dashboard(request: HttpRequest) -> HttpResponse:
    scope = scope_param(request)
    figures = dashboard(viewer=request.user, scope=scope)
    month = figures.month
    labels = [_("Hôm nay"), _("Tuần này"), _("Tháng này")]
    received = [
        ReceivedLine(
            str(label), [Cell(line.counts[m], drill_url(m, line.period, scope)) for m in _RECEIVED]
        )
        for label, line in zip(labels, figures.received, strict=True)
    ]
    status = [
        (MEASURE_LABELS[m], Cell(figures.total[m], drill_url(m, month, scope))) for m in _STATUS
    ]
    delays = [
        (item, drill_url(Measure.STEP_DELAYED, month, scope, cause=item.agency_id))
        for item in figures.step_delays
    ]
    return render(
        request,
        "backoffice/reports/dashboard.html",
        {
            "form": ScopeForm(initial=scope.query(), choices=report_choices(viewer=request.user)),
            "figures": figures,
            "received": received,
            "received_headers": [_("Tổng số"), _("Trực tiếp"), _("Trực tuyến"), _("Bưu chính")],
            "status": status,
            "to_process": Cell(
                figures.total[Measure.TO_PROCESS], drill_url(Measure.TO_PROCESS, month, scope)
            ),
            "late": Cell(figures.total[Measure.LATE], drill_url(Measure.LATE, month, scope)),
            "trend": trend_chart(figures.trend, scope),
            "on_time": on_time_chart(figures.by_agency, month, scope),
            "by_agency": _linked_rows(figures.by_agency, month, scope, "agency"),
            "by_procedure": _linked_rows(figures.by_procedure, month, scope, "procedure"),
            "total": _linked_rows([figures.total], month, scope, None)[0],
            "delays": delays,
            "groups": column_groups(),
            "columns": COLUMNS,
            "report_query": urlencode(scope.query()),
        },
    )


@officer_required
@reading_from_replica()
def stats_dossiers(request: HttpRequest) -> HttpResponse:
    scope = scope_param(request)
    measure_name = request.GET.get("measure", "")
    if not _is_measure(measure_name):
        raise ValidationFailed(_("Chỉ tiêu không hợp lệ."))
    measure = Measure(measure_name)
    period = Period.parse(request.GET.get("p", ""))
    agency, cause = int_param(request, "agency"), int_param(request, "cause")
    found = measure_dossiers(
        viewer=request.user,
        measure=measure,
        period=period,
        scope=scope,
        agency_id=agency,
        cause_id=cause,
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = {"measure": measure, "p": period.token, **scope.query(), "agency": agency}
    query["cause"] = cause
    return render(
        request,
        "backoffice/reports/dossiers.html",
        {
            "measure_label": MEASURE_LABELS[measure],
            "period": period,
            "scope": scope,
            "page": page,
            "query": urlencode({k: v for k, v in query.items() if v is not None}),
        },
    )


# ---------------------------------------------------------------------------------------------
# The operational report


def _report(request: HttpRequest) -> tuple[Any, ReportScope]:
    scope = scope_param(request)
    return operational_report(viewer=request.user, period=period_param(request), scope=scope), scope


def _report_query(report: Any) -> dict[str, Any]:
    period = report.period
    return {"kind": period.kind, "number": period.number, "year": period.year} | (
        report.scope.query()
    )


@officer_required
@reading_from_replica()
def operational_report_view(request: HttpRequest) -> HttpResponse:
    report, scope = _report(request)
    period = report.period
    causes = [
        (item, drill_url(Measure.LATE, period, scope, cause=item.agency_id))
        for item in report.late_causes
    ]
    query = _report_query(report)
    return render(
        request,
        "backoffice/reports/report.html",
        {
            "form": PeriodForm(initial=query, choices=report_choices(viewer=request.user)),
            "report": report,
            "as_of": report_as_of(report),
            "by_agency": _linked_rows(report.by_agency, period, scope, "agency"),
            "by_procedure": _linked_rows(report.by_procedure, period, scope, "procedure"),
            "total": _linked_rows([report.total], period, scope, None)[0],
            "groups": column_groups(),
            "columns": COLUMNS,
            "causes": causes,
            "late": Cell(report.total[Measure.LATE], drill_url(Measure.LATE, period, scope)),
            "apologised": Cell(
                report.total[Measure.LATE_APOLOGISED],
                drill_url(Measure.LATE_APOLOGISED, period, scope),
            ),
            "multi_supplement": Cell(
                report.total[Measure.LATE_MULTI_SUPPLEMENT],
                drill_url(Measure.LATE_MULTI_SUPPLEMENT, period, scope),
            ),
            "query": urlencode(query),
        },
    )


def _export_name(report: Any, extension: str) -> str:
    period = report.period
    return f"bao-cao-{period.kind}-{period.year}-{period.number:02d}.{extension}"


def _export_inputs(request: HttpRequest) -> tuple[Any, list[Any], Any]:
    report, scope = _report(request)
    late = late_dossier_list(viewer=request.user, period=report.period, scope=scope)
    return report, late, scope.unit or report_home_unit(viewer=request.user)


@officer_required
@reading_from_replica()
def operational_report_xlsx(request: HttpRequest) -> HttpResponse:
    report, late, unit = _export_inputs(request)
    response = HttpResponse(
        report_xlsx(report=report, late=late, heading_unit=unit), content_type=XLSX
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_name(report, "xlsx")}"'
    return response


@officer_required
@reading_from_replica()
def operational_report_pdf(request: HttpRequest) -> HttpResponse:
    report, late, unit = _export_inputs(request)
    response = HttpResponse(
        report_pdf(report=report, late=late, heading_unit=unit), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="{_export_name(report, "pdf")}"'
    return response
