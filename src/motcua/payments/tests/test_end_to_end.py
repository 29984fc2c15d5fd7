"""The whole journey over real HTTP: our pages on Django's live server, the gateway simulator
on its own port; the browser is a plain HTTP client that follows each redirect itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from motcua.dossiers.tests.helpers import receive
from motcua.payments.gateway_simulator import GatewaySimulator
from motcua.payments.models import CallbackSource, GatewayCallback, Payment, PaymentStatus
from motcua.payments.tests.conftest import (
    BUSINESS_REGISTRATION,
    MERCHANT,
    SECRET,
    closed_port,
    make_citizen,
    online,
)
from motcua.payments.tests.helpers import Reply, http

pytestmark = pytest.mark.django_db(transaction=True)


class Browser:
    """A citizen's browser: their session cookie and the CSRF cookie, no JavaScript."""

    def __init__(self, session: str) -> None:
        self.cookies = {"sessionid": session}

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method: str, url: str, form: dict[str, str] | None = None) -> Reply:
        reply = http(method, url, form=form, cookies=self._cookie_header())
        found = re.search(r"csrftoken=([^;]+)", reply.headers.get("set-cookie", ""))
        if found:
            self.cookies["csrftoken"] = found.group(1)
        return reply


@pytest.fixture
def simulator(live_server: Any, settings: Any) -> Iterator[GatewaySimulator]:
    with GatewaySimulator(
        tmn_code=MERCHANT,
        secret=SECRET,
        ipn_url=f"{live_server.url}{reverse('portal:payment_ipn')}",
        ipn_retry_delay=0.05,
    ) as gateway:
        settings.MOTCUA_PAYMENT_GATEWAY_URL = gateway.url
        settings.SITE_URL = live_server.url
        yield gateway


@pytest.fixture
def journey(browser_demo: Any, live_server: Any, simulator: GatewaySimulator) -> dict[str, Any]:
    citizen = make_citizen("nhung", "046190001234")
    dossier = online(receive(browser_demo.ward_officer, BUSINESS_REGISTRATION), citizen)
    client = Client()
    client.force_login(citizen)
    return {
        "browser": Browser(client.cookies["sessionid"].value),
        "dossier": dossier,
        "dues_url": f"{live_server.url}{reverse('portal:payment', args=[dossier.code])}",
    }


def to_the_gateway(journey: dict[str, Any]) -> str:
    """On the dues page, press "Thanh toán trực tuyến"; returns where the browser is sent."""
    browser = journey["browser"]
    page = browser.request("GET", journey["dues_url"])
    assert page.status == 200 and "100.000 đồng" in page.body
    fields = dict(
        re.findall(r'name="(csrfmiddlewaretoken|idempotency_key)" value="([^"]+)"', page.body)
    )
    sent = browser.request("POST", journey["dues_url"], form={"purpose": "fee", **fields})
    assert sent.status == 302, sent.body
    return sent.location


def press(gateway_page: str, action: str) -> Reply:
    page = http("GET", gateway_page)
    assert page.status == 200 and "100.000 đồng" in page.body
    txn = re.search(r'name="txn" value="([^"]+)"', page.body)
    assert txn is not None
    base = f"{urlsplit(gateway_page).scheme}://{urlsplit(gateway_page).netloc}"
    return http(
        "POST",
        f"{base}/paymentv2/confirm",
        form={"txn": txn.group(1), "bank": "VCB", "action": action},
    )


def test_paid_the_gateway_notifies_us_then_sends_the_citizen_back(journey, simulator, live_server):
    done = press(to_the_gateway(journey), "pay")
    assert done.status == 302
    back = journey["browser"].request("GET", done.location)

    assert back.status == 200 and "Đã thanh toán" in back.body
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.PAID and payment.bank_code == "VCB"
    assert simulator.deliveries[0].answers == [{"RspCode": "00", "Message": "Confirm Success"}]
    assert list(GatewayCallback.objects.values_list("source", "outcome")) == [
        (CallbackSource.IPN, "paid"),
        (CallbackSource.RETURN, "shown"),
    ]
    receipt_path = reverse("portal:payment_receipt", args=[payment.dossier.code, payment.txn_ref])
    receipt = journey["browser"].request("GET", f"{live_server.url}{receipt_path}")
    assert receipt.status == 200 and receipt.headers["content-type"] == "application/pdf"
    # The gateway repeats its notification: answered "already confirmed", nothing moves.
    repeated = urlencode(simulator.deliveries[0].params)
    ipn = f"{live_server.url}{reverse('portal:payment_ipn')}?{repeated}"
    assert '"RspCode": "02"' in http("GET", ipn).body
    assert Payment.objects.get().receipt_number == payment.receipt_number


def test_paid_and_gone_the_notification_alone_settles_it(journey, simulator):
    done = press(to_the_gateway(journey), "pay_no_return")
    assert done.status == 200 and "Giao dịch thành công" in done.body
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.PAID
    assert not GatewayCallback.objects.filter(source=CallbackSource.RETURN).exists()


def test_back_without_a_notification_our_query_confirms_it(journey, simulator):
    # Our IPN endpoint cannot be reached: the gateway tries, then gives up.
    simulator.ipn_url = f"http://127.0.0.1:{closed_port()}/thanh-toan/ipn/"
    done = press(to_the_gateway(journey), "pay")
    assert all(str(a).startswith("error") for a in simulator.deliveries[0].answers)
    assert len(simulator.deliveries[0].answers) == simulator.ipn_attempts
    assert Payment.objects.get().status == PaymentStatus.PENDING

    back = journey["browser"].request("GET", done.location)

    assert back.status == 200 and "Đã thanh toán" in back.body
    assert list(GatewayCallback.objects.values_list("source", "outcome")) == [
        (CallbackSource.RETURN, "shown"),
        (CallbackSource.QUERY, "paid"),
    ]


def test_cancelled_the_citizen_is_told_and_may_pay_again(journey, simulator):
    done = press(to_the_gateway(journey), "cancel")
    back = journey["browser"].request("GET", done.location)
    assert "Thanh toán không thành công" in back.body
    assert Payment.objects.get().status == PaymentStatus.FAILED
    assert "Thanh toán trực tuyến" in journey["browser"].request("GET", journey["dues_url"]).body
