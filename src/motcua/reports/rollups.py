"""The figures of closed periods, read from the rows `reports.closing` counted once the period
ended, instead of from millions of dossiers: the sums of the rows in a scope (one query each).

A period that was not counted yet, or a running one whose figures are stale, has none: the
reports count it from the dossiers then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db.models import Q, Sum

from motcua.reports.models import (
    FIGURES,
    ClosedPeriod,
    PeriodAgencyCount,
    PeriodFigures,
    PeriodSlowStep,
)
from motcua.reports.periods import Period


def closed_period_get(period: Period, *, now: dt.datetime) -> ClosedPeriod | None:
    """The counted figures of `period`: once it has ended, its closing; while it runs, its
    running figures if they were counted no longer than MOTCUA_RUNNING_FIGURES_MAX_AGE seconds
    before `now` (None: count it from the dossiers)."""
    closed = ClosedPeriod.objects.filter(
        kind=period.kind, year=period.year, number=period.number
    ).first()
    if closed is None or closed.running != (period.end > now):
        return None
    if closed.running:
        age = now - closed.closed_at
        if (
            not dt.timedelta(0)
            <= age
            <= dt.timedelta(seconds=settings.MOTCUA_RUNNING_FIGURES_MAX_AGE)
        ):
            return None
    return closed


def closed_periods_get(
    periods: Iterable[Period], *, now: dt.datetime
) -> dict[Period, ClosedPeriod]:
    """The counted figures of those of `periods` that ended and were counted (one query)."""
    ended: dict[tuple[str, int, int], Period] = {
        (str(p.kind), p.year, p.number): p for p in periods if p.end <= now
    }
    if not ended:
        return {}
    condition = Q(pk__in=[])
    for kind, year, number in ended:
        condition |= Q(kind=kind, year=year, number=number)
    closed = ClosedPeriod.objects.filter(condition, running=False)
    return {ended[(c.kind, c.year, c.number)]: c for c in closed}


def _sums(names: Iterable[str] = FIGURES) -> dict[str, Sum]:
    return {name: Sum(name) for name in names}


def _counts(row: Mapping[str, Any]) -> dict[str, int]:
    return {name: int(row[name] or 0) for name in FIGURES}


def closed_totals_per_period(
    closed: Iterable[ClosedPeriod], condition: Q
) -> dict[int, dict[str, int]]:
    """The counts in scope per closed period (by id), summed by the database (one query)."""
    rows = PeriodFigures.objects.filter(period__in=list(closed)).filter(condition).order_by()
    return {row["period_id"]: _counts(row) for row in rows.values("period_id").annotate(**_sums())}


def closed_counts_by(
    closed: ClosedPeriod, condition: Q, *, keys: Iterable[str]
) -> dict[str, dict[int, dict[str, int]]]:
    """The counts in scope summed per value of each of `keys` (fields of PeriodFigures), by the
    database (one query a key): {key: {value: {measure: count}}}."""
    rows = PeriodFigures.objects.filter(period=closed).filter(condition).order_by()
    return {
        key: {row[key]: _counts(row) for row in rows.values(key).annotate(**_sums())}
        for key in keys
    }


def closed_totals(
    closed: ClosedPeriod, condition: Q
) -> tuple[dict[str, int], dict[int, tuple[int, int]]]:
    """The counts in scope, and 2.2's (dossiers, microseconds) per procedure version (two
    queries)."""
    rows = PeriodFigures.objects.filter(period=closed).filter(condition).order_by()
    totals = _counts(rows.aggregate(**_sums()))
    per_version = rows.filter(resolutions__gt=0).values("procedure_version_id")
    times = {
        row["procedure_version_id"]: (row["n"], row["time"])
        for row in per_version.annotate(n=Sum("resolutions"), time=Sum("resolution_time"))
    }
    return totals, times


def closed_agency_counts(closed: ClosedPeriod, condition: Q, *, kind: str) -> dict[int, int]:
    """Dossiers in scope per agency whose step was late, in the `kind` sense (one query)."""
    rows = (
        PeriodAgencyCount.objects.filter(period=closed, kind=kind)
        .filter(condition)
        .order_by()
        .values("agency")
        .annotate(n=Sum("dossiers"))
    )
    return {row["agency"]: row["n"] for row in rows}


def closed_slow_steps(closed: ClosedPeriod, condition: Q, *, limit: int) -> list[PeriodSlowStep]:
    """The steps in scope most past their due time (one query)."""
    rows = (
        PeriodSlowStep.objects.filter(period=closed)
        .filter(condition)
        .select_related("step__dossier__procedure_version", "step__unit__parent__parent")
        .order_by("-overrun", "step_id")
    )
    return list(rows[:limit])
