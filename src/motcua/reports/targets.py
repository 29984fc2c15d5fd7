"""The province's own online-service targets (DOMAIN.md §1: Huế 2017), for a center and each
agency behind its desk, over a year, against what an administrator set for that year.

- level 3 or above: share of the procedures received at the center offered online, partially
  or fully (Decree 42/2022: level 3 ≈ partial, level 4 ≈ full online);
- level 4: share of those procedures offered full online;
- received online at level 4: dossiers submitted online for a full-online procedure, of all
  dossiers received in the year;
- returned online: dossiers whose result was returned online, of all returned in the year.

Procedures are the versions in force at the end of the year (or now); an agency's procedures
and dossiers are those it decides (a department counts for its agency), received at the center.
The center's row is the sum of its agencies' rows. Four queries, whatever the size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from motcua.agencies.models import Unit, UnitKind
from motcua.catalog.models import OnlineMode, ProcedureVersion
from motcua.core.errors import PermissionDenied
from motcua.dossiers.models import Channel, Dossier, ResultChannel
from motcua.reports.index766 import index_access_require
from motcua.reports.models import OnlineTarget
from motcua.reports.operational import rate_of
from motcua.reports.periods import Period, PeriodKind

_PART_OF_PARENT = frozenset({UnitKind.DEPARTMENT, UnitKind.COUNTER})
_COUNTS = (
    "procedures",
    "full",
    "partial",
    "received",
    "received_online",
    "returned",
    "returned_online",
)


@dataclass(frozen=True)
class Measure:
    numerator: int
    denominator: int
    rate: Decimal | None
    target: Decimal | None

    @property
    def met(self) -> bool | None:
        """Whether the target is reached; None when there is no rate or no target."""
        if self.rate is None or self.target is None:
            return None
        return self.rate >= self.target


@dataclass(frozen=True)
class TargetRow:
    unit: Unit
    is_center: bool
    # Whose targets apply: the unit's own ("own"), the center's ("center"), or none ("").
    target_source: str
    procedures: int
    level3: Measure
    level4: Measure
    received_online: Measure
    returned_online: Measure

    @property
    def measures(self) -> tuple[Measure, ...]:
        return (self.level3, self.level4, self.received_online, self.returned_online)


@dataclass(frozen=True)
class TargetsReport:
    center: Unit
    year: int
    period: Period
    as_of: datetime
    rows: tuple[TargetRow, ...]


def _in_center(center: Unit, field: str) -> Q:
    return Q(**{f"{field}__path__startswith": center.path})


# Counts per competent unit, keyed by (its id, its path).
_Counts = dict[tuple[int, str], dict[str, int]]


def _grouped(rows: Any) -> _Counts:
    return {(row.pop("competent_unit_id"), row.pop("competent_unit__path")): row for row in rows}


def _procedure_counts(center: Unit, period: Period) -> _Counts:
    later = ProcedureVersion.objects.filter(
        procedure=OuterRef("procedure"), number__gt=OuterRef("number"), published_at__lt=period.end
    )
    rows = (
        ProcedureVersion.objects.filter(
            _in_center(center, "receiving_unit"),
            procedure__is_active=True,
            published_at__lt=period.end,
        )
        .exclude(Exists(later))
        .order_by()
        .values("competent_unit_id", "competent_unit__path")
        .annotate(
            procedures=Count("pk"),
            full=Count("pk", filter=Q(online_mode=OnlineMode.FULL)),
            partial=Count("pk", filter=Q(online_mode=OnlineMode.PARTIAL)),
        )
    )
    return _grouped(rows)


def _dossier_counts(center: Unit, period: Period) -> _Counts:
    received = Q(received_at__gte=period.start, received_at__lt=period.end)
    returned = Q(returned_at__gte=period.start, returned_at__lt=period.end)
    rows = (
        Dossier.objects.filter(_in_center(center, "receiving_unit"))
        .filter(received | returned)
        .order_by()
        .values("competent_unit_id", "competent_unit__path")
        .annotate(
            received=Count("pk", filter=received),
            received_online=Count(
                "pk",
                filter=received
                & Q(channel=Channel.ONLINE, procedure_version__online_mode=OnlineMode.FULL),
            ),
            returned=Count("pk", filter=returned),
            returned_online=Count("pk", filter=returned & Q(return_channel=ResultChannel.ONLINE)),
        )
    )
    return _grouped(rows)


def _agencies(paths: dict[int, str]) -> dict[int, Unit]:
    """Each unit's agency (a department's or counter's parent agency; the unit itself else)."""
    ancestors = Unit.objects.in_bulk(
        {int(i) for path in paths.values() for i in path.strip("/").split("/") if i}
    )
    agencies = {}
    for pk, path in paths.items():
        chain = [ancestors[int(i)] for i in path.strip("/").split("/") if i]
        while chain[-1].kind in _PART_OF_PARENT and len(chain) > 1:
            chain.pop()
        agencies[pk] = chain[-1]
    return agencies


def _measure(numerator: int, denominator: int, target: Decimal | None) -> Measure:
    return Measure(numerator, denominator, rate_of(numerator, denominator), target)


def _row(
    unit: Unit, counts: Mapping[str, int], target: OnlineTarget | None, source: str, center: bool
) -> TargetRow:
    def wanted(name: str) -> Decimal | None:
        return getattr(target, name) if target else None

    total = counts["procedures"]
    return TargetRow(
        unit=unit,
        is_center=center,
        target_source=source if target else "",
        procedures=total,
        level3=_measure(counts["full"] + counts["partial"], total, wanted("level3_share")),
        level4=_measure(counts["full"], total, wanted("level4_share")),
        received_online=_measure(
            counts["received_online"], counts["received"], wanted("online_received_share")
        ),
        returned_online=_measure(
            counts["returned_online"], counts["returned"], wanted("online_returned_share")
        ),
    )


def online_targets_compute(
    *, center: Unit, year: int, visible: list[str] | None = None, now: datetime | None = None
) -> TargetsReport:
    """The center's and its agencies' rows for `year`; with `visible` (paths), only the rows of
    agencies inside them, and the center's only when the center is inside them."""
    period = Period(PeriodKind.YEAR, year)
    procedures = _procedure_counts(center, period)
    dossiers = _dossier_counts(center, period)
    agencies = _agencies(dict([*procedures, *dossiers]))
    totals: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_COUNTS, 0))
    for source in (procedures, dossiers):
        for (unit_id, _path), counts in source.items():
            for name, value in counts.items():
                totals[agencies[unit_id].pk][name] += value
    targets = {t.unit_id: t for t in OnlineTarget.objects.filter(year=year)}
    general = targets.get(None)
    units = {agency.pk: agency for agency in agencies.values()}
    rows = [
        _row(
            units[pk],
            counts,
            targets.get(pk, general),
            "own" if pk in targets else "center",
            center=False,
        )
        for pk, counts in sorted(totals.items(), key=lambda item: units[item[0]].name)
    ]
    whole = {name: sum(t[name] for t in totals.values()) for name in _COUNTS}
    center_row = _row(
        center,
        whole,
        targets.get(center.pk, general),
        "own" if center.pk in targets else "center",
        center=True,
    )
    shown = [center_row, *rows]
    if visible is not None:
        shown = [r for r in shown if any(r.unit.path.startswith(p) for p in visible)]
    return TargetsReport(
        center=center, year=year, period=period, as_of=period.as_of(now), rows=tuple(shown)
    )


def targets_centers(*, viewer: Any) -> QuerySet[Unit]:
    """The centers whose targets page the viewer may open: those in their subtrees, and those
    that receive the procedures of the agency they head."""
    paths = index_access_require(viewer=viewer)
    inside = Q(pk__in=[])
    decides = Q(pk__in=[])
    for path in paths:
        inside |= Q(path__startswith=path)
        decides |= Q(competent_unit__path__startswith=path)
    receives = ProcedureVersion.objects.filter(
        decides, receiving_unit__path__startswith=OuterRef("path")
    )
    return Unit.objects.filter(inside | Q(Exists(receives)), kind=UnitKind.CENTER).order_by("path")


def online_targets_report(
    *, viewer: Any, center: Unit, year: int, now: datetime | None = None
) -> TargetsReport:
    """The targets page of `center` for `year`, with the rows the viewer may see."""
    paths = index_access_require(viewer=viewer)
    if not targets_centers(viewer=viewer).filter(pk=center.pk).exists():
        raise PermissionDenied(
            _("Bạn không được xem chỉ tiêu của %(unit)s.") % {"unit": center.name}
        )
    return online_targets_compute(center=center, year=year, visible=paths, now=now)
