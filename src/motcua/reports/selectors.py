"""Reads for supervision and statistics: the operational report, the live dashboard, the lists
of dossiers behind their numbers, and the public transparency board.

Each selector takes the viewer. A viewer counts only the dossiers they could open
(`dossiers.selectors.dossier_list`, the one rule of visibility), narrowed to a unit and its
subtree (the unit that received the dossier or the one competent for it), a sector and a
procedure. The figures come from `reports.operational`, whose named conditions give both the
counts and the lists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.agencies.models import Unit
from motcua.agencies.selectors import agency_of
from motcua.calendars.selectors import work_calendar_for
from motcua.catalog.models import Procedure
from motcua.dossiers.models import Dossier, DossierNotice, DossierNoticeKind, DossierStep
from motcua.lib.workdays import WorkCalendar, add_working_time, working_time_between
from motcua.ratings.models import Overall, Rating
from motcua.reports.models import AgencyCountKind, ClosedPeriod
from motcua.reports.operational import (
    COUNTED,
    Grouping,
    Measure,
    OperationalRow,
    agency_expression,
    caused_by,
    late_causes,
    late_steps,
    measure_conditions,
    measure_filter,
    monthly_trend,
    operational_counts,
    rate_of,
    reported,
    row_total,
    step_delays,
    step_overrun,
    with_clock,
)
from motcua.reports.periods import Period, PeriodKind, months_back
from motcua.reports.rollups import (
    closed_agency_counts,
    closed_counts_by,
    closed_period_get,
    closed_periods_get,
    closed_slow_steps,
    closed_totals_per_period,
)
from motcua.reports.scope import (
    ReportChoices,
    ReportScope,
    report_choices,
    report_home_unit,
    report_scope_get,
    report_units,
    report_viewer_require,
    scope_condition,
    scoped_dossiers,
)

__all__ = [
    "ReportChoices",
    "ReportScope",
    "report_choices",
    "report_home_unit",
    "report_scope_get",
    "report_units",
    "report_viewer_require",
]

TREND_MONTHS = 12
SLOWEST_STEPS = 10


# ---------------------------------------------------------------------------------------------
# Labels


def _label_agencies(rows: list[OperationalRow]) -> list[OperationalRow]:
    units = Unit.objects.in_bulk([row.key for row in rows if row.key is not None])
    for row in rows:
        row.label = units[row.key].name if row.key in units else _("Không xác định")
    return sorted(rows, key=lambda row: row.label)


def _label_procedures(rows: list[OperationalRow]) -> list[OperationalRow]:
    procedures = Procedure.objects.in_bulk([row.key for row in rows if row.key is not None])
    for row in rows:
        found = procedures.get(row.key) if row.key is not None else None
        row.label = f"{found.national_code} — {found.name}" if found else _("Không xác định")
    return sorted(rows, key=lambda row: row.label)


@dataclass(frozen=True)
class AgencyCount:
    agency_id: int
    name: str
    count: int


def _agency_counts(counts: dict[int, int]) -> list[AgencyCount]:
    units = Unit.objects.in_bulk(list(counts))
    rows = [
        AgencyCount(pk, units[pk].name if pk in units else _("Không xác định"), n)
        for pk, n in counts.items()
    ]
    return sorted(rows, key=lambda row: (-row.count, row.name))


# ---------------------------------------------------------------------------------------------
# The operational report


@dataclass
class OperationalReport:
    period: Period
    scope: ReportScope
    as_of: dt.datetime
    by_agency: list[OperationalRow]
    by_procedure: list[OperationalRow]
    total: OperationalRow
    # Late dossiers per agency whose step was late: (agency, number of dossiers).
    late_causes: list[AgencyCount]
    # When the figures were counted (None: now, from the dossiers), and whether the period
    # was still running then.
    closed_at: dt.datetime | None = None
    running: bool = False


@dataclass
class _Figures:
    """A period's rows per agency and per procedure (not labelled yet), the instant they judge
    open dossiers at, and the counted figures they come from (None: from the dossiers)."""

    as_of: dt.datetime
    by_agency: list[OperationalRow]
    by_procedure: list[OperationalRow]
    closed: ClosedPeriod | None


# The rows of a counted period a report's row adds up.
_CLOSED_KEYS = {Grouping.AGENCY: "agency_id", Grouping.PROCEDURE: "procedure_version__procedure_id"}


def _period_figures(
    condition: Q,
    period: Period,
    *,
    now: dt.datetime,
    by: tuple[Grouping, ...] = (Grouping.AGENCY, Grouping.PROCEDURE),
    calendar: WorkCalendar | None = None,
) -> _Figures:
    """The rows of the dossiers under `condition`, per agency and (unless `by` leaves it out)
    per procedure: from the period's counted figures when it has them (a query a grouping),
    else from the dossiers (an aggregate query a grouping)."""
    closed = closed_period_get(period, now=now)
    rows: dict[Grouping, list[OperationalRow]] = {grouping: [] for grouping in Grouping}
    if closed is None:
        dossiers = Dossier.objects.filter(condition)
        near = near_due_before(now=period.as_of(now), calendar=calendar)
        for grouping in by:
            rows[grouping] = operational_counts(
                dossiers, period, now=now, by=grouping, near_due_before=near
            )
        return _Figures(period.as_of(now), rows[Grouping.AGENCY], rows[Grouping.PROCEDURE], None)
    sums = closed_counts_by(closed, condition, keys=[_CLOSED_KEYS[grouping] for grouping in by])
    for grouping in by:
        rows[grouping] = sorted(
            (
                OperationalRow(key=key, counts={str(m): counts.get(m, 0) for m in COUNTED})
                for key, counts in sums[_CLOSED_KEYS[grouping]].items()
                if reported(counts)
            ),
            key=lambda row: row.key or 0,
        )
    as_of = period.as_of(closed.closed_at)
    return _Figures(as_of, rows[Grouping.AGENCY], rows[Grouping.PROCEDURE], closed)


def _agency_figures(
    figures: _Figures, condition: Q, period: Period, *, now: dt.datetime, kind: AgencyCountKind
) -> list[AgencyCount]:
    """Late causes or step delays per agency, from the same source as `figures`."""
    if figures.closed is not None:
        counts = closed_agency_counts(figures.closed, condition, kind=kind)
    else:
        count = late_causes if kind == AgencyCountKind.LATE_CAUSE else step_delays
        counts = count(Dossier.objects.filter(condition), period, now=now)
    return _agency_counts(counts)


def operational_report(
    *, viewer: Any, period: Period, scope: ReportScope, now: dt.datetime | None = None
) -> OperationalReport:
    """The report for a period: per agency and per procedure, the total, and where the late
    dossiers were held up. From the period's counted figures (`reports.rollups`) when it has
    them, else from the dossiers: a fixed number of queries either way."""
    now = now or timezone.now()
    condition = scope_condition(viewer=viewer, scope=scope)
    figures = _period_figures(condition, period, now=now)
    by_agency = _label_agencies(figures.by_agency)
    return OperationalReport(
        period=period,
        scope=scope,
        as_of=figures.as_of,
        by_agency=by_agency,
        by_procedure=_label_procedures(figures.by_procedure),
        total=row_total(by_agency, _("Tổng cộng")),
        late_causes=_agency_figures(
            figures, condition, period, now=now, kind=AgencyCountKind.LATE_CAUSE
        ),
        closed_at=figures.closed.closed_at if figures.closed is not None else None,
        running=figures.closed is not None and figures.closed.running,
    )


@dataclass(frozen=True)
class LateDossier:
    """A late dossier of the period and why: the agencies whose steps were late, the apology's
    reason, a supplement asked more than once."""

    dossier: Dossier
    held_up_by: list[str]
    apology_reason: str
    multi_supplement: bool


def late_dossier_list(
    *, viewer: Any, period: Period, scope: ReportScope, now: dt.datetime | None = None
) -> list[LateDossier]:
    """The late dossiers behind the late rate, with their reasons (three queries)."""
    now = now or timezone.now()
    steps = late_steps(period, now=now, since_start=False).select_related("unit__parent__parent")
    apologies = DossierNotice.objects.filter(kind=DossierNoticeKind.APOLOGY)
    dossiers = (
        measure_filter(scoped_dossiers(viewer=viewer, scope=scope), Measure.LATE, period, now=now)
        .select_related("procedure_version__procedure", "competent_unit")
        .prefetch_related(
            Prefetch("steps", queryset=steps, to_attr="late_steps"),
            Prefetch("notices", queryset=apologies, to_attr="apologies"),
        )
        .order_by("received_at", "pk")
    )
    return [
        LateDossier(
            dossier=d,
            held_up_by=sorted({agency_of(unit=s.unit).name for s in d.late_steps}),  # type: ignore[attr-defined]
            apology_reason=" ".join(n.reason for n in d.apologies),  # type: ignore[attr-defined]
            multi_supplement=d.supplement_count > 1,
        )
        for d in dossiers
    ]


# ---------------------------------------------------------------------------------------------
# The drill-down


def near_due_before(*, now: dt.datetime, calendar: WorkCalendar | None = None) -> dt.datetime:
    """The instant before which an open dossier's due date counts as near at `now` (a period's
    as_of): due with settings.MOTCUA_NEAR_DUE_WORKING_HOURS of working time left or less, as on
    the worklists."""
    calendar = calendar or _calendar(now)
    near = timedelta(hours=settings.MOTCUA_NEAR_DUE_WORKING_HOURS)
    # One microsecond more of working time lands after every instant with exactly `near` left
    # (the end of a session, the night after it).
    return add_working_time(calendar=calendar, start=now, amount=near + timedelta(microseconds=1))


def _calendar(now: dt.datetime) -> WorkCalendar:
    year = timezone.localtime(now).year
    return work_calendar_for(as_of=now, years=range(year - 1, year + 3))


def measure_dossiers(
    *,
    viewer: Any,
    measure: Measure,
    period: Period,
    scope: ReportScope,
    agency_id: int | None = None,
    cause_id: int | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Dossier]:
    """The dossiers behind a number: a measure over a period, in a scope, optionally for one
    competent agency (a row) or held up by one agency (a reason, a step delay)."""
    now = now or timezone.now()
    dossiers = scoped_dossiers(viewer=viewer, scope=scope)
    if agency_id is not None:
        dossiers = dossiers.alias(row_agency=agency_expression("competent_unit")).filter(
            row_agency=agency_id
        )
    near = near_due_before(now=period.as_of(now)) if measure == Measure.OPEN_NEAR_DUE else None
    found = measure_filter(dossiers, measure, period, now=now, near_due_before=near)
    if cause_id is not None:
        since_start = measure == Measure.STEP_DELAYED
        found = found.filter(
            caused_by(period, now=now, agency_id=cause_id, since_start=since_start)
        )
    return found.select_related("procedure_version__procedure", "competent_unit").order_by(
        "received_at", "pk"
    )


# ---------------------------------------------------------------------------------------------
# The dashboard


@dataclass(frozen=True)
class ReceivedCounts:
    period: Period
    counts: dict[str, int]


@dataclass(frozen=True)
class SlowStep:
    step: DossierStep
    agency: str
    # Working time past the step's due time (until it finished, or until now).
    overrun: timedelta
    working_day: timedelta

    @property
    def overrun_days(self) -> Decimal:
        days = Decimal(self.overrun / timedelta(microseconds=1))
        days /= Decimal(self.working_day / timedelta(microseconds=1))
        return days.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Dashboard:
    now: dt.datetime
    scope: ReportScope
    received: list[ReceivedCounts]
    month: Period
    by_agency: list[OperationalRow]
    by_procedure: list[OperationalRow]
    total: OperationalRow
    trend: list[tuple[Period, int, int]]
    step_delays: list[AgencyCount]
    slowest_steps: list[SlowStep] = field(default_factory=list)
    # When the month's figures were counted (None: now, from the dossiers).
    counted_at: dt.datetime | None = None


_RECEIVED = (
    Measure.RECEIVED,
    Measure.RECEIVED_COUNTER,
    Measure.RECEIVED_ONLINE,
    Measure.RECEIVED_POST,
)


def _received_counts(
    dossiers: QuerySet[Dossier], periods: list[Period], *, now: dt.datetime
) -> list[ReceivedCounts]:
    """Received today, this week, this month, by channel: one query."""
    counts = {}
    for index, period in enumerate(periods):
        conditions = measure_conditions(period, now=now)
        for measure in _RECEIVED:
            counts[f"{measure}_{index}"] = Count("pk", filter=conditions[measure])
    earliest = min(period.start for period in periods)
    prepared = with_clock(dossiers.filter(received_at__gte=earliest), as_of=now)
    totals = prepared.order_by().aggregate(**counts)
    return [
        ReceivedCounts(period, {str(m): totals[f"{m}_{i}"] for m in _RECEIVED})
        for i, period in enumerate(periods)
    ]


def _slowest_steps(
    dossiers: QuerySet[Dossier], period: Period, *, now: dt.datetime
) -> list[DossierStep]:
    """The steps late in the period most past their due time, in wall time (one query)."""
    return list(
        late_steps(period, now=now)
        .filter(dossier_id__in=dossiers.order_by().values("pk"))
        .annotate(overrun=step_overrun(period.as_of(now)))
        .select_related("dossier__procedure_version", "unit__parent__parent")
        .order_by("-overrun", "pk")[:SLOWEST_STEPS]
    )


def _trend(
    condition: Q, months: list[Period], current: _Figures, *, now: dt.datetime
) -> list[tuple[Period, int, int]]:
    """Received and finished per month: the closed months from their figures, the current one
    from `current`, any other from the dossiers (at most three queries)."""
    closed = closed_periods_get(months[:-1], now=now)
    totals = closed_totals_per_period(closed.values(), condition)
    if current.closed is None:
        counted = [m for m in months if m not in closed]
    else:
        counted = [m for m in months[:-1] if m not in closed]
    from_dossiers = iter(monthly_trend(Dossier.objects.filter(condition), counted, now=now))
    trend = []
    for month in months[:-1]:
        if month in closed:
            counts = totals.get(closed[month].pk, {})
            trend.append((month, counts.get(Measure.RECEIVED, 0), counts.get(Measure.FINISHED, 0)))
        else:
            trend.append(next(from_dossiers))
    if current.closed is None:
        trend.append(next(from_dossiers))
    else:
        total = row_total(current.by_agency)
        trend.append((months[-1], total[Measure.RECEIVED], total[Measure.FINISHED]))
    return trend


def _slow_steps(
    figures: _Figures, condition: Q, period: Period, *, now: dt.datetime, calendar: WorkCalendar
) -> list[SlowStep]:
    """The steps most past their due time, in working days (from the counted figures, or from
    the steps)."""
    if figures.closed is None:
        steps = _slowest_steps(Dossier.objects.filter(condition), period, now=now)
    else:
        steps = [
            row.step for row in closed_slow_steps(figures.closed, condition, limit=SLOWEST_STEPS)
        ]
    slow = [
        SlowStep(
            step=step,
            agency=agency_of(unit=step.unit).name,
            overrun=working_time_between(
                calendar=calendar, start=step.due_at, end=step.finished_at or figures.as_of
            ),
            working_day=calendar.working_day_length,
        )
        for step in steps
    ]
    return sorted(slow, key=lambda s: -s.overrun)


def dashboard(*, viewer: Any, scope: ReportScope, now: dt.datetime | None = None) -> Dashboard:
    """The live figures: received today / this week / this month by channel; this month's
    figures per agency and procedure (open within time, near due, overdue); the trend of
    received and finished over twelve months; the steps that were late this month and the
    agencies they belong to. The month's figures come from its running figures while they are
    fresh (counted every few minutes by `close_periods`), else from the dossiers; the counts
    of the day and the week always from the dossiers. A fixed number of queries."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    condition = scope_condition(viewer=viewer, scope=scope)
    month = Period.containing(PeriodKind.MONTH, today)
    calendar = _calendar(now)
    figures = _period_figures(condition, month, now=now, calendar=calendar)
    by_agency = _label_agencies(figures.by_agency)
    periods = [Period.containing(kind, today) for kind in (PeriodKind.DAY, PeriodKind.WEEK)]
    months = months_back(until=month, count=TREND_MONTHS)
    return Dashboard(
        now=now,
        scope=scope,
        received=_received_counts(Dossier.objects.filter(condition), [*periods, month], now=now),
        month=month,
        by_agency=by_agency,
        by_procedure=_label_procedures(figures.by_procedure),
        total=row_total(by_agency, _("Tổng cộng")),
        trend=_trend(condition, months, figures, now=now),
        step_delays=_agency_figures(
            figures, condition, month, now=now, kind=AgencyCountKind.STEP_DELAY
        ),
        slowest_steps=_slow_steps(figures, condition, month, now=now, calendar=calendar),
        counted_at=figures.closed.closed_at if figures.closed is not None else None,
    )


# ---------------------------------------------------------------------------------------------
# The public transparency board and satisfaction


@dataclass(frozen=True)
class Satisfaction:
    very_satisfied: int
    satisfied: int
    dissatisfied: int

    @property
    def total(self) -> int:
        return self.very_satisfied + self.satisfied + self.dissatisfied

    @property
    def satisfied_rate(self) -> Decimal | None:
        """Very satisfied or satisfied, in % of the ratings (None when there are none)."""
        return rate_of(self.very_satisfied + self.satisfied, self.total)


def satisfaction_summary(*, start: dt.datetime, end: dt.datetime) -> Satisfaction:
    """The ratings given in [start, end) by level: numbers only, nothing about who rated."""
    totals = Rating.objects.filter(rated_at__gte=start, rated_at__lt=end).aggregate(
        very_satisfied=Count("pk", filter=Q(overall=Overall.VERY_SATISFIED)),
        satisfied=Count("pk", filter=Q(overall=Overall.SATISFIED)),
        dissatisfied=Count("pk", filter=Q(overall=Overall.DISSATISFIED)),
    )
    return Satisfaction(**totals)


@dataclass(frozen=True)
class Board:
    period: Period
    as_of: dt.datetime
    rows: list[OperationalRow]
    total: OperationalRow
    satisfaction: Satisfaction


def public_board(*, now: dt.datetime | None = None) -> Board:
    """This month, per agency: received, finished and the on-time rate; and the satisfaction
    ratings given this month. Aggregates only: no dossier, applicant or officer is named."""
    now = now or timezone.now()
    month = Period.containing(PeriodKind.MONTH, timezone.localtime(now).date())
    figures = _period_figures(Q(), month, now=now, by=(Grouping.AGENCY,))
    rows = _label_agencies(figures.by_agency)
    return Board(
        period=month,
        as_of=figures.as_of,
        rows=rows,
        total=row_total(rows, _("Tổng cộng")),
        satisfaction=satisfaction_summary(start=month.start, end=month.as_of(now)),
    )
