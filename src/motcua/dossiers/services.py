"""Writes on dossiers: counter intake (accept, guidance, refusal) and the public lookup check."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from motcua.agencies.models import Role, Unit
from motcua.audit.services import event_append
from motcua.calendars.selectors import deadline_rules
from motcua.catalog.models import ProcedureVersion
from motcua.core.errors import Conflict, PermissionDenied, ValidationFailed
from motcua.documents.models import Provenance
from motcua.documents.services import document_store, document_validate_upload
from motcua.dossiers.common import milestone, take_number
from motcua.dossiers.models import (
    ApplicantKind,
    Channel,
    Dossier,
    DossierComponent,
    DossierState,
    IdempotencyRecord,
    NoticeKind,
    NumberSeries,
    ReceptionNotice,
    ResultChannel,
)
from motcua.dossiers.processing import dossier_route_start, reception_calendar, roles_in
from motcua.lib.codes import format_dossier_code, new_lookup_secret
from motcua.lib.identity import is_valid_citizen_id, is_valid_tax_code
from motcua.lib.text import fold
from motcua.lib.workdays import DurationUnit, WorkCalendar, due_instant
from motcua.notifications.services import message_enqueue

MAX_NAME_LENGTH = 200
MAX_ADDRESS_LENGTH = 300


@dataclass(frozen=True)
class ApplicantData:
    name: str
    id_number: str
    kind: str = ApplicantKind.PERSON
    address: str = ""
    phone: str = ""
    email: str = ""

    @classmethod
    def from_fields(cls, data: Mapping[str, str]) -> ApplicantData:
        """From the `applicant_*` names used by the models, forms and API serializers."""
        return cls(
            kind=data["applicant_kind"],
            name=data["applicant_name"],
            id_number=data["applicant_id_number"],
            address=data.get("applicant_address", ""),
            phone=data.get("applicant_phone", ""),
            email=data.get("applicant_email", ""),
        )

    def as_fields(self) -> dict[str, str]:
        return {
            "applicant_kind": self.kind,
            "applicant_name": self.name,
            "applicant_id_number": self.id_number,
            "applicant_address": self.address,
            "applicant_phone": self.phone,
            "applicant_email": self.email,
        }


@dataclass(frozen=True)
class ReceivedComponent:
    """A component the officer ticked as received, with its scan if one was made."""

    requirement_id: int
    quantity: int | None = None
    scan: UploadedFile | None = field(default=None, compare=False)


@dataclass(frozen=True)
class GuidanceItem:
    name: str
    reason: str


# ---------------------------------------------------------------------------------------------
# Validation shared by the three counter decisions


def applicant_clean(applicant: ApplicantData) -> ApplicantData:
    """Normalise the applicant's data or raise ValidationFailed naming the field."""
    name = " ".join(applicant.name.split())
    id_number = applicant.id_number.strip().replace(" ", "")
    phone = applicant.phone.strip().replace(" ", "").replace(".", "")
    email = applicant.email.strip()
    if applicant.kind not in ApplicantKind.values:
        raise ValidationFailed(_("Loại người nộp không hợp lệ."), extra={"field": "applicant_kind"})
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(
            _("Cần nhập họ tên người nộp hồ sơ."), extra={"field": "applicant_name"}
        )
    if applicant.kind == ApplicantKind.PERSON and not is_valid_citizen_id(id_number):
        raise ValidationFailed(
            _("Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số."),
            code="invalid_id_number",
            extra={"field": "applicant_id_number"},
        )
    if applicant.kind == ApplicantKind.ORGANISATION and not is_valid_tax_code(id_number):
        raise ValidationFailed(
            _("Mã số doanh nghiệp / mã số thuế phải gồm 10 chữ số (hoặc 10 chữ số - 3 chữ số)."),
            code="invalid_id_number",
            extra={"field": "applicant_id_number"},
        )
    if phone and not (phone.isdigit() and len(phone) == 10 and phone.startswith("0")):
        raise ValidationFailed(
            _("Số điện thoại phải gồm 10 chữ số, bắt đầu bằng 0."),
            extra={"field": "applicant_phone"},
        )
    address = " ".join(applicant.address.split())
    if len(address) > MAX_ADDRESS_LENGTH:
        raise ValidationFailed(
            _("Địa chỉ quá dài: tối đa %(n)s ký tự.") % {"n": MAX_ADDRESS_LENGTH},
            extra={"field": "applicant_address"},
        )
    if email:
        try:
            validate_email(email)
        except DjangoValidationError as exc:
            raise ValidationFailed(
                _("Địa chỉ thư điện tử không hợp lệ."), extra={"field": "applicant_email"}
            ) from exc
    return ApplicantData(
        name=name,
        id_number=id_number,
        kind=applicant.kind,
        address=address,
        phone=phone,
        email=email,
    )


def _require_reception_officer(*, actor: Any, unit: Unit) -> str:
    """The actor must be a reception officer of the receiving center (or one of its counters)."""
    if Role.RECEPTION_OFFICER in roles_in(actor, unit):
        return Role.RECEPTION_OFFICER
    raise PermissionDenied(
        _("Bạn không phải công chức tiếp nhận của %(unit)s.") % {"unit": unit.name}
    )


def _check_received_at(received_at: datetime, now: datetime) -> None:
    # A counter records what happens now; a client may send its own clock, but only for today.
    if timezone.is_naive(received_at):
        raise ValidationFailed(
            _("Thời điểm tiếp nhận phải kèm múi giờ."), extra={"field": "received_at"}
        )
    local_now = timezone.localtime(now)
    if received_at > now + timedelta(minutes=5):
        raise ValidationFailed(
            _("Thời điểm tiếp nhận không được ở tương lai."), extra={"field": "received_at"}
        )
    if timezone.localtime(received_at).date() != local_now.date():
        raise ValidationFailed(
            _("Thời điểm tiếp nhận phải là hôm nay; không nhận hồ sơ ghi lùi ngày."),
            extra={"field": "received_at"},
        )


def _check_version_in_force(version: ProcedureVersion) -> None:
    # A dossier pins the version it is received under; only the version in force of an active
    # procedure receives. Read fresh: the version object may come from a per-process cache.
    latest = (
        ProcedureVersion.objects.filter(procedure_id=version.procedure_id)
        .order_by("-number")
        .values_list("pk", "procedure__is_active")
        .first()
    )
    if latest != (version.pk, True):
        raise ValidationFailed(
            _("Thủ tục %(code)s (phiên bản %(n)s) không còn được tiếp nhận.")
            % {"code": version.procedure.national_code, "n": version.number},
            code="procedure_not_in_force",
            extra={"field": "procedure"},
        )


def missing_components(
    *, version: ProcedureVersion, received: Sequence[ReceivedComponent]
) -> list[Any]:
    """The mandatory components of the version that were not ticked as received."""
    ticked = {item.requirement_id for item in received}
    return [c for c in version.components.all() if c.is_mandatory and c.pk not in ticked]


def _validate_components(
    *, version: ProcedureVersion, received: Sequence[ReceivedComponent]
) -> None:
    known = {c.pk for c in version.components.all()}
    seen: set[int] = set()
    for item in received:
        if item.requirement_id not in known:
            raise ValidationFailed(
                _("Thành phần hồ sơ #%(id)s không thuộc thủ tục này.")
                % {"id": item.requirement_id},
                extra={"field": "components"},
            )
        if item.requirement_id in seen:
            raise ValidationFailed(
                _("Một thành phần hồ sơ được kê hai lần."), extra={"field": "components"}
            )
        seen.add(item.requirement_id)
        if item.quantity is not None and not 1 <= item.quantity <= 100:
            raise ValidationFailed(_("Số lượng phải từ 1 đến 100."), extra={"field": "components"})
        if item.scan is not None:
            document_validate_upload(uploaded=item.scan)
    missing = missing_components(version=version, received=received)
    if missing:
        raise ValidationFailed(
            _(
                "Hồ sơ chưa đủ thành phần bắt buộc: %(names)s. "
                "Hãy lập phiếu hướng dẫn bổ sung (mẫu 02)."
            )
            % {"names": "; ".join(c.name for c in missing)},
            code="incomplete_dossier",
            extra={"field": "components", "missing": [c.pk for c in missing]},
        )


# ---------------------------------------------------------------------------------------------
# Accept (form 01)


def take_dossier_code(*, unit: Unit, received_at: datetime) -> str:
    day, seq = take_number(unit=unit, series=NumberSeries.DOSSIER, at=received_at)
    return format_dossier_code(
        pattern=settings.MOTCUA_DOSSIER_CODE_PATTERN,
        unit_code=unit.code,
        day=day,
        seq=seq,
        seq_width=settings.MOTCUA_CODE_SEQ_WIDTH,
    )


def dossier_due_at(
    *, version: ProcedureVersion, received_at: datetime, calendar: WorkCalendar
) -> datetime:
    """The appointment for a dossier received now."""
    return due_instant(
        calendar=calendar,
        received_at=received_at,
        amount=version.statutory_amount,
        unit=DurationUnit(version.statutory_unit),
        rules=deadline_rules(),
    )


def intake_fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def dossier_receive(
    *,
    actor: Any,
    version: ProcedureVersion,
    applicant: ApplicantData,
    components: Sequence[ReceivedComponent],
    result_channel: str = ResultChannel.DESK,
    channel: str = Channel.COUNTER,
    note: str = "",
    received_at: datetime | None = None,
    idempotency_key: str = "",
    fingerprint: str = "",
) -> tuple[Dossier, bool]:
    """Accept a complete dossier: code, appointment, receipt. Returns (dossier, replayed).

    With an idempotency key, a retry of the same request returns the dossier created the first
    time (replayed=True) and a different request under the same key is refused.
    """
    role = _require_reception_officer(actor=actor, unit=version.receiving_unit)
    if idempotency_key:
        existing = _idempotent_replay(actor=actor, key=idempotency_key, fingerprint=fingerprint)
        if existing is not None:
            return existing, True
    # Everything that only reads happens before the write transaction, so the locks it takes
    # (SQLite's database lock, the code counter row, the event chain head) are held briefly.
    now = timezone.now()
    received_at = received_at or now
    _check_received_at(received_at, now)
    applicant = applicant_clean(applicant)
    if result_channel not in ResultChannel.values:
        raise ValidationFailed(
            _("Hình thức nhận kết quả không hợp lệ."), extra={"field": "result_channel"}
        )
    _check_version_in_force(version)
    _validate_components(version=version, received=components)
    calendar = reception_calendar(unit=version.competent_unit, received_at=received_at)
    due_at = dossier_due_at(version=version, received_at=received_at, calendar=calendar)
    try:
        dossier = _dossier_create(
            actor=actor,
            role=role,
            version=version,
            applicant=applicant,
            components=components,
            result_channel=result_channel,
            channel=channel,
            note=note,
            received_at=received_at,
            due_at=due_at,
            calendar=calendar,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
        )
    except IntegrityError:
        # A concurrent request with the same key committed first: answer with its dossier.
        if idempotency_key:
            existing = _idempotent_replay(actor=actor, key=idempotency_key, fingerprint=fingerprint)
            if existing is not None:
                return existing, True
        raise
    return dossier, False


def _idempotent_replay(*, actor: Any, key: str, fingerprint: str) -> Dossier | None:
    # Asked before every keyed intake, so it reads two columns; the dossier only on a replay.
    record = (
        IdempotencyRecord.objects.filter(user=actor, key=key)
        .only("fingerprint", "dossier_id")
        .first()
    )
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise Conflict(
            _("Khóa Idempotency-Key này đã được dùng cho một yêu cầu khác."),
            code="idempotency_key_reused",
        )
    return Dossier.objects.select_related("procedure_version__procedure").get(pk=record.dossier_id)


@transaction.atomic
def _dossier_create(
    *,
    actor: Any,
    role: str,
    version: ProcedureVersion,
    applicant: ApplicantData,
    components: Sequence[ReceivedComponent],
    result_channel: str,
    channel: str,
    note: str,
    received_at: datetime,
    due_at: datetime,
    calendar: WorkCalendar,
    idempotency_key: str,
    fingerprint: str,
) -> Dossier:
    unit = version.receiving_unit
    code = take_dossier_code(unit=unit, received_at=received_at)
    on_the_spot = version.is_on_the_spot
    dossier = Dossier.objects.create(
        code=code,
        lookup_secret=new_lookup_secret(),
        procedure_version=version,
        receiving_unit=unit,
        competent_unit=version.competent_unit,
        channel=channel,
        result_channel=result_channel,
        state=DossierState.RESOLVED if on_the_spot else DossierState.RECEIVED,
        received_at=received_at,
        received_by=actor,
        original_due_at=due_at,
        due_at=due_at,
        resolved_at=received_at if on_the_spot else None,
        milestones=[milestone("dossier.received", received_at)]
        + ([milestone("dossier.resolved", received_at)] if on_the_spot else []),
        note=note.strip(),
        search_text=fold(f"{code} {applicant.name}"),
        **applicant.as_fields(),
    )
    _record_components(dossier=dossier, version=version, received=components, actor=actor)
    if idempotency_key:
        IdempotencyRecord.objects.create(
            key=idempotency_key, user=actor, fingerprint=fingerprint, dossier=dossier
        )
    dossier_acceptance_record(
        dossier=dossier,
        actor=actor,
        role=role,
        calendar=calendar,
        components=[c.requirement_id for c in components],
    )
    return dossier


def dossier_acceptance_record(
    *, dossier: Dossier, actor: Any, role: str, calendar: WorkCalendar, components: list[int]
) -> None:
    """What every accepted dossier gets, at the counter or online: the applicant's message with
    the appointment, the event, and the start of its route (transfer to the agency)."""
    version = dossier.procedure_version
    _tell_applicant_received(dossier=dossier)
    event_append(
        actor=actor,
        actor_role=role,
        kind="dossier.received",
        target_type="dossier",
        target_id=dossier.code,
        data={
            "procedure": version.procedure.national_code,
            "version": version.number,
            "channel": dossier.channel,
            "due_at": dossier.due_at,
            "components": components,
        },
    )
    if version.is_on_the_spot:
        event_append(
            actor=actor,
            actor_role=role,
            kind="dossier.resolved",
            target_type="dossier",
            target_id=dossier.code,
            data={"on_the_spot": True},
        )
    assert dossier.received_at is not None
    dossier_route_start(dossier=dossier, actor=actor, at=dossier.received_at, calendar=calendar)


def _record_components(
    *,
    dossier: Dossier,
    version: ProcedureVersion,
    received: Sequence[ReceivedComponent],
    actor: Any,
) -> None:
    requirements = {c.pk: c for c in version.components.all()}
    rows = []
    for item in received:
        requirement = requirements[item.requirement_id]
        document = None
        if item.scan is not None:
            # The applicant's verified copy: reusable in their next dossiers (document store).
            document = document_store(
                uploaded=item.scan,
                provenance=Provenance.SCANNED_AT_COUNTER,
                verified_by=actor,
                owner_id_number=dossier.applicant_id_number,
            )
        rows.append(
            DossierComponent(
                dossier=dossier,
                requirement=requirement,
                position=requirement.position,
                name=requirement.name,
                form=requirement.form,
                quantity=item.quantity or requirement.quantity,
                document=document,
            )
        )
    DossierComponent.objects.bulk_create(rows)


def _tell_applicant_received(*, dossier: Dossier) -> None:
    # Messages to citizens are in Vietnamese whatever language the officer's screen uses.
    with translation.override("vi"):
        due = (
            timezone.localtime(dossier.due_at).strftime("%H:%M %d/%m/%Y") if dossier.due_at else ""
        )
        body = _(
            "Hồ sơ %(code)s đã được tiếp nhận. Hẹn trả kết quả: %(due)s. "
            "Tra cứu tại %(url)s với mã tra cứu %(secret)s."
        ) % {
            "code": dossier.code,
            "due": due,
            "url": f"{settings.SITE_URL}/tra-cuu/",
            "secret": dossier.lookup_secret,
        }
        subject = _("Tiếp nhận hồ sơ %(code)s") % {"code": dossier.code}
    message_enqueue(
        topic="dossier.received",
        target_type="dossier",
        target_id=dossier.code,
        body=body,
        subject=subject,
        email=dossier.applicant_email,
        phone=dossier.applicant_phone,
    )


# ---------------------------------------------------------------------------------------------
# Guidance (form 02) and refusal (form 03): no dossier is accepted


def _take_notice_number(*, unit: Unit, kind: str, issued_at: datetime) -> str:
    series = NumberSeries.GUIDANCE if kind == NoticeKind.GUIDANCE else NumberSeries.REFUSAL
    day, seq = take_number(unit=unit, series=series, at=issued_at)
    prefix = "HD" if kind == NoticeKind.GUIDANCE else "TC"
    return f"{unit.code}-{prefix}-{day:%y%m%d}-{seq:04d}"


@transaction.atomic
def reception_guidance_issue(
    *,
    actor: Any,
    version: ProcedureVersion,
    applicant: ApplicantData,
    items: Sequence[GuidanceItem],
    legal_basis: str = "",
    note: str = "",
) -> ReceptionNotice:
    """Form 02: everything missing or wrong, in one notice; the dossier is not accepted."""
    unit = version.receiving_unit
    role = _require_reception_officer(actor=actor, unit=unit)
    _check_version_in_force(version)
    applicant = applicant_clean(applicant)
    return reception_notice_create(
        actor=actor,
        role=role,
        version=version,
        applicant=applicant,
        kind=NoticeKind.GUIDANCE,
        items=guidance_items_clean(items),
        reason=note.strip(),
        legal_basis=legal_basis.strip(),
    )


def guidance_items_clean(items: Sequence[GuidanceItem]) -> list[dict[str, str]]:
    """Form 02 names everything to complete, each with its reason, in one notice."""
    cleaned = [
        GuidanceItem(name=i.name.strip(), reason=i.reason.strip()) for i in items if i.name.strip()
    ]
    if not cleaned:
        raise ValidationFailed(
            _("Phiếu hướng dẫn phải nêu ít nhất một giấy tờ cần bổ sung."), extra={"field": "items"}
        )
    if any(not item.reason for item in cleaned):
        raise ValidationFailed(
            _("Mỗi nội dung cần bổ sung phải có lý do."), extra={"field": "items"}
        )
    return [asdict(i) for i in cleaned]


@transaction.atomic
def reception_refusal_issue(
    *,
    actor: Any,
    version: ProcedureVersion,
    applicant: ApplicantData,
    reason: str,
    legal_basis: str,
) -> ReceptionNotice:
    """Form 03: a reasoned refusal with its legal basis."""
    unit = version.receiving_unit
    role = _require_reception_officer(actor=actor, unit=unit)
    _check_version_in_force(version)
    applicant = applicant_clean(applicant)
    refusal_check(reason=reason, legal_basis=legal_basis)
    return reception_notice_create(
        actor=actor,
        role=role,
        version=version,
        applicant=applicant,
        kind=NoticeKind.REFUSAL,
        items=[],
        reason=reason.strip(),
        legal_basis=legal_basis.strip(),
    )


def refusal_check(*, reason: str, legal_basis: str) -> None:
    """Form 03 gives its reason and the legal basis for it."""
    if not reason.strip():
        raise ValidationFailed(_("Phiếu từ chối phải nêu rõ lý do."), extra={"field": "reason"})
    if not legal_basis.strip():
        raise ValidationFailed(
            _("Phiếu từ chối phải nêu căn cứ pháp lý."), extra={"field": "legal_basis"}
        )


def reception_notice_create(
    *,
    actor: Any,
    role: str,
    version: ProcedureVersion,
    applicant: ApplicantData,
    kind: str,
    items: list[dict[str, str]],
    reason: str,
    legal_basis: str,
    dossier: Dossier | None = None,
) -> ReceptionNotice:
    issued_at = timezone.now()
    unit = version.receiving_unit
    notice = ReceptionNotice.objects.create(
        number=_take_notice_number(unit=unit, kind=kind, issued_at=issued_at),
        kind=kind,
        procedure_version=version,
        receiving_unit=unit,
        items=items,
        reason=reason,
        legal_basis=legal_basis,
        issued_at=issued_at,
        issued_by=actor,
        dossier=dossier,
        **applicant.as_fields(),
    )
    event_append(
        actor=actor,
        actor_role=role,
        kind="reception.guidance_issued" if kind == NoticeKind.GUIDANCE else "reception.refused",
        target_type="reception_notice",
        target_id=notice.number,
        reason=reason,
        data={
            "procedure": version.procedure.national_code,
            "items": items,
            "legal_basis": legal_basis,
        },
    )
    return notice
