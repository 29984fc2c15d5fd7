"""Indicator 2.2 of Decision 766: the average time from reception to resolution (else return),
less the pauses, per procedure, in its statutory unit (a same-day procedure in working hours),
each dossier on the working calendar of the unit competent for it. Times are summed in integer
microseconds, so the sum over a closed period's rows is the sum over its dossiers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from motcua.calendars.selectors import work_calendars_for, working_day_length
from motcua.catalog.models import ProcedureVersion, StatutoryUnit, format_amount
from motcua.dossiers.models import Dossier, DossierPause
from motcua.lib.workdays import WorkCalendar, working_time_between
from motcua.reports.periods import Period

CENT = Decimal("0.01")


@dataclass(frozen=True)
class ProcedureTime:
    """2.2 for one procedure: the average time its dossiers resolved in the period took."""

    national_code: str
    name: str
    unit: str
    unit_label: str
    statutory_amount: Decimal | None
    count: int
    average: Decimal

    @property
    def statutory_label(self) -> str:
        """The statutory time as the catalogue prints it: "3 ngày làm việc", "trong ngày"."""
        if self.unit == StatutoryUnit.SAME_DAY or self.statutory_amount is None:
            return str(StatutoryUnit(self.unit).label)
        return f"{format_amount(self.statutory_amount)} {StatutoryUnit(self.unit).label}"


_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
_MICROSECOND = timedelta(microseconds=1)


def _resolutions(dossiers: QuerySet[Dossier], period: Period) -> QuerySet[Dossier]:
    return (
        dossiers.filter(received_at__isnull=False)
        .annotate(resolution_end=Coalesce("resolved_at", "returned_at"))
        .filter(resolution_end__gte=period.start, resolution_end__lt=period.end)
    )


def _elapsed(
    calendar: WorkCalendar,
    unit: str,
    start: datetime,
    end: datetime,
    pauses: Iterable[tuple[datetime, datetime]],
) -> int:
    """The time from `start` to `end` less the pauses, in microseconds: of wall time for a
    procedure counted in calendar days, of working time otherwise."""
    spans = [(max(a, start), min(b, end)) for a, b in pauses if a < end and b > start]
    if unit == StatutoryUnit.CALENDAR_DAYS:
        wall = end - start - sum((b - a for a, b in spans), timedelta(0))
        return wall // _MICROSECOND
    worked = working_time_between(calendar=calendar, start=start, end=end) - sum(
        (working_time_between(calendar=calendar, start=a, end=b) for a, b in spans), timedelta(0)
    )
    return worked // _MICROSECOND


def _unit_length(unit: str, working_day: timedelta) -> int:
    """A statutory unit in microseconds (a same-day procedure is measured in hours)."""
    if unit == StatutoryUnit.CALENDAR_DAYS:
        return _DAY // _MICROSECOND
    return (working_day if unit == StatutoryUnit.WORKING_DAYS else _HOUR) // _MICROSECOND


@dataclass(frozen=True)
class _UnitPath:
    # What a calendar needs of a unit: its id and its place in the tree.
    pk: int
    path: str


# What 2.2 needs of each dossier resolved in the period, and nothing more.
_RESOLUTION_FIELDS = (
    "pk",
    "received_at",
    "resolution_end",
    "competent_unit_id",
    "competent_unit__path",
    "procedure_version__statutory_unit",
)


def resolution_times(
    dossiers: QuerySet[Dossier], period: Period, *, as_of: datetime, group: tuple[str, ...]
) -> dict[tuple[Any, ...], tuple[int, int]]:
    """Per value of the `group` fields, the number of dossiers resolved (else returned) in the
    period and the time they took in microseconds (see `_elapsed`), each on the calendar of the
    unit competent for it as it stood at `as_of`. Three queries: the rows, their closed pauses
    and the calendars' overrides."""
    resolutions = _resolutions(dossiers, period)
    rows: list[tuple[Any, ...]] = list(resolutions.values_list(*_RESOLUTION_FIELDS, *group))
    if not rows:
        return {}
    pauses: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for dossier_id, started, ended in DossierPause.objects.filter(
        dossier__in=resolutions.values("pk"), ended_at__isnull=False
    ).values_list("dossier_id", "started_at", "ended_at"):
        if ended is not None:  # always, by the filter; the type checker cannot tell
            pauses[dossier_id].append((started, ended))
    years = [timezone.localtime(r[i]).year for r in rows for i in (1, 2)]
    calendars = work_calendars_for(
        units={_UnitPath(r[3], r[4]) for r in rows},
        as_of=as_of,
        years=range(min(years), max(years) + 1),
    )
    totals: dict[tuple[Any, ...], tuple[int, int]] = {}
    for pk, received, ended, competent, _path, time_unit, *key in rows:
        count, time = totals.get(tuple(key), (0, 0))
        elapsed = _elapsed(calendars[competent], time_unit, received, ended, pauses[pk])
        totals[tuple(key)] = (count + 1, time + elapsed)
    return totals


def procedure_times(totals: Mapping[int, tuple[int, int]]) -> list[ProcedureTime]:
    """2.2 per procedure, from (dossiers, microseconds) per procedure version (one query)."""
    working_day = working_day_length()
    versions = ProcedureVersion.objects.select_related("procedure").in_bulk(list(totals))
    by_procedure: dict[tuple[str, str], list[Any]] = {}
    for pk, (count, elapsed) in totals.items():
        version = versions[pk]
        key = (version.procedure.national_code, version.statutory_unit)
        entry = by_procedure.setdefault(key, [version, 0, 0])
        # The latest version names the procedure and its statutory time.
        if version.number > entry[0].number:
            entry[0] = version
        entry[1] += count
        entry[2] += elapsed
    return [
        ProcedureTime(
            national_code=code,
            name=version.procedure.name,
            unit=time_unit,
            unit_label=_time_unit_label(time_unit),
            statutory_amount=version.statutory_amount,
            count=count,
            average=(
                Decimal(elapsed) / Decimal(count) / Decimal(_unit_length(time_unit, working_day))
            ).quantize(CENT, ROUND_HALF_UP),
        )
        for (code, time_unit), (version, count, elapsed) in sorted(by_procedure.items())
        if count
    ]


def _time_unit_label(unit: str) -> str:
    # A same-day procedure's time is shown in working hours: "trong ngày" is not a measure.
    if unit == StatutoryUnit.SAME_DAY:
        return str(StatutoryUnit.WORKING_HOURS.label)
    return str(StatutoryUnit(unit).label)
