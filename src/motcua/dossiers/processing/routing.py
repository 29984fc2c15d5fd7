"""Routing a dossier through the agencies: assign, forward, consult another agency; the
deadline sweep."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.accounts.models import User
from motcua.agencies.models import Role, Unit
from motcua.agencies.selectors import agency_of
from motcua.catalog.models import StepKind
from motcua.core.errors import Conflict, ValidationFailed
from motcua.dossiers.models import (
    OPEN_STATES,
    Dossier,
    DossierState,
    DossierStep,
    Handover,
)
from motcua.dossiers.processing.core import (
    _acting_step,
    _consultations_answered_require,
    _event,
    _finish_step,
    _locked,
    _next_stage,
    _related,
    _require_role,
    _require_state,
    _required_text,
    _step_create,
    dossier_calendar,
    last_processing_stage,
)

# ---------------------------------------------------------------------------------------------
# Assign and forward


@transaction.atomic
def step_assign(*, actor: Any, code: str, step_id: int, assignee: Any) -> DossierStep:
    """A department head gives an open step of their unit to one of its officers."""
    dossier = _locked(code)
    _require_state(dossier, OPEN_STATES, _("phân công hồ sơ"))
    step = (
        DossierStep.objects.select_related("unit", "assignee")
        .filter(dossier=dossier, pk=step_id, finished_at__isnull=True)
        .first()
    )
    if step is None:
        raise Conflict(_("Bước này đã xong hoặc không thuộc hồ sơ."), code="wrong_step")
    role = _require_role(
        actor, step.unit, [Role.DEPARTMENT_HEAD, Role.SIGNING_AUTHORITY], _("phân công hồ sơ")
    )
    if assignee is None or not _assignable(step).filter(pk=assignee.pk).exists():
        raise ValidationFailed(
            _("Người được phân công phải là %(role)s của %(unit)s.")
            % {"role": str(Role(step.role).label).lower(), "unit": step.unit.name},
            extra={"field": "assignee"},
        )
    if step.assignee_id == assignee.pk:
        raise Conflict(
            _("Bước này đã được phân công cho %(name)s.") % {"name": assignee.display_name()},
            code="already_assigned",
        )
    now = timezone.now()
    Handover.objects.create(
        dossier=dossier,
        at=now,
        from_unit=step.unit,
        from_user=actor,
        to_unit=step.unit,
        to_user=assignee,
        note=_("Phân công thụ lý"),
    )
    step.assignee = assignee
    step.save(update_fields=["assignee"])
    _event(actor, role, "dossier.assigned", dossier, step=step.name, assignee=assignee.username)
    return step


@transaction.atomic
def step_forward(
    *, actor: Any, code: str, note: str = "", step_id: int | None = None
) -> list[DossierStep]:
    """Finish the actor's step (examined, drafted, signed…) and send the dossier on."""
    dossier = _locked(code)
    _require_state(dossier, [DossierState.IN_PROCESSING], _("chuyển bước tiếp theo"))
    step, role = _acting_step(
        actor,
        dossier,
        [StepKind.HANDLING, StepKind.SIGNING],
        _("chuyển bước tiếp theo"),
        step_id,
    )
    if step.stage == last_processing_stage(dossier):
        raise Conflict(
            _("Đây là bước cuối: hãy ban hành kết quả (giải quyết xong) thay vì chuyển tiếp."),
            code="resolve_instead",
        )
    _consultations_answered_require(
        dossier, _("Hồ sơ đang chờ ý kiến của cơ quan phối hợp; chưa chuyển tiếp được.")
    )
    now = timezone.now()
    calendar = dossier_calendar(dossier)
    timeliness = _finish_step(step, actor=actor, at=now, calendar=calendar, note=note.strip())
    started = _next_stage(
        dossier, after=step, actor=actor, at=now, calendar=calendar, timeliness=timeliness
    )
    dossier.save(update_fields=["stage"])
    _event(
        actor,
        role,
        "dossier.forwarded",
        dossier,
        step=step.name,
        timeliness=timeliness,
        to=[s.unit.code for s in started],
    )
    return started


# ---------------------------------------------------------------------------------------------
# Consultation of another agency


def _positive_days(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as error:
        raise ValidationFailed(_("Thời hạn phải là một số."), extra={"field": field}) from error
    if not Decimal(0) < amount <= Decimal(60):
        raise ValidationFailed(
            _("Thời hạn phải lớn hơn 0 và không quá 60."), extra={"field": field}
        )
    return amount


@transaction.atomic
def consultation_request(
    *, actor: Any, code: str, unit: Unit, question: str, budget: Any
) -> DossierStep:
    """Ask another agency's opinion, with its own sub-deadline (in the procedure's unit).

    The consulted agency's step is timed on its own, so a delay it causes is attributed to it.
    """
    dossier = _locked(code)
    _require_state(dossier, [DossierState.IN_PROCESSING], _("lấy ý kiến cơ quan phối hợp"))
    step, role = _acting_step(actor, dossier, [StepKind.HANDLING], _("lấy ý kiến"))
    question = _required_text(question, "question", _("Cần nêu nội dung xin ý kiến."))
    amount = _positive_days(budget, "budget")
    if unit is None or _related(unit, step.unit):
        raise ValidationFailed(_("Chọn một cơ quan khác để lấy ý kiến."), extra={"field": "unit"})
    if DossierStep.objects.filter(
        dossier=dossier, kind=StepKind.CONSULTATION, unit=unit, finished_at__isnull=True
    ).exists():
        raise Conflict(
            _("Đang chờ ý kiến của %(unit)s về hồ sơ này; không gửi lần nữa.")
            % {"unit": unit.name},
            code="consultation_pending",
        )
    now = timezone.now()
    calendar = dossier_calendar(dossier)
    consultation = _step_create(
        dossier,
        at=now,
        calendar=calendar,
        stage=step.stage,
        kind=StepKind.CONSULTATION,
        name=_("Cho ý kiến: %(q)s") % {"q": question[:250]},
        unit=unit,
        role=Role.COORDINATING_OFFICER,
        budget=amount,
    )
    Handover.objects.create(
        dossier=dossier,
        at=now,
        from_unit=step.unit,
        from_user=actor,
        to_unit=unit,
        note=(_("Lấy ý kiến: %(q)s") % {"q": question})[:480],
    )
    _event(actor, role, "dossier.consultation_requested", dossier, unit=unit.code, q=question)
    return consultation


@transaction.atomic
def consultation_reply(*, actor: Any, code: str, opinion: str) -> DossierStep:
    """The consulted agency answers; its step closes against its own sub-deadline.

    A consultation that is a workflow stage of its own (or the last open step of its stage) hands
    the dossier on to the next stage; one added by an officer goes back to the officer who asked.
    """
    dossier = _locked(code)
    _require_state(dossier, OPEN_STATES, _("trả lời ý kiến"))
    opinion = _required_text(opinion, "opinion", _("Cần nhập nội dung ý kiến."), multiline=True)
    step, role = _acting_step(actor, dossier, [StepKind.CONSULTATION], _("trả lời ý kiến"))
    now = timezone.now()
    calendar = dossier_calendar(dossier)
    timeliness = _finish_step(step, actor=actor, at=now, calendar=calendar, note=opinion)
    started = _next_stage(
        dossier,
        after=step,
        actor=actor,
        at=now,
        calendar=calendar,
        timeliness=timeliness,
        note=_("Trả lời ý kiến"),
    )
    if started:
        dossier.save(update_fields=["stage"])
    else:
        _answer_back(dossier, step, actor=actor, at=now, timeliness=timeliness)
    _event(
        actor,
        role,
        "dossier.consultation_answered",
        dossier,
        timeliness=timeliness,
        to=[s.unit.code for s in started],
    )
    return step


def _answer_back(
    dossier: Dossier, step: DossierStep, *, actor: Any, at: datetime, timeliness: str
) -> None:
    """The hand-over of an answer back to the officer whose step asked for it."""
    asker = (
        DossierStep.objects.filter(dossier=dossier, stage=step.stage, kind=StepKind.HANDLING)
        .select_related("unit")
        .order_by("-pk")
        .first()
    )
    Handover.objects.create(
        dossier=dossier,
        at=at,
        from_unit=step.unit,
        from_user=actor,
        to_unit=asker.unit if asker else dossier.competent_unit,
        to_user=asker.assignee if asker else None,
        timeliness=timeliness,
        note=_("Trả lời ý kiến"),
    )


def _assignable(step: DossierStep) -> QuerySet[User]:
    """Officers holding the step's role anywhere in the step unit's agency."""
    return User.objects.filter(
        memberships__role=step.role,
        memberships__unit__path__startswith=agency_of(unit=step.unit).path,
    ).distinct()


def officers_for_assignment(*, step: DossierStep) -> list[User]:
    """Who a head may give a step to (the same people step_assign accepts)."""
    return list(_assignable(step).order_by("username"))


# ---------------------------------------------------------------------------------------------
# The deadline sweep (a background task)

# While the applicant supplements or pays, the clock stands still: nothing becomes overdue.
_RUNNING_STATES = [
    DossierState.RECEIVED,
    DossierState.IN_PROCESSING,
    DossierState.WITHDRAWAL_REQUESTED,
]


def deadlines_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Log, once each, the steps and dossiers that have just gone past their due time.

    The events make every delay visible to the center's supervision and name the unit whose
    step was late; the worklists colour the same rows from the due times at read time.
    """
    now = now or timezone.now()
    noted = 0
    steps = DossierStep.objects.filter(
        finished_at__isnull=True,
        overdue_noted_at__isnull=True,
        due_at__lt=now,
        dossier__state__in=_RUNNING_STATES,
    ).select_related("dossier", "unit")
    for step in steps.order_by("due_at")[:limit]:
        with transaction.atomic():
            # Another sweep may have noted it meanwhile: the conditional update decides.
            if not DossierStep.objects.filter(pk=step.pk, overdue_noted_at__isnull=True).update(
                overdue_noted_at=now
            ):
                continue
            _event(
                None,
                "",
                "dossier.step_overdue",
                step.dossier,
                step=step.name,
                unit=step.unit.code,
                due_at=step.due_at,
            )
            noted += 1
    dossiers = Dossier.objects.filter(
        state__in=_RUNNING_STATES, overdue_noted_at__isnull=True, due_at__lt=now
    )
    for dossier in dossiers.order_by("due_at")[:limit]:
        with transaction.atomic():
            if not Dossier.objects.filter(pk=dossier.pk, overdue_noted_at__isnull=True).update(
                overdue_noted_at=now
            ):
                continue
            _event(None, "", "dossier.overdue", dossier, due_at=dossier.due_at)
            noted += 1
    return noted
