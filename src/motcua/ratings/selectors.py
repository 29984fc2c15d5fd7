"""Reads on ratings and follow-ups; each takes the viewer so visibility is decided here.

Ratings are seen by the center's leadership (the leaders of the center whose desk received the
dossier) and, read-only, by the directors of the agency competent for it: the dissatisfaction
is often with their part of the work, and satisfaction counts in their agency's index.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.agencies.models import Membership, Role, Unit
from motcua.agencies.selectors import memberships_of
from motcua.core.errors import NotFound, PermissionDenied
from motcua.dossiers.models import OPEN_STATES, Dossier, DossierState
from motcua.ratings.models import FollowUp, FollowUpStatus, Overall, Rating

# A rating can be given, and changed, from reception until this long after the dossier ended.
RATING_WINDOW = timedelta(days=30)
# Accepted dossiers: at the desk, in processing, or with an outcome. A dossier submitted online
# and not yet accepted has had no service to rate.
RATABLE_STATES = OPEN_STATES | {
    DossierState.RESOLVED,
    DossierState.UNCOLLECTED,
    DossierState.RETURNED,
    DossierState.REJECTED,
    DossierState.STOPPED,
}
LEADERSHIP_ROLES = (Role.CENTER_LEADER, Role.SIGNING_AUTHORITY)


def rating_for(*, dossier: Dossier) -> Rating | None:
    """The dossier's current rating, if it has one."""
    return Rating.objects.filter(dossier_id=dossier.pk).first()


def rating_open_until(*, dossier: Dossier) -> datetime | None:
    """Until when the dossier may be rated; None while it has not ended (collected, stopped)."""
    ended = {
        DossierState.RETURNED: dossier.returned_at,
        DossierState.REJECTED: dossier.stopped_at,
        DossierState.STOPPED: dossier.stopped_at,
    }.get(DossierState(dossier.state))
    return ended + RATING_WINDOW if ended else None


def rating_closed_reason(*, dossier: Dossier, now: datetime | None = None) -> str:
    """Why the dossier cannot be rated now, or "" when it can."""
    if dossier.state not in RATABLE_STATES or dossier.received_at is None:
        return _("Hồ sơ %(code)s chưa được tiếp nhận nên chưa thể đánh giá.") % {
            "code": dossier.code
        }
    until = rating_open_until(dossier=dossier)
    if until is not None and (now or timezone.now()) > until:
        return _("Đã hết thời gian đánh giá hồ sơ %(code)s (hạn cuối %(until)s).") % {
            "code": dossier.code,
            "until": timezone.localtime(until).strftime("%d/%m/%Y"),
        }
    return ""


def center_leaders(*, unit: Unit) -> list[Any]:
    """The leaders of the center a desk belongs to: center leaders of the unit or one above."""
    ancestors = [int(i) for i in unit.path.strip("/").split("/") if i]
    memberships = Membership.objects.filter(
        role=Role.CENTER_LEADER, unit_id__in=ancestors
    ).select_related("user")
    return list({m.user_id: m.user for m in memberships}.values())


def _paths(viewer: Any, role: Role) -> list[str]:
    return [m.unit.path for m in memberships_of(user=viewer) if m.role == role]


def _leadership_scope(viewer: Any, prefix: str = "") -> Q:
    """Ratings of dossiers received at the viewer's center, or decided by the viewer's agency."""
    condition = Q(pk__in=[])
    for path in _paths(viewer, Role.CENTER_LEADER):
        condition |= Q(**{f"{prefix}dossier__receiving_unit__path__startswith": path})
    for path in _paths(viewer, Role.SIGNING_AUTHORITY):
        condition |= Q(**{f"{prefix}dossier__competent_unit__path__startswith": path})
    return condition


def leadership_require(*, viewer: Any) -> None:
    """Refuse a viewer who is neither a center leader nor an agency's director."""
    if not {m.role for m in memberships_of(user=viewer)} & set(LEADERSHIP_ROLES):
        raise PermissionDenied(
            _("Chỉ lãnh đạo Trung tâm và lãnh đạo cơ quan giải quyết được xem đánh giá.")
        )


def followup_may_manage(*, viewer: Any, followup: FollowUp) -> bool:
    """Taking and closing a follow-up is for the leaders of the center that received it."""
    unit_path = followup.rating.dossier.receiving_unit.path
    return any(unit_path.startswith(path) for path in _paths(viewer, Role.CENTER_LEADER))


_STATUS_ORDER = Case(
    When(status=FollowUpStatus.OPEN, then=Value(0)),
    When(status=FollowUpStatus.IN_PROGRESS, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def followups_list(*, viewer: Any, status: str = "") -> QuerySet[FollowUp]:
    """Follow-ups the viewer leads or oversees: open first, then in progress, each by due date."""
    leadership_require(viewer=viewer)
    followups = FollowUp.objects.filter(_leadership_scope(viewer, "rating__"))
    if status:
        followups = followups.filter(status=status)
    return followups.select_related(
        "rating__dossier__procedure_version", "rating__dossier__receiving_unit", "assigned_to"
    ).order_by(_STATUS_ORDER, "due_at", "pk")


def followup_get(*, viewer: Any, pk: int) -> FollowUp:
    """One follow-up the viewer may see; any other is reported as not found."""
    leadership_require(viewer=viewer)
    followup = (
        FollowUp.objects.filter(_leadership_scope(viewer, "rating__"), pk=pk)
        .select_related(
            "rating__dossier__procedure_version__procedure",
            "rating__dossier__receiving_unit",
            "rating__dossier__competent_unit",
            "rating__dossier__received_by",
            "rating__rated_by",
            "assigned_to",
            "closed_by",
        )
        .first()
    )
    if followup is None:
        raise NotFound(_("Không tìm thấy việc theo dõi số %(pk)s.") % {"pk": pk})
    return followup


# ---------------------------------------------------------------------------------------------
# The summary


@dataclass
class SummaryRow:
    label: str
    very_satisfied: int = 0
    satisfied: int = 0
    dissatisfied: int = 0
    total: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.total = self.very_satisfied + self.satisfied + self.dissatisfied


@dataclass(frozen=True)
class RatingSummary:
    by_procedure: list[SummaryRow]
    by_officer: list[SummaryRow]
    total: SummaryRow


_COUNTS = {
    "very_satisfied": Count("pk", filter=Q(overall=Overall.VERY_SATISFIED)),
    "satisfied": Count("pk", filter=Q(overall=Overall.SATISFIED)),
    "dissatisfied": Count("pk", filter=Q(overall=Overall.DISSATISFIED)),
}


def _grouped(ratings: QuerySet[Rating], *keys: str) -> list[dict[str, Any]]:
    return list(ratings.values(*keys).annotate(**_COUNTS).order_by(*keys))


def rating_summary(*, viewer: Any, start: dt.date, end: dt.date) -> RatingSummary:
    """Very satisfied / satisfied / dissatisfied per procedure and per receiving officer, for
    the ratings given between `start` and `end` (inclusive, local dates)."""
    leadership_require(viewer=viewer)
    ratings = Rating.objects.filter(
        _leadership_scope(viewer), rated_at__gte=_midnight(start), rated_at__lt=_midnight(end, 1)
    )
    procedure = "dossier__procedure_version__procedure__"
    by_procedure = [
        _row(f"{row[procedure + 'national_code']} — {row[procedure + 'name']}", row)
        for row in _grouped(ratings, procedure + "national_code", procedure + "name")
    ]
    officer = "dossier__received_by__"
    by_officer = [
        _row(_officer_label(row[officer + "full_name"], row[officer + "username"]), row)
        for row in _grouped(ratings, officer + "username", officer + "full_name")
    ]
    return RatingSummary(by_procedure, by_officer, _row(_("Tổng cộng"), _totals(by_procedure)))


def _midnight(day: dt.date, days_after: int = 0) -> datetime:
    """The start of a local day, so the period is a range on the indexed instant."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=days_after), dt.time.min))


def _row(label: str, counts: dict[str, Any]) -> SummaryRow:
    return SummaryRow(label, *(counts[name] for name in _COUNTS))


def _totals(rows: list[SummaryRow]) -> dict[str, int]:
    return {name: sum(getattr(row, name) for row in rows) for name in _COUNTS}


def _officer_label(full_name: str | None, username: str | None) -> str:
    if username is None:
        return _("Chưa ghi nhận người tiếp nhận")
    return full_name or username
