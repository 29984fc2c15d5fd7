"""Writes on a dossier after reception: the route through the agencies and back to the desk.

Every action is a service that locks the dossier row, re-checks the state and the actor's right
on the fresh row (so a double click or a retried request is refused, not applied twice), writes
its rows, an event, the public milestone and the applicant's message in one transaction.

The route is the procedure version's workflow (catalog.WorkflowStep): the steps of a stage run
in parallel and the next stage starts when all of them are done; consultations of other agencies
are added as steps with their own sub-deadline. Each hand-over is a `Handover` row (form 06).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from motcua.accounts.models import User
from motcua.agencies.models import Membership, Role, Unit
from motcua.agencies.selectors import memberships_of
from motcua.audit.services import event_append
from motcua.calendars.selectors import deadline_rules, work_calendar_for
from motcua.catalog.models import FeeCollector, StepKind, WorkflowStep
from motcua.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from motcua.documents.models import Document, Provenance
from motcua.documents.services import document_store, document_validate_upload
from motcua.dossiers.common import milestone, take_number
from motcua.dossiers.models import (
    OPEN_STATES,
    Dossier,
    DossierNotice,
    DossierNoticeKind,
    DossierPause,
    DossierState,
    DossierStep,
    Handover,
    NumberSeries,
    PauseReason,
    PaymentNotice,
    ResultChannel,
    SupplementRequest,
    SupplementStatus,
)
from motcua.lib.identity import is_valid_citizen_id
from motcua.lib.workdays import (
    DurationUnit,
    Pause,
    WorkCalendar,
    budget_due,
    classify_finish,
    due_instant,
    working_time_between,
)
from motcua.notifications.services import message_enqueue

# ---------------------------------------------------------------------------------------------
# The clock


def dossier_calendar(dossier: Dossier) -> WorkCalendar:
    """The calendar a dossier's deadlines are counted on: as it stood when it was received."""
    year = timezone.localtime(dossier.received_at).year
    return work_calendar_for(
        unit=dossier.competent_unit, as_of=dossier.received_at, years=range(year, year + 3)
    )


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
        received_at=dossier.received_at,
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


def may_act_on(actor: Any, step: DossierStep) -> str | None:
    """The role in which the actor may act on an open step, if any."""
    if step.assignee_id is not None:
        return step.role if step.assignee_id == actor.pk else None
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


def _due(dossier: Dossier) -> datetime:
    # Every accepted dossier has a due date; the column is nullable for rows made before it.
    assert dossier.due_at is not None
    return dossier.due_at


def _locked(dossier: Dossier | str) -> Dossier:
    """The dossier row, re-read under a lock inside the caller's transaction."""
    code = dossier if isinstance(dossier, str) else dossier.code
    found = (
        Dossier.objects.select_for_update()
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


def _step_create(
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
    return DossierStep.objects.create(
        dossier=dossier,
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
    workflow = [w for w in _workflow(dossier) if w.stage == stage]
    steps = [
        _step_create(
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
        for w in workflow
    ]
    for step in steps:
        Handover.objects.create(
            dossier=dossier,
            at=at,
            from_unit=giver[0],
            from_user=giver[1],
            to_unit=step.unit,
            timeliness=timeliness,
            note=note[:500],
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


def dossier_route_start(*, dossier: Dossier, actor: Any, at: datetime) -> None:
    """At reception: the reception step is done and the dossier goes to the next stage at once
    (electronic transfer). An on-the-spot dossier is resolved and waits at the desk."""
    calendar = dossier_calendar(dossier)
    first = next((w for w in _workflow(dossier) if w.kind == StepKind.RECEPTION), None)
    if first is None:  # a version published before workflows existed
        return
    reception = _step_create(
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
    timeliness = _finish_step(reception, actor=actor, at=at, calendar=calendar)
    steps = _start_stage(
        dossier,
        stage=first.stage + 1,
        at=at,
        calendar=calendar,
        giver=(dossier.receiving_unit, actor),
        timeliness=timeliness,
    )
    if dossier.state == DossierState.RECEIVED and steps:
        dossier.state = DossierState.IN_PROCESSING
        dossier.milestones.append(milestone("dossier.transferred", at))
        _event(
            actor,
            Role.RECEPTION_OFFICER,
            "dossier.transferred",
            dossier,
            to=[step.unit.code for step in steps],
        )
    dossier.save(update_fields=["state", "stage", "milestones"])


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


# ---------------------------------------------------------------------------------------------
# Assign and forward


def _agency_of(unit: Unit) -> Unit:
    """The agency (or commune, center) a department belongs to."""
    while unit.kind in ("department", "counter") and unit.parent is not None:
        unit = unit.parent
    return unit


@transaction.atomic
def step_assign(*, actor: Any, code: str, step_id: int, assignee: Any) -> DossierStep:
    """A department head gives an open step of their unit to one of its officers."""
    dossier = _locked(code)
    _require_state(dossier, OPEN_STATES, _("phân công"))
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
    if (
        assignee is None
        or not Membership.objects.filter(
            user=assignee, role=step.role, unit__path__startswith=_agency_of(step.unit).path
        ).exists()
    ):
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
    if DossierStep.objects.filter(
        dossier=dossier, kind=StepKind.CONSULTATION, finished_at__isnull=True
    ).exists():
        raise Conflict(
            _("Hồ sơ đang chờ ý kiến của cơ quan phối hợp; chưa chuyển tiếp được."),
            code="consultation_open",
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
    """The consulted agency answers; its step closes against its own sub-deadline."""
    dossier = _locked(code)
    _require_state(dossier, OPEN_STATES, _("trả lời ý kiến"))
    opinion = _required_text(opinion, "opinion", _("Cần nhập nội dung ý kiến."), multiline=True)
    step, role = _acting_step(actor, dossier, [StepKind.CONSULTATION], _("trả lời ý kiến"))
    now = timezone.now()
    calendar = dossier_calendar(dossier)
    timeliness = _finish_step(step, actor=actor, at=now, calendar=calendar, note=opinion)
    asker = (
        DossierStep.objects.filter(dossier=dossier, stage=step.stage, kind=StepKind.HANDLING)
        .select_related("unit")
        .order_by("-pk")
        .first()
    )
    Handover.objects.create(
        dossier=dossier,
        at=now,
        from_unit=step.unit,
        from_user=actor,
        to_unit=asker.unit if asker else dossier.competent_unit,
        to_user=asker.assignee if asker else None,
        timeliness=timeliness,
        note=_("Trả lời ý kiến"),
    )
    _event(actor, role, "dossier.consultation_answered", dossier, timeliness=timeliness)
    return step


# ---------------------------------------------------------------------------------------------
# Supplement during processing (once; approved by the department head; clock paused)


@dataclass(frozen=True)
class SupplementItem:
    name: str
    reason: str


def _clean_items(items: Sequence[SupplementItem]) -> list[dict[str, str]]:
    cleaned = [
        {"name": " ".join(i.name.split()), "reason": " ".join(i.reason.split())}
        for i in items
        if i.name.strip()
    ]
    if not cleaned:
        raise ValidationFailed(
            _("Phải nêu ít nhất một nội dung cần bổ sung."), extra={"field": "items"}
        )
    if any(not item["reason"] for item in cleaned):
        raise ValidationFailed(
            _("Mỗi nội dung cần bổ sung phải có lý do."), extra={"field": "items"}
        )
    return cleaned


@transaction.atomic
def supplement_propose(
    *, actor: Any, code: str, items: Sequence[SupplementItem], legal_basis: str = ""
) -> SupplementRequest:
    """The handling officer lists everything missing, in one request, for the head to approve."""
    dossier = _locked(code)
    _require_state(dossier, [DossierState.IN_PROCESSING], _("yêu cầu bổ sung"))
    _step, role = _acting_step(actor, dossier, [StepKind.HANDLING], _("yêu cầu bổ sung"))
    if dossier.supplements.exclude(status=SupplementStatus.DECLINED).exists():
        raise Conflict(
            _("Hồ sơ %(code)s đã được yêu cầu bổ sung một lần; không yêu cầu lần thứ hai.")
            % {"code": dossier.code},
            code="supplement_once",
        )
    request = SupplementRequest.objects.create(
        dossier=dossier,
        status=SupplementStatus.PROPOSED,
        items=_clean_items(items),
        legal_basis=legal_basis.strip(),
        proposed_by=actor,
        proposed_at=timezone.now(),
    )
    _event(actor, role, "dossier.supplement_proposed", dossier, items=request.items)
    return request


def _pending_supplement(dossier: Dossier) -> SupplementRequest:
    request = (
        dossier.supplements.filter(status=SupplementStatus.PROPOSED)
        .select_related("proposed_by")
        .first()
    )
    if request is None:
        raise Conflict(
            _("Hồ sơ %(code)s không có đề nghị bổ sung nào chờ duyệt.") % {"code": dossier.code},
            code="no_pending_supplement",
        )
    return request


@transaction.atomic
def supplement_decide(*, actor: Any, code: str, approve: bool, note: str = "") -> SupplementRequest:
    """The department head approves (form 02 goes to the applicant, the clock stops) or not."""
    dossier = _locked(code)
    _require_state(dossier, [DossierState.IN_PROCESSING], _("duyệt yêu cầu bổ sung"))
    request = _pending_supplement(dossier)
    step = (
        DossierStep.objects.filter(dossier=dossier, finished_at__isnull=True, kind="handling")
        .select_related("unit")
        .first()
    )
    unit = step.unit if step else dossier.competent_unit
    role = _require_role(actor, unit, [Role.DEPARTMENT_HEAD], _("duyệt yêu cầu bổ sung"))
    now = timezone.now()
    request.decided_by, request.decided_at, request.decision_note = actor, now, note.strip()
    if not approve:
        request.status = SupplementStatus.DECLINED
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        _event(actor, role, "dossier.supplement_declined", dossier, reason=note.strip())
        return request
    request.notice = _notice_create(
        dossier,
        kind=DossierNoticeKind.SUPPLEMENT,
        unit=_agency_of(unit),
        actor=request.proposed_by,
        at=now,
        items=request.items,
        legal_basis=request.legal_basis,
        signed_by=actor,
    )
    request.status = SupplementStatus.ISSUED
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "notice"])
    DossierPause.objects.create(dossier=dossier, reason=PauseReason.SUPPLEMENT, started_at=now)
    dossier.state = DossierState.SUPPLEMENT_REQUESTED
    dossier.supplement_count = F("supplement_count") + 1
    dossier.milestones.append(milestone("dossier.supplement_requested", now))
    dossier.save(update_fields=["state", "supplement_count", "milestones"])
    dossier.refresh_from_db(fields=["supplement_count"])
    with translation.override("vi"):
        listed = "; ".join(f"{i['name']} ({i['reason']})" for i in request.items)
        body = _(
            "Hồ sơ %(code)s cần bổ sung: %(items)s. Thời hạn giải quyết tạm dừng cho đến khi "
            "nhận đủ hồ sơ bổ sung tại %(desk)s."
        ) % {"code": dossier.code, "items": listed, "desk": dossier.receiving_unit.name}
        subject = _("Yêu cầu bổ sung hồ sơ %(code)s") % {"code": dossier.code}
    _tell_applicant(dossier, topic="dossier.supplement_requested", subject=subject, body=body)
    _event(
        actor,
        role,
        "dossier.supplement_requested",
        dossier,
        notice=request.notice.number,
        items=request.items,
    )
    return request


def _end_pause(dossier: Dossier, reason: str, at: datetime) -> None:
    DossierPause.objects.filter(dossier=dossier, reason=reason, ended_at__isnull=True).update(
        ended_at=at
    )


def _desk_officer(actor: Any, dossier: Dossier, what: str) -> str:
    return _require_role(actor, dossier.receiving_unit, [Role.RECEPTION_OFFICER], what)


@transaction.atomic
def supplement_receive(
    *, actor: Any, code: str, note: str = "", scans: Sequence[UploadedFile] = ()
) -> Dossier:
    """The applicant brings the supplement to the desk: the clock runs again, a new date."""
    dossier = _locked(code)
    role = _desk_officer(actor, dossier, _("nhận hồ sơ bổ sung"))
    _require_state(dossier, [DossierState.SUPPLEMENT_REQUESTED], _("nhận hồ sơ bổ sung"))
    for scan in scans:
        document_validate_upload(uploaded=scan)
    now = timezone.now()
    stored = [
        document_store(uploaded=s, provenance=Provenance.SCANNED_AT_COUNTER, verified_by=actor)
        for s in scans
    ]
    dossier.supplements.filter(status=SupplementStatus.ISSUED).update(
        status=SupplementStatus.RECEIVED, received_at=now, received_by=actor
    )
    _end_pause(dossier, PauseReason.SUPPLEMENT, now)
    dossier.state = DossierState.IN_PROCESSING
    _recompute_due(dossier, dossier_calendar(dossier))
    dossier.milestones.append(milestone("dossier.supplement_received", now))
    dossier.save(update_fields=["state", "due_at", "milestones"])
    with translation.override("vi"):
        why = _("đã nhận đủ hồ sơ bổ sung.")
    _tell_new_appointment(dossier, topic="dossier.supplement_received", why=why)
    _event(
        actor,
        role,
        "dossier.supplement_received",
        dossier,
        due_at=dossier.due_at,
        documents=[d.sha256 for d in stored],
        note=note.strip(),
    )
    return dossier


# ---------------------------------------------------------------------------------------------
# Financial obligation (the tax office's payment notice; paid at the desk)


@dataclass(frozen=True)
class PaymentLine:
    kind: str
    name: str
    amount: int


def payment_lines_proposed(dossier: Dossier) -> list[PaymentLine]:
    """The tax office's lines of the catalogue, to be completed with the amounts of the case."""
    return [
        PaymentLine(kind=f.kind, name=f.name, amount=f.amount or 0)
        for f in dossier.procedure_version.fee_items.filter(
            collected_by=FeeCollector.TAX_OFFICE
        ).order_by("position")
    ]


def _clean_lines(lines: Sequence[PaymentLine]) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    for line in lines:
        name = " ".join(line.name.split())
        if not name:
            continue
        if isinstance(line.amount, bool) or not isinstance(line.amount, int) or line.amount < 0:
            raise ValidationFailed(
                _("Số tiền của khoản «%(n)s» phải là số nguyên không âm (đồng).") % {"n": name},
                extra={"field": "lines"},
            )
        if line.kind not in ("tax", "charge", "fee"):
            raise ValidationFailed(_("Loại khoản thu không hợp lệ."), extra={"field": "lines"})
        cleaned.append({"kind": line.kind, "name": name, "amount": line.amount})
    if not cleaned or sum(line["amount"] for line in cleaned) <= 0:
        raise ValidationFailed(
            _("Thông báo nộp tiền phải có ít nhất một khoản với số tiền lớn hơn 0."),
            extra={"field": "lines"},
        )
    return cleaned


@transaction.atomic
def payment_notice_issue(*, actor: Any, code: str, lines: Sequence[PaymentLine]) -> PaymentNotice:
    """The tax office determines the obligation; the clock pauses where the law excludes it."""
    dossier = _locked(code)
    _require_state(dossier, [DossierState.IN_PROCESSING], _("ra thông báo nghĩa vụ tài chính"))
    step, role = _acting_step(
        actor, dossier, [StepKind.FINANCIAL], _("ra thông báo nghĩa vụ tài chính")
    )
    cleaned = _clean_lines(lines)
    if PaymentNotice.objects.filter(dossier=dossier).exists():
        raise Conflict(_("Hồ sơ đã có thông báo nộp tiền."), code="payment_notice_exists")
    now = timezone.now()
    calendar = dossier_calendar(dossier)
    agency = _agency_of(step.unit)
    payment = PaymentNotice.objects.create(
        dossier=dossier,
        number=_notice_number(agency, "TB", now, NumberSeries.PAYMENT),
        issuing_unit=agency,
        lines=cleaned,
        total=sum(line["amount"] for line in cleaned),
        issued_at=now,
        issued_by=actor,
    )
    timeliness = _finish_step(step, actor=actor, at=now, calendar=calendar)
    _next_stage(
        dossier,
        after=step,
        actor=actor,
        at=now,
        calendar=calendar,
        timeliness=timeliness,
        note=_("Đã ra thông báo nộp tiền %(n)s") % {"n": payment.number},
    )
    if dossier.procedure_version.pause_for_financial_obligation:
        DossierPause.objects.create(
            dossier=dossier, reason=PauseReason.FINANCIAL_OBLIGATION, started_at=now
        )
    dossier.state = DossierState.AWAITING_PAYMENT
    dossier.milestones.append(milestone("dossier.payment_requested", now))
    dossier.save(update_fields=["state", "stage", "milestones"])
    with translation.override("vi"):
        body = _(
            "Hồ sơ %(code)s: thông báo nộp tiền %(number)s, tổng số %(total)s đồng. "
            "Vui lòng nộp tại %(desk)s và mang theo giấy tiếp nhận."
        ) % {
            "code": dossier.code,
            "number": payment.number,
            "total": f"{payment.total:,}".replace(",", "."),
            "desk": dossier.receiving_unit.name,
        }
        subject = _("Thông báo nghĩa vụ tài chính, hồ sơ %(code)s") % {"code": dossier.code}
    _tell_applicant(dossier, topic="dossier.payment_requested", subject=subject, body=body)
    _event(
        actor,
        role,
        "dossier.payment_requested",
        dossier,
        notice=payment.number,
        total=payment.total,
        lines=cleaned,
        timeliness=timeliness,
    )
    return payment


@transaction.atomic
def payment_record(
    *, actor: Any, code: str, receipt_number: str, method: str = "counter"
) -> PaymentNotice:
    """The applicant paid (at the desk): the clock runs again from the proof of payment."""
    dossier = _locked(code)
    role = _desk_officer(actor, dossier, _("ghi nhận nộp tiền"))
    _require_state(dossier, [DossierState.AWAITING_PAYMENT], _("ghi nhận nộp tiền"))
    receipt_number = _required_text(
        receipt_number, "receipt_number", _("Cần nhập số biên lai hoặc chứng từ nộp tiền.")
    )
    payment = PaymentNotice.objects.select_for_update().get(dossier=dossier)
    now = timezone.now()
    payment.paid_at, payment.receipt_number = now, receipt_number[:60]
    payment.payment_method, payment.recorded_by = method, actor
    payment.save(update_fields=["paid_at", "receipt_number", "payment_method", "recorded_by"])
    _end_pause(dossier, PauseReason.FINANCIAL_OBLIGATION, now)
    dossier.state = DossierState.IN_PROCESSING
    _recompute_due(dossier, dossier_calendar(dossier))
    dossier.milestones.append(milestone("dossier.payment_received", now))
    dossier.save(update_fields=["state", "due_at", "milestones"])
    with translation.override("vi"):
        why = _("đã hoàn thành nghĩa vụ tài chính.")
    _tell_new_appointment(dossier, topic="dossier.payment_received", why=why)
    _event(
        actor,
        role,
        "dossier.payment_received",
        dossier,
        receipt=receipt_number,
        total=payment.total,
        due_at=dossier.due_at,
    )
    return payment


# ---------------------------------------------------------------------------------------------
# Apology and new date (form 04)


@transaction.atomic
def apology_issue(*, actor: Any, code: str, reason: str, new_due_at: datetime) -> DossierNotice:
    """Signed by the agency head, once, at least one working day before the due date.

    The applicant gets the new date; lateness is still measured against the due date.
    """
    dossier = _locked(code)
    _require_state(
        dossier,
        [
            DossierState.IN_PROCESSING,
            DossierState.SUPPLEMENT_REQUESTED,
            DossierState.AWAITING_PAYMENT,
        ],
        _("gửi văn bản xin lỗi"),
    )
    role = _require_role(
        actor, dossier.competent_unit, [Role.SIGNING_AUTHORITY], _("ký văn bản xin lỗi")
    )
    reason = _required_text(reason, "reason", _("Cần nêu lý do chậm trả kết quả."))
    if DossierNotice.objects.filter(dossier=dossier, kind=DossierNoticeKind.APOLOGY).exists():
        raise Conflict(
            _("Hồ sơ %(code)s đã có văn bản xin lỗi; chỉ được hẹn lại một lần.")
            % {"code": dossier.code},
            code="apology_once",
        )
    now = timezone.now()
    calendar = dossier_calendar(dossier)
    if working_time_between(calendar=calendar, start=now, end=_due(dossier)) < (
        calendar.working_day_length
    ):
        raise Conflict(
            _(
                "Văn bản xin lỗi phải gửi chậm nhất một ngày làm việc trước hạn trả "
                "(%(due)s); đã quá thời điểm đó."
            )
            % {"due": _local_text(dossier.due_at)},
            code="apology_too_late",
        )
    if timezone.is_naive(new_due_at) or new_due_at <= _due(dossier):
        raise ValidationFailed(
            _("Ngày hẹn mới phải sau hạn trả hiện tại (%(due)s).")
            % {"due": _local_text(dossier.due_at)},
            extra={"field": "new_due_at"},
        )
    notice = _notice_create(
        dossier,
        kind=DossierNoticeKind.APOLOGY,
        unit=_agency_of(dossier.competent_unit),
        actor=actor,
        at=now,
        reason=reason,
        original_due_at=dossier.due_at,
        new_due_at=new_due_at,
        signed_by=actor,
    )
    dossier.rescheduled_due_at = new_due_at
    dossier.milestones.append(milestone("dossier.rescheduled", now))
    dossier.save(update_fields=["rescheduled_due_at", "milestones"])
    with translation.override("vi"):
        why = _("cơ quan giải quyết xin lỗi vì chậm trả kết quả (%(reason)s).") % {"reason": reason}
    _tell_new_appointment(dossier, topic="dossier.rescheduled", why=why)
    _event(actor, role, "dossier.rescheduled", dossier, reason=reason, new_due_at=new_due_at)
    return notice


# ---------------------------------------------------------------------------------------------
# Endings: not eligible, withdrawal, resolve, return, uncollected


def _processing_stop(
    dossier: Dossier, *, actor: Any, state: str, kind: str, note: str, **notice: Any
) -> DossierNotice:
    """End processing with a notice (rejection, stop): open steps and pauses are closed."""
    now = timezone.now()
    issued = _notice_create(
        dossier,
        kind=kind,
        unit=_agency_of(dossier.competent_unit),
        actor=actor,
        at=now,
        **notice,
    )
    calendar = dossier_calendar(dossier)
    for step in open_steps(dossier):
        _finish_step(step, actor=actor, at=now, calendar=calendar, note=note)
    DossierPause.objects.filter(dossier=dossier, ended_at__isnull=True).update(ended_at=now)
    dossier.state, dossier.stopped_at = state, now
    dossier.milestones.append(milestone(f"dossier.{state}", now))
    dossier.save(update_fields=["state", "stopped_at", "milestones"])
    return issued


@transaction.atomic
def dossier_reject(*, actor: Any, code: str, reason: str, legal_basis: str) -> DossierNotice:
    """The dossier does not meet the conditions: a reasoned notice, and processing ends."""
    dossier = _locked(code)
    _require_state(dossier, [DossierState.IN_PROCESSING], _("trả lại hồ sơ không đủ điều kiện"))
    role = _require_role(
        actor,
        dossier.competent_unit,
        [Role.DEPARTMENT_HEAD, Role.SIGNING_AUTHORITY],
        _("từ chối giải quyết hồ sơ"),
    )
    reason = _required_text(reason, "reason", _("Cần nêu rõ lý do không đủ điều kiện."))
    legal_basis = _required_text(legal_basis, "legal_basis", _("Cần nêu căn cứ pháp lý."))
    notice = _processing_stop(
        dossier,
        actor=actor,
        state=DossierState.REJECTED,
        kind=DossierNoticeKind.REJECTION,
        note=_("Hồ sơ không đủ điều kiện"),
        reason=reason,
        legal_basis=legal_basis,
        signed_by=actor,
    )
    with translation.override("vi"):
        body = _(
            "Hồ sơ %(code)s không đủ điều kiện giải quyết: %(reason)s. Nhận thông báo và hồ sơ "
            "tại %(desk)s."
        ) % {"code": dossier.code, "reason": reason, "desk": dossier.receiving_unit.name}
        subject = _("Hồ sơ %(code)s không đủ điều kiện giải quyết") % {"code": dossier.code}
    _tell_applicant(dossier, topic="dossier.rejected", subject=subject, body=body)
    _event(actor, role, "dossier.rejected", dossier, reason=reason, legal_basis=legal_basis)
    return notice


_WITHDRAWABLE = [
    DossierState.RECEIVED,
    DossierState.IN_PROCESSING,
    DossierState.SUPPLEMENT_REQUESTED,
    DossierState.AWAITING_PAYMENT,
]


@transaction.atomic
def withdrawal_request(*, actor: Any, code: str, reason: str) -> Dossier:
    """The applicant's written request to withdraw, taken at the desk, until the result is ready."""
    dossier = _locked(code)
    role = _desk_officer(actor, dossier, _("nhận đề nghị rút hồ sơ"))
    _require_state(dossier, _WITHDRAWABLE, _("nhận đề nghị rút hồ sơ"))
    reason = _required_text(reason, "reason", _("Cần ghi lý do rút hồ sơ của người nộp."))
    dossier.state_before_withdrawal = dossier.state
    dossier.state = DossierState.WITHDRAWAL_REQUESTED
    dossier.withdrawal_reason = reason
    dossier.save(update_fields=["state", "state_before_withdrawal", "withdrawal_reason"])
    _event(actor, role, "dossier.withdrawal_requested", dossier, reason=reason)
    return dossier


def _withdrawal_officer(actor: Any, dossier: Dossier) -> str:
    return _require_role(
        actor,
        dossier.competent_unit,
        [Role.HANDLING_OFFICER, Role.DEPARTMENT_HEAD, Role.SIGNING_AUTHORITY],
        _("xác nhận việc rút hồ sơ"),
    )


@transaction.atomic
def withdrawal_confirm(*, actor: Any, code: str) -> DossierNotice:
    """An officer of the competent agency confirms: processing stops, form 05 is issued."""
    dossier = _locked(code)
    role = _withdrawal_officer(actor, dossier)
    _require_state(dossier, [DossierState.WITHDRAWAL_REQUESTED], _("xác nhận rút hồ sơ"))
    with translation.override("vi"):
        reason = _("Người nộp đề nghị rút hồ sơ: %(r)s") % {"r": dossier.withdrawal_reason}
    notice = _processing_stop(
        dossier,
        actor=actor,
        state=DossierState.STOPPED,
        kind=DossierNoticeKind.STOP,
        note=_("Dừng giải quyết: rút hồ sơ"),
        reason=reason,
    )
    with translation.override("vi"):
        body = _("Hồ sơ %(code)s đã dừng giải quyết theo đề nghị rút hồ sơ của người nộp.") % {
            "code": dossier.code
        }
        subject = _("Dừng giải quyết hồ sơ %(code)s") % {"code": dossier.code}
    _tell_applicant(dossier, topic="dossier.stopped", subject=subject, body=body)
    _event(actor, role, "dossier.stopped", dossier, reason=reason, notice=notice.number)
    return notice


@transaction.atomic
def withdrawal_decline(*, actor: Any, code: str, reason: str) -> Dossier:
    """The request cannot be accepted (e.g. the result is already signed): back to work."""
    dossier = _locked(code)
    role = _withdrawal_officer(actor, dossier)
    _require_state(dossier, [DossierState.WITHDRAWAL_REQUESTED], _("từ chối rút hồ sơ"))
    reason = _required_text(reason, "reason", _("Cần nêu lý do không chấp nhận rút hồ sơ."))
    dossier.state, dossier.state_before_withdrawal = dossier.state_before_withdrawal, ""
    dossier.save(update_fields=["state", "state_before_withdrawal"])
    _event(actor, role, "dossier.withdrawal_declined", dossier, reason=reason)
    return dossier


@transaction.atomic
def dossier_resolve(
    *,
    actor: Any,
    code: str,
    result_number: str,
    summary: str = "",
    document: UploadedFile | None = None,
    step_id: int | None = None,
) -> Dossier:
    """The result is issued (document attached): the dossier is resolved and goes to the desk."""
    dossier = _locked(code)
    _require_state(dossier, [DossierState.IN_PROCESSING], _("ban hành kết quả"))
    step, role = _acting_step(
        actor, dossier, [StepKind.HANDLING, StepKind.SIGNING], _("ban hành kết quả"), step_id
    )
    if step.stage != last_processing_stage(dossier):
        raise Conflict(
            _("Chưa đến bước ban hành kết quả: hồ sơ còn các bước «%(step)s» trở đi.")
            % {"step": step.name},
            code="not_last_step",
        )
    result_number = _required_text(
        result_number, "result_number", _("Cần nhập số, ký hiệu của văn bản kết quả.")
    )
    if document is None and dossier.procedure_version.result_is_document:
        raise ValidationFailed(
            _("Cần đính kèm văn bản kết quả giải quyết."), extra={"field": "document"}
        )
    stored: Document | None = None
    if document is not None:
        document_validate_upload(uploaded=document)
        stored = document_store(
            uploaded=document, provenance=Provenance.ISSUED_RESULT, verified_by=actor
        )
    now = timezone.now()
    calendar = dossier_calendar(dossier)
    timeliness = _finish_step(step, actor=actor, at=now, calendar=calendar)
    _next_stage(
        dossier,
        after=step,
        actor=actor,
        at=now,
        calendar=calendar,
        timeliness=timeliness,
        note=_("Chuyển kết quả về Bộ phận Một cửa"),
    )
    dossier.state, dossier.resolved_at = DossierState.RESOLVED, now
    dossier.timeliness = classify_finish(calendar=calendar, finished=now, due=_due(dossier))
    dossier.result_number, dossier.result_summary = result_number[:80], summary.strip()
    dossier.result_document = stored
    dossier.milestones.append(milestone("dossier.resolved", now))
    dossier.save(
        update_fields=[
            "state",
            "stage",
            "resolved_at",
            "timeliness",
            "result_number",
            "result_summary",
            "result_document",
            "milestones",
        ]
    )
    with translation.override("vi"):
        body = _("Hồ sơ %(code)s đã có kết quả. Mời nhận tại %(desk)s.") % {
            "code": dossier.code,
            "desk": dossier.receiving_unit.name,
        }
        subject = _("Hồ sơ %(code)s đã có kết quả") % {"code": dossier.code}
    _tell_applicant(dossier, topic="dossier.resolved", subject=subject, body=body)
    _event(
        actor,
        role,
        "dossier.resolved",
        dossier,
        result_number=result_number,
        document=stored.sha256 if stored else "",
        timeliness=dossier.timeliness,
    )
    return dossier


@dataclass(frozen=True)
class Recipient:
    name: str = ""
    id_number: str = ""


@transaction.atomic
def dossier_return(
    *,
    actor: Any,
    code: str,
    channel: str,
    recipient: Recipient | None = None,
    tracking_number: str = "",
) -> Dossier:
    """The result is handed over: at the desk (who collected it), by post, or online."""
    dossier = _locked(code)
    role = _desk_officer(actor, dossier, _("trả kết quả"))
    _require_state(dossier, [DossierState.RESOLVED, DossierState.UNCOLLECTED], _("trả kết quả"))
    recipient = recipient or Recipient()
    name, id_number = " ".join(recipient.name.split()), recipient.id_number.strip()
    if channel == ResultChannel.DESK:
        if not name:
            raise ValidationFailed(
                _("Cần ghi họ tên người nhận kết quả."), extra={"field": "recipient_name"}
            )
        if not is_valid_citizen_id(id_number):
            raise ValidationFailed(
                _("Số định danh của người nhận phải gồm đúng 12 chữ số."),
                extra={"field": "recipient_id_number"},
            )
    elif channel == ResultChannel.POST:
        if not tracking_number.strip():
            raise ValidationFailed(
                _("Cần nhập số hiệu bưu gửi khi trả kết quả qua bưu chính."),
                extra={"field": "tracking_number"},
            )
    elif channel != ResultChannel.ONLINE:
        raise ValidationFailed(_("Hình thức trả kết quả không hợp lệ."), extra={"field": "channel"})
    now = timezone.now()
    calendar = dossier_calendar(dossier)
    for step in open_steps(dossier):
        if step.kind == StepKind.RETURN:
            _finish_step(step, actor=actor, at=now, calendar=calendar)
    dossier.state, dossier.returned_at, dossier.returned_by = DossierState.RETURNED, now, actor
    dossier.return_channel = channel
    dossier.recipient_name, dossier.recipient_id_number = name[:200], id_number[:20]
    dossier.postal_tracking_number = tracking_number.strip()[:40]
    dossier.milestones.append(milestone("dossier.returned", now))
    dossier.save(
        update_fields=[
            "state",
            "returned_at",
            "returned_by",
            "return_channel",
            "recipient_name",
            "recipient_id_number",
            "postal_tracking_number",
            "milestones",
        ]
    )
    with translation.override("vi"):
        body = _("Hồ sơ %(code)s: đã trả kết quả lúc %(at)s (%(how)s).") % {
            "code": dossier.code,
            "at": _local_text(now),
            "how": str(ResultChannel(channel).label).lower(),
        }
        subject = _("Đã trả kết quả hồ sơ %(code)s") % {"code": dossier.code}
    _tell_applicant(dossier, topic="dossier.returned", subject=subject, body=body)
    _event(
        actor,
        role,
        "dossier.returned",
        dossier,
        channel=channel,
        recipient=name,
        recipient_id=id_number,
        tracking=tracking_number.strip(),
    )
    return dossier


@transaction.atomic
def dossier_mark_uncollected(*, actor: Any, code: str) -> Dossier:
    """The applicant did not come for the result by the appointment."""
    dossier = _locked(code)
    role = _desk_officer(actor, dossier, _("ghi nhận chưa đến nhận kết quả"))
    _require_state(dossier, [DossierState.RESOLVED], _("ghi nhận chưa đến nhận kết quả"))
    now = timezone.now()
    if dossier.appointment_at and now < dossier.appointment_at:
        raise Conflict(
            _("Chưa đến ngày hẹn trả (%(due)s).") % {"due": _local_text(dossier.appointment_at)},
            code="not_yet_due",
        )
    dossier.state = DossierState.UNCOLLECTED
    dossier.save(update_fields=["state"])
    _event(actor, role, "dossier.uncollected", dossier)
    return dossier


def officers_for_assignment(*, step: DossierStep) -> list[User]:
    """Who a head may give a step to: officers of the step's role in the same agency."""
    return list(
        User.objects.filter(
            memberships__role=step.role,
            memberships__unit__path__startswith=_agency_of(step.unit).path,
        )
        .distinct()
        .order_by("username")
    )


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
