"""What becomes of each planned dossier (`demo.activity`), played through the real services.

Each dossier's life is a generator that yields the instant of its next action and, resumed at
that instant (time frozen there), performs it. `play` runs every life in the order of those
instants, so the codes, notice numbers and the audit chain follow time as they would have; a
life whose next action would come after now simply stops there, leaving the dossier open.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Generator, Iterator
from datetime import datetime, timedelta
from typing import Any

import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from motcua.agencies.models import Membership, Role, Unit
from motcua.catalog.models import ProcedureVersion, StepKind
from motcua.catalog.selectors import procedure_current_version, procedure_get
from motcua.core.errors import DomainError
from motcua.core.testing import sample_pdf
from motcua.demo.activity import CENTER_DESK, CITIZENS, WARD_DESK, Fate, Handover, Story
from motcua.demo.arrivals import applicant, arrive
from motcua.dossiers.models import Dossier, DossierState
from motcua.dossiers.processing import (
    PaymentLine,
    Recipient,
    SupplementItem,
    apology_issue,
    consultation_reply,
    dossier_calendar,
    dossier_mark_uncollected,
    dossier_reject,
    dossier_resolve,
    dossier_return,
    last_processing_stage,
    open_steps,
    payment_notice_issue,
    payment_record,
    step_forward,
    supplement_decide,
    supplement_propose,
    supplement_receive,
    withdrawal_confirm,
    withdrawal_request,
)
from motcua.lib.workdays import WorkCalendar, add_working_time, working_time_between
from motcua.ratings.models import FollowUp
from motcua.ratings.selectors import center_leaders
from motcua.ratings.services import followup_close, followup_take, rating_submit

Life = Iterator[datetime]
PROCESSING = {StepKind.HANDLING, StepKind.SIGNING, StepKind.CONSULTATION, StepKind.FINANCIAL}
DAY = timedelta(hours=7, minutes=30)


class World:
    """The demo's people and procedures, looked up once."""

    def __init__(self, *, now: datetime) -> None:
        self.now = now
        self.pdf = sample_pdf()
        self.users = {u.username: u for u in get_user_model().objects.all()}
        self.memberships = [
            (m.user.username, m.role, m.unit.path)
            for m in Membership.objects.select_related("user", "unit").order_by("user__username")
        ]
        self._versions: dict[str, ProcedureVersion] = {}

    def person(self, username: str) -> Any:
        return self.users[username]

    def holder(self, role: str, unit: Unit) -> Any:
        """The first person with `role` in the unit, a unit above it or a department in it (the
        services' own test of who may act)."""
        for username, held, path in self.memberships:
            if held == role and (unit.path.startswith(path) or path.startswith(unit.path)):
                return self.users[username]
        raise LookupError(f"nobody holds {role} at {unit.code}")

    def version(self, code: str) -> ProcedureVersion:
        if code not in self._versions:
            procedure = procedure_get(national_code=code)
            self._versions[code] = procedure_current_version(procedure=procedure)
        return self._versions[code]

    def desk(self, version: ProcedureVersion) -> Any:
        return self.person(
            WARD_DESK if version.receiving_unit.code.startswith("000.12") else CENTER_DESK
        )

    def citizen(self, story: Story) -> Any:
        return self.person(CITIZENS[story.index % len(CITIZENS)])

    def upload(self, name: str) -> SimpleUploadedFile:
        return SimpleUploadedFile(name, self.pdf, content_type="application/pdf")


def after(calendar: WorkCalendar, start: datetime, amount: timedelta) -> datetime:
    return add_working_time(
        calendar=calendar, start=start, amount=max(amount, timedelta(minutes=5))
    )


def _fresh(dossier: Dossier) -> Dossier:
    return Dossier.objects.select_related("competent_unit", "procedure_version").get(pk=dossier.pk)


def life(world: World, story: Story) -> Life:
    """The dossier's whole story: arrival, processing, hand-over, rating."""
    dossier = yield from arrive(world, story)
    if dossier.state == DossierState.RESOLVED and dossier.received_at:  # on the spot
        yield from hand_over(world, story, dossier, dossier.received_at)
        return
    if story.fate == Fate.STALLED:
        return
    finished = yield from process(world, story, dossier)
    if finished is not None:
        yield from hand_over(world, story, _fresh(dossier), finished)


def _target(story: Story, calendar: WorkCalendar, received: datetime, due: datetime) -> datetime:
    """When the last step is planned to finish."""
    rng, budget = story.rng, working_time_between(calendar=calendar, start=received, end=due)
    if story.fate in (Fate.LATE, Fate.APOLOGY, Fate.SUPPLEMENT_TWICE):
        return after(calendar, due, DAY * rng.uniform(0.2, 2.5))
    if story.fate == Fate.ON_TIME:
        return due - min(timedelta(hours=rng.uniform(0.2, 3)), budget * 0.3)
    return after(calendar, received, budget * story.pace)


def process(
    world: World, story: Story, dossier: Dossier
) -> Generator[datetime, None, datetime | None]:
    """The workflow's steps by the right officers, with the story's pauses and ending; returns
    when the result was issued, or None when processing ended otherwise."""
    calendar, rng = dossier_calendar(dossier), story.rng
    assert dossier.received_at is not None and dossier.due_at is not None
    start = now = dossier.received_at
    target = _target(story, calendar, start, dossier.due_at)
    total = dossier.procedure_version.workflow_steps.filter(kind__in=PROCESSING).count()
    stop_after = total // 2 if story.fate in (Fate.WITHDRAWN, Fate.REFUSED) else total
    apology = story.fate == Fate.APOLOGY
    supplement = story.fate in (Fate.SUPPLEMENT, Fate.SUPPLEMENT_TWICE)
    for done in range(total + 1):
        dossier = _fresh(dossier)
        # A consulted agency answers before the stage's own step can move on.
        steps = sorted(
            (s for s in open_steps(dossier) if s.kind in PROCESSING),
            key=lambda s: s.kind != StepKind.CONSULTATION,
        )
        if dossier.state != DossierState.IN_PROCESSING or not steps:
            return None
        left = working_time_between(calendar=calendar, start=now, end=target)
        share = left / max(total - done, 1)
        moment = after(calendar, now, share * (rng.uniform(0.6, 1.0) if done < total - 1 else 1))
        if apology:
            apology = not (yield from _apologise(world, dossier, calendar, now, moment))
        if supplement and steps[0].kind == StepKind.HANDLING:
            supplement = False
            asked = after(calendar, now, share * 0.3)
            back = yield from _supplement(world, story, dossier, steps[0], asked)
            target = after(
                calendar, target, working_time_between(calendar=calendar, start=asked, end=back)
            )
            now = back
            moment = after(calendar, now, share * 0.7)
        if done == stop_after:
            yield moment
            _stop(world, story, dossier)
            return None
        yield moment
        moved_on = yield from _act(world, story, dossier, steps[0], calendar)
        if moved_on is None:
            return moment
        now, target = moved_on, max(target, moved_on)
    return None


def _act(
    world: World, story: Story, dossier: Dossier, step: Any, calendar: WorkCalendar
) -> Generator[datetime, None, datetime | None]:
    """The step's officer finishes it; returns when the dossier can move on (None: resolved)."""
    actor, code, now = world.holder(step.role, step.unit), dossier.code, _now()
    if step.kind == StepKind.CONSULTATION:
        consultation_reply(actor=actor, code=code, opinion="Thống nhất, không có tranh chấp.")
    elif step.kind == StepKind.FINANCIAL:
        amount = story.rng.randrange(20, 400) * 100_000
        lines = [PaymentLine(kind="tax", name="Thuế thu nhập cá nhân", amount=amount)]
        payment_notice_issue(actor=actor, code=code, lines=lines)
        paid = after(calendar, now, DAY * story.rng.uniform(0.3, 4))
        yield paid
        payment_record(
            actor=world.desk(dossier.procedure_version),
            code=code,
            receipt_number=f"BL-{story.index:05d}",
        )
        return paid
    elif step.stage == last_processing_stage(dossier):
        document = (
            world.upload("ket-qua.pdf") if dossier.procedure_version.result_is_document else None
        )
        dossier_resolve(
            actor=actor,
            code=code,
            result_number=f"{story.index}/KQ",
            document=document,
            step_id=step.pk,
        )
        return None
    else:
        step_forward(actor=actor, code=code, step_id=step.pk)
    return now


def _now() -> datetime:
    return timezone.now()


def _apologise(
    world: World, dossier: Dossier, calendar: WorkCalendar, now: datetime, before: datetime
) -> Generator[datetime, None, bool]:
    """The agency head apologises two (calendar) days before the due date, when that comes
    before the next step, with a new appointment three working days later; says if done."""
    assert dossier.due_at is not None
    moment = dossier.due_at - DAY * 2
    if not now < moment < before:
        return False
    yield moment
    apology_issue(
        actor=world.holder(Role.SIGNING_AUTHORITY, dossier.competent_unit),
        code=dossier.code,
        reason="Cần xác minh thêm thông tin với cơ quan liên quan",
        new_due_at=after(calendar, dossier.due_at, DAY * 3),
    )
    return True


def _supplement(
    world: World, story: Story, dossier: Dossier, step: Any, asked: datetime
) -> Generator[datetime, None, datetime]:
    """The handling officer asks for a supplement, the head approves it, the applicant brings
    it to the desk some days later; returns when."""
    yield asked
    items = [SupplementItem(name="Bản sao giấy tờ tùy thân", reason="Bản sao mờ, không đọc được")]
    supplement_propose(actor=world.holder(step.role, step.unit), code=dossier.code, items=items)
    supplement_decide(
        actor=world.holder(Role.DEPARTMENT_HEAD, step.unit), code=dossier.code, approve=True
    )
    back = after(dossier_calendar(dossier), asked, DAY * story.rng.uniform(1, 6))
    yield back
    supplement_receive(actor=world.desk(dossier.procedure_version), code=dossier.code)
    if story.fate == Fate.SUPPLEMENT_TWICE:
        # Imported from the previous system with two supplement requests: our services allow
        # one per dossier (supplement_once), so the count is written as an import would.
        Dossier.objects.filter(pk=dossier.pk).update(supplement_count=2)
    return back


def _stop(world: World, story: Story, dossier: Dossier) -> None:
    unit = dossier.competent_unit
    if story.fate == Fate.WITHDRAWN:
        desk = world.desk(dossier.procedure_version)
        withdrawal_request(actor=desk, code=dossier.code, reason="Không còn nhu cầu")
        withdrawal_confirm(actor=world.holder(Role.HANDLING_OFFICER, unit), code=dossier.code)
        return
    dossier_reject(
        actor=world.holder(Role.SIGNING_AUTHORITY, unit),
        code=dossier.code,
        reason="Hồ sơ không đủ điều kiện theo quy định",
        legal_basis="Quy định tại thủ tục hành chính đã công bố",
    )


def hand_over(world: World, story: Story, dossier: Dossier, resolved: datetime) -> Life:
    """The result handed over (or not collected), then perhaps rated."""
    calendar, rng, desk = (
        dossier_calendar(dossier),
        story.rng,
        world.desk(dossier.procedure_version),
    )
    how = story.handover
    if how == Handover.UNCOLLECTED:
        appointment = max(dossier.appointment_at or resolved, resolved)
        yield after(calendar, appointment, DAY * rng.uniform(1, 3))
        dossier_mark_uncollected(actor=desk, code=dossier.code)
        if rng.random() < 0.5:
            return
        how = Handover.DESK
    if how == Handover.ONLINE and dossier.result_document_id is None:
        how = Handover.DESK
    returned = after(calendar, resolved, DAY * rng.uniform(0.05, 3))
    yield returned
    person = applicant(dossier)
    dossier_return(
        actor=desk,
        code=dossier.code,
        channel=how,
        recipient=Recipient(name=person.name, id_number=person.id_number),
        tracking_number=f"EB{story.index:07d}VN" if how == Handover.POST else "",
    )
    if story.rating:
        yield from _rate(world, story, dossier, calendar, returned)


def _rate(
    world: World, story: Story, dossier: Dossier, calendar: WorkCalendar, returned: datetime
) -> Life:
    yield returned + timedelta(minutes=story.rng.randrange(5, 600))
    rating_submit(dossier=_fresh(dossier), overall=story.rating, criteria={}, channel="receipt_qr")
    if story.rating != "dissatisfied":
        return
    leader = center_leaders(unit=dossier.receiving_unit)[0]
    followup = FollowUp.objects.get(rating__dossier=dossier)
    taken = after(calendar, returned, DAY * story.rng.uniform(0.5, 2))
    yield taken
    followup_take(actor=leader, followup_id=followup.pk, notes="Liên hệ người dân để tìm hiểu.")
    yield after(calendar, taken, DAY * story.rng.uniform(1, 3))
    followup_close(
        actor=leader,
        followup_id=followup.pk,
        resolution="Đã gọi điện giải thích, nhắc nhở bộ phận liên quan rút kinh nghiệm.",
    )


def play(world: World, plan: list[Story]) -> Counter[str]:
    """Every life, action by action in time order, up to now; counts the refused actions."""
    queue: list[tuple[datetime, int, Life]] = []
    for story in plan:
        lived = life(world, story)
        heapq.heappush(queue, (next(lived), story.index, lived))
    refused: Counter[str] = Counter()
    while queue:
        moment, index, lived = heapq.heappop(queue)
        if moment > world.now:
            continue
        try:
            with time_machine.travel(moment, tick=False):
                following = next(lived, None)
        except DomainError as error:
            refused[getattr(error, "code", type(error).__name__)] += 1
            continue
        if following is not None:
            heapq.heappush(queue, (max(following, moment), index, lived))
    return refused
