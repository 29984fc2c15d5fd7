"""Closing a period: its figures counted once from the dossiers after it ended, stored as rows
per receiving unit, competent unit and procedure version (`reports.models.PeriodFigures`), so
that its reports and its Decision 766 index sum a few hundred rows instead of counting millions
of dossiers (DESIGN.md §6).

The rows are counted by the same code that counts a running period (`operational.period_counts`
with the index's extra conditions, `index766.resolution_times`, `operational.late_cause_counts`)
over every dossier, grouped by the finest scope a report narrows to; a report sums the rows its
scope selects (`reports.rollups`). `close_periods` closes the periods that ended and counts the
running ones (every few minutes in `make run`: the dashboard reads the running month's rows
while they are fresh); `close_periods --check` counts the closed ones again and lists any
difference — a dossier of the period changed after the closing — and `--recount` replaces them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Min, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from motcua.dossiers.models import Dossier
from motcua.reports.index766 import index_conditions
from motcua.reports.models import (
    AgencyCountKind,
    ClosedPeriod,
    PeriodAgencyCount,
    PeriodFigures,
    PeriodSlowStep,
)
from motcua.reports.operational import (
    agency_expression,
    late_cause_counts,
    late_steps,
    period_counts,
    step_delay_counts,
    step_overrun,
)
from motcua.reports.periods import REPORT_KINDS, Period, period_numbers
from motcua.reports.resolution_times import resolution_times
from motcua.reports.selectors import near_due_before

# The finest scope: the dossier's receiving unit, competent unit and procedure version (named
# apart from the fields, which a query's values() may not shadow).
_KEY = ("receiving_unit_id", "competent_unit_id", "procedure_version_id")
_NAMES = ("receiving", "competent", "version")
Key = tuple[int, int, int]


# The slowest steps kept per key: the dashboard shows this many.
SLOW_STEPS_PER_KEY = 10


@dataclass
class Counted:
    """A period's figures as counted from the dossiers, per key."""

    agencies: dict[Key, int]
    counts: dict[Key, dict[str, int]]
    times: dict[Key, tuple[int, int]]
    # (key, kind, agency) → dossiers.
    agency_counts: dict[tuple[Key, str, int], int]
    # (key, step id) → wall overrun.
    slow_steps: dict[tuple[Key, int], dt.timedelta]


def period_count(period: Period, *, now: dt.datetime) -> Counted:
    """Count a period from every dossier, as of its end or, while it runs, `now`: four
    aggregate queries, the slowest steps, and 2.2's rows of the dossiers resolved in it (with
    their pauses and calendars)."""
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
    counted = Counted(agencies={}, counts={}, times={}, agency_counts={}, slow_steps={})
    for row in rows:
        key = tuple(row.pop(name) for name in _NAMES)
        agency = row.pop("agency")
        if any(row.values()):
            counted.agencies[key] = agency  # type: ignore[index]
            counted.counts[key] = {name: int(value) for name, value in row.items() if value}  # type: ignore[index]
    times = resolution_times(Dossier.objects.all(), period, as_of=period.as_of(now), group=_KEY)
    counted.times = times  # type: ignore[assignment]
    on_dossier = {name: F(f"dossier__{field}") for name, field in zip(_NAMES, _KEY, strict=True)}
    for kind, rows in (
        (
            AgencyCountKind.LATE_CAUSE,
            late_cause_counts(Dossier.objects.all(), period, now=now, group=on_dossier),
        ),
        (AgencyCountKind.STEP_DELAY, step_delay_counts(None, period, now=now, group=on_dossier)),
    ):
        for row in rows:
            key = tuple(row[name] for name in _NAMES)
            counted.agency_counts[(key, str(kind), row["agency"])] = row["n"]  # type: ignore[index]
    counted.slow_steps = _slowest_steps(period, now=now, on_dossier=on_dossier)
    return counted


def _slowest_steps(
    period: Period, *, now: dt.datetime, on_dossier: dict[str, Any]
) -> dict[tuple[Key, int], dt.timedelta]:
    """The steps late in the period most past their due time, SLOW_STEPS_PER_KEY per key."""
    rank = Window(
        RowNumber(),
        partition_by=list(on_dossier.values()),
        order_by=[F("overrun").desc(), F("pk").asc()],
    )
    steps = (
        late_steps(period, now=now)
        .annotate(overrun=step_overrun(period.as_of(now)), **on_dossier)
        .annotate(rank=rank)
        .filter(rank__lte=SLOW_STEPS_PER_KEY)
        .values_list(*_NAMES, "pk", "overrun")
    )
    return {(tuple(row[:3]), row[3]): row[4] for row in steps}  # type: ignore[misc]


@transaction.atomic
def period_close(period: Period, *, now: dt.datetime) -> ClosedPeriod:
    """Count a period and store its figures, replacing those of an earlier count (the reports
    see the old rows or the new ones, never a mix): final once it has ended, else running."""
    counted = period_count(period, now=now)
    ClosedPeriod.objects.filter(kind=period.kind, year=period.year, number=period.number).delete()
    closed = ClosedPeriod.objects.create(
        kind=period.kind,
        year=period.year,
        number=period.number,
        closed_at=now,
        running=period.end > now,
    )
    PeriodFigures.objects.bulk_create(
        PeriodFigures(
            period=closed,
            agency_id=counted.agencies[key],
            resolutions=counted.times.get(key, (0, 0))[0],
            resolution_time=counted.times.get(key, (0, 0))[1],
            **dict(zip(_KEY, key, strict=True)),
            **counts,
        )
        for key, counts in counted.counts.items()
    )
    PeriodAgencyCount.objects.bulk_create(
        PeriodAgencyCount(
            period=closed,
            kind=kind,
            agency_id=agency,
            dossiers=n,
            **dict(zip(_KEY, key, strict=True)),
        )
        for (key, kind, agency), n in counted.agency_counts.items()
    )
    PeriodSlowStep.objects.bulk_create(
        PeriodSlowStep(
            period=closed,
            step_id=step,
            overrun=overrun,
            **dict(zip(_KEY, key, strict=True)),
        )
        for (key, step), overrun in counted.slow_steps.items()
    )
    return closed


def _stored(closed: ClosedPeriod) -> Counted:
    stored = Counted(agencies={}, counts={}, times={}, agency_counts={}, slow_steps={})
    for row in closed.figures.all():
        key = (row.receiving_unit_id, row.competent_unit_id, row.procedure_version_id)
        stored.agencies[key] = row.agency_id
        stored.counts[key] = row.figures()
        if row.resolutions:
            stored.times[key] = (row.resolutions, row.resolution_time)
    for count in closed.agency_counts.all():
        key = (count.receiving_unit_id, count.competent_unit_id, count.procedure_version_id)
        stored.agency_counts[(key, count.kind, count.agency_id)] = count.dossiers
    for slow in closed.slow_steps.all():
        key = (slow.receiving_unit_id, slow.competent_unit_id, slow.procedure_version_id)
        stored.slow_steps[(key, slow.step_id)] = slow.overrun
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
    for part in ("agencies", "counts", "times", "agency_counts", "slow_steps"):
        mine, theirs = getattr(stored, part), getattr(counted, part)
        for key in sorted(set(mine) | set(theirs), key=str):
            if mine.get(key) != theirs.get(key):
                differences.append(Difference(key, part, mine.get(key), theirs.get(key)))
    return differences


def periods_to_close(*, now: dt.datetime) -> Iterator[Period]:
    """Every report period (month to year) that ended by `now`, since the first dossier was
    received, and was not closed yet (its running figures do not count)."""
    first = Dossier.objects.aggregate(first=Min("received_at"))["first"]
    if first is None:
        return
    closed = set(ClosedPeriod.objects.filter(running=False).values_list("kind", "year", "number"))
    for year in range(first.year, now.year + 1):
        for kind in REPORT_KINDS:
            for number in period_numbers(kind):
                period = Period(kind, year, number)
                if period.end <= first or period.end > now:
                    continue
                if (period.kind, period.year, period.number) not in closed:
                    yield period


def periods_running(*, now: dt.datetime) -> list[Period]:
    """The report periods (month to year) that hold the local day of `now`."""
    today = timezone.localtime(now).date()
    running = [Period.containing(kind, today) for kind in REPORT_KINDS]
    return [period for period in running if period.start <= now < period.end]
