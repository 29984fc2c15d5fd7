"""Reads on dossiers; each takes the viewer so visibility is decided here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.utils.translation import gettext_lazy as _

from motcua.agencies.selectors import memberships_of, unit_subtree_filter
from motcua.core.errors import NotFound
from motcua.dossiers.models import (
    Dossier,
    DossierNotice,
    DossierStep,
    Handover,
    PaymentNotice,
    ReceptionNotice,
    SupplementRequest,
)
from motcua.lib.text import search_terms

# The milestones a receipt holder may see, with the words shown to them. Anything else in the
# event log (who did it, internal notes) stays inside.
PUBLIC_MILESTONES = {
    "dossier.submitted": _("Hồ sơ đã được nộp trực tuyến, chờ tiếp nhận"),
    "dossier.completion_requested": _(
        "Bộ phận Một cửa yêu cầu hoàn thiện hồ sơ trước khi tiếp nhận"
    ),
    "dossier.received": _("Hồ sơ đã được tiếp nhận"),
    "dossier.transferred": _("Hồ sơ đã được chuyển đến cơ quan giải quyết"),
    "dossier.supplement_requested": _("Cơ quan giải quyết yêu cầu bổ sung hồ sơ"),
    "dossier.supplement_received": _("Đã nhận hồ sơ bổ sung"),
    "dossier.payment_requested": _("Chờ thực hiện nghĩa vụ tài chính"),
    "dossier.payment_received": _("Đã hoàn thành nghĩa vụ tài chính"),
    "dossier.rescheduled": _("Cơ quan giải quyết xin lỗi và hẹn lại ngày trả kết quả"),
    "dossier.resolved": _("Đã có kết quả giải quyết"),
    "dossier.returned": _("Đã trả kết quả"),
    "dossier.stopped": _("Dừng giải quyết hồ sơ"),
    "dossier.rejected": _("Hồ sơ không đủ điều kiện giải quyết"),
}


@dataclass(frozen=True)
class Milestone:
    at: datetime
    label: str


def _visible_dossiers(*, viewer: Any) -> QuerySet[Dossier]:
    """The desk that received it, the competent agency, and every agency it was sent to (a tax
    office sees the land dossiers sent to it for the financial obligation, and no others)."""
    if not memberships_of(user=viewer):
        return Dossier.objects.none()
    sent_to_viewer = DossierStep.objects.filter(
        unit_subtree_filter(user=viewer, field="unit"), dossier=OuterRef("pk")
    )
    return Dossier.objects.filter(
        unit_subtree_filter(user=viewer, field="receiving_unit")
        | unit_subtree_filter(user=viewer, field="competent_unit")
        | Q(Exists(sent_to_viewer))
    )


def dossier_list(*, viewer: Any, search: str = "", state: str = "") -> QuerySet[Dossier]:
    """Dossiers of the viewer's units; search ignores diacritics and matches code or applicant."""
    dossiers = _visible_dossiers(viewer=viewer).select_related(
        "procedure_version__procedure", "competent_unit"
    )
    for term in search_terms(search):
        dossiers = dossiers.filter(search_text__contains=term)
    if state:
        dossiers = dossiers.filter(state=state)
    return dossiers.order_by("-received_at", "-pk")


def dossier_get(*, viewer: Any, code: str) -> Dossier:
    """A dossier the viewer may see; an invisible one is reported as not found."""
    dossier = (
        _visible_dossiers(viewer=viewer)
        .select_related(
            "procedure_version__procedure", "receiving_unit", "competent_unit", "received_by"
        )
        .prefetch_related("components__document")
        .filter(code=code)
        .first()
    )
    if dossier is None:
        raise NotFound(_("Không tìm thấy hồ sơ %(code)s.") % {"code": code})
    return dossier


def dossier_trace_get(*, viewer: Any, code: str) -> Dossier:
    """A dossier the viewer may see, with its whole route loaded: steps, hand-overs, pauses,
    supplement requests, notices, payment and result (a fixed number of queries)."""
    dossier = dossier_get(viewer=viewer, code=code)
    prefetch_related_objects(
        [dossier],
        "pauses",
        Prefetch(
            "steps",
            queryset=DossierStep.objects.select_related(
                "workflow_step", "unit", "assignee", "finished_by"
            ),
        ),
        Prefetch(
            "handovers",
            queryset=Handover.objects.select_related(
                "from_unit", "from_user", "to_unit", "to_user"
            ),
        ),
        Prefetch(
            "supplements",
            queryset=SupplementRequest.objects.select_related(
                "proposed_by", "decided_by", "notice"
            ),
        ),
        Prefetch(
            "notices",
            queryset=DossierNotice.objects.select_related("issuing_unit", "issued_by", "signed_by"),
        ),
        Prefetch(
            "payment",
            queryset=PaymentNotice.objects.select_related("issuing_unit", "issued_by"),
        ),
        "result_document",
    )
    return dossier


def dossier_milestones(*, dossier: Dossier) -> list[Milestone]:
    """The public timeline: milestones only, without who did what (read from the dossier row)."""
    return [
        Milestone(
            at=datetime.fromisoformat(entry["at"]), label=str(PUBLIC_MILESTONES[entry["kind"]])
        )
        for entry in dossier.milestones
        if entry["kind"] in PUBLIC_MILESTONES
    ]


def notice_list(*, viewer: Any) -> QuerySet[ReceptionNotice]:
    if not memberships_of(user=viewer):
        return ReceptionNotice.objects.none()
    return ReceptionNotice.objects.filter(
        unit_subtree_filter(user=viewer, field="receiving_unit")
    ).select_related("procedure_version__procedure")


def notice_get(*, viewer: Any, number: str) -> ReceptionNotice:
    notice = (
        notice_list(viewer=viewer)
        .select_related("receiving_unit", "issued_by")
        .filter(number=number)
        .first()
    )
    if notice is None:
        raise NotFound(_("Không tìm thấy phiếu %(number)s.") % {"number": number})
    return notice


def dossier_count_by_state(*, viewer: Any) -> dict[str, int]:
    rows = _visible_dossiers(viewer=viewer).values("state").annotate(n=Count("pk"))
    return {row["state"]: row["n"] for row in rows}
