"""Writes of supervision: the periodic alerts sweep (escalation rules as data) and the urges
the center's leadership sends to an agency.

The sweep sends each rule once per step (or dossier): the Alert row is inserted first, under a
unique constraint, in the transaction that also writes who was told, their messages (outbox)
and the event; a second sweep running at the same time fails on the constraint and sends
nothing. "After how long" is working time on the calendar the worklists use, so nights,
weekends and Tết do not count.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.forms.models import model_to_dict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from motcua.accounts.models import User
from motcua.agencies.models import Role, Unit
from motcua.audit.services import event_append
from motcua.core.errors import Conflict, NotFound, ValidationFailed
from motcua.dossiers.models import OPEN_STATES, Dossier, DossierStep
from motcua.lib.workdays import WorkCalendar, working_time_between
from motcua.notifications.services import message_enqueue
from motcua.ratings.selectors import center_leaders
from motcua.supervision.models import (
    Alert,
    AlertReadMark,
    AlertRecipient,
    Audience,
    EscalationRule,
    Subject,
    Trigger,
    Urge,
    UrgeRecipient,
)
from motcua.supervision.selectors import (
    RUNNING_STATES,
    agencies_by_unit,
    alert_newest_delivery,
    near_due_bound,
    near_due_window,
    open_steps_of,
    responsible_units,
    supervision_calendar,
    urgeable_dossiers,
    urger_role,
    working_time_text,
)

SWEEP_LIMIT = 500
URGE_MESSAGE_MAX_LENGTH = 1000
URGE_MAX_DOSSIERS = 200
# Codes named in an urge's email or SMS; the page lists them all.
URGE_CODES_IN_MESSAGE = 10


def _dossier_url(code: str) -> str:
    # The back office's dossier page (its path is fixed there).
    return f"{settings.SITE_URL}/backoffice/ho-so/{code}/"


def _urges_url() -> str:
    return f"{settings.SITE_URL}/backoffice/don-doc/"


def _local_text(value: datetime) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y")


# ---------------------------------------------------------------------------------------------
# Who is told


def _chain(unit: Unit) -> list[int]:
    """The unit and the units above it up to its agency, center or commune (ids)."""
    agency = agencies_by_unit([unit])[unit.pk]
    ids = [int(i) for i in unit.path.strip("/").split("/") if i]
    return ids[ids.index(agency.pk) :]


def _holding(role: str, condition: Q) -> list[User]:
    return list(
        User.objects.filter(condition, memberships__role=role, is_active=True, is_citizen=False)
        .distinct()
        .order_by("username")
    )


def _step_holders(step: DossierStep) -> list[User]:
    """The assignee; while nobody is assigned, the officers who may take the step: its role in
    its unit, a unit above it in the agency, or a department inside it."""
    if step.assignee_id is not None:
        assert step.assignee is not None
        return [step.assignee] if step.assignee.is_active else []
    return _holding(
        step.role,
        Q(memberships__unit_id__in=_chain(step.unit))
        | Q(memberships__unit__path__startswith=step.unit.path),
    )


def _people(
    audience: Audience, *, steps: Sequence[DossierStep], fallback: Unit, receiving: Unit | None
) -> list[User]:
    if audience == Audience.ASSIGNEE:
        return [user for step in steps for user in _step_holders(step)]
    chains = {pk for unit in ([s.unit for s in steps] or [fallback]) for pk in _chain(unit)}
    if audience == Audience.DEPARTMENT_HEAD:
        return _holding(Role.DEPARTMENT_HEAD, Q(memberships__unit_id__in=chains))
    if audience == Audience.AGENCY_HEAD:
        return _holding(Role.SIGNING_AUTHORITY, Q(memberships__unit_id__in=chains))
    return center_leaders(unit=receiving) if receiving is not None else []


def _audience(
    audiences: Sequence[Audience],
    *,
    steps: Sequence[DossierStep],
    fallback: Unit,
    receiving: Unit | None = None,
) -> list[tuple[User, Audience]]:
    """Each person once, under the first audience that names them."""
    people: dict[int, tuple[User, Audience]] = {}
    for audience in audiences:
        for user in _people(audience, steps=steps, fallback=fallback, receiving=receiving):
            if user.is_active and not user.is_citizen:
                people.setdefault(user.pk, (user, audience))
    return list(people.values())


def _told(people: Sequence[tuple[User, Audience]]) -> list[dict[str, str]]:
    return [{"user": user.username, "as": str(audience)} for user, audience in people]


# ---------------------------------------------------------------------------------------------
# The alerts sweep


@dataclass(frozen=True)
class _Clock:
    now: datetime
    calendar: WorkCalendar
    near: timedelta

    def left(self, due: datetime) -> timedelta:
        return working_time_between(calendar=self.calendar, start=self.now, end=due)


def alerts_sweep(*, now: datetime | None = None, limit: int = SWEEP_LIMIT) -> int:
    """Send the alerts the active escalation rules call for, each once; return how many."""
    now = now or timezone.now()
    clock = _Clock(now, supervision_calendar(now=now), near_due_window())
    sent = 0
    for rule in EscalationRule.objects.filter(active=True):
        for dossier, step in _due(rule, clock, limit):
            if _alert_send(rule, dossier=dossier, step=step, clock=clock) is not None:
                sent += 1
    return sent


def _fires(rule: EscalationRule, due: datetime, clock: _Clock) -> bool:
    delay = timedelta(hours=rule.delay_hours)
    if rule.trigger == Trigger.NEAR_DUE:
        # Past its due time a step is overdue, no longer near due.
        return due >= clock.now and clock.left(due) <= clock.near - delay
    return due < clock.now and -clock.left(due) >= delay


def _candidates(rule: EscalationRule, clock: _Clock) -> QuerySet[Any] | None:
    """Open steps (or dossiers) without this rule's alert whose due time may call for it."""
    rows: QuerySet[Any]
    if rule.subject == Subject.STEP:
        sent = Alert.objects.filter(step=OuterRef("pk"), rule=rule)
        rows = DossierStep.objects.filter(
            finished_at__isnull=True, dossier__state__in=RUNNING_STATES
        ).select_related(
            "dossier__procedure_version", "dossier__receiving_unit", "unit", "assignee"
        )
    else:
        sent = Alert.objects.filter(dossier=OuterRef("pk"), step__isnull=True, rule=rule)
        rows = Dossier.objects.filter(state__in=RUNNING_STATES).select_related(
            "procedure_version", "receiving_unit", "competent_unit"
        )
    rows = rows.filter(~Exists(sent))
    delay = timedelta(hours=rule.delay_hours)
    if rule.trigger == Trigger.NEAR_DUE:
        if delay > clock.near:
            return None
        bound = near_due_bound(calendar=clock.calendar, now=clock.now, left=clock.near - delay)
        return rows.filter(due_at__gte=clock.now, due_at__lt=bound).order_by("due_at", "pk")
    # Working time never exceeds calendar time: a first cut in SQL, the exact one in Python.
    return rows.filter(due_at__lt=clock.now - delay).order_by("due_at", "pk")


def _due(
    rule: EscalationRule, clock: _Clock, limit: int
) -> Iterator[tuple[Dossier, DossierStep | None]]:
    rows = _candidates(rule, clock)
    if rows is None:
        return
    for row in rows[:limit]:
        if not _fires(rule, row.due_at, clock):
            # Oldest due first: once one has not waited long enough, the later ones have not.
            if rule.trigger == Trigger.OVERDUE:
                return
            continue
        if isinstance(row, DossierStep):
            yield row.dossier, row
        else:
            yield row, None


def _still_due(dossier: Dossier, step: DossierStep | None, due: datetime) -> bool:
    # The step may have been finished, or the clock paused, since the candidates were read.
    if step is not None:
        return DossierStep.objects.filter(
            pk=step.pk, finished_at__isnull=True, due_at=due, dossier__state__in=RUNNING_STATES
        ).exists()
    return Dossier.objects.filter(pk=dossier.pk, state__in=RUNNING_STATES, due_at=due).exists()


def _alert_send(
    rule: EscalationRule, *, dossier: Dossier, step: DossierStep | None, clock: _Clock
) -> Alert | None:
    due = step.due_at if step is not None else dossier.due_at
    assert due is not None
    steps = [step] if step is not None else list(open_steps_of([dossier])[dossier.pk])
    with transaction.atomic():
        if not _still_due(dossier, step, due):
            return None
        subject, body = _alert_text(rule, dossier=dossier, step=step, steps=steps, clock=clock)
        try:
            with transaction.atomic():
                alert = Alert.objects.create(
                    rule=rule,
                    dossier=dossier,
                    step=step,
                    trigger=rule.trigger,
                    unit=step.unit if step is not None else dossier.competent_unit,
                    due_at=due,
                    sent_at=clock.now,
                    subject=subject,
                    body=body,
                )
        except IntegrityError:
            # Another sweep sent this alert first.
            return None
        people = _audience(
            rule.audiences,
            steps=steps,
            fallback=dossier.competent_unit,
            receiving=dossier.receiving_unit,
        )
        _alert_deliver(alert, rule, people)
        event_append(
            actor=None,
            kind="supervision.alert_sent",
            target_type="dossier",
            target_id=dossier.code,
            data={
                "alert": alert.pk,
                "rule": rule.pk,
                "rule_name": rule.name,
                "trigger": rule.trigger,
                "step": step.name if step is not None else "",
                "unit": alert.unit.code,
                "due_at": due,
                "told": _told(people),
            },
        )
    return alert


def _alert_deliver(
    alert: Alert, rule: EscalationRule, people: Sequence[tuple[User, Audience]]
) -> None:
    AlertRecipient.objects.bulk_create(
        AlertRecipient(alert=alert, user=user, audience=audience) for user, audience in people
    )
    for user, _audience_of in people:
        message_enqueue(
            topic="supervision.alert",
            target_type="alert",
            target_id=alert.pk,
            subject=alert.subject,
            body=alert.body,
            email=user.email if rule.by_email else "",
            phone=user.phone if rule.by_sms else "",
        )


def _holder_text(steps: Sequence[DossierStep], fallback: Unit) -> str:
    names = [
        step.assignee.display_name() if step.assignee is not None else step.unit.name
        for step in steps
    ]
    return ", ".join(dict.fromkeys(names)) or fallback.name


def _alert_text(
    rule: EscalationRule,
    *,
    dossier: Dossier,
    step: DossierStep | None,
    steps: Sequence[DossierStep],
    clock: _Clock,
) -> tuple[str, str]:
    due = step.due_at if step is not None else dossier.due_at
    assert due is not None
    values = {
        "code": dossier.code,
        "procedure": dossier.procedure_version.name,
        "step": step.name if step is not None else "",
        "holder": _holder_text(steps, dossier.competent_unit),
        "due": _local_text(due),
        "time": working_time_text(clock.left(due), clock.calendar.working_day_length),
        "url": _dossier_url(dossier.code),
    }
    with translation.override("vi"):
        if rule.trigger == Trigger.NEAR_DUE:
            subject = _("Sắp đến hạn: hồ sơ %(code)s") % values
            body = (
                _(
                    "Bước «%(step)s» của hồ sơ %(code)s (%(procedure)s), do %(holder)s xử lý, "
                    "sắp đến hạn: hạn %(due)s, còn %(time)s làm việc. Xem: %(url)s"
                )
                if step is not None
                else _(
                    "Hồ sơ %(code)s (%(procedure)s) sắp đến hạn trả kết quả: hạn %(due)s, còn "
                    "%(time)s làm việc. Đang xử lý: %(holder)s. Xem: %(url)s"
                )
            ) % values
        else:
            subject = _("Quá hạn: hồ sơ %(code)s") % values
            body = (
                _(
                    "Bước «%(step)s» của hồ sơ %(code)s (%(procedure)s), do %(holder)s xử lý, "
                    "đã quá hạn %(time)s làm việc (hạn %(due)s). Xem: %(url)s"
                )
                if step is not None
                else _(
                    "Hồ sơ %(code)s (%(procedure)s) đã quá hạn trả kết quả %(time)s làm việc "
                    "(hạn %(due)s). Đang xử lý: %(holder)s. Xem: %(url)s"
                )
            ) % values
    return subject[:255], body


def alerts_mark_read(*, actor: Any, alert_ids: Sequence[int] | None = None) -> int:
    """Mark the actor's alerts read (all of them when no ids are given); return how many."""
    rows = AlertRecipient.objects.filter(user_id=actor.pk, read_at__isnull=True)
    if alert_ids is not None:
        rows = rows.filter(alert_id__in=list(alert_ids))
    return rows.update(read_at=timezone.now())


# ---------------------------------------------------------------------------------------------
# Escalation rules (the admin saves through here)


@transaction.atomic
def escalation_rule_save(*, actor: Any, rule: EscalationRule) -> EscalationRule:
    """Save a rule as edited, checked, with an event: a change of who is told is a decision."""
    try:
        rule.full_clean()
    except ValidationError as error:
        raise ValidationFailed(" ".join(error.messages)) from error
    created = rule.pk is None
    rule.save()
    event_append(
        actor=actor,
        kind="supervision.rule_created" if created else "supervision.rule_changed",
        target_type="escalation_rule",
        target_id=rule.pk,
        data=model_to_dict(rule, exclude=["id"]),
    )
    return rule


# ---------------------------------------------------------------------------------------------
# Urges


def _urge_text(message: str) -> str:
    text = (message or "").strip()
    if not text:
        raise ValidationFailed(_("Hãy nhập nội dung đôn đốc."), extra={"field": "message"})
    if len(text) > URGE_MESSAGE_MAX_LENGTH:
        raise ValidationFailed(
            _("Nội dung đôn đốc dài quá %(n)s ký tự.") % {"n": URGE_MESSAGE_MAX_LENGTH},
            extra={"field": "message"},
        )
    return text


def _codes(dossiers: Sequence[Dossier | str]) -> list[str]:
    codes = list(dict.fromkeys(d if isinstance(d, str) else d.code for d in dossiers))
    if not codes:
        raise ValidationFailed(_("Chọn ít nhất một hồ sơ để đôn đốc."), extra={"field": "dossiers"})
    if len(codes) > URGE_MAX_DOSSIERS:
        raise ValidationFailed(
            _("Mỗi lần đôn đốc tối đa %(n)s hồ sơ.") % {"n": URGE_MAX_DOSSIERS},
            extra={"field": "dossiers"},
        )
    return codes


def _urge_targets(actor: Any, dossiers: Sequence[Dossier | str]) -> list[Dossier]:
    """The dossiers, open and supervised by the actor, in the order given."""
    codes = _codes(dossiers)
    found = {
        d.code: d
        for d in urgeable_dossiers(viewer=actor)
        .select_related("procedure_version", "competent_unit", "receiving_unit")
        .filter(code__in=codes)
    }
    missing = [code for code in codes if code not in found]
    if missing:
        raise NotFound(_("Không tìm thấy hồ sơ %(codes)s.") % {"codes": ", ".join(missing)})
    closed = [code for code in codes if found[code].state not in OPEN_STATES]
    if closed:
        raise Conflict(
            _("Hồ sơ %(codes)s đã kết thúc (giải quyết xong hoặc dừng), không cần đôn đốc.")
            % {"codes": ", ".join(closed)},
            code="dossier_closed",
        )
    return [found[code] for code in codes]


def _require_in_charge(
    agency: Unit, dossiers: Sequence[Dossier], steps: dict[int, list[DossierStep]]
) -> None:
    agencies = agencies_by_unit(
        [*(s.unit for d in dossiers for s in steps[d.pk]), *(d.competent_unit for d in dossiers)]
    )
    elsewhere = [
        d.code
        for d in dossiers
        if agency.pk
        not in {u.pk for u in responsible_units(dossier=d, steps=steps[d.pk], agencies=agencies)}
    ]
    if elsewhere:
        raise ValidationFailed(
            _("%(unit)s không giải quyết hồ sơ %(codes)s; hãy đôn đốc cơ quan đang xử lý.")
            % {"unit": agency.name, "codes": ", ".join(elsewhere)},
            extra={"field": "unit"},
        )


@transaction.atomic
def urge_send(*, actor: Any, unit: Unit, dossiers: Sequence[Dossier | str], message: str) -> Urge:
    """Remind an agency of one or more open dossiers it holds: an event in each dossier's log,
    and a message to the agency's people in charge (assignees, department heads, its head).

    One event per dossier, not one listing them: a dossier's history is read by its code, and
    the urge must show there whichever batch it came in.
    """
    role = urger_role(viewer=actor)
    text = _urge_text(message)
    found = _urge_targets(actor, dossiers)
    agency = agencies_by_unit([unit])[unit.pk]
    steps = open_steps_of(found)
    _require_in_charge(agency, found, steps)
    urge = Urge.objects.create(
        urged_by=actor, urged_by_role=role, unit=agency, message=text, at=timezone.now()
    )
    urge.dossiers.set(found)
    in_agency = [s for d in found for s in steps[d.pk] if s.unit.path.startswith(agency.path)]
    people = _audience(
        [Audience.ASSIGNEE, Audience.DEPARTMENT_HEAD, Audience.AGENCY_HEAD],
        steps=in_agency,
        fallback=agency,
    )
    UrgeRecipient.objects.bulk_create(
        UrgeRecipient(urge=urge, user=user, audience=audience) for user, audience in people
    )
    for dossier in found:
        event_append(
            actor=actor,
            actor_role=role,
            kind="supervision.urged",
            target_type="dossier",
            target_id=dossier.code,
            reason=text,
            data={
                "urge": urge.pk,
                "unit": agency.code,
                "dossiers": len(found),
                "told": _told(people),
            },
        )
    _urge_deliver(urge, actor, found, people)
    return urge


def _urge_deliver(
    urge: Urge, actor: Any, dossiers: Sequence[Dossier], people: Sequence[tuple[User, Audience]]
) -> None:
    codes = ", ".join(d.code for d in dossiers[:URGE_CODES_IN_MESSAGE])
    more = len(dossiers) - URGE_CODES_IN_MESSAGE
    with translation.override("vi"):
        if more > 0:
            codes = _("%(codes)s và %(n)s hồ sơ khác") % {"codes": codes, "n": more}
        subject = _("Đôn đốc giải quyết hồ sơ")
        body = _(
            "%(who)s đề nghị %(unit)s khẩn trương giải quyết hồ sơ %(codes)s. "
            "Nội dung: %(message)s Xem: %(url)s"
        ) % {
            "who": actor.display_name(),
            "unit": urge.unit.name,
            "codes": codes,
            "message": urge.message,
            "url": _urges_url(),
        }
    for user, _audience_of in people:
        message_enqueue(
            topic="supervision.urge",
            target_type="urge",
            target_id=urge.pk,
            subject=subject,
            body=body,
            email=user.email,
            phone=user.phone,
        )


@transaction.atomic
def urges_send(*, actor: Any, dossiers: Sequence[Dossier | str], message: str) -> list[Urge]:
    """Urge a batch: one urge to each agency holding a dossier's most urgent open step (or,
    with none open, to its competent agency), all or nothing."""
    urger_role(viewer=actor)
    found = _urge_targets(actor, dossiers)
    steps = open_steps_of(found)
    agencies = agencies_by_unit(
        [*(s.unit for d in found for s in steps[d.pk]), *(d.competent_unit for d in found)]
    )
    groups: dict[int, tuple[Unit, list[Dossier]]] = {}
    for dossier in found:
        unit = responsible_units(dossier=dossier, steps=steps[dossier.pk], agencies=agencies)[0]
        groups.setdefault(unit.pk, (unit, []))[1].append(dossier)
    return [
        urge_send(actor=actor, unit=unit, dossiers=group, message=message)
        for unit, group in groups.values()
    ]


def alerts_mark_seen(*, actor: User) -> None:
    """Everything the actor's alerts page lists is no longer new to them: the navigation's
    badge counts from the newest delivery on (one upsert; the id, see AlertReadMark)."""
    newest = alert_newest_delivery(viewer=actor)
    AlertReadMark.objects.bulk_create(
        [AlertReadMark(user=actor, seen_through=newest)],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["seen_through"],
    )
