"""How processing ends, or is delayed: apology and new date, not eligible, withdrawal, resolve,
return, uncollected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from motcua.agencies.models import Role
from motcua.agencies.selectors import agency_of
from motcua.catalog.models import StepKind
from motcua.core.errors import Conflict, ValidationFailed
from motcua.documents.models import Document
from motcua.documents.services import document_store_signed_result, document_validate_upload
from motcua.documents.signing import sign_pdf
from motcua.dossiers.common import milestone
from motcua.dossiers.models import (
    Dossier,
    DossierNotice,
    DossierNoticeKind,
    DossierPause,
    DossierState,
    ResultChannel,
)
from motcua.dossiers.processing.core import (
    _acting_step,
    _consultations_answered_require,
    _desk_officer,
    _due,
    _event,
    _finish_and_hand_on,
    _finish_step,
    _local_text,
    _locked,
    _notice_create,
    _require_role,
    _require_state,
    _required_text,
    _state_set,
    _tell_applicant,
    _tell_new_appointment,
    dossier_calendar,
    last_processing_stage,
    open_steps,
)
from motcua.lib.identity import is_valid_citizen_id
from motcua.lib.workdays import (
    classify_finish,
    working_time_between,
)

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
        unit=agency_of(unit=dossier.competent_unit),
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
        unit=agency_of(unit=dossier.competent_unit),
        actor=actor,
        at=now,
        **notice,
    )
    calendar = dossier_calendar(dossier)
    for step in open_steps(dossier):
        _finish_step(step, actor=actor, at=now, calendar=calendar, note=note)
    DossierPause.objects.filter(dossier=dossier, ended_at__isnull=True).update(ended_at=now)
    _state_set(dossier, state)
    dossier.stopped_at = now
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
    _state_set(dossier, DossierState.WITHDRAWAL_REQUESTED)
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
    _state_set(dossier, dossier.state_before_withdrawal)
    dossier.state_before_withdrawal = ""
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
    _consultations_answered_require(
        dossier, _("Hồ sơ đang chờ ý kiến của cơ quan phối hợp; chưa ban hành kết quả được.")
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
        content_type, _extension = document_validate_upload(uploaded=document)
        if content_type != "application/pdf":
            raise ValidationFailed(
                _("Văn bản kết quả phải là tệp PDF để ký số."),
                code="result_not_pdf",
                extra={"field": "document"},
            )
        # The result is issued in the name of the agency whose leader signs it: the unit of
        # the workflow's signing step when it has one (the ward chairman signs the civil-status
        # extract the ward's justice office prepares and publishes), else the competent unit;
        # either one climbed from a department to its agency, as for the notices.
        signing_step = (
            step
            if step.kind == StepKind.SIGNING
            else dossier.steps.filter(kind=StepKind.SIGNING)
            .select_related("unit")
            .order_by("-started_at", "-pk")
            .first()
        )
        issuer = agency_of(unit=signing_step.unit if signing_step else dossier.competent_unit)
        # Signed before anything is written, so a refusal (broken PDF, missing certificate)
        # leaves no stored file and no changed row behind.
        signed = sign_pdf(document.read(), unit=issuer)
        stored = document_store_signed_result(
            content=signed,
            name=document.name or "",
            verified_by=actor,
            owner=dossier.applicant_user,
            owner_id_number=dossier.applicant_id_number,
        )
    now = timezone.now()
    calendar = dossier_calendar(dossier)
    _finish_and_hand_on(
        dossier,
        step,
        actor=actor,
        at=now,
        calendar=calendar,
        note=_("Chuyển kết quả về Bộ phận Một cửa"),
    )
    _state_set(dossier, DossierState.RESOLVED)
    dossier.resolved_at = now
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
    return_record(
        dossier,
        at=now,
        channel=channel,
        returned_by=actor,
        recipient=Recipient(name=name, id_number=id_number),
        tracking_number=tracking_number,
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


def return_record(
    dossier: Dossier,
    *,
    at: datetime,
    channel: str,
    returned_by: Any,
    recipient: Recipient,
    tracking_number: str = "",
) -> None:
    """The hand-over itself, at the desk or when the applicant downloads an online result: the
    return step closes, the dossier is returned, to whom and how is kept."""
    calendar = dossier_calendar(dossier)
    for step in open_steps(dossier):
        if step.kind == StepKind.RETURN:
            _finish_step(step, actor=returned_by, at=at, calendar=calendar)
    _state_set(dossier, DossierState.RETURNED)
    dossier.returned_at, dossier.returned_by = at, returned_by
    dossier.return_channel = channel
    dossier.recipient_name = recipient.name[:200]
    dossier.recipient_id_number = recipient.id_number[:20]
    dossier.postal_tracking_number = tracking_number.strip()[:40]
    dossier.milestones.append(milestone("dossier.returned", at))
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
    _state_set(dossier, DossierState.UNCOLLECTED)
    dossier.save(update_fields=["state"])
    _event(actor, role, "dossier.uncollected", dossier)
    return dossier
