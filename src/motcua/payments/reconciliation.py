"""The daily reconciliation: our payments of a day against the gateway's statement of that day.

Every difference is listed, never corrected here: money found at the gateway that we do not
know, payments we count that the gateway does not, a different amount or outcome, and dues
paid twice (to be refunded). Officers act on the list (refunds, follow-up with the provider).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.audit.services import event_append
from motcua.core.errors import Conflict, DomainError
from motcua.payments import gateway, protocol
from motcua.payments.models import (
    MONEY_RECEIVED,
    MismatchKind,
    Payment,
    Problem,
    Provider,
    ReconciliationReport,
)

logger = logging.getLogger(__name__)

# The gateway closes its day some time after midnight; the sweep reconciles the day before
# from this hour on.
RECONCILE_FROM_HOUR = 1


@dataclass(frozen=True)
class Comparison:
    mismatches: list[dict[str, Any]]
    matched: int


def _local_day_range(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def _ours(day: dt.date, gateway_refs: Iterable[str]) -> dict[str, Payment]:
    """Our gateway payments started or paid that day, and any the statement names."""
    start, end = _local_day_range(day)
    payments = Payment.objects.filter(
        Q(created_at__gte=start, created_at__lt=end)
        | Q(paid_at__gte=start, paid_at__lt=end)
        | Q(txn_ref__in=list(gateway_refs)),
        provider=Provider.GATEWAY,
    ).select_related("dossier")
    return {p.txn_ref: p for p in payments}


def _our_view(payment: Payment) -> dict[str, Any]:
    return {
        "status": payment.status,
        "amount": payment.amount,
        "received_amount": payment.received_amount,
        "refunded_amount": payment.refunded_amount,
        "paid_at": payment.paid_at.isoformat() if payment.paid_at else None,
    }


def _gateway_view(row: dict[str, Any]) -> dict[str, Any]:
    paid_at = protocol.parse_gateway_time(str(row.get("vnp_PayDate", "")))
    return {
        "status": str(row.get("vnp_TransactionStatus", "")),
        "amount": protocol.parse_amount(row.get("vnp_Amount")),
        "transaction_no": str(row.get("vnp_TransactionNo", "")),
        "paid_at": paid_at.isoformat() if paid_at else None,
    }


def _kinds(payment: Payment | None, row: dict[str, Any] | None) -> list[str]:
    """The mismatches of one transaction reference."""
    if payment is None:
        return [MismatchKind.MISSING_HERE]
    ours_received = payment.status in MONEY_RECEIVED
    if row is None:
        return [MismatchKind.MISSING_AT_GATEWAY] if ours_received else []
    kinds: list[str] = []
    gateway_received = row.get("vnp_TransactionStatus") == protocol.SUCCESS
    if ours_received != gateway_received:
        kinds.append(MismatchKind.STATUS_DIFFERS)
    if gateway_received and protocol.parse_amount(row.get("vnp_Amount")) != payment.amount:
        kinds.append(MismatchKind.AMOUNT_DIFFERS)
    if payment.problem == Problem.PAID_TWICE:
        kinds.append(MismatchKind.PAID_TWICE)
    return kinds


def compare(ours: dict[str, Payment], statement: list[dict[str, Any]]) -> Comparison:
    """Every reference on either side, with what differs (pure: no database, no network)."""
    theirs = {str(row.get("vnp_TxnRef", "")): row for row in statement}
    mismatches: list[dict[str, Any]] = []
    matched = 0
    for ref in sorted(set(ours) | set(theirs)):
        payment, row = ours.get(ref), theirs.get(ref)
        kinds = _kinds(payment, row)
        if not kinds and payment is not None and row is not None:
            matched += 1
        mismatches += [
            {
                "kind": str(kind),
                "txn_ref": ref,
                "dossier": payment.dossier.code if payment else "",
                "ours": _our_view(payment) if payment else None,
                "gateway": _gateway_view(row) if row else None,
            }
            for kind in kinds
        ]
    return Comparison(mismatches=mismatches, matched=matched)


def _totals(day: dt.date, ours: dict[str, Payment], statement: list[dict[str, Any]]) -> dict:
    start, end = _local_day_range(day)
    received = [
        p
        for p in ours.values()
        if p.status in MONEY_RECEIVED and p.paid_at and start <= p.paid_at < end
    ]
    succeeded = [r for r in statement if r.get("vnp_TransactionStatus") == protocol.SUCCESS]
    return {
        "our_count": len(received),
        "our_total": sum(p.received_amount or 0 for p in received),
        "gateway_count": len(succeeded),
        "gateway_total": sum(protocol.parse_amount(r.get("vnp_Amount")) or 0 for r in succeeded),
    }


def reconciliation_run(*, day: dt.date, actor: Any = None) -> ReconciliationReport:
    """Fetch the gateway's statement of `day`, compare, and keep the report (a re-run of the
    same day replaces it; each run is in the audit log)."""
    try:
        statement = gateway.statement(day=day)
    except gateway.GatewayUnavailable as error:
        raise Conflict(
            _("Không lấy được bảng kê giao dịch của cổng thanh toán: %(error)s") % {"error": error},
            code="gateway_unavailable",
        ) from error
    ours = _ours(day, (str(row.get("vnp_TxnRef", "")) for row in statement))
    comparison = compare(ours, statement)
    with transaction.atomic():
        report, _created = ReconciliationReport.objects.update_or_create(
            day=day,
            defaults={
                "generated_at": timezone.now(),
                "generated_by": actor if getattr(actor, "is_authenticated", False) else None,
                "matched_count": comparison.matched,
                "mismatches": comparison.mismatches,
                **_totals(day, ours, statement),
            },
        )
        event_append(
            actor=actor,
            actor_role="" if actor else "system",
            kind="payment.reconciled",
            target_type="reconciliation",
            target_id=day.isoformat(),
            data={
                "mismatches": len(comparison.mismatches),
                "matched": comparison.matched,
                "gateway_total": report.gateway_total,
                "our_total": report.our_total,
            },
        )
    return report


def reconciliation_catch_up(*, now: dt.datetime | None = None) -> ReconciliationReport | None:
    """The sweep's daily round: reconcile yesterday once, when it has no report yet."""
    local = timezone.localtime(now or timezone.now())
    yesterday = local.date() - dt.timedelta(days=1)
    if (
        local.hour < RECONCILE_FROM_HOUR
        or ReconciliationReport.objects.filter(day=yesterday).exists()
    ):
        return None
    try:
        return reconciliation_run(day=yesterday)
    except DomainError as error:
        logger.warning("Reconciliation of %s not done: %s", yesterday, error.message)
        return None
