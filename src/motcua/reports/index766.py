"""The Decision 766/QĐ-TTg indicators the system computes from its own data (DOMAIN.md §6), for
one unit's subtree and one reporting period (`reports.periods.Period`).

A unit's dossiers are those received, or to be decided, by a unit of its subtree (as in the
logbook and the operational report). With the period [start, end) and `as_of` = its end, or now
while it runs:

- 2.1 on time = to process − late, in the operational report's terms (`reports.operational`:
  a dossier ends when resolved, else returned, else stopped; the due date already moves by the
  closed pauses, so supplement time is subtracted; an open dossier whose clock was paused before
  its due date is not late; more than one supplement request is late). The rate is 100% less
  the late rate, rounded as the operational report rounds it.
- 2.2 average time from reception to resolution (else return), less the pauses, per procedure
  in its statutory unit (same-day procedures in working hours), on the working calendar.
- 3.1 procedures offered online (full or partial) / active procedures, versions in force at the
  end of the period; 3.3 online / received; 3.6 paid at the gateway / received of procedures
  with fees; 4.1 signed results / resolved whose result is a document; 4.2 every component
  with a file, and a signed result once resolved if the result is a document / received; 4.3 at
  least one component reused from the applicant's store / received.
- 5.4 100% − share of the dossiers to process that are late or rated dissatisfied (each dossier
  once; there is no complaint register yet).

Rates are percentages rounded half up to 2 decimals, "N/A" (None) on an empty denominator;
points are maximum × min(1, rate / target), rounded to 2 decimals, from the rounded rate. Six
queries whatever the number of dossiers: the settings, one aggregate over the dossiers, one over
the procedure versions, and for 2.2 the rows of the dossiers resolved in the period (one each,
seven columns), their closed pauses and the calendar, because working time is counted in Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.agencies.models import Role, Unit, UnitKind
from motcua.agencies.selectors import agency_of, memberships_of
from motcua.catalog.models import (
    FeeItem,
    OnlineMode,
    ProcedureVersion,
)
from motcua.core.errors import PermissionDenied
from motcua.dossiers.models import DossierComponent
from motcua.payments.models import Payment, PaymentStatus, Provider
from motcua.ratings.models import Overall, Rating
from motcua.reports.models import (
    GROUP_MAXIMA,
    INDICATOR_GROUPS,
    UNSCORED,
    IndicatorCode,
    IndicatorGroup,
    IndicatorSetting,
)
from motcua.reports.operational import Measure, measure_conditions, period_counts, rate_of
from motcua.reports.periods import Period
from motcua.reports.resolution_times import ProcedureTime, procedure_times, resolution_times
from motcua.reports.rollups import closed_period_get, closed_totals
from motcua.reports.scope import dossiers_of_unit, outermost_paths, units_condition
from motcua.reports.services import INDICATOR_DEFAULTS

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def complement_rate(part: int, whole: int) -> Decimal | None:
    """100% less part / whole: the on-time rate from the late rate, rounded as the
    operational report rounds it, so the two agree to the last digit."""
    rate = rate_of(part, whole)
    return None if rate is None else HUNDRED - rate


def points_for(rate: Decimal | None, *, maximum: Decimal, target: Decimal | None) -> Decimal | None:
    """maximum × min(1, rate / target), rounded to 2 decimals; None when there is no rate."""
    if rate is None or not target:
        return None
    return (maximum * min(Decimal(1), rate / target)).quantize(CENT, ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------------
# Who may see the index: center leaders, procedure controllers and administrators their whole
# province; an agency's head (its signing authority) their agency.

ALL_UNITS_ROLES = frozenset({Role.CENTER_LEADER, Role.PROCEDURE_CONTROLLER, Role.ADMINISTRATOR})
AGENCY_HEAD_ROLES = frozenset({Role.SIGNING_AUTHORITY})
REPORT_UNIT_KINDS = (UnitKind.PROVINCE, UnitKind.COMMUNE, UnitKind.CENTER, UnitKind.AGENCY)


def _ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def _scope_root(unit: Unit, role: str, ancestors: Mapping[int, Unit]) -> str:
    if role not in ALL_UNITS_ROLES:
        return agency_of(unit=unit).path
    chain = [ancestors[i] for i in _ids(unit.path) if i in ancestors]
    provinces = [u for u in chain if u.kind == UnitKind.PROVINCE]
    return (provinces[0] if provinces else chain[0]).path


def index_scope_paths(*, viewer: Any) -> list[str]:
    """The paths of the subtrees whose index the viewer may see (empty: none)."""
    wanted = [
        m for m in memberships_of(user=viewer) if m.role in ALL_UNITS_ROLES | AGENCY_HEAD_ROLES
    ]
    if not wanted:
        return []
    ancestors = Unit.objects.in_bulk({i for m in wanted for i in _ids(m.unit.path)})
    paths = {_scope_root(m.unit, m.role, ancestors) for m in wanted}
    return outermost_paths(paths)


def index_access_require(*, viewer: Any) -> list[str]:
    """The viewer's subtrees; refuse a viewer who may see none."""
    paths = index_scope_paths(viewer=viewer)
    if not paths:
        raise PermissionDenied(
            _(
                "Chỉ lãnh đạo Trung tâm, công chức kiểm soát thủ tục hành chính, quản trị hệ thống "
                "và lãnh đạo cơ quan được xem chỉ số đánh giá."
            )
        )
    return paths


def index_units(*, viewer: Any) -> QuerySet[Unit]:
    """The units whose index the viewer may choose: provinces, communes, centers, agencies."""
    paths = index_access_require(viewer=viewer)
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(path__startswith=path)
    return Unit.objects.filter(condition, kind__in=REPORT_UNIT_KINDS).order_by("path")


def index_unit_require(*, viewer: Any, unit: Unit) -> None:
    """Refuse a unit outside the viewer's subtrees."""
    if not any(unit.path.startswith(path) for path in index_access_require(viewer=viewer)):
        raise PermissionDenied(_("Bạn không được xem chỉ số của %(unit)s.") % {"unit": unit.name})


# ---------------------------------------------------------------------------------------------
# Settings


@dataclass(frozen=True)
class Setting:
    code: str
    group: str
    name: str
    maximum: Decimal
    target: Decimal | None


def index_settings_for(*, year: int) -> tuple[dict[str, Setting], int | None]:
    """Each indicator's points and target for `year`: the year's rows, else the latest earlier
    year's, else the defaults; with the year the rows come from (None: the defaults)."""
    latest = IndicatorSetting.objects.filter(year__lte=year).order_by("-year").values("year")[:1]
    rows = {row.code: row for row in IndicatorSetting.objects.filter(year=Subquery(latest))}
    settings = {}
    for code in IndicatorCode:
        row = rows.get(code)
        default = INDICATOR_DEFAULTS[code]
        settings[str(code)] = Setting(
            code=str(code),
            group=INDICATOR_GROUPS[code],
            name=row.name if row else str(code.label),
            maximum=row.maximum if row else default.maximum,
            target=row.target if row else default.target,
        )
    source_year = next(iter(rows.values())).year if rows else None
    return settings, source_year


# ---------------------------------------------------------------------------------------------
# The results


@dataclass(frozen=True)
class IndicatorResult:
    code: str
    group: str
    name: str
    numerator: int | None
    denominator: int
    rate: Decimal | None
    target: Decimal | None
    maximum: Decimal
    points: Decimal | None
    # What the numerator is made of, for the reader: ((label, count), ...).
    detail: tuple[tuple[str, int], ...] = ()

    @property
    def scored(self) -> bool:
        return self.code not in UNSCORED

    @property
    def not_applicable(self) -> bool:
        return self.scored and self.rate is None


@dataclass(frozen=True)
class GroupResult:
    group: str
    label: str
    # The decision's points for the group, and the part of them the system computes.
    maximum: Decimal
    computed_maximum: Decimal
    points: Decimal
    indicators: tuple[IndicatorResult, ...]


@dataclass(frozen=True)
class Index766Report:
    unit: Unit
    period: Period
    as_of: datetime
    settings_year: int | None
    groups: tuple[GroupResult, ...]
    procedure_times: tuple[ProcedureTime, ...]
    total: Decimal
    computed_maximum: Decimal
    total_maximum: Decimal = field(default=sum(GROUP_MAXIMA.values(), Decimal(0)))

    @property
    def indicators(self) -> list[IndicatorResult]:
        return [indicator for group in self.groups for indicator in group.indicators]

    def indicator(self, code: str) -> IndicatorResult:
        return next(i for i in self.indicators if i.code == code)


# ---------------------------------------------------------------------------------------------
# The queries


def index_conditions(period: Period, *, now: datetime) -> dict[str, Q]:
    """What the index counts beyond the operational report's measures, each among the
    dossiers to process (`operational.period_counts` adds that)."""
    start, end = period.start, period.end
    measures = measure_conditions(period, now=now)
    late, received = measures[Measure.LATE], measures[Measure.RECEIVED]
    dissatisfied = Q(
        Exists(Rating.objects.filter(dossier=OuterRef("pk"), overall=Overall.DISSATISFIED))
    )
    fee_bearing = received & Q(
        Exists(FeeItem.objects.filter(version=OuterRef("procedure_version")))
    )
    paid_online = Q(
        Exists(
            Payment.objects.filter(
                dossier=OuterRef("pk"), status=PaymentStatus.PAID, provider=Provider.GATEWAY
            )
        )
    )
    result_is_document = Q(procedure_version__result_is_document=True)
    results = Q(resolved_at__gte=start, resolved_at__lt=end) & result_is_document
    signed = Q(result_document__is_signed=True)
    unscanned = DossierComponent.objects.filter(dossier=OuterRef("pk"), document__isnull=True)
    # An electronic result is needed once the dossier has one that is a document.
    result_where_needed = (
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=end) | ~result_is_document | signed
    )
    reused = Q(Exists(DossierComponent.objects.filter(dossier=OuterRef("pk"), reused=True)))
    # Counted, never negated: NOT over a condition on a NULL end date would drop the row.
    return {
        "dissatisfied": dissatisfied,
        "late_or_dissatisfied": late | dissatisfied,
        "fee_bearing": fee_bearing,
        "paid_online": fee_bearing & paid_online,
        "results": results,
        "signed_results": results & signed,
        "digitised": received & ~Q(Exists(unscanned)) & result_where_needed,
        "reused": received & reused,
    }


def _dossier_counts(unit: Unit, period: Period, now: datetime) -> dict[str, int]:
    """One aggregate query over the unit's dossiers."""
    [row] = period_counts(
        dossiers_of_unit(unit), period, now=now, group={}, extra=index_conditions(period, now=now)
    )
    return {name: int(value) for name, value in row.items() if name != "whole"}


def _procedure_counts(unit: Unit, period: Period) -> dict[str, int]:
    """The versions in force at the end of the period of the unit's active procedures."""
    later = ProcedureVersion.objects.filter(
        procedure=OuterRef("procedure"), number__gt=OuterRef("number"), published_at__lt=period.end
    )
    versions = (
        ProcedureVersion.objects.filter(
            Q(receiving_unit__path__startswith=unit.path)
            | Q(competent_unit__path__startswith=unit.path),
            procedure__is_active=True,
            published_at__lt=period.end,
        )
        .exclude(Exists(later))
        .order_by()
    )
    return versions.aggregate(
        total=Count("pk"),
        full=Count("pk", filter=Q(online_mode=OnlineMode.FULL)),
        partial=Count("pk", filter=Q(online_mode=OnlineMode.PARTIAL)),
    )


# ---------------------------------------------------------------------------------------------
# The report


_DETAIL_LABELS = {
    "resolved_on_time": gettext_lazy("đã kết thúc trước hạn, đúng hạn"),
    "open_in_time": gettext_lazy("đang giải quyết trong hạn"),
    "late": gettext_lazy("trễ hạn, quá hạn"),
    "dissatisfied": gettext_lazy("đánh giá không hài lòng"),
    "full": gettext_lazy("toàn trình"),
    "partial": gettext_lazy("một phần"),
}


def _detail(**counts: int) -> tuple[tuple[str, int], ...]:
    return tuple((str(_DETAIL_LABELS[name]), count) for name, count in counts.items())


def _fractions(
    dossiers: Mapping[str, int], procedures: Mapping[str, int], resolved: int
) -> dict[str, tuple[int | None, int, tuple[tuple[str, int], ...]]]:
    to_process, late = dossiers["to_process"], dossiers["late"]
    finished_in_time = dossiers["finished"] - dossiers["finished_late"]
    return {
        IndicatorCode.ON_TIME: (
            to_process - late,
            to_process,
            _detail(
                resolved_on_time=finished_in_time,
                open_in_time=to_process - late - finished_in_time,
            ),
        ),
        IndicatorCode.RESOLUTION_TIME: (None, resolved, ()),
        IndicatorCode.ONLINE_PROCEDURES: (
            procedures["full"] + procedures["partial"],
            procedures["total"],
            _detail(full=procedures["full"], partial=procedures["partial"]),
        ),
        IndicatorCode.ONLINE_DOSSIERS: (dossiers["received_online"], dossiers["received"], ()),
        IndicatorCode.ONLINE_PAYMENT: (dossiers["paid_online"], dossiers["fee_bearing"], ()),
        IndicatorCode.ELECTRONIC_RESULTS: (dossiers["signed_results"], dossiers["results"], ()),
        IndicatorCode.DIGITISED: (dossiers["digitised"], dossiers["received"], ()),
        IndicatorCode.REUSE: (dossiers["reused"], dossiers["received"], ()),
        IndicatorCode.SATISFACTION: (
            to_process - dossiers["late_or_dissatisfied"],
            to_process,
            _detail(late=late, dissatisfied=dossiers["dissatisfied"]),
        ),
    }


# Rates defined as 100% less a share of the dossiers to process (late, late or dissatisfied).
_COMPLEMENTS = frozenset({IndicatorCode.ON_TIME, IndicatorCode.SATISFACTION})


def _result(
    setting: Setting, numerator: int | None, denominator: int, detail: Any
) -> IndicatorResult:
    scored = setting.code not in UNSCORED
    rate = None
    if scored and numerator is not None:
        complement = setting.code in _COMPLEMENTS
        rate = (complement_rate if complement else rate_of)(
            denominator - numerator if complement else numerator, denominator
        )
    return IndicatorResult(
        code=setting.code,
        group=setting.group,
        name=setting.name,
        numerator=numerator,
        denominator=denominator,
        rate=rate,
        target=setting.target if scored else None,
        maximum=setting.maximum if scored else Decimal(0),
        points=points_for(rate, maximum=setting.maximum, target=setting.target) if scored else None,
        detail=detail,
    )


def _groups(results: list[IndicatorResult]) -> tuple[GroupResult, ...]:
    groups = []
    for group in IndicatorGroup:
        members = tuple(r for r in results if r.group == group)
        groups.append(
            GroupResult(
                group=str(group),
                label=str(group.label),
                maximum=GROUP_MAXIMA[group],
                computed_maximum=sum((r.maximum for r in members), Decimal(0)),
                points=sum((r.points or Decimal(0) for r in members), Decimal(0)),
                indicators=members,
            )
        )
    return tuple(groups)


def _dossier_figures(
    unit: Unit, period: Period, *, now: datetime
) -> tuple[dict[str, int], list[ProcedureTime]]:
    """The dossiers' counts and 2.2: from the period's closed figures once it was counted,
    else from the dossiers."""
    as_of = period.as_of(now)
    closed = closed_period_get(period, now=now)
    if closed is None:
        counts = _dossier_counts(unit, period, now)
        grouped = resolution_times(
            dossiers_of_unit(unit), period, as_of=as_of, group=("procedure_version_id",)
        )
        totals = {key[0]: times for key, times in grouped.items()}
    else:
        counts, totals = closed_totals(closed, units_condition([unit.path]))
    return counts, procedure_times(totals)


def index766_compute(*, unit: Unit, period: Period, now: datetime | None = None) -> Index766Report:
    """The indicators of `unit`'s subtree for `period` (the caller checked the viewer)."""
    now = now or timezone.now()
    as_of = period.as_of(now)
    settings, settings_year = index_settings_for(year=period.last_day.year)
    dossiers, times = _dossier_figures(unit, period, now=now)
    procedures = _procedure_counts(unit, period)
    resolved = sum(t.count for t in times)
    results = [
        _result(settings[code], numerator, denominator, detail)
        for code, (numerator, denominator, detail) in _fractions(
            dossiers, procedures, resolved
        ).items()
    ]
    groups = _groups(results)
    return Index766Report(
        unit=unit,
        period=period,
        as_of=as_of,
        settings_year=settings_year,
        groups=groups,
        procedure_times=tuple(times),
        total=sum((g.points for g in groups), Decimal(0)),
        computed_maximum=sum((g.computed_maximum for g in groups), Decimal(0)),
    )


def index766_report(
    *, viewer: Any, unit: Unit, period: Period, now: datetime | None = None
) -> Index766Report:
    """The index of `unit` for `period`, if the viewer may see that unit's."""
    index_unit_require(viewer=viewer, unit=unit)
    return index766_compute(unit=unit, period=period, now=now)
