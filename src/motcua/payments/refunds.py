"""Refunds, recorded by an officer: the desk that received the dossier or its center's leader,
never more than the gateway took and was not yet given back. A refund does not reopen the due."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from motcua.core.errors import Conflict, PermissionDenied, ValidationFailed
from motcua.dossiers.processing import roles_in
from motcua.payments.models import Payment, Refund
from motcua.payments.selectors import REFUND_ROLES
from motcua.payments.services import _event, _tell_applicant
from motcua.payments.templatetags.payment_format import dong


def _refund_role(actor: Any, payment: Payment) -> str:
    held = roles_in(actor, payment.dossier.receiving_unit) & REFUND_ROLES
    if not held:
        raise PermissionDenied(
            _(
                "Chỉ công chức tiếp nhận hoặc lãnh đạo Trung tâm của %(unit)s được ghi nhận "
                "hoàn tiền."
            )
            % {"unit": payment.dossier.receiving_unit.name}
        )
    return sorted(held)[0]


def _refund_amount(value: Any, payment: Payment) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationFailed(
            _("Số tiền hoàn phải là số nguyên dương (đồng)."), extra={"field": "amount"}
        )
    if value > payment.refundable_amount:
        raise ValidationFailed(
            _("Số tiền hoàn vượt quá số tiền còn có thể hoàn (%(left)s).")
            % {"left": dong(payment.refundable_amount)},
            extra={"field": "amount"},
        )
    return value


@transaction.atomic
def refund_record(
    *, actor: Any, payment: Payment, amount: int, reason: str, gateway_reference: str = ""
) -> Refund:
    """An officer records money given back (at most what was received and not yet refunded)."""
    locked = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("dossier__receiving_unit")
        .get(pk=payment.pk)
    )
    role = _refund_role(actor, locked)
    if locked.refundable_amount <= 0:
        raise Conflict(
            _("Giao dịch %(ref)s không còn khoản tiền nào để hoàn.") % {"ref": locked.txn_ref},
            code="nothing_to_refund",
        )
    amount = _refund_amount(amount, locked)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed(_("Cần ghi lý do hoàn tiền."), extra={"field": "reason"})
    refund = Refund.objects.create(
        payment=locked,
        amount=amount,
        reason=reason,
        recorded_by=actor,
        recorded_at=timezone.now(),
        gateway_reference=" ".join(gateway_reference.split())[:60],
    )
    locked.refunded_amount += amount
    locked.save(update_fields=["refunded_amount"])
    _event(locked, "payment.refunded", actor=actor, role=role, amount=amount, reason=reason)
    with translation.override("vi"):
        subject = _("Hoàn tiền giao dịch %(ref)s") % {"ref": locked.txn_ref}
        body = _("Hồ sơ %(code)s: đã hoàn trả %(amount)s của giao dịch %(ref)s. Lý do: %(why)s") % {
            "code": locked.dossier.code,
            "amount": dong(amount),
            "ref": locked.txn_ref,
            "why": reason,
        }
    _tell_applicant(locked.dossier, topic="payment.refunded", subject=subject, body=body)
    payment.refunded_amount = locked.refunded_amount
    return refund
