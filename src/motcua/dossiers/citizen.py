"""Reads for citizens on the portal: a citizen sees their own dossiers and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.catalog.models import StepKind
from motcua.core.errors import NotFound
from motcua.dossiers.models import OPEN_STATES, Dossier, DossierState
from motcua.dossiers.processing.core import reception_calendar
from motcua.lib.workdays import DurationUnit, budget_due


def citizen_dossiers(*, user: Any) -> QuerySet[Dossier]:
    """The dossiers the citizen filed online, and, once an identity provider has vouched for
    their ID number, those filed at the counter under it. A self-declared ID number proves
    nothing, so it opens nothing."""
    if not getattr(user, "is_authenticated", False) or not user.is_citizen:
        return Dossier.objects.none()
    own = Q(applicant_user=user)
    if user.id_number_verified and user.id_number:
        own |= Q(applicant_id_number=user.id_number)
    return Dossier.objects.filter(own)


def citizen_dossier_get(*, user: Any, code: str) -> Dossier:
    """One of the citizen's dossiers; anybody else's is reported as not found."""
    dossier = (
        citizen_dossiers(user=user)
        .select_related("procedure_version__procedure", "receiving_unit", "competent_unit")
        .prefetch_related(
            "components__document", "steps__unit", "procedure_version__workflow_steps__unit"
        )
        .filter(code=code)
        .first()
    )
    if dossier is None:
        raise NotFound(_("Không tìm thấy hồ sơ %(code)s.") % {"code": code})
    return dossier


@dataclass(frozen=True)
class RouteRow:
    """One step of the dossier's way through the agencies, as the applicant is shown it."""

    name: str
    unit: str
    status: str  # "done" | "current" | "planned"
    started_at: datetime | None
    # Done: when it finished; current: its due time; planned: when it should be done if every
    # earlier step uses its whole budget.
    at: datetime | None


def citizen_route(*, dossier: Dossier) -> list[RouteRow]:
    """The steps done, in progress and still to come, each with its (expected) date."""
    rows: list[RouteRow] = []
    steps = sorted(dossier.steps.all(), key=lambda s: (s.stage, s.started_at, s.pk))
    for step in steps:
        done = step.finished_at is not None
        rows.append(
            RouteRow(
                name=step.name,
                unit=step.unit.name,
                status="done" if done else "current",
                started_at=step.started_at,
                at=step.finished_at if done else step.due_at,
            )
        )
    if dossier.state not in OPEN_STATES | {DossierState.SUBMITTED_ONLINE}:
        return rows
    version = dossier.procedure_version
    workflow = [w for w in version.workflow_steps.all() if w.stage > dossier.stage]
    if dossier.received_at is None:  # not yet accepted: as if accepted now
        workflow = [w for w in version.workflow_steps.all() if w.kind != StepKind.RECEPTION]
    calendar = reception_calendar(unit=version.competent_unit, received_at=timezone.now())
    open_dues = [s.due_at for s in steps if s.finished_at is None]
    start = max(open_dues) if open_dues else timezone.now()
    unit_kind = DurationUnit(version.statutory_unit)
    for _stage, group in groupby(workflow, key=lambda w: w.stage):
        ends = []
        for planned in group:
            if planned.kind == StepKind.RETURN:
                ends.append(start)
            else:
                ends.append(
                    budget_due(
                        calendar=calendar, start=start, amount=planned.budget, unit=unit_kind
                    )
                )
            rows.append(
                RouteRow(
                    name=planned.name,
                    unit=planned.unit.name if planned.unit_id else "",
                    status="planned",
                    started_at=None,
                    at=ends[-1],
                )
            )
        start = max(ends)
    return rows
