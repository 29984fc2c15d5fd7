"""Writes on payments: start a payment at the gateway, take in what the gateway says (IPN,
browser return, query), re-check what is left pending (refunds are in `refunds`).

Nothing is marked paid without a signed word from the gateway, server to server: its IPN, or
its answer to our query (querydr). The browser's return only shows where things stand and may
trigger a query. Every signed answer goes through `_apply`, under a lock on the payment row,
so repeats and races settle a due at most once (and the `payment_paid_once` constraint holds
even if that logic failed); money taken for a due already settled is kept "to refund".
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from motcua.agencies.selectors import agency_of
from motcua.audit.services import event_append
from motcua.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from motcua.dossiers.models import Dossier, DossierState, PaymentNotice
from motcua.dossiers.processing.pauses import payment_record_online
from motcua.notifications.services import message_enqueue
from motcua.payments import gateway, protocol
from motcua.payments.models import (
    OPEN_STATUSES,
    CallbackSource,
    GatewayCallback,
    Payment,
    PaymentStatus,
    Problem,
    Provider,
    Purpose,
)
from motcua.payments.receipts import receipt_number_take
from motcua.payments.selectors import FEE_CLOSED_STATES, due_for
from motcua.payments.templatetags.payment_format import dong

logger = logging.getLogger(__name__)

# The audit log's role for what the system records on the gateway's word.
SYSTEM_ROLE = "system"
# A payment is first asked about a minute after it started, then at most once a minute.
RECHECK_AFTER = dt.timedelta(minutes=1)
RECHECK_BATCH = 100


class Outcome(StrEnum):
    """What we made of one message from the gateway (GatewayCallback.outcome)."""

    PAID = "paid"
    TO_REFUND = "to_refund"
    FAILED = "failed"
    PENDING = "still_pending"
    ALREADY = "already_confirmed"
    AMOUNT = "amount_mismatch"
    NOT_FOUND = "order_not_found"
    BAD_SIGNATURE = "invalid_signature"
    SHOWN = "shown"
    UNREACHABLE = "gateway_unreachable"


# The IPN's answer to the gateway (RspCode, Message), as VNPAY expects it.
CONFIRMED = ("00", "Confirm Success")
IPN_ANSWERS = {
    Outcome.PAID: CONFIRMED,
    Outcome.TO_REFUND: CONFIRMED,
    Outcome.FAILED: CONFIRMED,
    Outcome.PENDING: CONFIRMED,
    Outcome.ALREADY: ("02", "Order already confirmed"),
    Outcome.AMOUNT: ("04", "Invalid amount"),
    Outcome.NOT_FOUND: ("01", "Order not found"),
    Outcome.BAD_SIGNATURE: ("97", "Invalid signature"),
}
IPN_UNKNOWN_ERROR = ("99", "Unknown error")

# What the citizen reads on the gateway's page and statement: no diacritics, as VNPAY asks.
_ORDER_INFO = {Purpose.FEE: "le phi", Purpose.OBLIGATION: "nghia vu tai chinh"}


# ---------------------------------------------------------------------------------------------
# Starting a payment


def payment_start(
    *, user: Any, dossier: Dossier, purpose: str, idempotency_key: str, client_ip: str = ""
) -> tuple[Payment, str]:
    """Open a transaction at the gateway for one due of the dossier; returns it and the URL of
    the gateway's payment page. The same key again gets the same transaction.

    The caller has checked that the user may pay for the dossier (citizen_dossier_get).
    """
    key = (idempotency_key or "").strip()[:100]
    if not key:
        raise ValidationFailed(_("Thiếu mã chống gửi trùng; hãy tải lại trang."))
    replayed = _replay(user=user, key=key, dossier=dossier, purpose=purpose)
    if replayed is not None:
        return replayed, replayed.pay_url
    if purpose not in Purpose.values:
        raise ValidationFailed(_("Khoản thanh toán không hợp lệ."), extra={"field": "purpose"})
    due = due_for(dossier, purpose)
    if due is None or not due.payable:
        raise Conflict(
            _("Hồ sơ %(code)s không có khoản «%(what)s» cần thanh toán lúc này.")
            % {"code": dossier.code, "what": Purpose(purpose).label},
            code="nothing_to_pay",
        )
    try:
        with transaction.atomic():
            payment = _payment_create(
                user=user, dossier=dossier, due=due, key=key, client_ip=client_ip
            )
    except IntegrityError:
        # The same request, sent twice at once: the other one created the transaction.
        replayed = _replay(user=user, key=key, dossier=dossier, purpose=purpose)
        if replayed is None:
            raise
        return replayed, replayed.pay_url
    return payment, payment.pay_url


def _replay(*, user: Any, key: str, dossier: Dossier, purpose: str) -> Payment | None:
    existing = Payment.objects.filter(created_by=user, idempotency_key=key).first()
    if existing is not None and (existing.dossier_id, existing.purpose) != (dossier.pk, purpose):
        raise Conflict(
            _("Mã chống gửi trùng đã dùng cho một giao dịch khác; hãy tải lại trang."),
            code="idempotency_key_reused",
        )
    return existing


def _new_txn_ref(now: dt.datetime) -> str:
    # Time first, so references sort by when they were made; the random part makes them
    # unguessable and unique.
    return f"{timezone.localtime(now):%y%m%d%H%M%S}{secrets.token_hex(4).upper()}"


def return_url() -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse('portal:payment_return')}"


def _payment_create(*, user: Any, dossier: Dossier, due: Any, key: str, client_ip: str) -> Payment:
    now = timezone.now()
    expires_at = now + dt.timedelta(minutes=settings.MOTCUA_PAYMENT_TIMEOUT_MINUTES)
    txn_ref = _new_txn_ref(now)
    description = str(due.purpose_label) + (
        " — " + _("thông báo số %(n)s") % {"n": due.notice_number} if due.notice_number else ""
    )
    params = {
        "vnp_Version": protocol.VERSION,
        "vnp_Command": "pay",
        "vnp_TmnCode": gateway.merchant_code(),
        "vnp_Amount": protocol.amount_field(due.amount),
        "vnp_CurrCode": protocol.CURRENCY,
        "vnp_TxnRef": txn_ref,
        "vnp_OrderInfo": f"Thanh toan {_ORDER_INFO[due.purpose]} ho so {dossier.code}",
        "vnp_OrderType": "billpayment",
        "vnp_Locale": "vn",
        "vnp_ReturnUrl": return_url(),
        "vnp_IpAddr": client_ip or "127.0.0.1",
        "vnp_CreateDate": protocol.gateway_time(now),
        "vnp_ExpireDate": protocol.gateway_time(expires_at),
    }
    payment = Payment.objects.create(
        dossier=dossier,
        purpose=due.purpose,
        lines=[{"kind": line.kind, "name": line.name, "amount": line.amount} for line in due.lines],
        description=description[:300],
        amount=due.amount,
        provider=Provider.GATEWAY,
        txn_ref=txn_ref,
        created_by=user,
        idempotency_key=key,
        pay_url=gateway.pay_url(params),
        client_ip=client_ip[:45],
        created_at=now,
        expires_at=expires_at,
    )
    _event(payment, "payment.started", actor=user, role="applicant", amount=payment.amount)
    return payment


# ---------------------------------------------------------------------------------------------
# What the gateway says


def _clean_params(params: Mapping[str, Any]) -> dict[str, str]:
    """The parameters as received, bounded (an attacker's garbage is stored, but not all)."""
    return {str(k)[:60]: str(v)[:500] for k, v in list(params.items())[:60]}


def _signed_by_gateway(values: Mapping[str, Any]) -> bool:
    return gateway.verify(dict(values)) and values.get("vnp_TmnCode") == gateway.merchant_code()


def _callback(
    source: str,
    values: Mapping[str, Any],
    *,
    valid: bool,
    remote_addr: str = "",
    payment: Payment | None = None,
) -> GatewayCallback:
    return GatewayCallback.objects.create(
        payment=payment,
        source=source,
        txn_ref=str(values.get("vnp_TxnRef", ""))[:100],
        params=dict(values),
        signature_valid=valid,
        remote_addr=remote_addr[:45],
    )


def _record(callback: GatewayCallback, outcome: Outcome, answer: str = "") -> Outcome:
    callback.outcome, callback.answer = outcome, answer
    callback.save(update_fields=["payment", "outcome", "answer"])
    return outcome


def payment_notify(params: Mapping[str, Any], *, remote_addr: str = "") -> tuple[str, str]:
    """The gateway's server-to-server notification (IPN): check it, settle the due at most once,
    and answer (RspCode, Message). Repeats are answered "02" and change nothing."""
    values = _clean_params(params)
    valid = _signed_by_gateway(values)
    with transaction.atomic():
        callback = _callback(CallbackSource.IPN, values, valid=valid, remote_addr=remote_addr)
        if not valid:
            outcome = Outcome.BAD_SIGNATURE
        else:
            payment = _locked_payment(values.get("vnp_TxnRef", ""))
            callback.payment = payment
            outcome = _apply(payment, protocol.result_of(values)) if payment else Outcome.NOT_FOUND
        code, message = IPN_ANSWERS[outcome]
        _record(callback, outcome, code)
    return code, message


def payment_return(params: Mapping[str, Any], *, remote_addr: str = "") -> Payment:
    """The citizen's browser came back from the gateway: it changes nothing by itself. While the
    payment is open, the gateway is asked (querydr), whose signed answer counts."""
    values = _clean_params(params)
    valid = _signed_by_gateway(values)
    with transaction.atomic():
        payment = (
            Payment.objects.filter(txn_ref=values.get("vnp_TxnRef", "")).first() if valid else None
        )
        callback = _callback(
            CallbackSource.RETURN, values, valid=valid, remote_addr=remote_addr, payment=payment
        )
        outcome = Outcome.SHOWN if payment else Outcome.NOT_FOUND
        _record(callback, outcome if valid else Outcome.BAD_SIGNATURE)
    if not valid:
        raise ValidationFailed(
            _("Kết quả chuyển về từ cổng thanh toán không hợp lệ (sai chữ ký); không ghi nhận."),
            code="invalid_signature",
        )
    if payment is None:
        raise NotFound(_("Không tìm thấy giao dịch %(ref)s.") % {"ref": values.get("vnp_TxnRef")})
    if payment.status in OPEN_STATUSES:
        payment_query(payment=payment)
        payment.refresh_from_db()
    return payment


def payment_query(*, payment: Payment, now: dt.datetime | None = None) -> Outcome:
    """Ask the gateway about one payment (querydr) and apply its signed answer."""
    now = now or timezone.now()
    try:
        answer = gateway.query(
            txn_ref=payment.txn_ref, transaction_date=payment.created_at, client_ip=""
        )
    except gateway.GatewayUnavailable as error:
        logger.warning("Payment %s: the gateway did not answer the query: %s", payment, error)
        Payment.objects.filter(pk=payment.pk).update(last_checked_at=now)
        return Outcome.UNREACHABLE
    with transaction.atomic():
        locked = _locked_payment(payment.txn_ref)
        assert locked is not None
        locked.last_checked_at = now
        locked.save(update_fields=["last_checked_at"])
        # Bounded as an IPN is: a broken gateway's answer may be anything, of any size.
        callback = _callback(
            CallbackSource.QUERY,
            _clean_params(answer.params),
            valid=answer.signature_valid,
            payment=locked,
        )
        if not answer.signature_valid:
            return _record(callback, Outcome.BAD_SIGNATURE)
        return _record(callback, _apply(locked, protocol.query_result_of(answer.params)))


def _locked_payment(txn_ref: str) -> Payment | None:
    return (
        Payment.objects.select_for_update()
        .filter(txn_ref=txn_ref, provider=Provider.GATEWAY)
        .first()
    )


def _apply(payment: Payment, result: protocol.GatewayResult) -> Outcome:
    """What a signed message changes; the payment row is locked by the caller."""
    if result.unfinished and not result.succeeded:
        return Outcome.PENDING
    if result.amount != payment.amount:
        if result.succeeded and result.amount is not None and payment.status in OPEN_STATUSES:
            _to_refund(payment, result, Problem.AMOUNT_DIFFERS)
        return Outcome.AMOUNT
    if payment.status not in OPEN_STATUSES:
        return Outcome.ALREADY
    if result.succeeded:
        return _settle(payment, result)
    _fail(payment, result)
    return Outcome.FAILED


def _gateway_fields(payment: Payment, result: protocol.GatewayResult) -> list[str]:
    payment.gateway_transaction_no = result.transaction_no
    payment.bank_code = result.bank_code
    return ["gateway_transaction_no", "bank_code"]


def _paid_at(payment: Payment, result: protocol.GatewayResult) -> dt.datetime:
    """When the gateway took the money, by its clock, kept between the start and now."""
    now = timezone.now()
    return min(max(result.pay_date or now, payment.created_at), now)


def _settle(payment: Payment, result: protocol.GatewayResult) -> Outcome:
    # The dossier row lock queues the settlements of one dossier (and is the lock the desk's
    # payment_record takes), so the checks below see every settlement committed before.
    dossier = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("receiving_unit__parent")
        .get(pk=payment.dossier_id)
    )
    problem = _unsettled_because(payment, dossier)
    if problem:
        _to_refund(payment, result, problem)
        return Outcome.TO_REFUND
    try:
        with transaction.atomic():
            _mark_paid(payment, dossier, result)
    except IntegrityError:
        # The constraint caught a settlement the checks could not see: this money is extra.
        payment.refresh_from_db()
        _to_refund(payment, result, Problem.PAID_TWICE)
        return Outcome.TO_REFUND
    except DomainError:
        # The notice could no longer be paid (payment_record_online refused): nothing written.
        payment.refresh_from_db()
        _to_refund(payment, result, Problem.DUE_CLOSED)
        return Outcome.TO_REFUND
    return Outcome.PAID


def _unsettled_because(payment: Payment, dossier: Dossier) -> str:
    others = Payment.objects.filter(
        dossier=dossier, purpose=payment.purpose, status=PaymentStatus.PAID
    ).exclude(pk=payment.pk)
    if others.exists():
        return Problem.PAID_TWICE
    if payment.purpose == Purpose.FEE:
        return Problem.DUE_CLOSED if dossier.state in FEE_CLOSED_STATES else ""
    notice = PaymentNotice.objects.filter(dossier=dossier).first()
    if notice is not None and notice.paid_at is not None:
        return Problem.PAID_TWICE
    if notice is None or dossier.state != DossierState.AWAITING_PAYMENT:
        return Problem.DUE_CLOSED
    return ""


def _mark_paid(payment: Payment, dossier: Dossier, result: protocol.GatewayResult) -> None:
    paid_at = _paid_at(payment, result)
    unit = agency_of(unit=dossier.receiving_unit)
    fields = _gateway_fields(payment, result)
    payment.status, payment.problem, payment.paid_at = PaymentStatus.PAID, "", paid_at
    payment.received_amount, payment.receipt_unit = result.amount, unit
    payment.receipt_number = receipt_number_take(unit=unit, at=paid_at)
    payment.save(
        update_fields=[
            *fields,
            "status",
            "problem",
            "paid_at",
            "received_amount",
            "receipt_unit",
            "receipt_number",
        ]
    )
    if payment.purpose == Purpose.OBLIGATION:
        payment_record_online(
            code=dossier.code, receipt_number=payment.receipt_number, paid_at=paid_at
        )
    _event(payment, "payment.paid", receipt=payment.receipt_number, paid_at=paid_at)
    with translation.override("vi"):
        subject = _("Đã nhận thanh toán cho hồ sơ %(code)s") % {"code": dossier.code}
        body = _(
            "Hồ sơ %(code)s: đã nhận %(amount)s (%(what)s) qua cổng thanh toán. "
            "Biên lai điện tử số %(receipt)s."
        ) % {
            "code": dossier.code,
            "amount": dong(payment.amount),
            "what": Purpose(payment.purpose).label,
            "receipt": payment.receipt_number,
        }
    _tell_applicant(dossier, topic="payment.paid", subject=subject, body=body)


def _to_refund(payment: Payment, result: protocol.GatewayResult, problem: str) -> None:
    """The gateway took money that settles nothing: keep it on record, to be given back."""
    fields = _gateway_fields(payment, result)
    payment.status, payment.problem = PaymentStatus.TO_REFUND, problem
    payment.received_amount, payment.paid_at = result.amount, _paid_at(payment, result)
    payment.save(update_fields=[*fields, "status", "problem", "received_amount", "paid_at"])
    _event(payment, "payment.to_refund", problem=problem, received=result.amount)
    dossier = payment.dossier
    with translation.override("vi"):
        subject = _("Khoản thanh toán cho hồ sơ %(code)s sẽ được hoàn trả") % {"code": dossier.code}
        body = _(
            "Hồ sơ %(code)s: giao dịch %(ref)s (%(amount)s) không được ghi nhận vì: %(why)s. "
            "Số tiền sẽ được hoàn trả; %(desk)s sẽ liên hệ với ông/bà."
        ) % {
            "code": dossier.code,
            "ref": payment.txn_ref,
            "amount": dong(result.amount or 0),
            "why": str(Problem(problem).label).lower(),
            "desk": dossier.receiving_unit.name,
        }
    _tell_applicant(dossier, topic="payment.to_refund", subject=subject, body=body)


def _fail(payment: Payment, result: protocol.GatewayResult) -> None:
    fields = _gateway_fields(payment, result)
    payment.status = PaymentStatus.FAILED
    payment.save(update_fields=[*fields, "status"])
    _event(payment, "payment.failed", response_code=result.response_code)


# ---------------------------------------------------------------------------------------------
# The periodic re-check


def payments_recheck_pending(*, now: dt.datetime | None = None, limit: int = RECHECK_BATCH) -> int:
    """Ask the gateway about payments left pending (no IPN yet); expire those past the timeout
    that the gateway says are unpaid. Returns how many payments changed."""
    now = now or timezone.now()
    waited = now - RECHECK_AFTER
    due = Payment.objects.filter(
        Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=waited),
        status=PaymentStatus.PENDING,
        provider=Provider.GATEWAY,
        created_at__lte=waited,
    ).order_by("created_at")[:limit]
    changed = 0
    for payment in due:
        outcome = payment_query(payment=payment, now=now)
        if outcome == Outcome.PENDING and now >= payment.expires_at:
            changed += _expire(payment)
        elif outcome in {Outcome.PAID, Outcome.TO_REFUND, Outcome.FAILED, Outcome.AMOUNT}:
            changed += 1
    return changed


@transaction.atomic
def _expire(payment: Payment) -> int:
    locked = _locked_payment(payment.txn_ref)
    if locked is None or locked.status != PaymentStatus.PENDING:
        return 0
    locked.status = PaymentStatus.EXPIRED
    locked.save(update_fields=["status"])
    _event(locked, "payment.expired")
    return 1


# ---------------------------------------------------------------------------------------------
# Shared


def _event(
    payment: Payment, kind: str, *, actor: Any = None, role: str = SYSTEM_ROLE, **data: Any
) -> None:
    event_append(
        actor=actor,
        actor_role=role,
        kind=kind,
        target_type="payment",
        target_id=payment.txn_ref,
        data={"dossier": payment.dossier.code, "purpose": payment.purpose, **data},
    )


def _tell_applicant(dossier: Dossier, *, topic: str, subject: str, body: str) -> None:
    message_enqueue(
        topic=topic,
        target_type="dossier",
        target_id=dossier.code,
        subject=subject,
        body=body,
        email=dossier.applicant_email,
        phone=dossier.applicant_phone,
    )
