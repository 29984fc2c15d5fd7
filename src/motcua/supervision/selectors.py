"""Reads of supervision: an officer's alerts, the center's board of near-due and overdue
dossiers with who has been told, and the urges sent and received. Each takes the viewer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Least
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from motcua.agencies.models import Role, Unit, UnitKind
from motcua.agencies.selectors import memberships_of, scope_paths_of
from motcua.calendars.selectors import work_calendar_for
from motcua.core.errors import NotFound, PermissionDenied
from motcua.dossiers.models import Dossier, DossierState, DossierStep
from motcua.lib.workdays import WorkCalendar, add_working_time, working_time_between
from motcua.supervision.models import AlertReadMark, AlertRecipient, Urge, UrgeRecipient

# While the applicant supplements or pays the clock stands still: nothing is near due or
# overdue then (the same states as the deadline sweep's).
RUNNING_STATES = [
    DossierState.RECEIVED,
    DossierState.IN_PROCESSING,
    DossierState.WITHDRAWAL_REQUESTED,
]
# Who may urge an agency, and see the center's board.
URGER_ROLES = (Role.CENTER_LEADER, Role.PROCEDURE_CONTROLLER)
BOARD_PAGE_SIZE = 50
# Staff of a department or a counter work for the agency or center above it.
_PART_OF_PARENT = {UnitKind.DEPARTMENT, UnitKind.COUNTER}


# ---------------------------------------------------------------------------------------------
# The clock


def supervision_calendar(*, now: datetime) -> WorkCalendar:
    """The calendar in force now, the one the worklists colour rows with, so an alert says
    what the worklist shows."""
    year = timezone.localtime(now).year
    return work_calendar_for(as_of=now, years=range(year - 1, year + 3))


def near_due_window() -> timedelta:
    return timedelta(hours=settings.MOTCUA_NEAR_DUE_WORKING_HOURS)


def near_due_bound(*, calendar: WorkCalendar, now: datetime, left: timedelta) -> datetime:
    """An instant before which every due time has at most `left` of working time left.

    One minute over, then `<`: due times falling in the night or a holiday after the last
    working minute have the same working time left as that minute and must be included.
    """
    return add_working_time(calendar=calendar, start=now, amount=left + timedelta(minutes=1))


def working_time_text(left: timedelta, working_day: timedelta) -> str:
    """Working time as officers say it: "2 ngày 3,5 giờ" (always of the absolute value)."""
    days, rest = divmod(abs(left), working_day)
    hours = round(rest / timedelta(hours=1), 1)
    parts = [_("%(n)s ngày") % {"n": days}] if days else []
    if hours or not days:
        shown = formats.number_format(hours if hours % 1 else int(hours))
        parts.append(_("%(n)s giờ") % {"n": shown})
    return " ".join(parts)


# ---------------------------------------------------------------------------------------------
# Who is in charge


def agencies_by_unit(units: Iterable[Unit]) -> dict[int, Unit]:
    """The agency, center or commune of each unit (departments and counters climb), one query."""
    units = list(units)
    ids = {int(i) for unit in units for i in unit.path.strip("/").split("/") if i}
    known = Unit.objects.in_bulk(ids)
    result = {}
    for unit in units:
        current = unit
        # The parent is in the path, so it was loaded; each step climbs one level.
        while current.kind in _PART_OF_PARENT and current.parent_id in known:
            current = known[current.parent_id]
        result[unit.pk] = current
    return result


def _urger_paths(viewer: Any) -> list[str]:
    return [m.unit.path for m in memberships_of(user=viewer) if m.role in URGER_ROLES]


def may_urge(*, viewer: Any) -> bool:
    """Center leaders and procedure controllers urge agencies and see the center's board."""
    return not getattr(viewer, "is_citizen", False) and bool(_urger_paths(viewer))


def urger_role(*, viewer: Any) -> str:
    """The role in which the viewer urges; refuse anyone else."""
    roles = {m.role for m in memberships_of(user=viewer)}
    role = next((r for r in URGER_ROLES if r in roles), None)
    if role is None or getattr(viewer, "is_citizen", False):
        raise PermissionDenied(
            _("Chỉ lãnh đạo Trung tâm và cán bộ kiểm soát thủ tục hành chính được đôn đốc.")
        )
    return role


def urgeable_dossiers(*, viewer: Any) -> QuerySet[Dossier]:
    """Dossiers the viewer supervises: received at their center, or, for a procedure
    controller, received or decided anywhere under their unit."""
    condition = Q(pk__in=[])
    for path in _urger_paths(viewer):
        condition |= Q(receiving_unit__path__startswith=path)
        condition |= Q(competent_unit__path__startswith=path)
    return Dossier.objects.filter(condition)


def urge_dossier_get(*, viewer: Any, code: str) -> Dossier:
    """An open dossier the viewer may urge an agency about; anything else is not found."""
    urger_role(viewer=viewer)
    dossier = (
        urgeable_dossiers(viewer=viewer)
        .select_related("procedure_version", "competent_unit", "receiving_unit")
        .filter(code=code)
        .first()
    )
    if dossier is None:
        raise NotFound(_("Không tìm thấy hồ sơ %(code)s.") % {"code": code})
    return dossier


def open_steps_of(dossiers: Sequence[Dossier]) -> dict[int, list[DossierStep]]:
    """The open steps of each dossier, most urgent first (one query)."""
    steps = (
        DossierStep.objects.filter(dossier__in=dossiers, finished_at__isnull=True)
        .select_related("unit", "assignee")
        .order_by("due_at", "pk")
    )
    result: dict[int, list[DossierStep]] = defaultdict(list)
    for step in steps:
        result[step.dossier_id].append(step)
    return result


def responsible_units(
    *, dossier: Dossier, steps: Sequence[DossierStep], agencies: dict[int, Unit] | None = None
) -> list[Unit]:
    """The agencies an urge about the dossier can go to: those holding its open steps, the most
    urgent first, then the competent agency. `agencies` (agencies_by_unit) spares the query."""
    if agencies is None:
        agencies = agencies_by_unit([*(s.unit for s in steps), dossier.competent_unit])
    ordered = [agencies[s.unit_id] for s in steps] + [agencies[dossier.competent_unit_id]]
    return list({unit.pk: unit for unit in ordered}.values())


# ---------------------------------------------------------------------------------------------
# An officer's alerts


def alerts_for(*, viewer: Any, unread_only: bool = False) -> QuerySet[AlertRecipient]:
    """The alerts the viewer was told of, newest first."""
    if not getattr(viewer, "is_authenticated", False):
        return AlertRecipient.objects.none()
    rows = AlertRecipient.objects.filter(user=viewer)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.select_related(
        "alert__dossier__procedure_version", "alert__step", "alert__unit", "alert__rule"
    ).order_by("-alert__sent_at", "-alert_id")


def alert_unread_count(*, viewer: Any) -> int:
    return alerts_for(viewer=viewer, unread_only=True).count()


def alert_unseen_count(*, viewer: Any) -> int:
    """The viewer's unread alerts delivered since they last opened their alerts (one query)."""
    mark = AlertReadMark.objects.filter(user_id=viewer.pk).values("seen_through")[:1]
    seen = Coalesce(Subquery(mark), Value(0), output_field=BigIntegerField())
    return alerts_for(viewer=viewer, unread_only=True).filter(pk__gt=seen).count()


def alert_newest_delivery(*, viewer: Any) -> int:
    """The id of the newest alert the viewer was told of (0: none): how far their list goes."""
    return int(alerts_for(viewer=viewer).aggregate(newest=Max("pk"))["newest"] or 0)


# ---------------------------------------------------------------------------------------------
# The center's board


class Urgency(StrEnum):
    NEAR = "near"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Told:
    name: str
    audience: str
    trigger: str
    at: datetime


@dataclass
class BoardRow:
    dossier: Dossier
    urgency: Urgency
    # The open step most urgent, the agency it is in, and its working time left (negative
    # when overdue); the dossier's own working time left likewise.
    step: DossierStep | None
    agency: Unit
    step_left: timedelta | None
    dossier_left: timedelta
    working_day: timedelta
    told: list[Told] = field(default_factory=list)

    @property
    def step_left_text(self) -> str:
        return _left_text(self.step_left, self.working_day) if self.step_left is not None else ""

    @property
    def dossier_left_text(self) -> str:
        return _left_text(self.dossier_left, self.working_day)

    @property
    def step_overdue(self) -> bool:
        return self.step_left is not None and self.step_left < timedelta(0)

    @property
    def dossier_overdue(self) -> bool:
        return self.dossier_left < timedelta(0)


def _left_text(left: timedelta, working_day: timedelta) -> str:
    text = working_time_text(left, working_day)
    return _("quá %(left)s") % {"left": text} if left < timedelta(0) else text


def board_dossiers(
    *, viewer: Any, urgency: str = "", now: datetime | None = None
) -> QuerySet[Dossier]:
    """Open dossiers the viewer supervises whose legal due date or an open step's due time is
    near or past, most urgent first. Empty for anyone who may not urge."""
    if not may_urge(viewer=viewer):
        return Dossier.objects.none()
    now = now or timezone.now()
    if urgency == Urgency.OVERDUE:
        bound = now
    else:
        calendar = supervision_calendar(now=now)
        bound = near_due_bound(calendar=calendar, now=now, left=near_due_window())
    open_steps = DossierStep.objects.filter(dossier=OuterRef("pk"), finished_at__isnull=True)
    dossiers = urgeable_dossiers(viewer=viewer).filter(
        Q(due_at__lt=bound) | Q(Exists(open_steps.filter(due_at__lt=bound))),
        state__in=RUNNING_STATES,
        due_at__isnull=False,
    )
    if urgency == Urgency.NEAR:
        dossiers = dossiers.exclude(
            Q(due_at__lt=now) | Q(Exists(open_steps.filter(due_at__lt=now)))
        )
    earliest = Subquery(open_steps.order_by("due_at").values("due_at")[:1])
    return (
        dossiers.annotate(most_urgent=Least(Coalesce(earliest, "due_at"), "due_at"))
        .select_related("procedure_version__procedure", "competent_unit")
        .order_by("most_urgent", "pk")
    )


def _told_by_dossier(dossiers: Sequence[Dossier]) -> dict[int, list[Told]]:
    recipients = (
        AlertRecipient.objects.filter(alert__dossier__in=dossiers)
        .select_related("alert", "user")
        .order_by("alert__sent_at", "pk")
    )
    told: dict[int, list[Told]] = defaultdict(list)
    for row in recipients:
        told[row.alert.dossier_id].append(
            Told(
                name=row.user.display_name(),
                audience=row.get_audience_display(),
                trigger=row.alert.get_trigger_display(),
                at=row.alert.sent_at,
            )
        )
    return told


def board_rows(*, dossiers: Iterable[Dossier], now: datetime | None = None) -> list[BoardRow]:
    """A page of the board: for each dossier the step most urgent, its agency, the working time
    left or overdue, and who has been told (a fixed number of queries for the page)."""
    now = now or timezone.now()
    dossiers = list(dossiers)
    calendar = supervision_calendar(now=now)
    steps = open_steps_of(dossiers)
    agencies = agencies_by_unit(
        [*(s.unit for ss in steps.values() for s in ss), *(d.competent_unit for d in dossiers)]
    )
    told = _told_by_dossier(dossiers)
    rows = []
    for dossier in dossiers:
        first = steps[dossier.pk][0] if steps[dossier.pk] else None
        assert dossier.due_at is not None
        dossier_left = working_time_between(calendar=calendar, start=now, end=dossier.due_at)
        step_left = (
            working_time_between(calendar=calendar, start=now, end=first.due_at) if first else None
        )
        overdue = dossier.due_at < now or (first is not None and first.due_at < now)
        rows.append(
            BoardRow(
                dossier=dossier,
                urgency=Urgency.OVERDUE if overdue else Urgency.NEAR,
                step=first,
                agency=agencies[first.unit_id if first else dossier.competent_unit_id],
                step_left=step_left,
                dossier_left=dossier_left,
                working_day=calendar.working_day_length,
                told=told[dossier.pk],
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------
# Urges


def _with_details(urges: QuerySet[Urge]) -> QuerySet[Urge]:
    return urges.select_related("urged_by", "unit").prefetch_related(
        Prefetch("dossiers", queryset=Dossier.objects.only("pk", "code").order_by("code")),
        Prefetch("recipients", queryset=UrgeRecipient.objects.select_related("user")),
    )


def urges_sent(*, viewer: Any) -> QuerySet[Urge]:
    """Urges the viewer sent and, for a center leader or a controller, every urge about the
    dossiers they supervise (a colleague's too), newest first."""
    if not _authenticated(viewer):
        return Urge.objects.none()
    condition = Q(urged_by=viewer)
    if may_urge(viewer=viewer):
        about_supervised = Urge.dossiers.through.objects.filter(
            urge=OuterRef("pk"), dossier__in=urgeable_dossiers(viewer=viewer)
        )
        condition |= Q(Exists(about_supervised))
    return _with_details(Urge.objects.filter(condition))


def urges_received(*, viewer: Any) -> QuerySet[Urge]:
    """Urges sent to the agencies the viewer works in, or to the viewer by name."""
    if not _authenticated(viewer) or not memberships_of(user=viewer):
        return Urge.objects.none()
    condition = Q(Exists(UrgeRecipient.objects.filter(urge=OuterRef("pk"), user=viewer)))
    for path in scope_paths_of(user=viewer):
        condition |= Q(unit__path__startswith=path)
    return _with_details(Urge.objects.filter(condition))


def urges_of_dossier(*, viewer: Any, dossier: Dossier) -> QuerySet[Urge]:
    """Urges about a dossier (for its page; the caller has checked the viewer may see it)."""
    if not _authenticated(viewer) or not memberships_of(user=viewer):
        return Urge.objects.none()
    return _with_details(Urge.objects.filter(dossiers=dossier))


def _authenticated(viewer: Any) -> bool:
    return bool(getattr(viewer, "is_authenticated", False)) and not getattr(
        viewer, "is_citizen", False
    )
