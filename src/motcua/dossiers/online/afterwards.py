"""What the citizen does from their account once the dossier is submitted: complete what form
02 asked, send a supplement, withdraw, collect the signed result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.core.errors import Conflict, ValidationFailed
from motcua.documents.models import Document
from motcua.documents.services import document_validate_upload
from motcua.dossiers.citizen import citizen_dossier_get
from motcua.dossiers.common import milestone
from motcua.dossiers.models import (
    Dossier,
    DossierComponent,
    DossierState,
    ResultChannel,
)
from motcua.dossiers.online.common import APPLICANT_ROLE, NOT_YET_ACCEPTED
from motcua.dossiers.online.drafts import applicant_upload_store
from motcua.dossiers.processing.core import (
    _event,
    _locked,
    _require_state,
    _state_set,
)
from motcua.dossiers.processing.outcomes import Recipient, return_record
from motcua.dossiers.processing.pauses import supplement_received_record

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
        document = applicant_upload_store(uploaded=uploaded, user=user)
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
    _require_state(dossier, [*NOT_YET_ACCEPTED, *_WITHDRAWABLE], _("rút hồ sơ"))
    reason = " ".join(reason.split())[:1000]
    if not reason:
        raise ValidationFailed(_("Cần ghi lý do rút hồ sơ."), extra={"field": "reason"})
    now = timezone.now()
    dossier.withdrawal_reason = reason
    if dossier.state in NOT_YET_ACCEPTED:
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
    return dossier.state in NOT_YET_ACCEPTED or dossier.state in _WITHDRAWABLE


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
    # Collected by the account holder themselves: no officer hands it over.
    return_record(
        dossier,
        at=timezone.now(),
        channel=ResultChannel.ONLINE,
        returned_by=None,
        recipient=Recipient(name=user.full_name, id_number=user.id_number),
    )
    _event(user, APPLICANT_ROLE, "dossier.returned", dossier, channel=ResultChannel.ONLINE)
    return document
