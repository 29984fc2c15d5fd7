"""The operational report's figures (DOMAIN.md §6), each defined once as a named condition on
dossiers, and the rows computed from them with a fixed number of aggregate queries.

For a period [start, end) judged at `as_of` (its end, or now while it runs):

- received: accepted in the period (by channel); carried over: accepted before it and still
  open at its start; to process = received + carried over.
- finished: ended in the period, where a dossier ends when it is resolved, else returned, else
  stopped (withdrawn, not eligible). Late when it ended after its due date — the date moved by
  its closed pauses, so time waiting for the applicant does not count, while an apology's new
  date excuses nothing — or when it was sent back for a supplement more than once; early when it
  ended on a day before the due day; on time otherwise.
- open: accepted before the end and not ended by it; overdue when past its due date at
  `as_of` with the clock running (a dossier waiting for the applicant since before its due date
  is not late), or sent back more than once; within time otherwise.
- late rate = (finished late + open overdue) / to process; on-time rate = 100% − late rate.

The same conditions give the counts (Count(..., filter=condition)) and the drill-down lists
(filter(condition)), so a number and the list behind it always agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, cast

from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import UnitKind
from motcua.catalog.models import StepKind
from motcua.dossiers.models import (
    Channel,
    Dossier,
    DossierNotice,
    DossierNoticeKind,
    DossierPause,
    DossierStep,
    Timeliness,
)
from motcua.reports.periods import Period, local_zone


class Measure(StrEnum):
    RECEIVED = "received"
    RECEIVED_COUNTER = "received_counter"
    RECEIVED_ONLINE = "received_online"
    RECEIVED_POST = "received_post"
    CARRIED_OVER = "carried_over"
    TO_PROCESS = "to_process"
    FINISHED = "finished"
    FINISHED_EARLY = "finished_early"
    FINISHED_ON_TIME = "finished_on_time"
    FINISHED_LATE = "finished_late"
    # Of the finished: ended without a result (withdrawn, stopped, not eligible).
    ENDED_WITHOUT_RESULT = "ended_without_result"
    OPEN = "open"
    OPEN_WITHIN = "open_within"
    OPEN_OVERDUE = "open_overdue"
    # Of the open within time: near the due date, and waiting for the applicant.
    OPEN_NEAR_DUE = "open_near_due"
    OPEN_PAUSED = "open_paused"
    UNCOLLECTED = "uncollected"
    # The late rate's numerator, and two of its reasons.
    LATE = "late"
    LATE_APOLOGISED = "late_apologised"
    LATE_MULTI_SUPPLEMENT = "late_multi_supplement"
    # Dossiers with a step (of any agency) late during the period.
    STEP_DELAYED = "step_delayed"


MEASURE_LABELS: Mapping[Measure, Any] = {
    Measure.RECEIVED: _("Tiếp nhận trong kỳ"),
    Measure.RECEIVED_COUNTER: _("Tiếp nhận trực tiếp"),
    Measure.RECEIVED_ONLINE: _("Tiếp nhận trực tuyến"),
    Measure.RECEIVED_POST: _("Tiếp nhận qua bưu chính"),
    Measure.CARRIED_OVER: _("Kỳ trước chuyển qua"),
    Measure.TO_PROCESS: _("Tổng số phải giải quyết"),
    Measure.FINISHED: _("Đã giải quyết"),
    Measure.FINISHED_EARLY: _("Đã giải quyết trước hạn"),
    Measure.FINISHED_ON_TIME: _("Đã giải quyết đúng hạn"),
    Measure.FINISHED_LATE: _("Đã giải quyết quá hạn"),
    Measure.ENDED_WITHOUT_RESULT: _("Trong đó: dừng, rút, không đủ điều kiện"),
    Measure.OPEN: _("Đang giải quyết"),
    Measure.OPEN_WITHIN: _("Đang giải quyết trong hạn"),
    Measure.OPEN_OVERDUE: _("Đang giải quyết quá hạn"),
    Measure.OPEN_NEAR_DUE: _("Sắp đến hạn"),
    Measure.OPEN_PAUSED: _("Đang tạm dừng chờ người nộp"),
    Measure.UNCOLLECTED: _("Có kết quả, chưa trả"),
    Measure.LATE: _("Hồ sơ chậm (quá hạn)"),
    Measure.LATE_APOLOGISED: _("Hồ sơ chậm có văn bản xin lỗi"),
    Measure.LATE_MULTI_SUPPLEMENT: _("Hồ sơ yêu cầu bổ sung quá một lần"),
    Measure.STEP_DELAYED: _("Hồ sơ có bước xử lý chậm"),
}

# The measures counted on every row (the step-based one is counted on steps, by agency).
COUNTED = tuple(m for m in Measure if m != Measure.STEP_DELAYED)

# Staff of a department or a counter work for the agency, center or commune above it
# (agencies.selectors.agency_of); the same climb, in SQL, for two levels of departments.
_PART_OF_PARENT = [UnitKind.DEPARTMENT, UnitKind.COUNTER]


def agency_expression(unit_field: str) -> Case:
    """The id of the agency a unit FK (`unit_field`) belongs to, computed in the query."""
    return Case(
        When(
            **{
                f"{unit_field}__kind__in": _PART_OF_PARENT,
                f"{unit_field}__parent__kind__in": _PART_OF_PARENT,
                f"{unit_field}__parent__parent__isnull": False,
            },
            then=F(f"{unit_field}__parent__parent_id"),
        ),
        When(
            **{f"{unit_field}__kind__in": _PART_OF_PARENT, f"{unit_field}__parent__isnull": False},
            then=F(f"{unit_field}__parent_id"),
        ),
        default=F(f"{unit_field}_id"),
    )


# ---------------------------------------------------------------------------------------------
# The clock of each dossier, as aliases the conditions refer to


def _paused_at(as_of: dt.datetime) -> Exists:
    """The clock stood still at `as_of`: a pause that began before it and before the due date
    (a dossier already late when it was paused stays late) had not ended."""
    return Exists(
        DossierPause.objects.filter(
            dossier=OuterRef("pk"),
            started_at__lt=as_of,
            started_at__lte=OuterRef("due_at"),
        ).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=as_of))
    )


def _apologised_before(as_of: dt.datetime) -> Exists:
    return Exists(
        DossierNotice.objects.filter(
            dossier=OuterRef("pk"), kind=DossierNoticeKind.APOLOGY, issued_at__lt=as_of
        )
    )


def with_clock(dossiers: QuerySet[Dossier], *, as_of: dt.datetime) -> QuerySet[Dossier]:
    """Dossiers with the aliases the conditions use: their end, their due date, both as local
    days, and whether the clock was paused at `as_of` (only what a query uses reaches SQL)."""
    zone = local_zone()
    return dossiers.filter(received_at__isnull=False).alias(
        clock_end=Coalesce("resolved_at", "returned_at", "stopped_at"),
        # Every accepted dossier has a due date; a row made before the column counts as due
        # when it was received.
        clock_due=Coalesce("due_at", "received_at"),
        clock_end_day=TruncDate("clock_end", tzinfo=zone),
        clock_due_day=TruncDate("clock_due", tzinfo=zone),
        clock_paused=_paused_at(as_of),
        clock_apologised=_apologised_before(as_of),
    )


def in_period(
    dossiers: QuerySet[Dossier],
    period: Period,
    *,
    now: dt.datetime,
    since: dt.datetime | None = None,
) -> QuerySet[Dossier]:
    """The dossiers a period's measures may count, prepared by `with_clock`: received before
    its end and, of those received before `since` (its start), only the ones still open then,
    ended since, or resolved and not returned — every measure's condition implies this, which
    spares the database the years of dossiers closed long ago."""
    since = since or period.start
    population = (
        Q(received_at__gte=since)
        | Q(clock_end__isnull=True)
        | Q(clock_end__gte=since)
        | Q(resolved_at__isnull=False, returned_at__isnull=True)
        | Q(returned_at__gte=since)
    )
    return with_clock(dossiers.filter(received_at__lt=period.end), as_of=period.as_of(now)).filter(
        population
    )


# ---------------------------------------------------------------------------------------------
# The conditions


def measure_conditions(
    period: Period,
    *,
    now: dt.datetime,
    near_due_before: dt.datetime | None = None,
) -> dict[Measure, Q]:
    """Each measure's condition for `period`, on a queryset prepared by `with_clock` with
    as_of = period.as_of(now). Near due: open within time and due before `near_due_before`."""
    start, end, as_of = period.start, period.end, period.as_of(now)
    received = Q(received_at__gte=start, received_at__lt=end)
    carried_over = Q(received_at__lt=start) & (Q(clock_end__isnull=True) | Q(clock_end__gte=start))
    finished = Q(clock_end__gte=start, clock_end__lt=end)
    late_end = Q(clock_end__gt=F("clock_due")) | Q(supplement_count__gt=1)
    not_late_end = Q(clock_end__lte=F("clock_due"), supplement_count__lte=1)
    open_ = Q(received_at__lt=end) & (Q(clock_end__isnull=True) | Q(clock_end__gte=end))
    overdue = (Q(clock_due__lt=as_of) & Q(clock_paused=False)) | Q(supplement_count__gt=1)
    within = (Q(clock_due__gte=as_of) | Q(clock_paused=True)) & Q(supplement_count__lte=1)
    running = Q(clock_paused=False, clock_due__gte=as_of, supplement_count__lte=1)
    late = (finished & late_end) | (open_ & overdue)
    return {
        Measure.RECEIVED: received,
        Measure.RECEIVED_COUNTER: received & Q(channel=Channel.COUNTER),
        Measure.RECEIVED_ONLINE: received & Q(channel=Channel.ONLINE),
        Measure.RECEIVED_POST: received & Q(channel=Channel.POST),
        Measure.CARRIED_OVER: carried_over,
        Measure.TO_PROCESS: received | carried_over,
        Measure.FINISHED: finished,
        Measure.FINISHED_EARLY: finished & not_late_end & Q(clock_end_day__lt=F("clock_due_day")),
        Measure.FINISHED_ON_TIME: finished
        & not_late_end
        & Q(clock_end_day__gte=F("clock_due_day")),
        Measure.FINISHED_LATE: finished & late_end,
        Measure.ENDED_WITHOUT_RESULT: finished & Q(resolved_at__isnull=True),
        Measure.OPEN: open_,
        Measure.OPEN_WITHIN: open_ & within,
        Measure.OPEN_OVERDUE: open_ & overdue,
        Measure.OPEN_NEAR_DUE: open_ & running & Q(clock_due__lt=near_due_before or as_of),
        Measure.OPEN_PAUSED: open_ & Q(clock_paused=True, supplement_count__lte=1),
        Measure.UNCOLLECTED: Q(resolved_at__lt=end)
        & (Q(returned_at__isnull=True) | Q(returned_at__gte=end)),
        Measure.LATE: late,
        Measure.LATE_APOLOGISED: late & Q(clock_apologised=True),
        Measure.LATE_MULTI_SUPPLEMENT: late & Q(supplement_count__gt=1),
        Measure.STEP_DELAYED: Q(Exists(late_steps(period, now=now).filter(dossier=OuterRef("pk")))),
    }


def late_steps(
    period: Period, *, now: dt.datetime, since_start: bool = True
) -> QuerySet[DossierStep]:
    """Steps late during the period, judged at its as_of: finished late in it, or open past
    their own due time with the dossier's clock running. `since_start=False` takes every step
    late before as_of (what delayed a dossier that is late in the period).

    The return step is not timed (the applicant chooses when to come); an open step's due time
    is stale while its dossier waits for the applicant, so such a step is not counted."""
    as_of = period.as_of(now)
    finished_late = Q(timeliness=Timeliness.LATE, finished_at__lt=as_of)
    if since_start:
        finished_late &= Q(finished_at__gte=period.start)
    paused = DossierPause.objects.filter(dossier=OuterRef("dossier_id"), started_at__lt=as_of)
    paused = paused.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=as_of))
    open_overdue = (
        Q(started_at__lt=as_of, due_at__lt=as_of)
        & (Q(finished_at__isnull=True) | Q(finished_at__gte=as_of))
        & ~Q(Exists(paused))
    )
    return DossierStep.objects.exclude(kind=StepKind.RETURN).filter(finished_late | open_overdue)


def caused_by(period: Period, *, now: dt.datetime, agency_id: int, since_start: bool) -> Q:
    """Dossiers with a step of the agency `agency_id` late (see `late_steps`)."""
    steps = late_steps(period, now=now, since_start=since_start).alias(
        step_agency=agency_expression("unit")
    )
    return Q(Exists(steps.filter(dossier=OuterRef("pk"), step_agency=agency_id)))


def measure_filter(
    dossiers: QuerySet[Dossier],
    measure: Measure,
    period: Period,
    *,
    now: dt.datetime,
    near_due_before: dt.datetime | None = None,
) -> QuerySet[Dossier]:
    """The dossiers a measure counts: the drill-down list behind a number."""
    conditions = measure_conditions(period, now=now, near_due_before=near_due_before)
    return in_period(dossiers, period, now=now).filter(conditions[measure])


# ---------------------------------------------------------------------------------------------
# Rows


class Grouping(StrEnum):
    AGENCY = "agency"
    PROCEDURE = "procedure"
    SECTOR = "sector"


_GROUP_KEYS = {
    Grouping.PROCEDURE: "procedure_version__procedure_id",
    Grouping.SECTOR: "procedure_version__procedure__sector_id",
}


def rate_of(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator in percent, rounded half up to 2 decimals; None when empty."""
    if not denominator:
        return None
    return (Decimal(numerator) * Decimal(100) / Decimal(denominator)).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )


@dataclass
class OperationalRow:
    """The figures of one agency, procedure or sector (or their total, key None)."""

    key: int | None
    label: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, measure: str) -> int:
        # A KeyError for anything but a counted measure, so that a template's `row.label`
        # falls through to the attribute.
        return self.counts[measure]

    @property
    def late_rate(self) -> Decimal | None:
        return rate_of(self[Measure.LATE], self[Measure.TO_PROCESS])

    @property
    def on_time_rate(self) -> Decimal | None:
        late = self.late_rate
        return None if late is None else Decimal(100) - late


def row_total(rows: Iterable[OperationalRow], label: str = "") -> OperationalRow:
    """The sum of rows: each dossier has one agency, one procedure, so the sum is the total."""
    total = OperationalRow(key=None, label=label, counts=dict.fromkeys(map(str, COUNTED), 0))
    for row in rows:
        for measure in COUNTED:
            total.counts[str(measure)] += row[measure]
    return total


def period_counts(
    dossiers: QuerySet[Dossier],
    period: Period,
    *,
    now: dt.datetime,
    group: Mapping[str, Any],
    extra: Mapping[str, Q] | None = None,
    near_due_before: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """One aggregate query: every counted measure, and each `extra` condition among the
    dossiers to process, per value of the `group` expressions (name → field or expression;
    empty: one row for all)."""
    conditions = measure_conditions(period, now=now, near_due_before=near_due_before)
    counts = {str(m): Count("pk", filter=conditions[m]) for m in COUNTED}
    to_process = conditions[Measure.TO_PROCESS]
    counts |= {name: Count("pk", filter=to_process & c) for name, c in (extra or {}).items()}
    prepared = in_period(dossiers, period, now=now)
    # aggregate() refuses the clock's aliases: annotate over a constant when there is no group.
    keys = dict(group) or {"whole": Value(1)}
    # The plugin types the rows as holding the group only; the counts are there too.
    return cast("list[dict[str, Any]]", list(prepared.order_by().values(**keys).annotate(**counts)))


def reported(counts: Mapping[str, int]) -> bool:
    """A group shows in a report when it has dossiers to process (the open ones are among
    them) or results waiting to be collected."""
    return bool(counts[Measure.TO_PROCESS] or counts[Measure.UNCOLLECTED])


def operational_counts(
    dossiers: QuerySet[Dossier],
    period: Period,
    *,
    now: dt.datetime,
    by: Grouping,
    near_due_before: dt.datetime | None = None,
) -> list[OperationalRow]:
    """Every measure counted per agency, procedure or sector (one query), for the groups the
    report shows. Labels are left for the caller (the keys are ids)."""
    group = agency_expression("competent_unit") if by == Grouping.AGENCY else F(_GROUP_KEYS[by])
    grouped = period_counts(
        dossiers, period, now=now, group={"group_key": group}, near_due_before=near_due_before
    )
    rows = [
        OperationalRow(key=values["group_key"], counts={str(m): values[m] for m in COUNTED})
        for values in grouped
        if reported(values)
    ]
    return sorted(rows, key=lambda row: row.key or 0)


def late_cause_counts(
    dossiers: QuerySet[Dossier],
    period: Period,
    *,
    now: dt.datetime,
    group: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Late dossiers of the period per agency whose step was late (a dossier held up by two
    agencies counts for both), and per value of the `group` expressions on the step (one query
    on the steps of the late dossiers): rows of `agency`, the group's names and `n`."""
    conditions = measure_conditions(period, now=now)
    late = in_period(dossiers, period, now=now)
    late_ids = late.filter(conditions[Measure.LATE]).order_by().values("pk")
    rows = (
        late_steps(period, now=now, since_start=False)
        .filter(dossier_id__in=Subquery(late_ids))
        .order_by()
        .values(agency=agency_expression("unit"), **(group or {}))
        .annotate(n=Count("dossier_id", distinct=True))
    )
    return cast("list[dict[str, Any]]", list(rows))


def late_causes(dossiers: QuerySet[Dossier], period: Period, *, now: dt.datetime) -> dict[int, int]:
    """Late dossiers of the period per agency whose step was late."""
    return {row["agency"]: row["n"] for row in late_cause_counts(dossiers, period, now=now)}


def step_delay_counts(
    dossiers: QuerySet[Dossier] | None,
    period: Period,
    *,
    now: dt.datetime,
    group: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Dossiers with a step late during the period, per agency of the step and per value of
    the `group` expressions on the step (one query): rows of `agency`, the group's names and
    `n`. `dossiers` None: every dossier."""
    steps = late_steps(period, now=now)
    if dossiers is not None:
        steps = steps.filter(dossier_id__in=Subquery(dossiers.order_by().values("pk")))
    rows = (
        steps.order_by()
        .values(agency=agency_expression("unit"), **(group or {}))
        .annotate(n=Count("dossier_id", distinct=True))
    )
    return cast("list[dict[str, Any]]", list(rows))


def step_delays(dossiers: QuerySet[Dossier], period: Period, *, now: dt.datetime) -> dict[int, int]:
    """Dossiers with a step late during the period, per agency of the step."""
    return {row["agency"]: row["n"] for row in step_delay_counts(dossiers, period, now=now)}


def step_overrun(as_of: dt.datetime) -> ExpressionWrapper:
    """A late step's wall time past its due time: to its end, or to `as_of` while open."""
    return ExpressionWrapper(
        Coalesce(F("finished_at"), Value(as_of)) - F("due_at"), output_field=DurationField()
    )


def monthly_trend(
    dossiers: QuerySet[Dossier], months: list[Period], *, now: dt.datetime
) -> list[tuple[Period, int, int]]:
    """Received and finished per month, with the report's own conditions (one query)."""
    counts: dict[str, Count] = {}
    for index, month in enumerate(months):
        conditions = measure_conditions(month, now=now)
        counts[f"received_{index}"] = Count("pk", filter=conditions[Measure.RECEIVED])
        counts[f"finished_{index}"] = Count("pk", filter=conditions[Measure.FINISHED])
    if not months:
        return []
    last = months[-1]
    prepared = in_period(dossiers, last, now=now, since=months[0].start)
    totals = prepared.order_by().aggregate(**counts)
    return [
        (month, totals[f"received_{i}"], totals[f"finished_{i}"]) for i, month in enumerate(months)
    ]
