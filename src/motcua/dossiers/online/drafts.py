"""The citizen's draft, saved as they go, and its submission to the desk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from motcua.catalog.models import OnlineMode, ProcedureVersion
from motcua.core.errors import Conflict, NotFound, ValidationFailed
from motcua.documents.models import Document, Provenance
from motcua.documents.selectors import citizen_documents
from motcua.documents.services import document_store
from motcua.dossiers.common import milestone
from motcua.dossiers.models import (
    ApplicantKind,
    Dossier,
    DossierComponent,
    DossierDraft,
    DossierState,
    IdempotencyRecord,
    ResultChannel,
)
from motcua.dossiers.online.common import APPLICANT_ROLE
from motcua.dossiers.processing.core import (
    _event,
    _tell_applicant,
    reception_calendar,
)
from motcua.dossiers.services import (
    ApplicantData,
    applicant_clean,
    dossier_due_at,
    take_dossier_code,
)
from motcua.lib import jsonform
from motcua.lib.codes import new_lookup_secret
from motcua.lib.text import fold

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


class DraftSubmitted(Conflict):
    """The draft is gone because it was submitted: `extra["dossier"]` is the dossier's code."""

    code = "draft_submitted"


def draft_get(*, user: Any, draft_id: int) -> DossierDraft:
    """One of the citizen's drafts; anybody else's is reported as not found.

    A draft the citizen already submitted raises DraftSubmitted naming its dossier: the answer a
    retried submission gets when the first one went through but its answer was lost.
    """
    draft = (
        DossierDraft.objects.select_related("procedure_version__procedure")
        .filter(pk=draft_id, user=user)
        .first()
    )
    if draft is not None:
        return draft
    submitted = (
        IdempotencyRecord.objects.filter(user=user, key=_submission_key(draft_id))
        .values_list("dossier__code", flat=True)
        .first()
    )
    if submitted is not None:
        raise DraftSubmitted(
            _("Hồ sơ nháp này đã được nộp: hồ sơ %(code)s.") % {"code": submitted},
            extra={"dossier": submitted},
        )
    raise NotFound(_("Không tìm thấy hồ sơ nháp."))


def _submission_key(draft_id: int) -> str:
    # The idempotency key of a draft's submission: one dossier per draft, whatever the retries.
    return f"draft:{draft_id}"


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
    document = applicant_upload_store(uploaded=uploaded, user=draft.user)
    draft.attachments = draft.attachments | {
        str(requirement_id): {"document": document.pk, "reused": False}
    }
    draft.save(update_fields=["attachments", "updated_at"])
    return document


def applicant_upload_store(*, uploaded: UploadedFile, user: Any) -> Document:
    """Store a citizen's upload as theirs; under their ID number only when an identity
    provider vouched for it."""
    return document_store(
        uploaded=uploaded,
        provenance=Provenance.UPLOADED_BY_APPLICANT,
        owner=user,
        owner_id_number=user.id_number if user.id_number_verified else "",
    )


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
    key = _submission_key(draft.pk)
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
