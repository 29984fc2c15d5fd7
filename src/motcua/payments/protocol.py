"""The payment gateway's wire protocol, modelled on VNPAY 2.1.0: no Django, no I/O.

Both sides use it: our client (`payments.gateway`) and the local simulator
(`payments.gateway_simulator`), so a change of the protocol is made once.

- The payment URL, the browser return and the IPN carry `vnp_*` query parameters signed with
  `vnp_SecureHash` = HMAC-SHA512(secret, the parameters sorted by name and form-urlencoded, the
  hash itself left out), in lower-case hex.
- The query (`querydr`) is a JSON POST whose checksum covers fixed fields joined by "|", and so
  does its answer.
- The daily statement is our adapter for the provider's reconciliation file: a signed GET whose
  JSON answer is signed over its canonical JSON (see `statement_*`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

VERSION = "2.1.0"
CURRENCY = "VND"
HASH_FIELD = "vnp_SecureHash"
# Version 2.0 sent the algorithm's name; 2.1.0 does not, but a stray one is never signed.
UNSIGNED_FIELDS = frozenset({HASH_FIELD, "vnp_SecureHashType"})

# The gateway's clock: yyyyMMddHHmmss in GMT+7 (Vietnam has no daylight saving time).
GMT7 = timezone(timedelta(hours=7), "GMT+7")
TIME_FORMAT = "%Y%m%d%H%M%S"

# The success codes: vnp_ResponseCode of a payment, vnp_TransactionStatus of a transaction.
SUCCESS = "00"
# vnp_TransactionStatus "01": the transaction is not finished (the customer is still paying).
UNFINISHED = "01"
# vnp_ResponseCode of a querydr for a transaction the gateway does not know.
QUERY_NOT_FOUND = "91"

# The fields of a querydr request and of its answer, in the order their checksum joins them.
QUERY_REQUEST_FIELDS = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
QUERY_ANSWER_FIELDS = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
    "vnp_PromotionCode",
    "vnp_PromotionAmount",
)


def _hmac(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


def signing_data(params: Mapping[str, Any]) -> str:
    """What the hash covers: the `vnp_*` parameters but the hash, sorted, form-urlencoded."""
    fields = sorted(
        (key, str(value))
        for key, value in params.items()
        if key.startswith("vnp_") and key not in UNSIGNED_FIELDS and str(value) != ""
    )
    return urlencode(fields)


def sign(params: Mapping[str, Any], secret: str) -> str:
    return _hmac(secret, signing_data(params))


def signed(params: Mapping[str, Any], secret: str) -> dict[str, str]:
    """The parameters with their `vnp_SecureHash` added."""
    values = {key: str(value) for key, value in params.items()}
    values[HASH_FIELD] = sign(values, secret)
    return values


def verify(params: Mapping[str, Any], secret: str) -> bool:
    """Whether the parameters carry the hash of exactly these values (constant-time compare)."""
    given = str(params.get(HASH_FIELD, "")).lower()
    return bool(given) and hmac.compare_digest(given, sign(params, secret))


def checksum(values: Iterable[Any], secret: str) -> str:
    """The querydr and statement checksum: HMAC-SHA512 of the values joined by "|"."""
    return _hmac(secret, "|".join("" if v is None else str(v) for v in values))


def query_request_signed(fields: Mapping[str, Any], secret: str) -> dict[str, str]:
    values = {key: str(fields.get(key, "")) for key in QUERY_REQUEST_FIELDS}
    values.update({k: str(v) for k, v in fields.items() if k not in values})
    values[HASH_FIELD] = checksum((values[key] for key in QUERY_REQUEST_FIELDS), secret)
    return values


def query_request_valid(body: Mapping[str, Any], secret: str) -> bool:
    expected = checksum((body.get(key, "") for key in QUERY_REQUEST_FIELDS), secret)
    return hmac.compare_digest(str(body.get(HASH_FIELD, "")).lower(), expected)


def query_answer_signed(fields: Mapping[str, Any], secret: str) -> dict[str, str]:
    values = {key: str(fields.get(key, "")) for key in QUERY_ANSWER_FIELDS}
    values[HASH_FIELD] = checksum((values[key] for key in QUERY_ANSWER_FIELDS), secret)
    return values


def query_answer_valid(body: Mapping[str, Any], secret: str) -> bool:
    expected = checksum((body.get(key, "") for key in QUERY_ANSWER_FIELDS), secret)
    return hmac.compare_digest(str(body.get(HASH_FIELD, "")).lower(), expected)


# ---------------------------------------------------------------------------------------------
# The daily statement (our adapter for the provider's reconciliation file)


def statement_request_hash(*, tmn: str, date: str, secret: str) -> str:
    return checksum((tmn, date), secret)


def _canonical(body: Mapping[str, Any]) -> str:
    unsigned = {key: value for key, value in body.items() if key != "hash"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def statement_signed(body: Mapping[str, Any], secret: str) -> dict[str, Any]:
    return {**body, "hash": _hmac(secret, _canonical(body))}


def statement_valid(body: Mapping[str, Any], secret: str) -> bool:
    return hmac.compare_digest(str(body.get("hash", "")), _hmac(secret, _canonical(body)))


# ---------------------------------------------------------------------------------------------
# Values


def gateway_time(moment: datetime) -> str:
    """An aware datetime as the gateway writes it: yyyyMMddHHmmss, GMT+7."""
    return moment.astimezone(GMT7).strftime(TIME_FORMAT)


def parse_gateway_time(text: str) -> datetime | None:
    """The aware datetime of a gateway time, or None when it is missing or malformed."""
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=GMT7)
    except (TypeError, ValueError):
        return None


def amount_field(amount_vnd: int) -> str:
    """vnp_Amount: the amount in đồng times 100, digits only."""
    return str(amount_vnd * 100)


def parse_amount(text: Any) -> int | None:
    """The amount in đồng of a vnp_Amount, or None when it is not a whole number of đồng."""
    value = str(text or "")
    if not value.isascii() or not value.isdigit() or len(value) > 14 or int(value) % 100:
        return None
    return int(value) // 100


@dataclass(frozen=True)
class GatewayResult:
    """What a signed return, IPN or query answer says about one transaction."""

    txn_ref: str
    amount: int | None
    response_code: str
    transaction_status: str
    transaction_no: str
    bank_code: str
    pay_date: datetime | None

    @property
    def succeeded(self) -> bool:
        return self.response_code == SUCCESS and self.transaction_status == SUCCESS

    @property
    def unfinished(self) -> bool:
        """The gateway has no outcome yet: the customer is still paying, or never started."""
        return self.transaction_status in {"", UNFINISHED}


def result_of(params: Mapping[str, Any]) -> GatewayResult:
    """Read a return or IPN (`vnp_ResponseCode` is the payment's outcome)."""
    return GatewayResult(
        txn_ref=str(params.get("vnp_TxnRef", "")),
        amount=parse_amount(params.get("vnp_Amount")),
        response_code=str(params.get("vnp_ResponseCode", "")),
        transaction_status=str(params.get("vnp_TransactionStatus", "")),
        transaction_no=str(params.get("vnp_TransactionNo", ""))[:40],
        bank_code=str(params.get("vnp_BankCode", ""))[:20],
        pay_date=parse_gateway_time(str(params.get("vnp_PayDate", ""))),
    )


def query_result_of(answer: Mapping[str, Any]) -> GatewayResult:
    """Read a querydr answer: its vnp_ResponseCode is the query's, the transaction's outcome is
    vnp_TransactionStatus alone."""
    found = answer.get("vnp_ResponseCode") == SUCCESS
    status = str(answer.get("vnp_TransactionStatus", "")) if found else ""
    return GatewayResult(
        txn_ref=str(answer.get("vnp_TxnRef", "")),
        amount=parse_amount(answer.get("vnp_Amount")),
        response_code=SUCCESS if found else str(answer.get("vnp_ResponseCode", "")),
        transaction_status=status,
        transaction_no=str(answer.get("vnp_TransactionNo", ""))[:40],
        bank_code=str(answer.get("vnp_BankCode", ""))[:20],
        pay_date=parse_gateway_time(str(answer.get("vnp_PayDate", ""))),
    )
