"""The pieces every processing action shares: the clock, who may act, steps and hand-overs,
notices and the applicant's messages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from motcua.agencies.models import Role, Unit
from motcua.agencies.selectors import memberships_of
from motcua.audit.services import event_append
from motcua.calendars.selectors import deadline_rules, work_calendar_for
from motcua.catalog.models import StepKind, WorkflowStep
from motcua.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from motcua.dossiers.common import milestone, take_number
from motcua.dossiers.models import (
    Dossier,
    DossierNotice,
    DossierNoticeKind,
    DossierPause,
    DossierState,
    DossierStep,
    Handover,
    NumberSeries,
)
from motcua.lib.workdays import (
    DurationUnit,
    Pause,
    WorkCalendar,
    budget_due,
    classify_finish,
    due_instant,
)
from motcua.notifications.services import message_enqueue

# ---------------------------------------------------------------------------------------------
# The clock


def reception_calendar(*, unit: Unit, received_at: datetime) -> WorkCalendar:
    """The calendar a dossier received at `received_at` is counted on: as it stood then."""
    year = timezone.localtime(received_at).year
    return work_calendar_for(unit=unit, as_of=received_at, years=range(year, year + 3))


def received_at_of(dossier: Dossier) -> datetime:
    """When the clock started; an online dossier the desk has not accepted has no clock yet,
    so nothing that counts time can be done to it."""
    if dossier.received_at is None:
        raise Conflict(
            _("Hồ sơ %(code)s chưa được tiếp nhận.") % {"code": dossier.code},
            code="not_received",
        )
    return dossier.received_at


def dossier_calendar(dossier: Dossier) -> WorkCalendar:
    """The calendar a dossier's deadlines are counted on: as it stood when it was received."""
    return reception_calendar(unit=dossier.competent_unit, received_at=received_at_of(dossier))


def _closed_pauses(dossier: Dossier) -> list[Pause]:
    return [
        Pause(start=p.started_at, end=p.ended_at)
        for p in DossierPause.objects.filter(dossier=dossier, ended_at__isnull=False)
    ]


def _recompute_due(dossier: Dossier, calendar: WorkCalendar) -> None:
    """Move the legal due date and the open steps' due times by the pauses so far."""
    pauses = _closed_pauses(dossier)
    version = dossier.procedure_version
    unit = DurationUnit(version.statutory_unit)
    dossier.due_at = due_instant(
        calendar=calendar,
        received_at=received_at_of(dossier),
        amount=version.statutory_amount,
        unit=unit,
        rules=deadline_rules(),
        pauses=pauses,
    )
    for step in DossierStep.objects.filter(dossier=dossier, finished_at__isnull=True):
        step.due_at = budget_due(
            calendar=calendar, start=step.started_at, amount=step.budget, unit=unit, pauses=pauses
        )
        step.save(update_fields=["due_at"])


# ---------------------------------------------------------------------------------------------
# Who may act


def _related(member_unit: Unit, unit: Unit) -> bool:
    # A member of the unit, of a unit above it (its leaders), or of a department inside it.
    return unit.path.startswith(member_unit.path) or member_unit.path.startswith(unit.path)


def roles_in(actor: Any, unit: Unit) -> set[str]:
    """The actor's roles in `unit`, in a unit above it, or in a department inside it."""
    return {m.role for m in memberships_of(user=actor) if _related(m.unit, unit)}


def _role_in(actor: Any, unit: Unit, roles: Iterable[str]) -> str | None:
    held = roles_in(actor, unit)
    return next((role for role in roles if role in held), None)


def _require_role(actor: Any, unit: Unit, roles: Iterable[str], what: str) -> str:
    roles = list(roles)
    role = _role_in(actor, unit, roles)
    if role is None:
        labels = ", ".join(str(Role(r).label).lower() for r in roles)
        raise PermissionDenied(
            _("Chỉ %(roles)s của %(unit)s được %(what)s.")
            % {"roles": labels, "unit": unit.name, "what": what}
        )
    return role


# A consulted agency answers through whoever it has for it: its coordinating officer where it has
# one, else its handling officers or their head.
_CONSULTED_ROLES = [Role.COORDINATING_OFFICER, Role.HANDLING_OFFICER, Role.DEPARTMENT_HEAD]


def may_act_on(actor: Any, step: DossierStep) -> str | None:
    """The role in which the actor may act on an open step, if any."""
    if step.assignee_id is not None:
        return step.role if step.assignee_id == actor.pk else None
    if step.kind == StepKind.CONSULTATION:
        return _role_in(actor, step.unit, _CONSULTED_ROLES)
    return _role_in(actor, step.unit, [step.role])


def _acting_step(
    actor: Any, dossier: Dossier, kinds: Iterable[str], what: str, step_id: int | None = None
) -> tuple[DossierStep, str]:
    """The open step of one of `kinds` the actor is to act on, with the actor's role.

    A client that names the step it is finishing (`step_id`) gets a conflict, not the next step
    finished, when its request repeats one that already went through.
    """
    wanted = set(kinds)
    candidates = open_steps(dossier)
    if step_id is not None:
        candidates = [s for s in candidates if s.pk == step_id]
        if not candidates:
            raise Conflict(
                _(
                    "Bước %(step)s của hồ sơ %(code)s không còn mở (đã xong, hoặc không thuộc "
                    "hồ sơ): thao tác đã được thực hiện trước đó. Hãy tải lại hồ sơ."
                )
                % {"step": step_id, "code": dossier.code},
                code="step_not_open",
                extra={"field": "step"},
            )
    steps = [s for s in candidates if s.kind in wanted]
    for step in steps:
        role = may_act_on(actor, step)
        if role is not None:
            return step, role
    if not candidates:
        raise Conflict(
            _("Hồ sơ %(code)s không còn bước nào đang xử lý.") % {"code": dossier.code},
            code="wrong_step",
        )
    step = (steps or candidates)[0]
    holder = step.assignee.display_name() if step.assignee else step.unit.name
    message = _("Không thể %(what)s: hồ sơ %(code)s đang ở bước «%(step)s» của %(holder)s.") % {
        "code": dossier.code,
        "step": step.name,
        "holder": holder,
        "what": what,
    }
    # Someone else's turn at this kind of step is a matter of rights; no such step at all means
    # the dossier has moved on (a repeated click), a conflict with its state.
    if steps:
        raise PermissionDenied(message)
    raise Conflict(message, code="wrong_step")


def open_steps(dossier: Dossier) -> list[DossierStep]:
    return list(
        DossierStep.objects.filter(dossier=dossier, finished_at__isnull=True)
        .select_related("unit", "assignee", "workflow_step")
        .order_by("stage", "pk")
    )


def _consultations_answered_require(dossier: Dossier, refusal: str) -> None:
    """Refuse to move a dossier on (`refusal` says what) while an agency it consulted has not
    answered: its step would be left open on a dossier that went past it."""
    if DossierStep.objects.filter(
        dossier=dossier, kind=StepKind.CONSULTATION, finished_at__isnull=True
    ).exists():
        raise Conflict(refusal, code="consultation_open")


def _due(dossier: Dossier) -> datetime:
    # Every accepted dossier has a due date; the column is nullable for rows made before it.
    assert dossier.due_at is not None
    return dossier.due_at


def _locked(dossier: Dossier | str) -> Dossier:
    """The dossier row, re-read under a lock inside the caller's transaction."""
    code = dossier if isinstance(dossier, str) else dossier.code
    # Only the dossier's row: locking the joined procedure, version and unit rows too (shared by
    # every dossier) deadlocked against intakes checking their foreign keys to them at commit.
    found = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("procedure_version__procedure", "competent_unit", "receiving_unit")
        .filter(code=code)
        .first()
    )
    if found is None:
        raise NotFound(_("Không tìm thấy hồ sơ %(code)s.") % {"code": code})
    return found


def _require_state(dossier: Dossier, states: Iterable[str], what: str) -> None:
    if dossier.state not in set(states):
        raise Conflict(
            _("Không thể %(what)s: hồ sơ %(code)s đang ở trạng thái «%(state)s».")
            % {
                "what": what,
                "code": dossier.code,
                "state": DossierState(dossier.state).label,
            },
            code="wrong_state",
        )


# ---------------------------------------------------------------------------------------------
# Steps and hand-overs


def _finish_step(
    step: DossierStep, *, actor: Any, at: datetime, calendar: WorkCalendar, note: str = ""
) -> str:
    # The return step has no budget: when the applicant comes for the result is theirs to
    # choose, so it is not judged (the dossier's own timeliness is set when it is resolved).
    timeliness = (
        ""
        if step.kind == StepKind.RETURN
        else classify_finish(calendar=calendar, finished=at, due=step.due_at)
    )
    step.finished_at, step.finished_by, step.timeliness = at, actor, timeliness
    if note:
        step.note = note
    step.save(update_fields=["finished_at", "finished_by", "timeliness", "note"])
    return timeliness


def _step_build(
    dossier: Dossier,
    *,
    at: datetime,
    calendar: WorkCalendar,
    stage: int,
    kind: str,
    name: str,
    unit: Unit,
    role: str,
    budget: Decimal,
    workflow_step: WorkflowStep | None = None,
    assignee: Any = None,
) -> DossierStep:
    """A step starting at `at`, due after its budget on the dossier's calendar (not saved)."""
    return DossierStep(
        dossier=dossier,
        procedure_id=dossier.procedure_version.procedure_id,
        dossier_state=dossier.state,
        workflow_step=workflow_step,
        stage=stage,
        kind=kind,
        name=name,
        unit=unit,
        role=role,
        assignee=assignee,
        budget=budget,
        started_at=at,
        due_at=budget_due(
            calendar=calendar,
            start=at,
            amount=budget,
            unit=DurationUnit(dossier.procedure_version.statutory_unit),
        ),
    )


def _step_create(dossier: Dossier, **fields: Any) -> DossierStep:
    step = _step_build(dossier, **fields)
    step.save()
    return step


def _start_stage(
    dossier: Dossier,
    *,
    stage: int,
    at: datetime,
    calendar: WorkCalendar,
    giver: tuple[Unit, Any],
    timeliness: str,
    note: str = "",
) -> list[DossierStep]:
    """Open the steps of a workflow stage and record the hand-over to each of their units."""
    steps = DossierStep.objects.bulk_create(
        _step_build(
            dossier,
            at=at,
            calendar=calendar,
            stage=stage,
            kind=w.kind,
            name=w.name,
            unit=w.unit,
            role=w.role,
            budget=w.budget,
            workflow_step=w,
        )
        for w in _workflow(dossier)
        if w.stage == stage
    )
    Handover.objects.bulk_create(
        Handover(
            dossier=dossier,
            at=at,
            from_unit=giver[0],
            from_user=giver[1],
            to_unit=step.unit,
            timeliness=timeliness,
            note=note[:500],
        )
        for step in steps
    )
    dossier.stage = stage
    return steps


def _stage_done(dossier: Dossier, stage: int) -> bool:
    return not DossierStep.objects.filter(
        dossier=dossier, stage=stage, finished_at__isnull=True
    ).exists()


def last_processing_stage(dossier: Dossier) -> int:
    """The stage before the return step: the one whose officers resolve the dossier."""
    return max(w.stage for w in _workflow(dossier) if w.kind != StepKind.RETURN)


def _workflow(dossier: Dossier) -> list[WorkflowStep]:
    # Prefetched with the version on the intake's hot path (catalog.selectors.version_get), where
    # the version comes from the per-process cache of published versions.
    return sorted(dossier.procedure_version.workflow_steps.all(), key=lambda step: step.position)


def dossier_route_start(
    *, dossier: Dossier, actor: Any, at: datetime, calendar: WorkCalendar | None = None
) -> None:
    """At reception: the reception step is done and the dossier goes to the next stage at once
    (electronic transfer). An on-the-spot dossier is resolved and waits at the desk.

    The intake passes the calendar it counted the due date on (the same as dossier_calendar).
    """
    calendar = calendar or dossier_calendar(dossier)
    first = next((w for w in _workflow(dossier) if w.kind == StepKind.RECEPTION), None)
    if first is None:  # a version published before workflows existed
        return
    # The reception step is done as it starts: one row, written finished.
    reception = _step_build(
        dossier,
        at=at,
        calendar=calendar,
        stage=first.stage,
        kind=first.kind,
        name=first.name,
        unit=dossier.receiving_unit,
        role=first.role,
        budget=first.budget,
        workflow_step=first,
        assignee=actor,
    )
    timeliness = classify_finish(calendar=calendar, finished=at, due=reception.due_at)
    reception.finished_at, reception.finished_by, reception.timeliness = at, actor, timeliness
    reception.save()
    transferred = dossier.state == DossierState.RECEIVED and any(
        w.stage == first.stage + 1 for w in _workflow(dossier)
    )
    if transferred:
        # Set before the next stage opens, so its steps carry the new state.
        dossier.state = DossierState.IN_PROCESSING
        dossier.milestones.append(milestone("dossier.transferred", at))
    steps = _start_stage(
        dossier,
        stage=first.stage + 1,
        at=at,
        calendar=calendar,
        giver=(dossier.receiving_unit, actor),
        timeliness=timeliness,
    )
    if transferred:
        _event(
            actor,
            Role.RECEPTION_OFFICER,
            "dossier.transferred",
            dossier,
            to=[step.unit.code for step in steps],
        )
    dossier.save(update_fields=["state", "stage", "milestones"])


def _state_set(dossier: Dossier, state: str) -> None:
    """Change the dossier's state (the caller saves it) and its copy on the open steps."""
    dossier.state = state
    DossierStep.objects.filter(dossier=dossier, finished_at__isnull=True).update(
        dossier_state=state
    )


# ---------------------------------------------------------------------------------------------
# Applicant messages


def _tell_applicant(dossier: Dossier, *, topic: str, subject: str, body: str) -> None:
    message_enqueue(
        topic=topic,
        target_type="dossier",
        target_id=dossier.code,
        subject=subject,
        body=body,
        email=dossier.applicant_email,
        phone=dossier.applicant_phone,
    )


def _local_text(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y") if value else ""


def _tell_new_appointment(dossier: Dossier, *, topic: str, why: str) -> None:
    with translation.override("vi"):
        body = _("Hồ sơ %(code)s: %(why)s Hẹn trả kết quả mới: %(due)s.") % {
            "code": dossier.code,
            "why": why,
            "due": _local_text(dossier.appointment_at),
        }
        subject = _("Hẹn trả kết quả mới cho hồ sơ %(code)s") % {"code": dossier.code}
    _tell_applicant(dossier, topic=topic, subject=subject, body=body)


def _event(
    actor: Any, role: str, kind: str, dossier: Dossier, reason: str = "", **data: Any
) -> None:
    event_append(
        actor=actor,
        actor_role=role,
        kind=kind,
        target_type="dossier",
        target_id=dossier.code,
        reason=reason,
        data=data,
    )


def _notice_number(unit: Unit, prefix: str, at: datetime, series: str) -> str:
    day, seq = take_number(unit=unit, series=series, at=at)
    return f"{unit.code}-{prefix}-{day:%y%m%d}-{seq:04d}"


_NOTICE_PREFIX: dict[str, str] = {
    DossierNoticeKind.SUPPLEMENT: "BS",
    DossierNoticeKind.APOLOGY: "XL",
    DossierNoticeKind.STOP: "DG",
    DossierNoticeKind.REJECTION: "KDK",
}


def _notice_create(
    dossier: Dossier, *, kind: str, unit: Unit, actor: Any, at: datetime, **fields: Any
) -> DossierNotice:
    return DossierNotice.objects.create(
        dossier=dossier,
        kind=kind,
        number=_notice_number(unit, _NOTICE_PREFIX[kind], at, NumberSeries.NOTICE),
        issuing_unit=unit,
        issued_at=at,
        issued_by=actor,
        **fields,
    )


def _required_text(value: str, field: str, message: str, *, multiline: bool = False) -> str:
    text = (value or "").strip() if multiline else " ".join((value or "").split())
    if not text:
        raise ValidationFailed(message, extra={"field": field})
    return text


def _next_stage(
    dossier: Dossier,
    *,
    after: DossierStep,
    actor: Any,
    at: datetime,
    calendar: WorkCalendar,
    timeliness: str,
    note: str = "",
) -> list[DossierStep]:
    if not _stage_done(dossier, after.stage):
        return []
    return _start_stage(
        dossier,
        stage=after.stage + 1,
        at=at,
        calendar=calendar,
        giver=(after.unit, actor),
        timeliness=timeliness,
        note=note,
    )


def _end_pause(dossier: Dossier, reason: str, at: datetime) -> None:
    DossierPause.objects.filter(dossier=dossier, reason=reason, ended_at__isnull=True).update(
        ended_at=at
    )


def _desk_officer(actor: Any, dossier: Dossier, what: str) -> str:
    return _require_role(actor, dossier.receiving_unit, [Role.RECEPTION_OFFICER], what)


def _finish_and_hand_on(
    dossier: Dossier,
    step: DossierStep,
    *,
    actor: Any,
    at: datetime,
    calendar: WorkCalendar,
    note: str = "",
) -> tuple[str, list[DossierStep]]:
    """Finish the actor's step; when its stage is done, open the next one (hand-overs
    recorded). Returns how the step finished and the steps opened."""
    timeliness = _finish_step(step, actor=actor, at=at, calendar=calendar)
    started = _next_stage(
        dossier,
        after=step,
        actor=actor,
        at=at,
        calendar=calendar,
        timeliness=timeliness,
        note=note,
    )
    return timeliness, started
