"""Reads on payments: what a dossier owes, and who may see which payment.

A citizen sees the payments of their own dossiers (dossiers.citizen decides which those are);
an officer sees the payments of the dossiers their units see (dossiers.selectors decides).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.agencies.models import Role
from motcua.agencies.selectors import has_role
from motcua.catalog.models import FeeCollector
from motcua.core.errors import NotFound, PermissionDenied
from motcua.dossiers.citizen import citizen_dossiers
from motcua.dossiers.models import Channel, Dossier, DossierState, PaymentNotice
from motcua.dossiers.processing import roles_in
from motcua.dossiers.selectors import dossier_list
from motcua.payments.models import (
    Payment,
    PaymentStatus,
    Purpose,
    ReconciliationReport,
)

# A fee is not collected for a dossier the center will not work on.
FEE_CLOSED_STATES = frozenset({DossierState.STOPPED, DossierState.REJECTED})
# The roles that record a refund: the desk that received the dossier, or its center's leader.
REFUND_ROLES = frozenset({Role.RECEPTION_OFFICER, Role.CENTER_LEADER})
# Filter of the back-office list: payments with money given back, whatever their status.
REFUNDED_FILTER = "refunded"


@dataclass(frozen=True)
class DueLine:
    kind: str
    name: str
    amount: int


@dataclass(frozen=True)
class Due:
    """Something a dossier owes: the center's fees, or the tax office's notice."""

    purpose: str
    lines: tuple[DueLine, ...]
    amount: int
    # Whether it may be paid online now (not settled, and the dossier is where it is owed).
    payable: bool
    settled_at: dt.datetime | None = None
    # The online payment that settled it (None when it was paid at the desk, or not yet).
    settled_by: Payment | None = None
    receipt_number: str = ""
    notice_number: str = ""
    # An attempt is open at the gateway: paying again now may take the money twice.
    awaiting_gateway: bool = False

    @property
    def settled(self) -> bool:
        return self.settled_at is not None

    @property
    def outstanding(self) -> int:
        return 0 if self.settled else self.amount

    @property
    def purpose_label(self) -> str:
        return str(Purpose(self.purpose).label)


def fee_lines(dossier: Dossier) -> tuple[DueLine, ...]:
    """The center's fixed fees and charges of the dossier's pinned procedure version.

    Published versions never change (catalog.ImmutableRowMixin), so this is the dossier's fee
    snapshot; each payment also copies the lines it paid.
    """
    items = dossier.procedure_version.fee_items.filter(
        collected_by=FeeCollector.CENTER, amount__gt=0
    ).order_by("position")
    return tuple(DueLine(kind=f.kind, name=f.name, amount=int(f.amount or 0)) for f in items)


def _fee_due(dossier: Dossier, paid: Payment | None, waiting: bool) -> Due | None:
    if dossier.channel != Channel.ONLINE:
        return None
    lines = fee_lines(dossier)
    if not lines:
        return None
    return Due(
        purpose=Purpose.FEE,
        lines=lines,
        amount=sum(line.amount for line in lines),
        payable=paid is None and dossier.state not in FEE_CLOSED_STATES,
        settled_at=paid.paid_at if paid else None,
        settled_by=paid,
        receipt_number=paid.receipt_number if paid else "",
        awaiting_gateway=waiting and paid is None,
    )


def _obligation_due(dossier: Dossier, paid: Payment | None, waiting: bool) -> Due | None:
    notice = PaymentNotice.objects.filter(dossier=dossier).first()
    if notice is None:
        return None
    return Due(
        purpose=Purpose.OBLIGATION,
        lines=tuple(
            DueLine(kind=line.get("kind", ""), name=line.get("name", ""), amount=line["amount"])
            for line in notice.lines
        ),
        amount=notice.total,
        payable=notice.paid_at is None and dossier.state == DossierState.AWAITING_PAYMENT,
        settled_at=notice.paid_at,
        settled_by=paid,
        receipt_number=notice.receipt_number,
        notice_number=notice.number,
        awaiting_gateway=waiting and notice.paid_at is None,
    )


def dues_for(dossier: Dossier) -> list[Due]:
    """What the dossier owes and what is already paid (fees, then the tax office's notice).

    The dossier must come from a selector that checked the viewer (citizen_dossier_get,
    dossier_get): this one does not look at who asks.
    """
    rows = list(
        Payment.objects.filter(
            dossier=dossier, status__in=[PaymentStatus.PAID, PaymentStatus.PENDING]
        )
    )
    paid = {p.purpose: p for p in rows if p.status == PaymentStatus.PAID}
    waiting = {p.purpose for p in rows if p.status == PaymentStatus.PENDING}
    dues = [
        _fee_due(dossier, paid.get(Purpose.FEE), Purpose.FEE in waiting),
        _obligation_due(dossier, paid.get(Purpose.OBLIGATION), Purpose.OBLIGATION in waiting),
    ]
    return [due for due in dues if due is not None]


def due_for(dossier: Dossier, purpose: str) -> Due | None:
    return next((due for due in dues_for(dossier) if due.purpose == purpose), None)


def dossier_fees_outstanding(dossier: Dossier, *, dues: Sequence[Due] | None = None) -> int:
    """The center's fees and charges of an online dossier not paid yet, in đồng (the tax
    office's obligation is not included: it has its own state, awaiting_payment). Pass the
    `dues_for` a page already read, to spare its queries."""
    dues = dues_for(dossier) if dues is None else dues
    due = next((d for d in dues if d.purpose == Purpose.FEE), None)
    return due.outstanding if due else 0


def dossier_payable_now(dossier: Dossier, *, dues: Sequence[Due] | None = None) -> int:
    """What the citizen can pay online for the dossier right now (fees and the tax office's
    notice), in đồng: a page shows its "Thanh toán trực tuyến" link when it is not 0."""
    dues = dues_for(dossier) if dues is None else dues
    return sum(due.amount for due in dues if due.payable)


# ---------------------------------------------------------------------------------------------
# Citizens


def citizen_payments(*, user: Any, dossier: Dossier) -> QuerySet[Payment]:
    """The payments of one of the citizen's dossiers (others' dossiers have none to show)."""
    return Payment.objects.filter(
        dossier=dossier, dossier__in=citizen_dossiers(user=user).values("pk")
    ).select_related("dossier")


def citizen_payment_get(*, user: Any, txn_ref: str, code: str | None = None) -> Payment:
    """One payment of one of the citizen's dossiers; anybody else's is not found."""
    payments = Payment.objects.filter(
        txn_ref=txn_ref, dossier__in=citizen_dossiers(user=user).values("pk")
    )
    if code is not None:
        payments = payments.filter(dossier__code=code)
    found = payments.select_related(
        "dossier__procedure_version__procedure", "dossier__receiving_unit", "receipt_unit__parent"
    ).first()
    if found is None:
        raise NotFound(_("Không tìm thấy giao dịch %(ref)s.") % {"ref": txn_ref})
    return found


# ---------------------------------------------------------------------------------------------
# Officers


def _visible_payments(*, viewer: Any) -> QuerySet[Payment]:
    return Payment.objects.filter(dossier__in=dossier_list(viewer=viewer).values("pk"))


def _local_day_range(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def payment_list(*, viewer: Any, day: dt.date | None = None, status: str = "") -> QuerySet[Payment]:
    """Payments of the dossiers the viewer's units see, newest first; by day started, status."""
    payments = _visible_payments(viewer=viewer).select_related(
        "dossier__procedure_version__procedure"
    )
    if day is not None:
        start, end = _local_day_range(day)
        payments = payments.filter(
            Q(created_at__gte=start, created_at__lt=end) | Q(paid_at__gte=start, paid_at__lt=end)
        )
    if status == REFUNDED_FILTER:
        payments = payments.filter(refunded_amount__gt=0)
    elif status:
        payments = payments.filter(status=status)
    return payments.order_by("-created_at", "-pk")


def payment_get(*, viewer: Any, txn_ref: str) -> Payment:
    """One payment the viewer's units may see; any other is not found."""
    found = (
        _visible_payments(viewer=viewer)
        .select_related(
            "dossier__procedure_version__procedure",
            "dossier__receiving_unit",
            "receipt_unit__parent",
            "created_by",
        )
        .filter(txn_ref=txn_ref)
        .first()
    )
    if found is None:
        raise NotFound(_("Không tìm thấy giao dịch %(ref)s.") % {"ref": txn_ref})
    return found


def may_refund(*, viewer: Any, payment: Payment) -> bool:
    """The desk that received the dossier or its center's leader, for money actually held."""
    if payment.refundable_amount <= 0:
        return False
    return bool(roles_in(viewer, payment.dossier.receiving_unit) & REFUND_ROLES)


def may_reconcile(*, viewer: Any) -> bool:
    """The center's leader answers for the merchant account, so they see the reconciliation."""
    return has_role(user=viewer, roles=[Role.CENTER_LEADER])


def reconciliation_get(*, viewer: Any, day: dt.date) -> ReconciliationReport | None:
    if not may_reconcile(viewer=viewer):
        raise PermissionDenied(_("Chỉ lãnh đạo Trung tâm được xem đối soát thanh toán."))
    return ReconciliationReport.objects.filter(day=day).first()


def payment_status_choices() -> list[tuple[str, str]]:
    """The back-office list's status filter: the statuses, and "with a refund"."""
    statuses = [(value, str(label)) for value, label in PaymentStatus.choices]
    return [*statuses, (REFUNDED_FILTER, _("Có hoàn tiền"))]
