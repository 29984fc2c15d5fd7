"""What stops the clock: a supplement request (once, approved by the department head) and the
financial obligation (the tax office's payment notice, paid at the desk)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from motcua.agencies.models import Role
from motcua.agencies.selectors import agency_of
from motcua.catalog.models import FeeCollector, StepKind
from motcua.core.errors import Conflict, ValidationFailed
from motcua.documents.models import Document, Provenance
from motcua.documents.services import document_store, document_validate_upload
from motcua.dossiers.common import milestone
from motcua.dossiers.models import (
    Dossier,
    DossierNoticeKind,
    DossierPause,
    DossierState,
    DossierStep,
    NumberSeries,
    PauseReason,
    PaymentNotice,
    SupplementRequest,
    SupplementStatus,
)
from motcua.dossiers.processing.core import (
    _acting_step,
    _desk_officer,
    _end_pause,
    _event,
    _finish_and_hand_on,
    _locked,
    _notice_create,
    _notice_number,
    _recompute_due,
    _require_role,
    _require_state,
    _required_text,
    _state_set,
    _tell_applicant,
    _tell_new_appointment,
    dossier_calendar,
)

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
        unit=agency_of(unit=unit),
        actor=request.proposed_by,
        at=now,
        items=request.items,
        legal_basis=request.legal_basis,
        signed_by=actor,
    )
    request.status = SupplementStatus.ISSUED
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "notice"])
    DossierPause.objects.create(dossier=dossier, reason=PauseReason.SUPPLEMENT, started_at=now)
    _state_set(dossier, DossierState.SUPPLEMENT_REQUESTED)
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


def _clock_resume(dossier: Dossier, reason: str, *, at: datetime, kind: str, why: str) -> None:
    """The applicant did their part: the clock runs again, the due dates move by the pause,
    and the applicant is told the new appointment (`kind` is the public milestone)."""
    _end_pause(dossier, reason, at)
    _state_set(dossier, DossierState.IN_PROCESSING)
    _recompute_due(dossier, dossier_calendar(dossier))
    dossier.milestones.append(milestone(kind, at))
    dossier.save(update_fields=["state", "due_at", "milestones"])
    _tell_new_appointment(dossier, topic=kind, why=why)


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
    stored = [
        document_store(uploaded=s, provenance=Provenance.SCANNED_AT_COUNTER, verified_by=actor)
        for s in scans
    ]
    supplement_received_record(
        dossier, actor=actor, role=role, documents=stored, note=note, channel="desk"
    )
    return dossier


def supplement_received_record(
    dossier: Dossier,
    *,
    actor: Any,
    role: str,
    documents: Sequence[Document],
    note: str,
    channel: str,
) -> None:
    """The supplement is in (brought to the desk or sent online): the request is closed, the
    clock runs again and the applicant is told the new appointment."""
    now = timezone.now()
    dossier.supplements.filter(status=SupplementStatus.ISSUED).update(
        status=SupplementStatus.RECEIVED, received_at=now, received_by=actor
    )
    with translation.override("vi"):
        why = _("đã nhận đủ hồ sơ bổ sung.")
    _clock_resume(
        dossier, PauseReason.SUPPLEMENT, at=now, kind="dossier.supplement_received", why=why
    )
    _event(
        actor,
        role,
        "dossier.supplement_received",
        dossier,
        due_at=dossier.due_at,
        documents=[d.sha256 for d in documents],
        note=note.strip()[:1000],
        channel=channel,
    )


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
    agency = agency_of(unit=step.unit)
    payment = PaymentNotice.objects.create(
        dossier=dossier,
        number=_notice_number(agency, "TB", now, NumberSeries.PAYMENT),
        issuing_unit=agency,
        lines=cleaned,
        total=sum(line["amount"] for line in cleaned),
        issued_at=now,
        issued_by=actor,
    )
    timeliness, _started = _finish_and_hand_on(
        dossier,
        step,
        actor=actor,
        at=now,
        calendar=calendar,
        note=_("Đã ra thông báo nộp tiền %(n)s") % {"n": payment.number},
    )
    if dossier.procedure_version.pause_for_financial_obligation:
        DossierPause.objects.create(
            dossier=dossier, reason=PauseReason.FINANCIAL_OBLIGATION, started_at=now
        )
    _state_set(dossier, DossierState.AWAITING_PAYMENT)
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
    _payment_settle(
        dossier,
        payment,
        at=timezone.now(),
        receipt_number=receipt_number,
        method=method,
        actor=actor,
        role=role,
    )
    return payment


def _payment_settle(
    dossier: Dossier,
    payment: PaymentNotice,
    *,
    at: datetime,
    receipt_number: str,
    method: str,
    actor: Any,
    role: str,
) -> None:
    """The notice is paid (at the desk, or online with no officer): the clock runs again from
    the proof of payment and the applicant is told the new appointment."""
    payment.paid_at, payment.receipt_number = at, receipt_number[:60]
    payment.payment_method, payment.recorded_by = method, actor
    payment.save(update_fields=["paid_at", "receipt_number", "payment_method", "recorded_by"])
    with translation.override("vi"):
        why = _("đã hoàn thành nghĩa vụ tài chính.")
    _clock_resume(
        dossier, PauseReason.FINANCIAL_OBLIGATION, at=at, kind="dossier.payment_received", why=why
    )
    _event(
        actor,
        role,
        "dossier.payment_received",
        dossier,
        receipt=receipt_number,
        total=payment.total,
        due_at=dossier.due_at,
        method=method,
    )


@transaction.atomic
def payment_record_online(*, code: str, receipt_number: str, paid_at: datetime) -> PaymentNotice:
    """The payment gateway's signed notification settled the notice: as payment_record does at
    the desk, but with no officer (the system records it); the clock runs again from the time
    the gateway took the money."""
    dossier = _locked(code)
    _require_state(dossier, [DossierState.AWAITING_PAYMENT], _("ghi nhận nộp tiền"))
    receipt_number = _required_text(
        receipt_number, "receipt_number", _("Cần nhập số biên lai hoặc chứng từ nộp tiền.")
    )
    payment = PaymentNotice.objects.select_for_update().get(dossier=dossier)
    if payment.paid_at is not None:
        raise Conflict(_("Thông báo nộp tiền đã được nộp."), code="payment_notice_paid")
    # The gateway's clock, kept within the pause: never before the notice, never in the future.
    at = min(max(paid_at, payment.issued_at), timezone.now())
    _payment_settle(
        dossier,
        payment,
        at=at,
        receipt_number=receipt_number,
        method="online",
        actor=None,
        role="system",
    )
    return payment
