"""Writes on the evaluation of procedure handling: a reviewer enters, changes or clears the
points of an indicator the data cannot decide (`models.MANUAL_INDICATORS`) for one ended
dossier. Each change is one audit event with the previous value, so the history stays whole
while the table holds one current value per dossier and indicator."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.agencies.models import Role
from motcua.agencies.selectors import has_role
from motcua.audit.services import event_append
from motcua.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from motcua.dossiers.models import Dossier
from motcua.dossiers.selectors import dossier_list
from motcua.evaluation.models import MANUAL_INDICATORS, POINTS, EvaluationEntry, Indicator

# Who evaluates: the center's leadership and the procedure controllers, who review the handling
# of procedures; an agency's own head does not grade their agency's work.
EVALUATOR_ROLES = (Role.CENTER_LEADER, Role.PROCEDURE_CONTROLLER)
NOTE_MAX_LENGTH = 1000


def may_evaluate(*, actor: Any) -> bool:
    """Whether the actor holds an evaluator role."""
    return not getattr(actor, "is_citizen", False) and has_role(user=actor, roles=EVALUATOR_ROLES)


def evaluator_require(*, actor: Any) -> None:
    """Refuse anyone who does not hold an evaluator role."""
    if not may_evaluate(actor=actor):
        raise PermissionDenied(
            _(
                "Chỉ lãnh đạo Trung tâm và công chức kiểm soát thủ tục hành chính được chấm "
                "điểm đánh giá việc giải quyết thủ tục hành chính."
            )
        )


def _validated_indicator(indicator: str) -> Indicator:
    if indicator not in {str(i) for i in MANUAL_INDICATORS}:
        raise ValidationFailed(
            _("Chỉ số này không chấm tay được; hãy chọn một chỉ số trong danh sách."),
            extra={"field": "indicator"},
        )
    return Indicator(indicator)


def _validated_points(points: Any) -> int:
    if type(points) is not int or points not in POINTS:
        raise ValidationFailed(_("Điểm của mỗi chỉ số là 0, 1 hoặc 2."), extra={"field": "points"})
    return points


def _validated_note(note: str) -> str:
    text = (note or "").strip()
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationFailed(
            _("Ghi chú dài quá %(n)s ký tự.") % {"n": NOTE_MAX_LENGTH}, extra={"field": "note"}
        )
    return text


def _locked_dossier(actor: Any, code: str) -> Dossier:
    # Locked so that two reviewers saving the same indicator queue instead of racing.
    dossier = dossier_list(viewer=actor).filter(code=code).select_for_update(of=("self",)).first()
    if dossier is None:
        raise NotFound(_("Không tìm thấy hồ sơ %(code)s.") % {"code": code})
    if dossier.resolved_at is None and dossier.returned_at is None and dossier.stopped_at is None:
        raise Conflict(
            _("Hồ sơ %(code)s chưa kết thúc nên chưa đánh giá được.") % {"code": code},
            code="not_ended",
        )
    return dossier


def _record(actor: Any, kind: str, dossier: Dossier, **data: Any) -> None:
    event_append(
        actor=actor,
        actor_role=Role.CENTER_LEADER
        if has_role(user=actor, roles=[Role.CENTER_LEADER])
        else Role.PROCEDURE_CONTROLLER,
        kind=kind,
        target_type="dossier",
        target_id=dossier.code,
        data=data,
    )


@transaction.atomic
def evaluation_entry_set(
    *, actor: Any, code: str, indicator: str, points: Any, note: str = ""
) -> EvaluationEntry:
    """Enter or change the points of one manual indicator of an ended dossier."""
    evaluator_require(actor=actor)
    chosen = _validated_indicator(indicator)
    value = _validated_points(points)
    text = _validated_note(note)
    dossier = _locked_dossier(actor, code)
    entry = EvaluationEntry.objects.filter(dossier=dossier, indicator=chosen).first()
    previous = {"points": entry.points, "note": entry.note} if entry else None
    if entry is None:
        entry = EvaluationEntry(dossier=dossier, indicator=chosen)
    entry.points, entry.note = value, text
    entry.entered_by, entry.entered_at = actor, timezone.now()
    entry.save()
    _record(
        actor,
        "evaluation.entered",
        dossier,
        indicator=str(chosen),
        points=value,
        note=text,
        previous=previous,
    )
    return entry


@transaction.atomic
def evaluation_entry_clear(*, actor: Any, code: str, indicator: str) -> None:
    """Remove the entered points of one indicator: the computed value applies again."""
    evaluator_require(actor=actor)
    chosen = _validated_indicator(indicator)
    dossier = _locked_dossier(actor, code)
    entry = EvaluationEntry.objects.filter(dossier=dossier, indicator=chosen).first()
    if entry is None:
        return
    previous = {"points": entry.points, "note": entry.note}
    entry.delete()
    _record(actor, "evaluation.cleared", dossier, indicator=str(chosen), previous=previous)
