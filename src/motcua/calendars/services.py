"""Administrators' changes to the working calendar. They apply to dossiers received afterwards:
selectors.work_calendar_for rebuilds the calendar as it stood at a dossier's reception."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.audit.services import event_append
from motcua.calendars.models import CalendarOverride, OverrideKind
from motcua.core.errors import Conflict, ValidationFailed

NOTE_MAX_LENGTH = CalendarOverride._meta.get_field("note").max_length or 500


def _user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _active_in_scope(*, day: date, unit: Any) -> QuerySet[CalendarOverride]:
    scope = {"unit": unit} if unit is not None else {"unit__isnull": True}
    return CalendarOverride.objects.filter(date=day, revoked_at__isnull=True, **scope)


def _event_data(override: CalendarOverride) -> dict[str, Any]:
    return {
        "date": override.date.isoformat(),
        "kind": override.kind,
        "unit": override.unit.code if override.unit else None,
    }


def calendar_override_check_add(*, day: date, kind: str, unit: Any = None, note: str) -> str:
    """Refuse an override that calendar_override_add would refuse; return the cleaned note."""
    if not isinstance(day, date) or isinstance(day, datetime):
        raise ValidationFailed(_("Ngày không hợp lệ."), extra={"field": "date"})
    if kind not in OverrideKind.values:
        raise ValidationFailed(_("Loại ngày không hợp lệ."), extra={"field": "kind"})
    cleaned = (note or "").strip()
    if not cleaned:
        raise ValidationFailed(_("Cần ghi lý do."), extra={"field": "note"})
    if len(cleaned) > NOTE_MAX_LENGTH:
        raise ValidationFailed(_("Lý do quá dài."), extra={"field": "note"})
    existing = _active_in_scope(day=day, unit=unit).first()
    if existing is not None and existing.kind == kind:
        raise Conflict(_("Ngày này đã được khai báo cho cùng phạm vi."), extra={"id": existing.pk})
    if existing is not None:
        # Two opposite overrides for one date and scope would leave the calendar ambiguous.
        raise Conflict(
            _("Ngày này đang có khai báo khác cho cùng phạm vi; hãy thu hồi khai báo đó trước."),
            extra={"id": existing.pk},
        )
    return cleaned


def calendar_override_add(
    *, actor: Any, day: date, kind: OverrideKind | str, unit: Any = None, note: str
) -> CalendarOverride:
    """Declare a day off or a make-up working day for every unit or one subtree, from now on."""
    with transaction.atomic():
        cleaned = calendar_override_check_add(day=day, kind=kind, unit=unit, note=note)
        override = CalendarOverride(
            date=day,
            kind=kind,
            unit=unit,
            note=cleaned,
            created_at=timezone.now(),
            created_by=_user_or_none(actor),
        )
        # The partial unique constraints catch a concurrent add that passed the same check.
        try:
            with transaction.atomic():
                override.save(force_insert=True)
        except IntegrityError as error:
            raise Conflict(_("Ngày này đã được khai báo cho cùng phạm vi.")) from error
        event_append(
            actor=actor,
            kind="calendar.override_added",
            target_type="calendar_override",
            target_id=override.pk,
            reason=cleaned,
            data=_event_data(override),
        )
    return override


def calendar_override_revoke(*, actor: Any, override: CalendarOverride) -> CalendarOverride:
    """Stop an override from applying to dossiers received from now on; the row stays."""
    with transaction.atomic():
        locked = (
            CalendarOverride.objects.select_for_update(of=("self",))
            .select_related("unit")
            .get(pk=override.pk)
        )
        if locked.revoked_at is not None:
            raise Conflict(_("Khai báo này đã được thu hồi."), extra={"id": locked.pk})
        locked.revoked_at = timezone.now()
        locked.revoked_by = _user_or_none(actor)
        locked.save(update_fields=["revoked_at", "revoked_by"])
        event_append(
            actor=actor,
            kind="calendar.override_revoked",
            target_type="calendar_override",
            target_id=locked.pk,
            reason=locked.note,
            data=_event_data(locked),
        )
    return locked
