"""The gateway misbehaving: a query that times out or answers garbage, notifications replayed,
contradicting each other or arriving all at once. Nothing is paid twice, nothing is marked
paid without the gateway's signed word for that very payment and amount, and the gateway gets
the answer its protocol expects.

Already proven elsewhere and not repeated here: a repeated IPN ("02", test_notify), a bad
signature or another merchant ("97"), a wrong amount ("04", kept to refund), an unknown
transaction ("01"), an IPN after our timeout, a late IPN for a due paid meanwhile, a query
to a gateway that is down (connection refused, test_recheck), a transaction the gateway never
saw (expired), and two IPNs for two payments of one due at once (test_concurrency).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from motcua.audit.models import Event
from motcua.dossiers.tests.helpers import receive
from motcua.lib.local_server import LocalHttpServer
from motcua.notifications.models import Message
from motcua.payments import gateway, protocol
from motcua.payments.models import (
    CallbackSource,
    GatewayCallback,
    Payment,
    PaymentStatus,
    Problem,
    Purpose,
)
from motcua.payments.selectors import dossier_fees_outstanding, due_for
from motcua.payments.services import (
    payment_notify,
    payment_query,
    payment_start,
    payments_recheck_pending,
)
from motcua.payments.tests.conftest import (
    BUSINESS_REGISTRATION,
    MERCHANT,
    SECRET,
    at,
    make_citizen,
    online,
)
from motcua.payments.tests.helpers import gateway_params

pytestmark = pytest.mark.django_db


class MisbehavingGateway(LocalHttpServer):
    """The gateway's query endpoint (querydr), answering as `mode` says: "paid" (signed, as the
    real one answers a paid transaction), "hang", "http_500", "html", "json_list",
    "bad_checksum", "other_txn", "wrong_amount", "flood"."""

    def __init__(self) -> None:
        self.mode = "paid"
        self.queries = 0
        self.amount = 0
        self._released = threading.Event()
        self._listen("127.0.0.1", 0, _query_handler(self))

    def release(self) -> None:
        self._released.set()

    def answer(self, body: dict[str, Any]) -> tuple[int, str, bytes]:
        self.queries += 1
        if self.mode == "hang":
            self._released.wait()
        if self.mode == "http_500":
            return 500, "text/html", b"<html><body>Internal Server Error</body></html>"
        if self.mode == "html":
            return 200, "text/html", "<html>Hệ thống đang bảo trì</html>".encode()
        if self.mode == "json_list":
            return 200, "application/json", b"[]"
        fields = self._paid_fields(body)
        if self.mode == "other_txn":
            fields["vnp_TxnRef"] = "260101000000OTHER"
        if self.mode == "wrong_amount":
            fields["vnp_Amount"] = protocol.amount_field(self.amount * 10)
        answer: dict[str, Any] = protocol.query_answer_signed(fields, SECRET)
        if self.mode == "bad_checksum":
            answer["vnp_SecureHash"] = "0" * 128
        if self.mode == "flood":
            answer = {**{f"x{i}": "y" * 2000 for i in range(1000)}, "vnp_TxnRef": "z"}
        return 200, "application/json", json.dumps(answer).encode()

    def _paid_fields(self, body: dict[str, Any]) -> dict[str, str]:
        return {
            "vnp_ResponseId": "r1",
            "vnp_Command": "querydr",
            "vnp_ResponseCode": "00",
            "vnp_Message": "QueryDR Success",
            "vnp_TmnCode": MERCHANT,
            "vnp_TxnRef": str(body.get("vnp_TxnRef", "")),
            "vnp_Amount": protocol.amount_field(self.amount),
            "vnp_BankCode": "NCB",
            "vnp_PayDate": protocol.gateway_time(timezone.now()),
            "vnp_TransactionNo": "14000001",
            "vnp_TransactionType": "01",
            "vnp_TransactionStatus": "00",
            "vnp_OrderInfo": "Thanh toan le phi",
        }


def _query_handler(fake: MisbehavingGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, content_type, body = fake.answer(json.loads(self.rfile.read(length)))
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # we gave up waiting

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def misbehaving(settings: Any) -> Iterator[MisbehavingGateway]:
    fake = MisbehavingGateway()
    with fake:
        settings.MOTCUA_PAYMENT_GATEWAY_URL = fake.base_url
        yield fake
        fake.release()


def start(user: Any, dossier: Any, *, key: str = "k1", purpose: str = Purpose.FEE) -> Payment:
    payment, _url = payment_start(user=user, dossier=dossier, purpose=purpose, idempotency_key=key)
    return payment


def later(minutes: float) -> Any:
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False)


def status(payment: Payment) -> str:
    return Payment.objects.get(pk=payment.pk).status


def nothing_settled(dossier: Any) -> bool:
    """No payment paid, no receipt, no "paid" event or message; the fee still owed."""
    return (
        not Payment.objects.filter(status=PaymentStatus.PAID).exists()
        and not Payment.objects.exclude(receipt_number="").exists()
        and not Event.objects.filter(kind="payment.paid").exists()
        and not Message.objects.filter(topic="payment.paid").exists()
        and dossier_fees_outstanding(dossier) > 0
    )


# ---------------------------------------------------------------------------------------------
# The query (querydr) of the periodic re-check


def test_a_query_that_times_out_expires_nothing_and_is_asked_again(
    citizen, fee_dossier, misbehaving, monkeypatch
):
    # The gateway takes the connection and never answers; our client gives up.
    monkeypatch.setattr(gateway, "TIMEOUT_SECONDS", 0.5)
    misbehaving.mode, misbehaving.amount = "hang", 100_000
    payment = start(citizen, fee_dossier)

    with later(16):
        assert payments_recheck_pending() == 0

    # Past our timeout, but "no answer" is not "unpaid": nothing expires on a silence.
    assert status(payment) == PaymentStatus.PENDING
    assert nothing_settled(fee_dossier)
    assert not GatewayCallback.objects.exists()
    misbehaving.release()
    misbehaving.mode = "paid"
    with later(18):
        assert payments_recheck_pending() == 1
    assert status(payment) == PaymentStatus.PAID


@pytest.mark.parametrize("mode", ["http_500", "html", "json_list"])
def test_an_answer_that_is_not_a_signed_object_counts_as_no_answer(
    citizen, fee_dossier, misbehaving, mode
):
    misbehaving.mode, misbehaving.amount = mode, 100_000
    payment = start(citizen, fee_dossier)

    with later(16):
        assert payments_recheck_pending() == 0

    assert status(payment) == PaymentStatus.PENDING
    assert nothing_settled(fee_dossier)
    assert misbehaving.queries == 1


@pytest.mark.parametrize("mode", ["bad_checksum", "other_txn"])
def test_a_paid_answer_not_signed_for_this_payment_settles_nothing(
    citizen, fee_dossier, misbehaving, mode
):
    # "other_txn": another payment's signed answer, replayed for this one.
    misbehaving.mode, misbehaving.amount = mode, 100_000
    payment = start(citizen, fee_dossier)

    with later(16):
        assert payments_recheck_pending() == 0

    assert status(payment) == PaymentStatus.PENDING
    assert nothing_settled(fee_dossier)
    callback = GatewayCallback.objects.get()
    assert (callback.source, callback.signature_valid, callback.outcome) == (
        CallbackSource.QUERY,
        False,
        "invalid_signature",
    )


def test_a_signed_answer_with_another_amount_is_kept_to_refund_not_paid(
    citizen, fee_dossier, misbehaving
):
    misbehaving.mode, misbehaving.amount = "wrong_amount", 100_000
    payment = start(citizen, fee_dossier)

    with later(2):
        payments_recheck_pending()

    payment.refresh_from_db()
    assert (payment.status, payment.problem) == (PaymentStatus.TO_REFUND, Problem.AMOUNT_DIFFERS)
    assert payment.received_amount == 1_000_000 and not payment.receipt_number
    assert nothing_settled(fee_dossier)
    assert due_for(fee_dossier, Purpose.FEE).payable  # type: ignore[union-attr]


def test_a_flood_of_garbage_is_stored_bounded(citizen, fee_dossier, misbehaving):
    misbehaving.mode, misbehaving.amount = "flood", 100_000
    payment = start(citizen, fee_dossier)

    payment_query(payment=payment)

    callback = GatewayCallback.objects.get()
    assert not callback.signature_valid and status(payment) == PaymentStatus.PENDING
    assert len(callback.params) <= 60
    assert max(len(value) for value in callback.params.values()) <= 500


# ---------------------------------------------------------------------------------------------
# Notifications (IPN) that contradict, replay or flood


def test_an_ipn_without_parameters_or_with_a_flood_of_them_is_refused(client, citizen, fee_dossier):
    start(citizen, fee_dossier)
    url = reverse("portal:payment_ipn")

    assert client.get(url).json() == {"RspCode": "97", "Message": "Invalid signature"}
    flood = {f"vnp_X{i}": "9" * 5000 for i in range(1000)}
    assert client.get(url, flood).json()["RspCode"] == "97"

    assert nothing_settled(fee_dossier)
    stored = GatewayCallback.objects.order_by("pk").last()
    assert stored is not None and len(stored.params) <= 60
    assert max(len(value) for value in stored.params.values()) <= 500


def test_a_success_after_the_gateway_said_cancelled_marks_nothing_paid(citizen, fee_dossier):
    payment = start(citizen, fee_dossier)
    cancelled = gateway_params(payment, vnp_ResponseCode="24", vnp_TransactionStatus="02")
    assert payment_notify(cancelled) == ("00", "Confirm Success")

    # A contradicting word about a transaction the gateway already closed: answered "already
    # confirmed"; the daily reconciliation lists whatever the gateway really holds.
    assert payment_notify(gateway_params(payment)) == ("02", "Order already confirmed")

    assert status(payment) == PaymentStatus.FAILED
    assert nothing_settled(fee_dossier)
    assert due_for(fee_dossier, Purpose.FEE).payable  # type: ignore[union-attr]


def test_the_fee_notification_replayed_once_the_obligation_is_due_settles_nothing_more(
    citizen, obligation_dossier
):
    fee = start(citizen, obligation_dossier, key="fee")
    fee_ipn = gateway_params(fee, vnp_TransactionNo="1001")
    assert payment_notify(fee_ipn)[0] == "00"
    obligation = start(citizen, obligation_dossier, key="tax", purpose=Purpose.OBLIGATION)

    assert payment_notify(fee_ipn) == ("02", "Order already confirmed")

    assert status(obligation) == PaymentStatus.PENDING
    assert due_for(obligation_dossier, Purpose.OBLIGATION).payable  # type: ignore[union-attr]
    assert list(Payment.objects.filter(status=PaymentStatus.PAID)) == [fee]


def test_a_second_payment_of_the_obligation_with_the_same_transaction_is_to_refund(
    citizen, obligation_dossier
):
    # Two tabs: both opened a payment of the tax notice; the gateway reports both taken, the
    # second under the first one's transaction number.
    with at(2027, 3, 4, 10, 0):
        first = start(citizen, obligation_dossier, key="tab-1", purpose=Purpose.OBLIGATION)
        second = start(citizen, obligation_dossier, key="tab-2", purpose=Purpose.OBLIGATION)
        assert payment_notify(gateway_params(first, vnp_TransactionNo="2001"))[0] == "00"

        assert payment_notify(gateway_params(second, vnp_TransactionNo="2001")) == (
            "00",
            "Confirm Success",
        )

    second.refresh_from_db()
    assert (second.status, second.problem) == (PaymentStatus.TO_REFUND, Problem.PAID_TWICE)
    assert not second.receipt_number
    assert Payment.objects.filter(status=PaymentStatus.PAID).get() == first
    assert Event.objects.filter(kind="payment.paid").count() == 1


# ---------------------------------------------------------------------------------------------
# Everything at once (PostgreSQL: SQLite runs one writer at a time, there is no race to lose)

concurrently = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent writers"
)


def _all_at_once(calls: list[Any]) -> list[Any]:
    """Run the calls in threads released together, each on its own database connection."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = calls[index]()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _fee_payment(demo: Any) -> tuple[Any, Payment]:
    citizen = make_citizen("nhung", "046190001234")
    dossier = online(receive(demo.ward_officer, BUSINESS_REGISTRATION), citizen)
    return dossier, start(citizen, dossier)


@concurrently
def test_the_same_notification_six_times_at_once_settles_once(browser_demo):
    copies = 6
    dossier, payment = _fee_payment(browser_demo)
    params = gateway_params(payment)

    answers = _all_at_once([lambda: payment_notify(params)] * copies)

    assert sorted(code for code, _message in answers) == ["00"] + ["02"] * (copies - 1)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.receipt_number
    assert Event.objects.filter(kind="payment.paid").count() == 1
    assert Message.objects.filter(topic="payment.paid").count() == 2  # one email, one SMS
    assert dossier_fees_outstanding(dossier) == 0


@concurrently
def test_a_notification_and_a_query_at_once_settle_once(browser_demo, misbehaving):
    dossier, payment = _fee_payment(browser_demo)
    misbehaving.mode, misbehaving.amount = "paid", payment.amount

    ipn, query = _all_at_once(
        [lambda: payment_notify(gateway_params(payment)), lambda: payment_query(payment=payment)]
    )

    assert {ipn[0], str(query)} in ({"00", "already_confirmed"}, {"02", "paid"})
    assert status(payment) == PaymentStatus.PAID
    assert Event.objects.filter(kind="payment.paid").count() == 1
    assert dossier_fees_outstanding(dossier) == 0
