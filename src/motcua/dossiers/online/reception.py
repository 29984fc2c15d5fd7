"""The desk's decision on an online dossier: accept (the clock starts), ask for completion
(form 02, electronically) or refuse (form 03)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from motcua.agencies.models import Role
from motcua.dossiers.common import milestone
from motcua.dossiers.models import (
    Dossier,
    DossierState,
    NoticeKind,
    ReceptionNotice,
)
from motcua.dossiers.online.common import NOT_YET_ACCEPTED
from motcua.dossiers.processing.core import (
    _locked,
    _require_role,
    _require_state,
    _tell_applicant,
    reception_calendar,
)
from motcua.dossiers.services import (
    ApplicantData,
    GuidanceItem,
    dossier_acceptance_record,
    dossier_due_at,
    guidance_items_clean,
    reception_notice_create,
    refusal_check,
)

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
    _require_state(dossier, NOT_YET_ACCEPTED, _("từ chối tiếp nhận hồ sơ"))
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
