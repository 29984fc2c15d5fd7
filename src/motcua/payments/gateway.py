"""Our side of the payment gateway: the signed payment URL, the query (querydr) and the daily
statement, over HTTP to MOTCUA_PAYMENT_GATEWAY_URL (the real gateway, or the local simulator)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone

from motcua.payments import protocol

PAY_PATH = "/paymentv2/vpcpay.html"
QUERY_PATH = "/merchant_webapi/api/transaction"
STATEMENT_PATH = "/statement"
TIMEOUT_SECONDS = 10


class GatewayUnavailable(Exception):
    """The gateway did not answer, or answered something we cannot trust."""


@dataclass(frozen=True)
class QueryAnswer:
    params: dict[str, Any]
    signature_valid: bool


def _base() -> str:
    return settings.MOTCUA_PAYMENT_GATEWAY_URL.rstrip("/")


def _secret() -> str:
    return str(settings.MOTCUA_PAYMENT_HASH_SECRET)


def merchant_code() -> str:
    return str(settings.MOTCUA_PAYMENT_MERCHANT_CODE)


def pay_url(params: dict[str, Any]) -> str:
    """The gateway's payment page for these (unsigned) parameters, signed."""
    return f"{_base()}{PAY_PATH}?{urlencode(protocol.signed(params, _secret()))}"


def verify(params: dict[str, Any]) -> bool:
    return protocol.verify(params, _secret())


def _read_json(request: urllib.request.Request) -> Any:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            detail = error.read().decode(errors="replace")[:200]
        raise GatewayUnavailable(f"HTTP {error.code}: {detail}") from error
    except (OSError, ValueError) as error:
        raise GatewayUnavailable(str(error)) from error


def query(*, txn_ref: str, transaction_date: dt.datetime, client_ip: str) -> QueryAnswer:
    """Ask the gateway what became of one transaction (querydr), server to server."""
    now = timezone.now()
    fields = {
        "vnp_RequestId": secrets.token_hex(16),
        "vnp_Version": protocol.VERSION,
        "vnp_Command": "querydr",
        "vnp_TmnCode": merchant_code(),
        "vnp_TxnRef": txn_ref,
        "vnp_TransactionDate": protocol.gateway_time(transaction_date),
        "vnp_CreateDate": protocol.gateway_time(now),
        "vnp_IpAddr": client_ip or "127.0.0.1",
        "vnp_OrderInfo": f"Truy van giao dich {txn_ref}",
    }
    body = protocol.query_request_signed(fields, _secret())
    request = urllib.request.Request(
        f"{_base()}{QUERY_PATH}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    answer = _read_json(request)
    if not isinstance(answer, dict):
        raise GatewayUnavailable(f"unexpected answer: {answer!r}"[:200])
    valid = protocol.query_answer_valid(answer, _secret()) and (
        answer.get("vnp_TmnCode") == merchant_code() and answer.get("vnp_TxnRef") == txn_ref
    )
    return QueryAnswer(params=answer, signature_valid=valid)


def statement(*, day: dt.date) -> list[dict[str, Any]]:
    """The gateway's transactions of one day (GMT+7), from its signed statement."""
    date = day.isoformat()
    tmn = merchant_code()
    signature = protocol.statement_request_hash(tmn=tmn, date=date, secret=_secret())
    query_string = urlencode({"tmn": tmn, "date": date, "hash": signature})
    answer = _read_json(urllib.request.Request(f"{_base()}{STATEMENT_PATH}?{query_string}"))
    if not isinstance(answer, dict) or not protocol.statement_valid(answer, _secret()):
        raise GatewayUnavailable("the statement's signature is not valid")
    if answer.get("tmn") != tmn or answer.get("date") != date:
        raise GatewayUnavailable("the statement is for another merchant or day")
    transactions = answer.get("transactions")
    if not isinstance(transactions, list):
        raise GatewayUnavailable("the statement has no list of transactions")
    return [t for t in transactions if isinstance(t, dict)]
