"""Reads of the evaluation of procedure handling: the summary of a period per agency and per
procedure, the evaluated dossiers behind it, and one dossier's nine points.

The dossiers evaluated in a period are those that ended in it (the operational report's
"finished": resolved, else returned, else stopped), within what the viewer may open and the
chosen scope (a unit's subtree, received or competent there; a sector; a procedure). Who reads:
the report readers (`reports.selectors.report_viewer_require`).

Averages: each indicator's average is over the dossiers where it is judged, and says over how
many; the average total and the classes are over the fully evaluated dossiers only (all nine
judged). A dossier with an indicator "chưa đánh giá" has no total and no class: it is counted
apart, never scaled up or filled with a guess.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.agencies.models import Unit
from motcua.catalog.models import Procedure
from motcua.core.errors import NotFound
from motcua.dossiers.models import Dossier
from motcua.dossiers.selectors import dossier_list
from motcua.evaluation.models import EvaluationEntry, Grade, Indicator
from motcua.evaluation.rules import (
    INDICATORS,
    field_of,
    grade_conditions,
    grade_of,
    with_points,
)
from motcua.ratings.models import Rating
from motcua.reports.operational import Measure, agency_expression, measure_filter, with_clock
from motcua.reports.periods import Period
from motcua.reports.selectors import ReportScope, report_viewer_require, scoped_dossiers

# The drill-down's filter for the dossiers without a total.
NOT_EVALUATED = "none"


def _average(total: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass
class EvaluationRow:
    """The evaluation of an agency's or a procedure's dossiers (key None: their total)."""

    key: int | None
    label: str = ""
    dossiers: int = 0
    sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INDICATORS, 0))
    judged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INDICATORS, 0))
    evaluated: int = 0
    total_sum: int = 0
    grades: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Grade, 0))

    def average(self, indicator: str) -> Decimal | None:
        return _average(self.sums[indicator], self.judged[indicator])

    @property
    def averages(self) -> list[tuple[Indicator, Decimal | None, int]]:
        """Each indicator with its average and the number of dossiers it is judged on."""
        return [(i, self.average(i), self.judged[i]) for i in INDICATORS]

    @property
    def grade_counts(self) -> list[tuple[Grade, int]]:
        return [(grade, self.grades[grade]) for grade in Grade]

    @property
    def not_evaluated(self) -> int:
        return self.dossiers - self.evaluated

    @property
    def average_total(self) -> Decimal | None:
        return _average(self.total_sum, self.evaluated)

    @property
    def grade(self) -> Grade | None:
        return grade_of(self.average_total)

    def add(self, other: EvaluationRow) -> None:
        self.dossiers += other.dossiers
        self.evaluated += other.evaluated
        self.total_sum += other.total_sum
        for indicator in INDICATORS:
            self.sums[indicator] += other.sums[indicator]
            self.judged[indicator] += other.judged[indicator]
        for grade in Grade:
            self.grades[grade] += other.grades[grade]


@dataclass
class EvaluationSummary:
    period: Period
    scope: ReportScope
    as_of: dt.datetime
    by_agency: list[EvaluationRow]
    by_procedure: list[EvaluationRow]
    total: EvaluationRow


def _ended(dossiers: QuerySet[Dossier], period: Period, now: dt.datetime) -> QuerySet[Dossier]:
    ended = measure_filter(dossiers, Measure.FINISHED, period, now=now)
    return with_points(ended, as_of=period.as_of(now))


def _rows(dossiers: QuerySet[Dossier], group: Any) -> list[EvaluationRow]:
    """One aggregate query: sums and counts per indicator, totals and classes per group."""
    aggregates: dict[str, Any] = {"n": Count("pk"), "full": Count("total"), "tsum": Sum("total")}
    for indicator in INDICATORS:
        aggregates[f"s_{indicator}"] = Sum(field_of(indicator))
        aggregates[f"c_{indicator}"] = Count(field_of(indicator))
    for grade, condition in grade_conditions().items():
        aggregates[f"g_{grade}"] = Count("pk", filter=condition)
    grouped = cast("list[dict[str, Any]]", dossiers.order_by().values(key=group))
    return [_row(values) for values in grouped.annotate(**aggregates)]  # type: ignore[attr-defined]


def _row(values: dict[str, Any]) -> EvaluationRow:
    return EvaluationRow(
        key=values["key"],
        dossiers=values["n"],
        sums={i: values[f"s_{i}"] or 0 for i in INDICATORS},
        judged={i: values[f"c_{i}"] for i in INDICATORS},
        evaluated=values["full"],
        total_sum=values["tsum"] or 0,
        grades={g: values[f"g_{g}"] for g in Grade},
    )


def _labelled(rows: list[EvaluationRow], model: Any) -> list[EvaluationRow]:
    found = model.objects.in_bulk([row.key for row in rows if row.key is not None])
    for row in rows:
        item = found.get(row.key)
        if item is None:
            row.label = _("Không xác định")
        elif isinstance(item, Procedure):
            row.label = f"{item.national_code} — {item.name}"
        else:
            row.label = item.name
    return sorted(rows, key=lambda row: row.label)


def evaluation_summary(
    *, viewer: Any, period: Period, scope: ReportScope, now: dt.datetime | None = None
) -> EvaluationSummary:
    """The period's evaluation per competent agency and per procedure, and its total: four
    queries whatever the number of dossiers (two aggregates, two for the labels)."""
    now = now or timezone.now()
    ended = _ended(scoped_dossiers(viewer=viewer, scope=scope), period, now)
    by_agency = _labelled(_rows(ended, agency_expression("competent_unit")), Unit)
    by_procedure = _labelled(_rows(ended, F("procedure_version__procedure_id")), Procedure)
    total = EvaluationRow(key=None, label=_("Tổng cộng"))
    for row in by_agency:
        total.add(row)
    return EvaluationSummary(
        period=period,
        scope=scope,
        as_of=period.as_of(now),
        by_agency=by_agency,
        by_procedure=by_procedure,
        total=total,
    )


def evaluated_dossiers(
    *,
    viewer: Any,
    period: Period,
    scope: ReportScope,
    grade: str = "",
    agency_id: int | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Dossier]:
    """The dossiers behind the summary, each with its nine points (`p_<indicator>_value`) and
    total (`total_value`); optionally of one class (or NOT_EVALUATED) and one agency."""
    now = now or timezone.now()
    dossiers = scoped_dossiers(viewer=viewer, scope=scope)
    if agency_id is not None:
        dossiers = dossiers.alias(row_agency=agency_expression("competent_unit")).filter(
            row_agency=agency_id
        )
    found = with_points(
        measure_filter(dossiers, Measure.FINISHED, period, now=now),
        as_of=period.as_of(now),
        select=True,
    )
    if grade == NOT_EVALUATED:
        found = found.filter(Q(total__isnull=True))
    elif grade in Grade.values:
        found = found.filter(grade_conditions()[Grade(grade)])
    return found.select_related("procedure_version__procedure", "competent_unit").order_by(
        "received_at", "pk"
    )


@dataclass(frozen=True)
class DossierEvaluation:
    """One dossier's nine points (None: not judged), total, class and the entered points."""

    dossier: Dossier
    points: dict[str, int | None]
    entries: dict[str, EvaluationEntry]
    rating: Rating | None

    @property
    def total(self) -> int | None:
        values = list(self.points.values())
        return None if None in values else sum(cast("list[int]", values))

    @property
    def grade(self) -> Grade | None:
        return grade_of(self.total)

    @property
    def rows(self) -> list[tuple[Indicator, int | None, EvaluationEntry | None]]:
        return [(i, self.points[i], self.entries.get(i)) for i in INDICATORS]


def dossier_evaluation(
    *, viewer: Any, code: str, now: dt.datetime | None = None
) -> DossierEvaluation:
    """A dossier's evaluation as of now, for a report reader who may open the dossier; a
    dossier not ended yet has none (not found)."""
    report_viewer_require(viewer=viewer)
    now = now or timezone.now()
    visible = dossier_list(viewer=viewer).filter(code=code)
    prepared = with_clock(visible, as_of=now).filter(Q(clock_end__isnull=False, clock_end__lte=now))
    dossier = with_points(prepared, as_of=now, select=True).select_related("rating").first()
    if dossier is None:
        raise NotFound(_("Không tìm thấy hồ sơ đã kết thúc có mã %(code)s.") % {"code": code})
    entries = EvaluationEntry.objects.filter(dossier=dossier).select_related("entered_by")
    return DossierEvaluation(
        dossier=dossier,
        points={i: getattr(dossier, f"{field_of(i)}_value") for i in INDICATORS},
        entries={e.indicator: e for e in entries},
        rating=getattr(dossier, "rating", None),
    )
