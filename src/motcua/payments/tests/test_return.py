"""The browser's return from the gateway: it shows where the payment stands and never settles
anything by itself; the gateway's signed answer to our query (or its IPN) does."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from motcua.core.errors import ValidationFailed
from motcua.payments import protocol
from motcua.payments.models import CallbackSource, GatewayCallback, Payment, PaymentStatus
from motcua.payments.services import payment_notify, payment_return, payment_start
from motcua.payments.tests.helpers import gateway_params, http, pay_at_gateway

pytestmark = pytest.mark.django_db


def start(user: Any, dossier: Any, key: str = "k1") -> tuple[Payment, str]:
    return payment_start(user=user, dossier=dossier, purpose="fee", idempotency_key=key)


def sources(payment: Payment) -> list[tuple[str, str]]:
    return list(GatewayCallback.objects.filter(payment=payment).values_list("source", "outcome"))


def test_the_return_without_a_notification_is_confirmed_by_querying_the_gateway(
    citizen, fee_dossier, gateway
):
    payment, url = start(citizen, fee_dossier)
    returned = pay_at_gateway(url)
    assert gateway.held, "the IPN is late: held at the gateway"

    shown = payment_return(returned)

    assert shown.status == PaymentStatus.PAID and shown.receipt_number
    # Settled by the gateway's signed answer to our query, not by the browser.
    assert sources(payment) == [
        (CallbackSource.RETURN, "shown"),
        (CallbackSource.QUERY, "paid"),
    ]
    # The notification, when it finally comes, finds it done.
    [late] = gateway.held
    assert payment_notify(late) == ("02", "Order already confirmed")
    assert Payment.objects.filter(status=PaymentStatus.PAID).count() == 1


def test_a_signed_return_the_gateway_does_not_confirm_leaves_the_payment_pending(
    citizen, fee_dossier, gateway
):
    payment, url = start(citizen, fee_dossier)
    # The citizen opened the gateway's page but has not paid; a return claiming success (signed
    # with our secret, which only a leak would allow) is not believed: the gateway says 01.
    assert http("GET", url).status == 200
    shown = payment_return(gateway_params(payment))
    assert shown.status == PaymentStatus.PENDING
    assert sources(payment) == [
        (CallbackSource.RETURN, "shown"),
        (CallbackSource.QUERY, "still_pending"),
    ]


def test_the_return_when_the_gateway_cannot_be_asked_stays_pending(citizen, fee_dossier):
    payment, _url = start(citizen, fee_dossier)
    shown = payment_return(gateway_params(payment))
    assert shown.status == PaymentStatus.PENDING
    assert sources(payment) == [(CallbackSource.RETURN, "shown")]
    assert Payment.objects.get(pk=payment.pk).last_checked_at is not None


def test_a_return_with_a_bad_signature_changes_nothing_and_asks_nothing(
    citizen, fee_dossier, gateway
):
    payment, url = start(citizen, fee_dossier)
    returned = pay_at_gateway(url)
    forged = {**returned, "vnp_Amount": "100"}
    with pytest.raises(ValidationFailed):
        payment_return(forged)
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING
    callback = GatewayCallback.objects.get()
    assert (callback.source, callback.signature_valid, callback.payment) == ("return", False, None)


def test_the_notification_before_the_return_leaves_the_return_nothing_to_do(
    citizen, fee_dossier, gateway
):
    payment, url = start(citizen, fee_dossier)
    returned = pay_at_gateway(url)
    [ipn] = gateway.held
    assert payment_notify(ipn)[0] == "00"
    shown = payment_return(returned)
    assert shown.status == PaymentStatus.PAID
    assert sources(payment) == [(CallbackSource.IPN, "paid"), (CallbackSource.RETURN, "shown")]


def test_a_cancelled_payment_comes_back_failed(citizen, fee_dossier, gateway):
    _payment, url = start(citizen, fee_dossier)
    returned = pay_at_gateway(url, action="cancel")
    assert returned["vnp_ResponseCode"] == "24"
    assert payment_return(returned).status == PaymentStatus.FAILED


def test_the_gateway_refuses_a_request_we_did_not_sign(citizen, fee_dossier, gateway):
    _payment, url = start(citizen, fee_dossier)
    params = dict(parse_qsl(urlsplit(url).query))
    cheaper = {**params, "vnp_Amount": "100"}
    refused = http("GET", f"{gateway.url}/paymentv2/vpcpay.html?{urlencode(cheaper)}")
    assert refused.status == 400 and "Sai chữ ký" in refused.body
    unsigned = {k: v for k, v in params.items() if k != "vnp_SecureHash"}
    unsigned["vnp_Amount"] = "1234"  # not a whole number of đồng
    bad_amount = protocol.signed(unsigned, "test-hash-secret")
    refused = http("GET", f"{gateway.url}/paymentv2/vpcpay.html?{urlencode(bad_amount)}")
    assert refused.status == 400 and "Số tiền không hợp lệ" in refused.body
    assert not gateway.ledger
