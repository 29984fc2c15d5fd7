"""Reaching payment states through the real services and the simulator's HTTP protocol."""

from __future__ import annotations

from dataclasses import dataclass
from http.client import HTTPConnection
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.conf import settings

from motcua.payments import protocol
from motcua.payments.models import Payment


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


def http(method: str, url: str, *, form: dict[str, str] | None = None, cookies: str = "") -> Reply:
    """One real HTTP exchange, redirects not followed (the tests follow them)."""
    split = urlsplit(url)
    connection = HTTPConnection(split.hostname or "", split.port, timeout=30)
    headers = {"Cookie": cookies} if cookies else {}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    path = split.path + (f"?{split.query}" if split.query else "")
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Reply(
            status=response.status,
            headers={k.lower(): v for k, v in response.getheaders()},
            body=response.read().decode(errors="replace"),
        )
    finally:
        connection.close()


def pay_at_gateway(pay_url: str, *, action: str = "pay", bank: str = "NCB") -> dict[str, str]:
    """A citizen on the simulator's page: open it, press a button. Returns the signed
    parameters of the browser's return (empty when the gateway does not send it back)."""
    page = http("GET", pay_url)
    assert page.status == 200, page.body
    txn_ref = dict(parse_qsl(urlsplit(pay_url).query))["vnp_TxnRef"]
    base = f"{urlsplit(pay_url).scheme}://{urlsplit(pay_url).netloc}"
    done = http(
        "POST",
        f"{base}/paymentv2/confirm",
        form={"txn": txn_ref, "bank": bank, "action": action},
    )
    if action == "pay_no_return":
        assert done.status == 200, done.body
        return {}
    assert done.status == 302, done.body
    return dict(parse_qsl(urlsplit(done.location).query))


def gateway_params(payment: Payment, **fields: Any) -> dict[str, str]:
    """A notification about `payment` signed with our secret, as the gateway would sign it;
    `fields` override the successful defaults."""
    values = {
        "vnp_Amount": protocol.amount_field(payment.amount),
        "vnp_BankCode": "NCB",
        "vnp_OrderInfo": f"Thanh toan ho so {payment.dossier.code}",
        "vnp_PayDate": protocol.gateway_time(payment.created_at),
        "vnp_ResponseCode": "00",
        "vnp_TmnCode": settings.MOTCUA_PAYMENT_MERCHANT_CODE,
        "vnp_TransactionNo": "14999999",
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": payment.txn_ref,
    }
    values.update({key: str(value) for key, value in fields.items()})
    return protocol.signed(values, str(settings.MOTCUA_PAYMENT_HASH_SECRET))
