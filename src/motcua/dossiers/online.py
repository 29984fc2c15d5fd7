"""Online dossiers (level 3 and 4 public services): the citizen's draft and submission, the desk's
decision on it (accept, ask for completion — form 02 —, refuse — form 03), and what the citizen
does afterwards from their account: complete, supplement, withdraw, collect the signed result.

A submitted dossier has its code at once (the applicant needs it), but its clock starts only
when a reception officer accepts it, exactly as at the counter: received_at is the acceptance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from motcua.agencies.models import Role
from motcua.catalog.models import OnlineMode, ProcedureVersion, StepKind
from motcua.core.errors import Conflict, NotFound, ValidationFailed
from motcua.documents.models import Document, Provenance
from motcua.documents.selectors import citizen_documents
from motcua.documents.services import document_store, document_validate_upload
from motcua.dossiers.citizen import citizen_dossier_get
from motcua.dossiers.common import milestone
from motcua.dossiers.models import (
    ApplicantKind,
    Dossier,
    DossierComponent,
    DossierDraft,
    DossierState,
    IdempotencyRecord,
    NoticeKind,
    ReceptionNotice,
    ResultChannel,
)
from motcua.dossiers.processing.core import (
    _event,
    _finish_step,
    _locked,
    _require_role,
    _require_state,
    _state_set,
    _tell_applicant,
    dossier_calendar,
    open_steps,
    reception_calendar,
)
from motcua.dossiers.processing.pauses import supplement_received_record
from motcua.dossiers.services import (
    ApplicantData,
    GuidanceItem,
    applicant_clean,
    dossier_acceptance_record,
    dossier_due_at,
    guidance_items_clean,
    reception_notice_create,
    refusal_check,
    take_dossier_code,
)
from motcua.lib import jsonform
from motcua.lib.codes import new_lookup_secret
from motcua.lib.text import fold

APPLICANT_ROLE = "applicant"
_NOT_YET_ACCEPTED = (DossierState.SUBMITTED_ONLINE, DossierState.COMPLETION_REQUESTED)
# Applicant fields kept in a draft, with their length limits (the models' limits).
_APPLICANT_LIMITS = {"name": 200, "id_number": 20, "address": 300, "phone": 20, "email": 254}


# ---------------------------------------------------------------------------------------------
# The draft: saved as the citizen goes


def online_versions_check(version: ProcedureVersion) -> None:
    if version.online_mode == OnlineMode.NONE:
        raise ValidationFailed(
            _("Thủ tục này chưa cung cấp dịch vụ công trực tuyến; mời nộp tại Trung tâm."),
            code="not_online",
        )


def draft_start(*, user: Any, version: ProcedureVersion) -> DossierDraft:
    """A new draft for the procedure's version in force, prefilled from the citizen's account."""
    _require_citizen(user)
    online_versions_check(version)
    return DossierDraft.objects.create(
        user=user,
        procedure_version=version,
        applicant={
            "kind": ApplicantKind.PERSON,
            "name": user.full_name,
            "id_number": user.id_number,
            "phone": user.phone,
            "email": user.email,
            "address": "",
        },
        result_channel=(
            ResultChannel.ONLINE if version.online_mode == OnlineMode.FULL else ResultChannel.DESK
        ),
    )


def draft_get(*, user: Any, draft_id: int) -> DossierDraft:
    """One of the citizen's drafts; anybody else's is reported as not found."""
    draft = (
        DossierDraft.objects.select_related("procedure_version__procedure")
        .filter(pk=draft_id, user=user)
        .first()
    )
    if draft is None:
        raise NotFound(_("Không tìm thấy hồ sơ nháp."))
    return draft


def drafts_of(*, user: Any) -> QuerySet[DossierDraft]:
    return DossierDraft.objects.filter(user=user).select_related("procedure_version")


def draft_save(
    *,
    draft: DossierDraft,
    applicant: Mapping[str, str],
    form_data: Mapping[str, Any],
    result_channel: str,
) -> DossierDraft:
    """Keep what was typed, valid or not (it is checked at submission), within sane sizes."""
    draft.applicant = {
        key: str(applicant.get(key, ""))[:limit] for key, limit in _APPLICANT_LIMITS.items()
    } | {"kind": _choice(applicant.get("kind"), ApplicantKind.values, ApplicantKind.PERSON)}
    fields = {f.name for f in jsonform.form_fields(draft.procedure_version.form_schema)}
    draft.form_data = {
        name: value if isinstance(value, bool) else str(value)[:2000]
        for name, value in form_data.items()
        if name in fields
    }
    draft.result_channel = _choice(
        result_channel, result_channels_for(draft.procedure_version), draft.result_channel
    )
    draft.save(update_fields=["applicant", "form_data", "result_channel", "updated_at"])
    return draft


def _choice(value: Any, allowed: Sequence[str], default: str) -> str:
    return value if value in allowed else default


def result_channels_for(version: ProcedureVersion) -> list[str]:
    """Results come online only with a full-online (level 4) service."""
    channels = [ResultChannel.DESK.value, ResultChannel.POST.value]
    if version.online_mode == OnlineMode.FULL:
        channels.append(ResultChannel.ONLINE.value)
    return channels


def _requirement(draft: DossierDraft, requirement_id: int) -> Any:
    requirement = draft.procedure_version.components.filter(pk=requirement_id).first()
    if requirement is None:
        raise ValidationFailed(
            _("Thành phần hồ sơ này không thuộc thủ tục."), extra={"field": "components"}
        )
    return requirement


@transaction.atomic
def draft_attach(*, draft: DossierDraft, requirement_id: int, uploaded: UploadedFile) -> Document:
    """An upload for one component: checked by its content, stored, owned by the citizen."""
    _requirement(draft, requirement_id)
    document = document_store(uploaded=uploaded, provenance=Provenance.UPLOADED_BY_APPLICANT)
    _own(document, draft.user)
    draft.attachments = draft.attachments | {
        str(requirement_id): {"document": document.pk, "reused": False}
    }
    draft.save(update_fields=["attachments", "updated_at"])
    return document


def _own(document: Document, user: Any) -> None:
    document.owner = user
    # Under the ID number only when an identity provider vouched for it.
    document.owner_id_number = user.id_number if user.id_number_verified else ""
    document.save(update_fields=["owner", "owner_id_number"])


def draft_reuse(*, draft: DossierDraft, requirement_id: int, document_id: int) -> Document:
    """A verified document from the citizen's store, attached without uploading it again."""
    _requirement(draft, requirement_id)
    document = citizen_documents(user=draft.user).filter(pk=document_id).first()
    if document is None:
        raise NotFound(_("Không tìm thấy giấy tờ trong kho của bạn."))
    draft.attachments = draft.attachments | {
        str(requirement_id): {"document": document.pk, "reused": True}
    }
    draft.save(update_fields=["attachments", "updated_at"])
    return document


def draft_detach(*, draft: DossierDraft, requirement_id: int) -> None:
    draft.attachments = {k: v for k, v in draft.attachments.items() if k != str(requirement_id)}
    draft.save(update_fields=["attachments", "updated_at"])


def draft_delete(*, draft: DossierDraft) -> None:
    draft.delete()


# ---------------------------------------------------------------------------------------------
# Submission


@dataclass(frozen=True)
class Submission:
    dossier: Dossier
    # The appointment the dossier would get if accepted now: what the citizen can expect.
    expected_due_at: datetime | None
    replayed: bool = False


def draft_problems(draft: DossierDraft) -> dict[str, str]:
    """Everything that stops the submission, by field: shown next to each field at once."""
    version = draft.procedure_version
    problems: dict[str, str] = {}
    try:
        _draft_applicant(draft)
    except ValidationFailed as error:
        # applicant_clean names the fields as the models do: "applicant_name", …
        problems[error.extra.get("field", "applicant_name")] = str(error.message)
    _data, form_errors = jsonform.form_clean(version.form_schema, _as_raw(draft.form_data))
    problems |= {f"form_{name}": message for name, message in form_errors.items()}
    attached = set(draft.attachments)
    for requirement in version.components.all():
        if requirement.is_mandatory and str(requirement.pk) not in attached:
            problems[f"component_{requirement.pk}"] = _("Cần đính kèm giấy tờ này.")
    return problems


def _as_raw(data: Mapping[str, Any]) -> dict[str, str]:
    # Drafts keep what the form posted; booleans come from checkboxes.
    return {k: ("on" if v is True else "" if v is False else str(v)) for k, v in data.items()}


def _draft_applicant(draft: DossierDraft) -> ApplicantData:
    data = draft.applicant
    applicant = applicant_clean(
        ApplicantData(
            kind=data.get("kind", ApplicantKind.PERSON),
            name=data.get("name", ""),
            id_number=data.get("id_number", ""),
            address=data.get("address", ""),
            phone=data.get("phone", ""),
            email=data.get("email", ""),
        )
    )
    if not applicant.phone and not applicant.email:
        raise ValidationFailed(
            _("Cần số điện thoại hoặc thư điện tử để nhận thông báo về hồ sơ."),
            extra={"field": "applicant_phone"},
        )
    return applicant


def draft_submit(*, draft: DossierDraft) -> Submission:
    """The draft becomes a dossier with its code, waiting at the desk (national status 1).

    Idempotent: a second submit of the same draft (double click, retried request) answers with
    the dossier of the first.
    """
    key = f"draft:{draft.pk}"
    replay = IdempotencyRecord.objects.filter(user=draft.user, key=key).first()
    if replay is not None:
        return _submission(replay.dossier, replayed=True)
    problems = draft_problems(draft)
    if problems:
        raise ValidationFailed(
            _("Hồ sơ chưa thể nộp: còn %(n)s nội dung cần bổ sung.") % {"n": len(problems)},
            code="draft_incomplete",
            extra={"fields": problems},
        )
    try:
        dossier = _dossier_submit(draft, key)
    except IntegrityError:
        replay = IdempotencyRecord.objects.filter(user=draft.user, key=key).first()
        if replay is None:
            raise
        return _submission(replay.dossier, replayed=True)
    return _submission(dossier)


def _submission(dossier: Dossier, *, replayed: bool = False) -> Submission:
    return Submission(dossier=dossier, expected_due_at=expected_due_at(dossier), replayed=replayed)


def expected_due_at(dossier: Dossier) -> datetime | None:
    """The appointment if the desk accepted the dossier now (shown until it is accepted)."""
    if dossier.due_at is not None:
        return dossier.due_at
    now = timezone.now()
    version = dossier.procedure_version
    calendar = reception_calendar(unit=version.competent_unit, received_at=now)
    return dossier_due_at(version=version, received_at=now, calendar=calendar)


@transaction.atomic
def _dossier_submit(draft: DossierDraft, key: str) -> Dossier:
    version = draft.procedure_version
    applicant = _draft_applicant(draft)
    form_data, _errors = jsonform.form_clean(version.form_schema, _as_raw(draft.form_data))
    now = timezone.now()
    code = take_dossier_code(unit=version.receiving_unit, received_at=now)
    dossier = Dossier.objects.create(
        code=code,
        lookup_secret=new_lookup_secret(),
        procedure_version=version,
        receiving_unit=version.receiving_unit,
        competent_unit=version.competent_unit,
        channel="online",
        result_channel=draft.result_channel,
        state=DossierState.SUBMITTED_ONLINE,
        received_at=None,
        submitted_at=now,
        applicant_user=draft.user,
        form_data=form_data,
        milestones=[milestone("dossier.submitted", now)],
        search_text=fold(f"{code} {applicant.name}"),
        **applicant.as_fields(),
    )
    requirements = {c.pk: c for c in version.components.all()}
    attached = {int(k): v for k, v in draft.attachments.items() if int(k) in requirements}
    documents = Document.objects.in_bulk([v["document"] for v in attached.values()])
    DossierComponent.objects.bulk_create(
        DossierComponent(
            dossier=dossier,
            requirement=requirement,
            position=requirement.position,
            name=requirement.name,
            form=requirement.form,
            quantity=requirement.quantity,
            document=documents.get(attached[pk]["document"]) if pk in attached else None,
            reused=bool(attached.get(pk, {}).get("reused")),
        )
        for pk, requirement in requirements.items()
        if pk in attached
    )
    IdempotencyRecord.objects.create(key=key, user=draft.user, fingerprint="", dossier=dossier)
    # Not draft.delete(): that clears draft.pk, and a retry of this submit needs it for the key.
    DossierDraft.objects.filter(pk=draft.pk).delete()
    with translation.override("vi"):
        body = _(
            "Hồ sơ %(code)s đã được nộp trực tuyến và đang chờ Bộ phận Một cửa kiểm tra, "
            "tiếp nhận. Thời hạn giải quyết tính từ khi hồ sơ được tiếp nhận."
        ) % {"code": code}
        subject = _("Đã nộp hồ sơ %(code)s") % {"code": code}
    _tell_applicant(dossier, topic="dossier.submitted", subject=subject, body=body)
    _event(
        draft.user,
        APPLICANT_ROLE,
        "dossier.submitted",
        dossier,
        procedure=version.procedure.national_code,
        version=version.number,
        components=sorted(attached),
        reused=sorted(pk for pk, v in attached.items() if v.get("reused")),
    )
    return dossier


def _require_citizen(user: Any) -> None:
    if not getattr(user, "is_authenticated", False) or not user.is_citizen:
        raise ValidationFailed(_("Cần đăng nhập bằng tài khoản công dân."), code="not_citizen")


# ---------------------------------------------------------------------------------------------
# The desk's decision on an online dossier


def _reception_officer(actor: Any, dossier: Dossier, what: str) -> str:
    return _require_role(actor, dossier.receiving_unit, [Role.RECEPTION_OFFICER], what)


@transaction.atomic
def online_accept(*, actor: Any, code: str) -> Dossier:
    """The desk checked the online dossier and accepts it: the clock starts now."""
    dossier = _locked(code)
    role = _reception_officer(actor, dossier, _("tiếp nhận hồ sơ trực tuyến"))
    _require_state(dossier, [DossierState.SUBMITTED_ONLINE], _("tiếp nhận hồ sơ trực tuyến"))
    version = dossier.procedure_version
    now = timezone.now()
    calendar = reception_calendar(unit=version.competent_unit, received_at=now)
    due_at = dossier_due_at(version=version, received_at=now, calendar=calendar)
    on_the_spot = version.is_on_the_spot
    dossier.state = DossierState.RESOLVED if on_the_spot else DossierState.RECEIVED
    dossier.received_at, dossier.received_by = now, actor
    dossier.original_due_at = dossier.due_at = due_at
    dossier.resolved_at = now if on_the_spot else None
    dossier.milestones.append(milestone("dossier.received", now))
    if on_the_spot:
        dossier.milestones.append(milestone("dossier.resolved", now))
    dossier.save(
        update_fields=[
            "state",
            "received_at",
            "received_by",
            "original_due_at",
            "due_at",
            "resolved_at",
            "milestones",
        ]
    )
    dossier_acceptance_record(
        dossier=dossier,
        actor=actor,
        role=role,
        calendar=calendar,
        components=[c.requirement_id for c in dossier.components.all() if c.requirement_id],
    )
    return dossier


def _applicant_of(dossier: Dossier) -> ApplicantData:
    return ApplicantData(
        kind=dossier.applicant_kind,
        name=dossier.applicant_name,
        id_number=dossier.applicant_id_number,
        address=dossier.applicant_address,
        phone=dossier.applicant_phone,
        email=dossier.applicant_email,
    )


@transaction.atomic
def online_completion_request(
    *, actor: Any, code: str, items: Sequence[GuidanceItem], legal_basis: str = ""
) -> ReceptionNotice:
    """Form 02, electronically: everything to complete, in one notice; not yet accepted."""
    dossier = _locked(code)
    role = _reception_officer(actor, dossier, _("yêu cầu hoàn thiện hồ sơ"))
    _require_state(dossier, [DossierState.SUBMITTED_ONLINE], _("yêu cầu hoàn thiện hồ sơ"))
    notice = reception_notice_create(
        actor=actor,
        role=role,
        version=dossier.procedure_version,
        applicant=_applicant_of(dossier),
        kind=NoticeKind.GUIDANCE,
        items=guidance_items_clean(items),
        reason="",
        legal_basis=legal_basis.strip(),
        dossier=dossier,
    )
    dossier.state = DossierState.COMPLETION_REQUESTED
    dossier.milestones.append(milestone("dossier.completion_requested", notice.issued_at))
    dossier.save(update_fields=["state", "milestones"])
    with translation.override("vi"):
        wanted = "; ".join(f"{i['name']} ({i['reason']})" for i in notice.items)
        body = _("Hồ sơ %(code)s cần hoàn thiện trước khi được tiếp nhận: %(items)s.") % {
            "code": dossier.code,
            "items": wanted,
        }
        subject = _("Hồ sơ %(code)s cần hoàn thiện") % {"code": dossier.code}
    _tell_applicant(dossier, topic="dossier.completion_requested", subject=subject, body=body)
    return notice


@transaction.atomic
def online_refuse(*, actor: Any, code: str, reason: str, legal_basis: str) -> ReceptionNotice:
    """Form 03, electronically: the online dossier is refused, with reason and legal basis."""
    dossier = _locked(code)
    role = _reception_officer(actor, dossier, _("từ chối tiếp nhận hồ sơ"))
    _require_state(dossier, _NOT_YET_ACCEPTED, _("từ chối tiếp nhận hồ sơ"))
    refusal_check(reason=reason, legal_basis=legal_basis)
    notice = reception_notice_create(
        actor=actor,
        role=role,
        version=dossier.procedure_version,
        applicant=_applicant_of(dossier),
        kind=NoticeKind.REFUSAL,
        items=[],
        reason=reason.strip(),
        legal_basis=legal_basis.strip(),
        dossier=dossier,
    )
    dossier.state = DossierState.REJECTED
    dossier.stopped_at = notice.issued_at
    dossier.milestones.append(milestone("dossier.rejected", notice.issued_at))
    dossier.save(update_fields=["state", "stopped_at", "milestones"])
    with translation.override("vi"):
        body = _("Hồ sơ %(code)s không được tiếp nhận. Lý do: %(reason)s") % {
            "code": dossier.code,
            "reason": notice.reason,
        }
        subject = _("Hồ sơ %(code)s không được tiếp nhận") % {"code": dossier.code}
    _tell_applicant(dossier, topic="dossier.rejected", subject=subject, body=body)
    return notice


# ---------------------------------------------------------------------------------------------
# What the citizen does afterwards


def _citizen_locked(user: Any, code: str) -> Dossier:
    citizen_dossier_get(user=user, code=code)  # not theirs: not found, before any lock
    return _locked(code)


def _add_documents(
    dossier: Dossier, user: Any, uploads: Sequence[tuple[int | None, UploadedFile]]
) -> list[Document]:
    """Store the citizen's uploads on the dossier: a component's new file replaces the old one;
    anything else is added as a further component."""
    if not uploads:
        raise ValidationFailed(_("Cần đính kèm ít nhất một tệp."), extra={"field": "files"})
    for _requirement_id, uploaded in uploads:
        document_validate_upload(uploaded=uploaded)
    components = {c.requirement_id: c for c in dossier.components.all() if c.requirement_id}
    requirements = {c.pk: c for c in dossier.procedure_version.components.all()}
    position = (dossier.components.aggregate(top=Max("position"))["top"] or 0) + 1
    stored = []
    for requirement_id, uploaded in uploads:
        document = document_store(uploaded=uploaded, provenance=Provenance.UPLOADED_BY_APPLICANT)
        _own(document, user)
        stored.append(document)
        if requirement_id in components:
            component = components[requirement_id]
            component.document, component.reused = document, False
            component.save(update_fields=["document", "reused"])
        elif requirement_id in requirements:
            requirement = requirements[requirement_id]
            components[requirement_id] = DossierComponent.objects.create(
                dossier=dossier,
                requirement=requirement,
                position=requirement.position,
                name=requirement.name,
                form=requirement.form,
                quantity=requirement.quantity,
                document=document,
            )
        else:
            DossierComponent.objects.create(
                dossier=dossier,
                position=100 + position,
                name=_("Tài liệu bổ sung: %(name)s") % {"name": document.original_name},
                form="copy",
                document=document,
            )
            position += 1
    return stored


@transaction.atomic
def online_resubmit(
    *, user: Any, code: str, uploads: Sequence[tuple[int | None, UploadedFile]], note: str = ""
) -> Dossier:
    """The citizen completed what form 02 asked: the dossier goes back to the desk's queue."""
    dossier = _citizen_locked(user, code)
    _require_state(dossier, [DossierState.COMPLETION_REQUESTED], _("gửi lại hồ sơ"))
    stored = _add_documents(dossier, user, uploads)
    now = timezone.now()
    dossier.state = DossierState.SUBMITTED_ONLINE
    dossier.submitted_at = now
    dossier.milestones.append(milestone("dossier.submitted", now))
    dossier.save(update_fields=["state", "submitted_at", "milestones"])
    _event(
        user,
        APPLICANT_ROLE,
        "dossier.resubmitted",
        dossier,
        documents=[d.sha256 for d in stored],
        note=note.strip()[:1000],
    )
    return dossier


@transaction.atomic
def online_supplement(
    *, user: Any, code: str, uploads: Sequence[tuple[int | None, UploadedFile]], note: str = ""
) -> Dossier:
    """The citizen sends the supplement asked for (form 02 during processing) from their
    account: the clock runs again at once, as when it is brought to the desk."""
    dossier = _citizen_locked(user, code)
    _require_state(dossier, [DossierState.SUPPLEMENT_REQUESTED], _("gửi hồ sơ bổ sung"))
    stored = _add_documents(dossier, user, uploads)
    supplement_received_record(
        dossier, actor=user, role=APPLICANT_ROLE, documents=stored, note=note, channel="online"
    )
    return dossier


_WITHDRAWABLE = {
    DossierState.RECEIVED,
    DossierState.IN_PROCESSING,
    DossierState.SUPPLEMENT_REQUESTED,
    DossierState.AWAITING_PAYMENT,
}


@transaction.atomic
def online_withdraw(*, user: Any, code: str, reason: str) -> Dossier:
    """The citizen withdraws: before acceptance at once; afterwards the agency confirms it
    (form 05), as with a written request at the desk."""
    dossier = _citizen_locked(user, code)
    _require_state(dossier, [*_NOT_YET_ACCEPTED, *_WITHDRAWABLE], _("rút hồ sơ"))
    reason = " ".join(reason.split())[:1000]
    if not reason:
        raise ValidationFailed(_("Cần ghi lý do rút hồ sơ."), extra={"field": "reason"})
    now = timezone.now()
    dossier.withdrawal_reason = reason
    if dossier.state in _NOT_YET_ACCEPTED:
        dossier.state, dossier.stopped_at = DossierState.STOPPED, now
        dossier.milestones.append(milestone("dossier.stopped", now))
        dossier.save(update_fields=["state", "stopped_at", "withdrawal_reason", "milestones"])
        _event(user, APPLICANT_ROLE, "dossier.withdrawn", dossier, reason=reason)
        return dossier
    dossier.state_before_withdrawal = dossier.state
    _state_set(dossier, DossierState.WITHDRAWAL_REQUESTED)
    dossier.save(update_fields=["state", "state_before_withdrawal", "withdrawal_reason"])
    _event(user, APPLICANT_ROLE, "dossier.withdrawal_requested", dossier, reason=reason)
    return dossier


def withdrawable(dossier: Dossier) -> bool:
    return dossier.state in _NOT_YET_ACCEPTED or dossier.state in _WITHDRAWABLE


def online_result_available(dossier: Dossier) -> bool:
    """A signed electronic result the citizen can download (level 4)."""
    return (
        dossier.state in (DossierState.RESOLVED, DossierState.RETURNED, DossierState.UNCOLLECTED)
        and dossier.result_channel == ResultChannel.ONLINE
        and dossier.result_document_id is not None
    )


@transaction.atomic
def online_result_collect(*, user: Any, code: str) -> Document:
    """The citizen downloads the signed result: the first download is the hand-over (returned
    online, to the account holder)."""
    dossier = _citizen_locked(user, code)
    if not online_result_available(dossier):
        raise Conflict(_("Hồ sơ chưa có kết quả điện tử để tải về."), code="no_online_result")
    document = dossier.result_document
    assert document is not None
    if dossier.state == DossierState.RETURNED:
        return document
    now = timezone.now()
    calendar = dossier_calendar(dossier)
    for step in open_steps(dossier):
        if step.kind == StepKind.RETURN:
            _finish_step(step, actor=None, at=now, calendar=calendar)
    _state_set(dossier, DossierState.RETURNED)
    dossier.returned_at = now
    dossier.return_channel = ResultChannel.ONLINE
    dossier.recipient_name = user.full_name[:200]
    dossier.recipient_id_number = user.id_number
    dossier.milestones.append(milestone("dossier.returned", now))
    dossier.save(
        update_fields=[
            "state",
            "returned_at",
            "return_channel",
            "recipient_name",
            "recipient_id_number",
            "milestones",
        ]
    )
    _event(user, APPLICANT_ROLE, "dossier.returned", dossier, channel=ResultChannel.ONLINE)
    return document
