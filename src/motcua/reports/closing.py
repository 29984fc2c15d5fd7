"""Closing a period: its figures counted once from the dossiers after it ended, stored as rows
per receiving unit, competent unit and procedure version (`reports.models.PeriodFigures`), so
that its reports and its Decision 766 index sum a few hundred rows instead of counting millions
of dossiers (DESIGN.md §6).

The rows are counted by the same code that counts a running period (`operational.period_counts`
with the index's extra conditions, `index766.resolution_times`, `operational.late_cause_counts`)
over every dossier, grouped by the finest scope a report narrows to; a report sums the rows its
scope selects (`reports.rollups`). `close_periods` closes the periods that ended (run nightly by
`make run`); `close_periods --check` counts them again and lists any difference — a dossier of
the period changed after the closing — and `--recount` replaces them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Min

from motcua.dossiers.models import Dossier
from motcua.reports.index766 import index_conditions
from motcua.reports.models import ClosedPeriod, PeriodFigures, PeriodLateCause
from motcua.reports.operational import agency_expression, late_cause_counts, period_counts
from motcua.reports.periods import REPORT_KINDS, Period, period_numbers
from motcua.reports.resolution_times import resolution_times
from motcua.reports.selectors import near_due_before

# The finest scope: the dossier's receiving unit, competent unit and procedure version (named
# apart from the fields, which a query's values() may not shadow).
_KEY = ("receiving_unit_id", "competent_unit_id", "procedure_version_id")
_NAMES = ("receiving", "competent", "version")
Key = tuple[int, int, int]


@dataclass
class Counted:
    """A period's figures as counted from the dossiers, per key."""

    agencies: dict[Key, int]
    counts: dict[Key, dict[str, int]]
    times: dict[Key, tuple[int, int]]
    causes: dict[tuple[Key, int], int]


def period_count(period: Period, *, now: dt.datetime) -> Counted:
    """Count an ended period from every dossier: three aggregate queries, plus 2.2's rows of
    the dossiers resolved in it (with their pauses and calendars)."""
    if period.end > now:
        raise ValueError(f"{period.token} has not ended")
    group: dict[str, Any] = {name: F(field) for name, field in zip(_NAMES, _KEY, strict=True)}
    group["agency"] = agency_expression("competent_unit")
    rows = period_counts(
        Dossier.objects.all(),
        period,
        now=now,
        group=group,
        extra=index_conditions(period, now=now),
        near_due_before=near_due_before(now=period.as_of(now)),
    )
    counted = Counted(agencies={}, counts={}, times={}, causes={})
    for row in rows:
        key = tuple(row.pop(name) for name in _NAMES)
        agency = row.pop("agency")
        if any(row.values()):
            counted.agencies[key] = agency  # type: ignore[index]
            counted.counts[key] = {name: int(value) for name, value in row.items() if value}  # type: ignore[index]
    times = resolution_times(Dossier.objects.all(), period, as_of=period.as_of(now), group=_KEY)
    counted.times = times  # type: ignore[assignment]
    on_dossier = {name: F(f"dossier__{field}") for name, field in zip(_NAMES, _KEY, strict=True)}
    for row in late_cause_counts(Dossier.objects.all(), period, now=now, group=on_dossier):
        key = tuple(row[name] for name in _NAMES)
        counted.causes[(key, row["agency"])] = row["n"]  # type: ignore[index]
    return counted


@transaction.atomic
def period_close(period: Period, *, now: dt.datetime) -> ClosedPeriod:
    """Count an ended period and store its figures, replacing those of an earlier closing (the
    reports see the old rows or the new ones, never a mix)."""
    counted = period_count(period, now=now)
    ClosedPeriod.objects.filter(kind=period.kind, year=period.year, number=period.number).delete()
    closed = ClosedPeriod.objects.create(
        kind=period.kind, year=period.year, number=period.number, closed_at=now
    )
    PeriodFigures.objects.bulk_create(
        PeriodFigures(
            period=closed,
            receiving_unit_id=key[0],
            competent_unit_id=key[1],
            procedure_version_id=key[2],
            agency_id=counted.agencies[key],
            **counts,
            resolutions=counted.times.get(key, (0, 0))[0],
            resolution_time=counted.times.get(key, (0, 0))[1],
        )
        for key, counts in counted.counts.items()
    )
    PeriodLateCause.objects.bulk_create(
        PeriodLateCause(
            period=closed,
            receiving_unit_id=key[0],
            competent_unit_id=key[1],
            procedure_version_id=key[2],
            agency_id=agency,
            dossiers=n,
        )
        for (key, agency), n in counted.causes.items()
    )
    return closed


def _stored(closed: ClosedPeriod) -> Counted:
    stored = Counted(agencies={}, counts={}, times={}, causes={})
    for row in closed.figures.all():
        key = (row.receiving_unit_id, row.competent_unit_id, row.procedure_version_id)
        stored.agencies[key] = row.agency_id
        stored.counts[key] = row.figures()
        if row.resolutions:
            stored.times[key] = (row.resolutions, row.resolution_time)
    for cause in closed.late_causes.all():
        key = (cause.receiving_unit_id, cause.competent_unit_id, cause.procedure_version_id)
        stored.causes[(key, cause.agency_id)] = cause.dossiers
    return stored


@dataclass(frozen=True)
class Difference:
    key: Any
    what: str
    stored: Any
    counted: Any


def period_check(closed: ClosedPeriod, *, now: dt.datetime) -> list[Difference]:
    """Count a closed period again and list where its stored figures differ (none: they are
    what the dossiers say today)."""
    period = Period.of(closed.kind, closed.year, closed.number)
    counted, stored = period_count(period, now=now), _stored(closed)
    differences = []
    for part in ("agencies", "counts", "times", "causes"):
        mine, theirs = getattr(stored, part), getattr(counted, part)
        for key in sorted(set(mine) | set(theirs), key=str):
            if mine.get(key) != theirs.get(key):
                differences.append(Difference(key, part, mine.get(key), theirs.get(key)))
    return differences


def periods_to_close(*, now: dt.datetime) -> Iterator[Period]:
    """Every report period (month to year) that ended by `now`, since the first dossier was
    received, and was not closed yet."""
    first = Dossier.objects.aggregate(first=Min("received_at"))["first"]
    if first is None:
        return
    closed = set(ClosedPeriod.objects.values_list("kind", "year", "number"))
    for year in range(first.year, now.year + 1):
        for kind in REPORT_KINDS:
            for number in period_numbers(kind):
                period = Period(kind, year, number)
                if period.end <= first or period.end > now:
                    continue
                if (period.kind, period.year, period.number) not in closed:
                    yield period
