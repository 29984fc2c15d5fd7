"""Officers' worklists: the open steps waiting for them, most urgent first.

A worklist page is one query for the rows (plus one to count them), whatever the page size and
however many dossiers the database holds: open steps have their own partial indexes (unit, due)
and (assignee, due), and urgency is computed in Python on one calendar for the whole page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from motcua.agencies.models import Role
from motcua.agencies.selectors import memberships_of
from motcua.calendars.selectors import work_calendar_for
from motcua.catalog.models import Procedure, StepKind
from motcua.dossiers.models import (
    Dossier,
    DossierState,
    DossierStep,
    SupplementRequest,
    SupplementStatus,
)
from motcua.lib.workdays import working_time_between


class Tab(StrEnum):
    MINE = "mine"
    UNIT = "unit"
    SIGNATURE = "signature"


TAB_LABELS = {
    Tab.MINE: _("Được giao cho tôi"),
    Tab.UNIT: _("Của đơn vị tôi"),
    Tab.SIGNATURE: _("Chờ tôi ký"),
}


class Urgency(StrEnum):
    WITHIN = "within"
    NEAR = "near"
    OVERDUE = "overdue"
    PAUSED = "paused"


URGENCY_LABELS = {
    Urgency.WITHIN: _("Trong hạn"),
    Urgency.NEAR: _("Sắp đến hạn"),
    # "Quá hạn" also labels a finished step as late; here it is an open step past due.
    Urgency.OVERDUE: pgettext_lazy("worklist urgency", "Quá hạn"),
    Urgency.PAUSED: _("Tạm dừng tính thời gian"),
}

_PAUSED_STATES = {DossierState.SUPPLEMENT_REQUESTED, DossierState.AWAITING_PAYMENT}
_ROW_FIELDS = (
    "id",
    "kind",
    "name",
    "stage",
    "due_at",
    "started_at",
    "assignee_id",
    "unit__name",
    "dossier__code",
    "dossier__state",
    "dossier__applicant_name",
    "dossier__due_at",
    "dossier__rescheduled_due_at",
    "dossier__procedure_version__name",
    "dossier__procedure_version__procedure__national_code",
    "assignee__full_name",
    "assignee__username",
)


def _tab_conditions(viewer: Any) -> dict[Tab, Q]:
    memberships = memberships_of(user=viewer)
    signing = [m.unit_id for m in memberships if m.role == Role.SIGNING_AUTHORITY]
    return {
        Tab.MINE: Q(assignee=viewer) if memberships else Q(pk__in=[]),
        Tab.UNIT: Q(unit_id__in={m.unit_id for m in memberships}),
        Tab.SIGNATURE: Q(unit_id__in=signing, kind=StepKind.SIGNING),
    }


def _open_steps(*, procedure: str, state: str) -> QuerySet[DossierStep]:
    steps = DossierStep.objects.filter(finished_at__isnull=True)
    if procedure:
        # The procedure is copied on each step, so the filter stays on the partial indexes of
        # open steps instead of joining a million dossiers.
        # Resolved first: with the ids as literals the planner takes the (unit, procedure, due)
        # index; with a subquery it walks the unit's steps in due order instead.
        ids = list(Procedure.objects.filter(national_code=procedure).values_list("pk", flat=True))
        steps = steps.filter(procedure_id__in=ids)
    if state:
        steps = steps.filter(dossier_state=state)
    return steps


def worklist(
    *, viewer: Any, tab: str = Tab.MINE, procedure: str = "", state: str = ""
) -> QuerySet[DossierStep]:
    """The open steps of a tab, most urgent first; filter by procedure code and dossier state."""
    condition = _tab_conditions(viewer)[Tab(tab) if tab in Tab else Tab.UNIT]
    return (
        _open_steps(procedure=procedure, state=state)
        .filter(condition)
        .select_related("dossier__procedure_version__procedure", "unit", "assignee")
        .only(*_ROW_FIELDS)
        .order_by("due_at", "pk")
    )


def worklist_counts(*, viewer: Any, procedure: str = "", state: str = "") -> dict[Tab, int]:
    """How many open steps each tab holds.

    One count per tab: each is an index-only scan of a partial index of open steps, where one
    query counting the three tabs at once (an OR of their conditions) scans every step.
    """
    steps = _open_steps(procedure=procedure, state=state)
    return {
        tab: steps.filter(condition).count() for tab, condition in _tab_conditions(viewer).items()
    }


@dataclass(frozen=True)
class WorkItem:
    step: DossierStep
    urgency: Urgency
    # Working time left until the step's due time (negative when overdue).
    left: timedelta
    working_day: timedelta

    @property
    def urgency_label(self) -> str:
        return str(URGENCY_LABELS[self.urgency])

    @property
    def left_days_hours(self) -> tuple[int, float]:
        """Whole working days and remaining hours, both counted from the absolute value."""
        rest = abs(self.left)
        days, remainder = divmod(rest, self.working_day)
        return int(days), round(remainder / timedelta(hours=1), 1)


def work_items(*, steps: Iterable[DossierStep], now: datetime | None = None) -> list[WorkItem]:
    """Each row with its urgency: overdue, near due (settings.MOTCUA_NEAR_DUE_WORKING_HOURS of
    working time left or less), within time, or paused while the applicant supplements or pays."""
    now = now or timezone.now()
    year = timezone.localtime(now).year
    calendar = work_calendar_for(as_of=now, years=range(year - 1, year + 3))
    near = timedelta(hours=settings.MOTCUA_NEAR_DUE_WORKING_HOURS)
    items = []
    for step in steps:
        left = working_time_between(calendar=calendar, start=now, end=step.due_at)
        if step.dossier.state in _PAUSED_STATES:
            urgency = Urgency.PAUSED
        elif step.due_at < now:
            urgency = Urgency.OVERDUE
        elif left <= near:
            urgency = Urgency.NEAR
        else:
            urgency = Urgency.WITHIN
        items.append(
            WorkItem(step=step, urgency=urgency, left=left, working_day=calendar.working_day_length)
        )
    return items


def supplements_awaiting_approval(*, viewer: Any) -> QuerySet[SupplementRequest]:
    """Supplement requests proposed in the departments the viewer heads."""
    units = [m.unit_id for m in memberships_of(user=viewer) if m.role == Role.DEPARTMENT_HEAD]
    return (
        SupplementRequest.objects.filter(
            status=SupplementStatus.PROPOSED,
            dossier__steps__unit_id__in=units,
            dossier__steps__finished_at__isnull=True,
        )
        .select_related("dossier", "proposed_by")
        .distinct()
        .order_by("proposed_at")
    )


def waiting_for_applicant(*, viewer: Any, limit: int = 50) -> QuerySet[Dossier]:
    """Dossiers of the viewer's desks waiting for the applicant to supplement or to pay: the
    desk receives the supplement or the payment, though no step of theirs is open."""
    desks = [m.unit_id for m in memberships_of(user=viewer) if m.role == Role.RECEPTION_OFFICER]
    return (
        Dossier.objects.filter(receiving_unit_id__in=desks, state__in=_PAUSED_STATES)
        .select_related("procedure_version")
        .only(
            "code",
            "state",
            "applicant_name",
            "applicant_phone",
            "received_at",
            "procedure_version__name",
        )
        .order_by("received_at")[:limit]
    )


def online_submissions(*, viewer: Any, limit: int = 50) -> QuerySet[Dossier]:
    """Online dossiers waiting at the viewer's desks to be accepted (national status 1), oldest
    first: no step exists yet, the desk decides whether the clock starts."""
    desks = [m.unit_id for m in memberships_of(user=viewer) if m.role == Role.RECEPTION_OFFICER]
    return (
        Dossier.objects.filter(receiving_unit_id__in=desks, state=DossierState.SUBMITTED_ONLINE)
        .select_related("procedure_version")
        .only("code", "state", "applicant_name", "submitted_at", "procedure_version__name")
        .order_by("submitted_at", "pk")[:limit]
    )
