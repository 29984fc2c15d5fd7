"""The figures of closed periods, read from the rows `reports.closing` counted once the period
ended, instead of from millions of dossiers: the sums of the rows in a scope (one query each).

A period that is still running, or that was not counted yet, has no closed figures: the reports
count it from the dossiers then.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q, Sum

from motcua.reports.models import ClosedPeriod, PeriodFigures, PeriodLateCause
from motcua.reports.periods import Period


def closed_period_get(period: Period, *, now: dt.datetime) -> ClosedPeriod | None:
    """The counted figures of `period` if it has ended and was counted."""
    if period.end > now:
        return None
    return ClosedPeriod.objects.filter(
        kind=period.kind, year=period.year, number=period.number
    ).first()


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
    return {ended[(c.kind, c.year, c.number)]: c for c in ClosedPeriod.objects.filter(condition)}


def closed_totals_per_period(
    closed: Iterable[ClosedPeriod], condition: Q
) -> dict[int, dict[str, int]]:
    """The counts in scope per closed period (by id), in one query."""
    totals: dict[int, dict[str, int]] = defaultdict(dict)
    rows = PeriodFigures.objects.filter(period__in=list(closed)).filter(condition)
    for period_id, counts in rows.values_list("period_id", "counts"):
        _add(totals[period_id], counts)
    return dict(totals)


def _add(total: dict[str, int], counts: dict[str, int]) -> None:
    for name, value in counts.items():
        total[name] = total.get(name, 0) + value


def closed_counts_by(
    closed: ClosedPeriod, condition: Q, *, keys: Iterable[str]
) -> dict[str, dict[int, dict[str, int]]]:
    """The counts in scope summed per value of each of `keys` (fields of PeriodFigures), in one
    query: {key: {value: {measure: count}}}."""
    keys = tuple(keys)
    sums: dict[str, dict[int, dict[str, int]]] = {key: defaultdict(dict) for key in keys}
    rows = PeriodFigures.objects.filter(period=closed).filter(condition)
    for *values, counts in rows.values_list(*keys, "counts"):
        for key, value in zip(keys, values, strict=True):
            _add(sums[key][value], counts)
    return {key: dict(per_value) for key, per_value in sums.items()}


def closed_totals(
    closed: ClosedPeriod, condition: Q
) -> tuple[dict[str, int], dict[int, tuple[int, int]]]:
    """The counts in scope, and 2.2's (dossiers, microseconds) per procedure version: one
    query."""
    total: dict[str, int] = {}
    times: dict[int, tuple[int, int]] = {}
    rows = PeriodFigures.objects.filter(period=closed).filter(condition)
    for version, counts, resolutions, elapsed in rows.values_list(
        "procedure_version_id", "counts", "resolutions", "resolution_time"
    ):
        _add(total, counts)
        if resolutions:
            count, time = times.get(version, (0, 0))
            times[version] = (count + resolutions, time + elapsed)
    return total, times


def closed_late_causes(closed: ClosedPeriod, condition: Q) -> dict[int, int]:
    """Late dossiers in scope per agency that held them up (one query)."""
    rows = (
        PeriodLateCause.objects.filter(period=closed)
        .filter(condition)
        .order_by()
        .values("agency")
        .annotate(n=Sum("dossiers"))
    )
    return {row["agency"]: row["n"] for row in rows}
