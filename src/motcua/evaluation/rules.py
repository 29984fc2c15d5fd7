"""How each indicator of the evaluation of procedure handling is scored (Decree 61/2018/NĐ-CP
Art. 31; Circular 01/2018/TT-VPCP, the annex "Bộ chỉ số đánh giá việc giải quyết TTHC"),
written once as SQL expressions on dossiers so that a dossier's points, the averages and the
counts per class all come from the same definition (docs/evaluation.md explains each rule).

Every indicator is worth 2, 1 or 0 points; NULL means "chưa đánh giá" (not judged):

1. total time: early 2, on time 1, late 0 — late as in the operational report (ended after its
   due date moved by closed pauses, or sent back for a supplement more than once).
2. time of each agency: the steps of the processing slip (the return step is not timed): no
   agency finished a step late 2, one agency did 1, two or more did 0; no timed step: NULL.
3. contacts to complete the dossier: the first filing plus one per completion request before
   acceptance and per supplement request: one contact 2, two 1, more 0.
4. agencies contacted: entered, else the citizen's answer, else 2 when received and returned
   through the one-stop desk (or online, by post), 1 otherwise (the applicant also dealt with
   the agency). Places outside the system (a bank, another office) only a person can know.
5. one-stop desk: received there (or online, by post) 1 point, returned there (or online, by
   post) 1 point.
6. publicity: entered, else the citizen's answer, else 2 when the procedure version the dossier
   was received under had been published in the catalogue (and so on the portal) by then.
7. attitude: entered, else the citizen's answer, else their overall satisfaction (very
   satisfied 2, satisfied 1, dissatisfied 0), else NULL.
8. feedback: entered, else the follow-up of a dissatisfied rating (closed by its due date 2,
   closed late 1, still open past it 0, open within it NULL), else the citizen's answer, else 2
   (nothing was left unanswered).
9. online service: entered, else the citizen's answer, else the level the procedure was offered
   at (full online 2, partial 1, none 0).

An entered value (`EvaluationEntry`) always wins: it is the reviewer's assessment (the
"điểm thẩm định" of the evaluation table), and the audit log keeps who gave it and why.

The total is the sum of the nine, NULL unless all nine are judged. Classes, made exclusive
where the text "tốt 12–15, khá 9–12" overlaps: excellent > 15 (16–18), good 12 to 15, fair 9 to
under 12, average 6 to under 9, weak under 6 — for a whole total or an average alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf

from motcua.agencies.models import UnitKind
from motcua.catalog.models import OnlineMode, StepKind
from motcua.dossiers.models import (
    Channel,
    Dossier,
    DossierStep,
    NoticeKind,
    ReceptionNotice,
    ResultChannel,
    Timeliness,
)
from motcua.evaluation.models import EvaluationEntry, Grade, Indicator
from motcua.ratings.models import FollowUpStatus, Overall
from motcua.reports.operational import agency_expression

INDICATORS = tuple(Indicator)
MAX_TOTAL = 2 * len(INDICATORS)
# The lower bound of each class; a total at or above it (excellent: above 15) takes the class.
GRADE_FLOORS: tuple[tuple[Grade, Decimal], ...] = (
    (Grade.GOOD, Decimal(12)),
    (Grade.FAIR, Decimal(9)),
    (Grade.AVERAGE, Decimal(6)),
)
EXCELLENT_ABOVE = Decimal(15)

_INT = IntegerField()
_ONE_STOP_UNITS = [UnitKind.CENTER, UnitKind.COUNTER]
_REMOTE = [Channel.ONLINE, Channel.POST]
_REMOTE_RESULT = [ResultChannel.ONLINE, ResultChannel.POST]


def grade_of(total: Decimal | int | None) -> Grade | None:
    """The class of a total (or an average total) out of 18; None for "chưa đánh giá"."""
    if total is None:
        return None
    if total > EXCELLENT_ABOVE:
        return Grade.EXCELLENT
    for grade, floor in GRADE_FLOORS:
        if total >= floor:
            return grade
    return Grade.WEAK


def grade_conditions() -> dict[Grade, Q]:
    """Each class as a condition on the `total` annotation (the same bounds as `grade_of`)."""
    return {
        Grade.EXCELLENT: Q(total__gt=EXCELLENT_ABOVE),
        Grade.GOOD: Q(total__gte=12, total__lte=EXCELLENT_ABOVE),
        Grade.FAIR: Q(total__gte=9, total__lt=12),
        Grade.AVERAGE: Q(total__gte=6, total__lt=9),
        Grade.WEAK: Q(total__lt=6),
    }


def _points(value: int | None) -> Value:
    return Value(value, output_field=_INT)


def _entered(indicator: Indicator) -> Subquery:
    entries = EvaluationEntry.objects.filter(dossier=OuterRef("pk"), indicator=indicator)
    return Subquery(entries.values("points")[:1], output_field=_INT)


def _total_time() -> Case:
    late = Q(clock_end__gt=F("clock_due")) | Q(supplement_count__gt=1)
    return Case(
        When(late, then=_points(0)),
        When(clock_end_day__lt=F("clock_due_day"), then=_points(2)),
        default=_points(1),
        output_field=_INT,
    )


def _judged_steps() -> QuerySet[DossierStep]:
    # The return step is not timed: when the applicant comes for the result is theirs to choose.
    steps = DossierStep.objects.filter(dossier=OuterRef("pk")).exclude(kind=StepKind.RETURN)
    return steps.exclude(timeliness="")


def _late_agencies() -> Coalesce:
    """How many agencies (a department counts for its agency) finished a step late."""
    late = (
        _judged_steps()
        .filter(timeliness=Timeliness.LATE)
        .alias(step_agency=agency_expression("unit"))
        .order_by()
        .values("dossier")
        .annotate(n=Count("step_agency", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(late, output_field=_INT), _points(0))


def _agency_time() -> Case:
    # Every step is on the dossier's slip (form 05/06) with its own due time; the reception
    # step ends on its due day by design, so "all early" would be out of reach: the scale is
    # how many agencies held the dossier up.
    return Case(
        When(~Exists(_judged_steps()), then=_points(None)),
        When(eval_late_agencies=0, then=_points(2)),
        When(eval_late_agencies=1, then=_points(1)),
        default=_points(0),
        output_field=_INT,
    )


def _extra_contacts() -> ExpressionWrapper:
    """Completion requests before acceptance (online) plus supplement requests after it."""
    guidance = (
        ReceptionNotice.objects.filter(dossier=OuterRef("pk"), kind=NoticeKind.GUIDANCE)
        .order_by()
        .values("dossier")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return ExpressionWrapper(
        Coalesce(Subquery(guidance, output_field=_INT), _points(0)) + F("supplement_count"),
        output_field=_INT,
    )


def _contacts() -> Case:
    return Case(
        When(eval_extra_contacts=0, then=_points(2)),
        When(eval_extra_contacts=1, then=_points(1)),
        default=_points(0),
        output_field=_INT,
    )


def _desk_unit() -> Q:
    """Received by a center or one of its counters: a dossier taken in by an agency's own
    office went past the one-stop desk, and is handed back there too."""
    return Q(receiving_unit__kind__in=_ONE_STOP_UNITS) | Q(
        receiving_unit__parent__kind=UnitKind.CENTER
    )


def _received_at_desk() -> Q:
    return Q(channel__in=_REMOTE) | _desk_unit()


def _returned_at_desk() -> Q:
    # Until the result is handed over, the channel the applicant chose stands for the return.
    return Q(eval_return_route__in=_REMOTE_RESULT) | _desk_unit()


def _one_stop() -> Case:
    received, returned = _received_at_desk(), _returned_at_desk()
    return Case(
        When(received & returned, then=_points(2)),
        When(received | returned, then=_points(1)),
        default=_points(0),
        output_field=_INT,
    )


def _agencies_from_route() -> Case:
    return Case(
        When(_received_at_desk() & _returned_at_desk(), then=_points(2)),
        default=_points(1),
        output_field=_INT,
    )


def _published() -> Case:
    return Case(
        When(procedure_version__published_at__lte=F("received_at"), then=_points(2)),
        default=_points(None),
        output_field=_INT,
    )


def _overall() -> Case:
    return Case(
        When(rating__overall=Overall.VERY_SATISFIED, then=_points(2)),
        When(rating__overall=Overall.SATISFIED, then=_points(1)),
        When(rating__overall=Overall.DISSATISFIED, then=_points(0)),
        default=_points(None),
        output_field=_INT,
    )


def _feedback(as_of: dt.datetime) -> Case:
    closed = Q(
        rating__followup__status=FollowUpStatus.CLOSED, rating__followup__closed_at__lt=as_of
    )
    in_time = Q(rating__followup__closed_at__lte=F("rating__followup__due_at"))
    return Case(
        When(closed & in_time, then=_points(2)),
        When(closed, then=_points(1)),
        When(rating__followup__due_at__lt=as_of, then=_points(0)),
        When(rating__followup__isnull=False, then=_points(None)),
        When(rating__feedback_handling__isnull=False, then=F("rating__feedback_handling")),
        default=_points(2),
        output_field=_INT,
    )


def _online_level() -> Case:
    return Case(
        When(procedure_version__online_mode=OnlineMode.FULL, then=_points(2)),
        When(procedure_version__online_mode=OnlineMode.PARTIAL, then=_points(1)),
        default=_points(0),
        output_field=_INT,
    )


def indicator_expressions(*, as_of: dt.datetime) -> Mapping[Indicator, Any]:
    """Each indicator's points as an expression on dossiers prepared by `with_points`."""

    def entered_else(indicator: Indicator, *fallbacks: Any) -> Coalesce:
        return Coalesce(_entered(indicator), *fallbacks, output_field=_INT)

    return {
        Indicator.TOTAL_TIME: _total_time(),
        Indicator.AGENCY_TIME: _agency_time(),
        Indicator.CONTACTS: _contacts(),
        Indicator.AGENCIES_CONTACTED: entered_else(
            Indicator.AGENCIES_CONTACTED, F("rating__agencies_contacted"), _agencies_from_route()
        ),
        Indicator.ONE_STOP: _one_stop(),
        Indicator.PUBLICITY: entered_else(
            Indicator.PUBLICITY, F("rating__publicity"), _published()
        ),
        Indicator.ATTITUDE: entered_else(Indicator.ATTITUDE, F("rating__attitude"), _overall()),
        Indicator.FEEDBACK: entered_else(Indicator.FEEDBACK, _feedback(as_of)),
        Indicator.ONLINE_SERVICE: entered_else(
            Indicator.ONLINE_SERVICE, F("rating__online_service"), _online_level()
        ),
    }


def field_of(indicator: Indicator) -> str:
    """The annotation that holds an indicator's points."""
    return f"p_{indicator.value}"


def with_points(
    dossiers: QuerySet[Dossier], *, as_of: dt.datetime, select: bool = False
) -> QuerySet[Dossier]:
    """Dossiers (prepared by `reports.operational.with_clock`) with each indicator's points
    (`p_<indicator>`) and their `total`, NULL unless all nine are judged. Aliases for the
    aggregates; `select` also reads them on each row (lists, the dossier's page)."""
    prepared = dossiers.alias(
        eval_extra_contacts=_extra_contacts(),
        eval_late_agencies=_late_agencies(),
        eval_return_route=Coalesce(NullIf("return_channel", Value("")), "result_channel"),
    )
    points = {field_of(i): e for i, e in indicator_expressions(as_of=as_of).items()}
    total: Any = F(field_of(INDICATORS[0]))
    for indicator in INDICATORS[1:]:
        total = total + F(field_of(indicator))
    prepared = prepared.alias(**points).alias(total=ExpressionWrapper(total, output_field=_INT))
    if not select:
        return prepared
    names = [*points, "total"]
    return prepared.annotate(**{f"{name}_value": F(name) for name in names})
