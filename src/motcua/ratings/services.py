"""Writes on ratings: the citizen rates the service; the center's leadership follows up every
dissatisfied rating (DOMAIN.md §6).

One rating per dossier, which the citizen may change from reception until 30 days after the
dossier ended. The receipt's QR code is handed out at reception, so the desk can be rated at
once and the outcome later; counting both would weigh one dossier twice in the satisfaction
index (dissatisfied ratings over dossiers), so the latest answer is the one that counts and
every earlier one stays in the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from motcua.agencies.models import Role
from motcua.audit.services import event_append
from motcua.calendars.selectors import deadline_rules
from motcua.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from motcua.dossiers.citizen import citizen_dossiers
from motcua.dossiers.models import Dossier
from motcua.dossiers.processing import reception_calendar
from motcua.lib.workdays import DurationUnit, due_instant
from motcua.notifications.services import message_enqueue
from motcua.ratings.models import (
    CRITERION_FIELDS,
    MAX_POINTS,
    FollowUp,
    FollowUpStatus,
    Overall,
    Rating,
    RatingChannel,
)
from motcua.ratings.selectors import center_leaders, followup_may_manage, rating_closed_reason

COMMENT_MAX_LENGTH = 2000
RESOLUTION_MAX_LENGTH = 4000
# The leadership answers a dissatisfied rating within this many working days.
FOLLOWUP_WORKING_DAYS = 5
APPLICANT_ROLE = "applicant"


# ---------------------------------------------------------------------------------------------
# Rating


def _validated_criteria(criteria: Mapping[str, int | None]) -> dict[str, int | None]:
    unknown = sorted(set(criteria) - set(CRITERION_FIELDS))
    if unknown:
        raise ValidationFailed(
            _("Tiêu chí đánh giá không hợp lệ: %(names)s.") % {"names": ", ".join(unknown)},
            extra={"field": unknown[0]},
        )
    values = {name: criteria.get(name) for name in CRITERION_FIELDS}
    for name, points in values.items():
        if points is not None and (type(points) is not int or not 0 <= points <= MAX_POINTS):
            raise ValidationFailed(
                _("Hãy chọn một trong các câu trả lời có sẵn cho từng tiêu chí."),
                extra={"field": name},
            )
    return values


def _validated_comment(comment: str) -> str:
    text = (comment or "").strip()
    if len(text) > COMMENT_MAX_LENGTH:
        raise ValidationFailed(
            _("Ý kiến dài quá %(n)s ký tự.") % {"n": COMMENT_MAX_LENGTH},
            extra={"field": "comment"},
        )
    return text


def _validate_choices(*, overall: str, channel: str) -> None:
    if overall not in Overall.values:
        raise ValidationFailed(
            _("Hãy chọn mức độ hài lòng: rất hài lòng, hài lòng hoặc không hài lòng."),
            extra={"field": "overall"},
        )
    if channel not in RatingChannel.values:
        raise ValidationFailed(_("Kênh đánh giá không hợp lệ."), extra={"field": "channel"})


def _locked_dossier(dossier: Dossier) -> Dossier:
    # Locked so that two submissions for one dossier (a double tap) queue instead of both
    # creating the rating.
    return (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("receiving_unit", "procedure_version")
        .get(pk=dossier.pk)
    )


def _require_rater(dossier: Dossier, *, channel: str, user: Any) -> None:
    """Through an account, only the dossier's own applicant may rate. Through the receipt's
    QR code the caller has checked the receipt's code and lookup secret."""
    if channel != RatingChannel.PORTAL:
        return
    if user is None or not citizen_dossiers(user=user).filter(pk=dossier.pk).exists():
        raise NotFound(_("Không tìm thấy hồ sơ %(code)s.") % {"code": dossier.code})


def _require_ratable(dossier: Dossier, now: datetime) -> None:
    reason = rating_closed_reason(dossier=dossier, now=now)
    if reason:
        raise Conflict(reason, code="not_ratable")


def _local_text(value: datetime) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y")


def _answers(rating: Rating) -> dict[str, Any]:
    return {
        "overall": rating.overall,
        **{name: getattr(rating, name) for name in CRITERION_FIELDS},
        "comment": rating.comment,
        "channel": rating.channel,
        "dossier_state": rating.dossier_state,
    }


@transaction.atomic
def rating_submit(
    *,
    dossier: Dossier,
    overall: str,
    criteria: Mapping[str, int | None],
    comment: str = "",
    channel: str,
    user: Any = None,
) -> Rating:
    """Record the citizen's rating of the dossier's service, or change it; a dissatisfied one
    opens a follow-up for the center's leadership."""
    _validate_choices(overall=overall, channel=channel)
    values = _validated_criteria(criteria)
    text = _validated_comment(comment)
    now = timezone.now()
    dossier = _locked_dossier(dossier)
    _require_rater(dossier, channel=channel, user=user)
    _require_ratable(dossier, now)
    rater = user if getattr(user, "is_authenticated", False) else None
    rating = Rating.objects.filter(dossier=dossier).first()
    previous = _answers(rating) if rating else None
    if rating is None:
        rating = Rating(dossier=dossier, first_rated_at=now)
    else:
        rating.dossier, rating.revisions = dossier, rating.revisions + 1
    for name, points in values.items():
        setattr(rating, name, points)
    rating.overall, rating.comment, rating.channel = overall, text, channel
    rating.rated_at, rating.rated_by, rating.dossier_state = now, rater, dossier.state
    rating.save()
    event_append(
        actor=rater,
        actor_role=APPLICANT_ROLE,
        kind="rating.revised" if previous else "rating.submitted",
        target_type="dossier",
        target_id=dossier.code,
        data={"rating": _answers(rating), "previous": previous},
    )
    if overall == Overall.DISSATISFIED:
        _followup_open(rating, actor=rater, now=now)
    return rating


# ---------------------------------------------------------------------------------------------
# Follow-up


def _followup_due(dossier: Dossier, now: datetime) -> datetime:
    """Five working days on the calendar of the center's desk, counted like a deadline."""
    calendar = reception_calendar(unit=dossier.receiving_unit, received_at=now)
    return due_instant(
        calendar=calendar,
        received_at=now,
        amount=FOLLOWUP_WORKING_DAYS,
        unit=DurationUnit.WORKING_DAYS,
        rules=deadline_rules(),
    )


def _followup_open(rating: Rating, *, actor: Any, now: datetime) -> FollowUp:
    """A follow-up for a dissatisfied rating; one still being handled takes the new rating as
    it is, a closed one opens again (its earlier resolution stays in the audit log)."""
    followup = FollowUp.objects.select_for_update().filter(rating=rating).first()
    if followup is not None and not followup.is_closed:
        return followup
    previous = None
    if followup is None:
        followup = FollowUp(rating=rating)
    else:
        previous = {"resolution": followup.resolution, "closed_at": followup.closed_at}
    followup.status, followup.opened_at = FollowUpStatus.OPEN, now
    followup.due_at = _followup_due(rating.dossier, now)
    followup.assigned_to = followup.closed_by = followup.taken_at = followup.closed_at = None
    followup.notes = followup.resolution = ""
    followup.save()
    _followup_event(
        actor,
        APPLICANT_ROLE,
        "followup.reopened" if previous else "followup.opened",
        followup,
        due_at=followup.due_at,
        previous=previous,
    )
    _tell_leaders(followup)
    return followup


def _followup_event(actor: Any, role: str, kind: str, followup: FollowUp, **data: Any) -> None:
    event_append(
        actor=actor,
        actor_role=role,
        kind=kind,
        target_type="dossier",
        target_id=followup.rating.dossier.code,
        data={"followup": followup.pk, **data},
    )


def followup_url(*, followup: FollowUp) -> str:
    """Where a leader opens the follow-up (the back office's page; the path is fixed there)."""
    return f"{settings.SITE_URL}/backoffice/danh-gia/theo-doi/{followup.pk}/"


def _tell_leaders(followup: FollowUp) -> None:
    dossier = followup.rating.dossier
    with translation.override("vi"):
        subject = _("Hồ sơ %(code)s bị đánh giá không hài lòng") % {"code": dossier.code}
        body = _(
            "Hồ sơ %(code)s nhận đánh giá «Không hài lòng». Hạn xử lý: %(due)s. Xem: %(url)s"
        ) % {
            "code": dossier.code,
            "due": _local_text(followup.due_at),
            "url": followup_url(followup=followup),
        }
    for leader in center_leaders(unit=dossier.receiving_unit):
        message_enqueue(
            topic="rating.dissatisfied",
            target_type="followup",
            target_id=followup.pk,
            subject=subject,
            body=body,
            email=leader.email,
            phone=leader.phone,
        )


def _locked_followup(followup_id: int, actor: Any, what: str) -> FollowUp:
    followup = (
        FollowUp.objects.select_for_update()
        .select_related("rating__dossier__receiving_unit")
        .filter(pk=followup_id)
        .first()
    )
    if followup is None:
        raise NotFound(_("Không tìm thấy việc theo dõi số %(pk)s.") % {"pk": followup_id})
    if not followup_may_manage(viewer=actor, followup=followup):
        raise PermissionDenied(
            _("Chỉ lãnh đạo Trung tâm đã tiếp nhận hồ sơ được %(what)s.") % {"what": what}
        )
    if followup.is_closed:
        raise Conflict(
            _("Việc theo dõi số %(pk)s đã được đóng.") % {"pk": followup.pk}, code="closed"
        )
    return followup


def _bounded_text(value: str, field: str, limit: int) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise ValidationFailed(
            _("Nội dung dài quá %(n)s ký tự.") % {"n": limit}, extra={"field": field}
        )
    return text


@transaction.atomic
def followup_take(*, actor: Any, followup_id: int, notes: str = "") -> FollowUp:
    """A center leader takes the follow-up in hand (or over from another leader)."""
    followup = _locked_followup(followup_id, actor, _("nhận xử lý đánh giá"))
    notes = _bounded_text(notes, "notes", RESOLUTION_MAX_LENGTH)
    followup.status, followup.assigned_to, followup.taken_at = (
        FollowUpStatus.IN_PROGRESS,
        actor,
        timezone.now(),
    )
    if notes:
        followup.notes = notes
    followup.save(update_fields=["status", "assigned_to", "taken_at", "notes"])
    _followup_event(actor, Role.CENTER_LEADER, "followup.taken", followup, notes=notes)
    return followup


@transaction.atomic
def followup_close(*, actor: Any, followup_id: int, resolution: str) -> FollowUp:
    """A center leader closes the follow-up, saying what was done."""
    followup = _locked_followup(followup_id, actor, _("đóng việc theo dõi đánh giá"))
    resolution = _bounded_text(resolution, "resolution", RESOLUTION_MAX_LENGTH)
    if not resolution:
        raise ValidationFailed(
            _("Hãy ghi kết quả xử lý: đã làm gì với ý kiến của người dân."),
            extra={"field": "resolution"},
        )
    now = timezone.now()
    followup.status, followup.resolution = FollowUpStatus.CLOSED, resolution
    followup.closed_by, followup.closed_at = actor, now
    if followup.assigned_to is None:
        followup.assigned_to, followup.taken_at = actor, now
    followup.save()
    _followup_event(actor, Role.CENTER_LEADER, "followup.closed", followup, resolution=resolution)
    return followup
