"""A payment gateway on this machine, speaking the protocol of `payments.protocol` (VNPAY 2.1.0).

`make run` starts it with `manage.py payment_gateway_simulator --port 8010`; tests start it on
127.0.0.1, port 0, in a thread. It is never the real gateway: MOTCUA_PAYMENT_GATEWAY_URL points
at the provider in production.

- GET  /paymentv2/vpcpay.html  checks our signed request and shows a payment page (bank, "Thanh
  toán", "Hủy", and "pay without returning to the merchant"). On paying it sends the signed IPN
  to our IPN URL (retried on failure) and sends the browser back to vnp_ReturnUrl, signed.
- POST /merchant_webapi/api/transaction  answers a querydr.
- GET  /statement?tmn=…&date=YYYY-MM-DD&hash=…  the day's transactions, signed: our adapter for
  the provider's reconciliation file.

The ledger is kept in memory, and in a JSON file when one is given.
"""

from __future__ import annotations

import hmac
import json
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from html import escape
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from motcua.lib.local_server import LocalHttpServer
from motcua.payments import protocol

PAY_PATH = "/paymentv2/vpcpay.html"
CONFIRM_PATH = "/paymentv2/confirm"
QUERY_PATH = "/merchant_webapi/api/transaction"
STATEMENT_PATH = "/statement"
BANKS = ("NCB", "VCB", "BIDV", "VIETINBANK", "AGRIBANK", "TPBANK")
REQUIRED = (
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_Amount",
    "vnp_CurrCode",
    "vnp_TxnRef",
    "vnp_OrderInfo",
    "vnp_ReturnUrl",
    "vnp_IpAddr",
    "vnp_CreateDate",
    "vnp_ExpireDate",
    "vnp_SecureHash",
)
# vnp_Amount is Numeric[1,12]: đồng times 100, so it ends in 00.
AMOUNT = re.compile(r"^[1-9]\d{0,9}00$")
TXN_REF = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
# The merchant's answers after which the gateway stops re-sending an IPN.
FINAL_IPN_ANSWERS = frozenset({"00", "01", "02", "04", "97"})
# Response codes of a payment: success, cancelled by the customer, timed out.
PAID, CANCELLED, TIMED_OUT = "00", "24", "11"


class Refusal(Exception):
    """A request the gateway refuses, with its error code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Transaction:
    txn_ref: str
    amount: str
    order_info: str
    return_url: str
    create_date: str
    expire_date: str
    client_ip: str = ""
    status: str = protocol.UNFINISHED
    response_code: str = ""
    transaction_no: str = ""
    bank_code: str = ""
    pay_date: str = ""

    @property
    def day(self) -> str:
        """The day it belongs to in the statement: when it was paid, else when it started."""
        return (self.pay_date or self.create_date)[:8]


@dataclass
class IpnDelivery:
    params: dict[str, str]
    answers: list[Any] = field(default_factory=list)


class GatewaySimulator(LocalHttpServer):
    """The gateway: a ledger of transactions, an HTTP server, the IPN sender."""

    def __init__(
        self,
        *,
        tmn_code: str,
        secret: str,
        ipn_url: str,
        host: str = "127.0.0.1",
        port: int = 0,
        ledger_path: Path | None = None,
        ipn_attempts: int = 3,
        ipn_retry_delay: float = 1.0,
    ) -> None:
        self.tmn_code = tmn_code
        self.secret = secret
        self.ipn_url = ipn_url
        self.ledger_path = ledger_path
        self.ipn_attempts = ipn_attempts
        self.ipn_retry_delay = ipn_retry_delay
        self.ledger: dict[str, Transaction] = {}
        self.deliveries: list[IpnDelivery] = []
        # While set, IPNs are kept (not sent) until release_held_ipns(): a notification that is
        # late, after the browser came back.
        self.hold_ipn = False
        self.held: list[dict[str, str]] = []
        self.verbose = False
        self._query_ids: set[str] = set()
        self._next_no = 14_000_000
        self._lock = threading.RLock()
        self._load()
        self._listen(host, port, _handler_for(self))

    @property
    def url(self) -> str:
        return self.base_url

    # -----------------------------------------------------------------------------------------
    # The ledger

    def _load(self) -> None:
        if self.ledger_path and self.ledger_path.exists():
            rows = json.loads(self.ledger_path.read_text(encoding="utf-8"))
            self.ledger = {row["txn_ref"]: Transaction(**row) for row in rows}
            numbers = [int(t.transaction_no) for t in self.ledger.values() if t.transaction_no]
            self._next_no = max([self._next_no, *numbers])

    def _save(self) -> None:
        if self.ledger_path:
            rows = [asdict(t) for t in self.ledger.values()]
            self.ledger_path.parent.mkdir(parents=True, exist_ok=True)
            self.ledger_path.write_text(json.dumps(rows, indent=1), encoding="utf-8")

    def record(self, transaction: Transaction) -> None:
        """Put a transaction in the ledger as it is (tests: the gateway's own view of a day)."""
        with self._lock:
            self.ledger[transaction.txn_ref] = transaction
            self._save()

    def forget(self, txn_ref: str) -> None:
        with self._lock:
            self.ledger.pop(txn_ref, None)
            self._save()

    @staticmethod
    def now() -> str:
        return protocol.gateway_time(datetime.now(protocol.GMT7))

    # -----------------------------------------------------------------------------------------
    # Paying

    def open(self, params: dict[str, str]) -> Transaction:
        """Check a payment request and enter it in the ledger; raise Refusal."""
        missing = [name for name in REQUIRED if not params.get(name)]
        if missing:
            raise Refusal("03", f"Dữ liệu gửi sang không đúng định dạng (thiếu {missing[0]}).")
        if params["vnp_TmnCode"] != self.tmn_code:
            raise Refusal("02", "Merchant không hợp lệ.")
        if not protocol.verify(params, self.secret):
            raise Refusal("70", "Sai chữ ký.")
        self._check_format(params)
        with self._lock:
            existing = self.ledger.get(params["vnp_TxnRef"])
            if existing is not None and existing.status != protocol.UNFINISHED:
                raise Refusal("94", "Giao dịch đã tồn tại.")
            transaction = existing or Transaction(
                txn_ref=params["vnp_TxnRef"],
                amount=params["vnp_Amount"],
                order_info=params["vnp_OrderInfo"],
                return_url=params["vnp_ReturnUrl"],
                create_date=params["vnp_CreateDate"],
                expire_date=params["vnp_ExpireDate"],
                client_ip=params["vnp_IpAddr"],
            )
            if transaction.amount != params["vnp_Amount"]:
                raise Refusal("03", "Số tiền khác với giao dịch đã tạo.")
            self.ledger[transaction.txn_ref] = transaction
            self._save()
        return transaction

    @staticmethod
    def _check_format(params: dict[str, str]) -> None:
        if params["vnp_Version"] != protocol.VERSION or params["vnp_Command"] != "pay":
            raise Refusal("03", "Phiên bản hoặc lệnh không được hỗ trợ.")
        if params["vnp_CurrCode"] != protocol.CURRENCY:
            raise Refusal("03", "Đơn vị tiền tệ không được hỗ trợ.")
        if not AMOUNT.match(params["vnp_Amount"]):
            raise Refusal("03", "Số tiền không hợp lệ.")
        if not TXN_REF.match(params["vnp_TxnRef"]):
            raise Refusal("03", "Mã giao dịch không hợp lệ.")
        for name in ("vnp_CreateDate", "vnp_ExpireDate"):
            if protocol.parse_gateway_time(params[name]) is None:
                raise Refusal("03", f"Thời gian {name} không đúng định dạng yyyyMMddHHmmss.")
        if not urlsplit(params["vnp_ReturnUrl"]).scheme.startswith("http"):
            raise Refusal("03", "Địa chỉ trả về không hợp lệ.")
        if params["vnp_ExpireDate"] < GatewaySimulator.now():
            raise Refusal("15", "Giao dịch đã quá thời gian chờ thanh toán.")

    def complete(self, txn_ref: str, *, action: str, bank: str) -> dict[str, str]:
        """The customer paid or cancelled: the outcome is final, the IPN goes (or is held).
        Returns the signed parameters of the browser's return."""
        with self._lock:
            transaction = self.ledger.get(txn_ref)
            if transaction is None or transaction.status != protocol.UNFINISHED:
                raise Refusal("94", "Giao dịch không tồn tại hoặc đã được xử lý.")
            now = self.now()
            if action == "cancel":
                code = CANCELLED
            elif now > transaction.expire_date:
                code = TIMED_OUT
            else:
                code = PAID
            self._next_no += 1
            transaction.response_code = code
            transaction.status = protocol.SUCCESS if code == PAID else "02"
            transaction.transaction_no = str(self._next_no) if code == PAID else "0"
            transaction.bank_code = bank if bank in BANKS else BANKS[0]
            transaction.pay_date = now
            self._save()
            params = self.outcome_params(transaction)
        self.notify(params)
        return params

    def outcome_params(self, transaction: Transaction) -> dict[str, str]:
        """The signed parameters of the return and the IPN of a finished transaction."""
        fields = {
            "vnp_Amount": transaction.amount,
            "vnp_BankCode": transaction.bank_code,
            "vnp_BankTranNo": f"VNP{transaction.transaction_no}",
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": transaction.order_info,
            "vnp_PayDate": transaction.pay_date,
            "vnp_ResponseCode": transaction.response_code,
            "vnp_TmnCode": self.tmn_code,
            "vnp_TransactionNo": transaction.transaction_no,
            "vnp_TransactionStatus": transaction.status,
            "vnp_TxnRef": transaction.txn_ref,
        }
        return protocol.signed(fields, self.secret)

    # -----------------------------------------------------------------------------------------
    # The IPN

    def notify(self, params: dict[str, str]) -> None:
        if self.hold_ipn:
            with self._lock:
                self.held.append(params)
            return
        self._deliver(params)

    def release_held_ipns(self) -> None:
        with self._lock:
            held, self.held = self.held, []
        for params in held:
            self._deliver(params)

    def _deliver(self, params: dict[str, str]) -> None:
        delivery = IpnDelivery(params=params)
        with self._lock:
            self.deliveries.append(delivery)
        for attempt in range(self.ipn_attempts):
            if attempt:
                time.sleep(self.ipn_retry_delay)
            answer = self._send_ipn(params)
            delivery.answers.append(answer)
            if isinstance(answer, dict) and answer.get("RspCode") in FINAL_IPN_ANSWERS:
                return

    def _send_ipn(self, params: dict[str, str]) -> Any:
        url = f"{self.ipn_url}?{urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return f"HTTP {error.code}"
        except (OSError, ValueError) as error:
            return f"error: {error}"

    # -----------------------------------------------------------------------------------------
    # Query (querydr) and statement

    def query(self, body: Any) -> dict[str, str]:
        if not isinstance(body, dict) or not protocol.query_request_valid(body, self.secret):
            return self._query_answer(body, "97", "Invalid Checksum")
        if body.get("vnp_TmnCode") != self.tmn_code:
            return self._query_answer(body, "02", "Merchant is not valid")
        if body.get("vnp_Command") != "querydr" or body.get("vnp_Version") != protocol.VERSION:
            return self._query_answer(body, "03", "Data format is wrong")
        with self._lock:
            if body["vnp_RequestId"] in self._query_ids:
                return self._query_answer(body, "94", "Duplicate request")
            self._query_ids.add(body["vnp_RequestId"])
            transaction = self.ledger.get(str(body.get("vnp_TxnRef", "")))
        if transaction is None:
            return self._query_answer(body, protocol.QUERY_NOT_FOUND, "Transaction not found")
        return self._query_answer(body, "00", "QueryDR Success", transaction)

    def _query_answer(
        self, body: Any, code: str, message: str, transaction: Transaction | None = None
    ) -> dict[str, str]:
        fields = {
            "vnp_ResponseId": uuid.uuid4().hex,
            "vnp_Command": "querydr",
            "vnp_ResponseCode": code,
            "vnp_Message": message,
            "vnp_TmnCode": self.tmn_code,
            "vnp_TxnRef": str(body.get("vnp_TxnRef", "")) if isinstance(body, dict) else "",
        }
        if transaction is not None:
            fields.update(
                {
                    "vnp_Amount": transaction.amount,
                    "vnp_BankCode": transaction.bank_code,
                    "vnp_PayDate": transaction.pay_date,
                    "vnp_TransactionNo": transaction.transaction_no,
                    "vnp_TransactionType": "01",
                    "vnp_TransactionStatus": transaction.status,
                    "vnp_OrderInfo": transaction.order_info,
                }
            )
        return protocol.query_answer_signed(fields, self.secret)

    def statement(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        tmn, date = query.get("tmn", ""), query.get("date", "")
        expected = protocol.statement_request_hash(tmn=tmn, date=date, secret=self.secret)
        if not hmac.compare_digest(query.get("hash", ""), expected):
            return 403, {"error": "invalid_signature"}
        if tmn != self.tmn_code or not re.match(r"^\d{4}-\d{2}-\d{2}$", date):
            return 400, {"error": "invalid_request"}
        day = date.replace("-", "")
        with self._lock:
            rows = [
                {
                    "vnp_TxnRef": t.txn_ref,
                    "vnp_TransactionNo": t.transaction_no,
                    "vnp_Amount": t.amount,
                    "vnp_TransactionStatus": t.status,
                    "vnp_PayDate": t.pay_date,
                    "vnp_BankCode": t.bank_code,
                }
                for t in self.ledger.values()
                if t.day == day
            ]
        body = {"tmn": tmn, "date": date, "transactions": rows}
        return 200, protocol.statement_signed(body, self.secret)


# ---------------------------------------------------------------------------------------------
# Pages


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>"
        "body{font-family:sans-serif;max-width:32rem;margin:1rem auto;padding:0 1rem;}"
        "label{display:block;font-weight:600;margin:.8rem 0 .3rem}"
        "select,button{font:inherit;padding:.6rem;width:100%;margin:.3rem 0}"
        ".amount{font-size:1.5rem;font-weight:700}.note{color:#555}"
        f"</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def _dong(amount_field: str) -> str:
    return f"{int(amount_field) // 100:,}".replace(",", ".") + " đồng"


def checkout_page(transaction: Transaction, merchant: str) -> str:
    banks = "".join(f'<option value="{b}">{b}</option>' for b in BANKS)
    body = (
        '<p class="note">Cổng thanh toán mô phỏng — không trừ tiền thật.</p>'
        f"<p>Đơn vị: <strong>{escape(merchant)}</strong></p>"
        f"<p>Nội dung: {escape(transaction.order_info)}</p>"
        f'<p>Số tiền: <span class="amount">{_dong(transaction.amount)}</span></p>'
        f'<form method="post" action="{CONFIRM_PATH}">'
        f'<input type="hidden" name="txn" value="{escape(transaction.txn_ref)}">'
        f'<label for="bank">Ngân hàng</label><select id="bank" name="bank">{banks}</select>'
        '<button type="submit" name="action" value="pay">Thanh toán</button>'
        '<button type="submit" name="action" value="pay_no_return">'
        "Thanh toán nhưng không quay lại trang của đơn vị</button>"
        '<button type="submit" name="action" value="cancel">Hủy</button>'
        "</form>"
    )
    return _page("Thanh toán trực tuyến", body)


def refusal_page(refusal: Refusal) -> str:
    return _page(
        "Giao dịch không thành công",
        f"<p>Mã lỗi {escape(refusal.code)}: {escape(refusal.message)}</p>",
    )


def _handler_for(gateway: GatewaySimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            split = urlsplit(self.path)
            query = dict(parse_qsl(split.query, keep_blank_values=True))
            if split.path == PAY_PATH:
                self._checkout(query)
            elif split.path == STATEMENT_PATH:
                status, answer = gateway.statement(query)
                self._json(status, answer)
            elif split.path == "/":
                with gateway._lock:
                    rows = [asdict(t) for t in gateway.ledger.values()]
                self._json(200, {"transactions": rows})
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path == QUERY_PATH:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                self._json(200, gateway.query(body))
            elif self.path == CONFIRM_PATH:
                self._confirm(dict(parse_qsl(raw.decode(errors="replace"))))
            else:
                self._json(404, {"error": "not_found"})

        def _checkout(self, query: dict[str, str]) -> None:
            try:
                transaction = gateway.open(query)
            except Refusal as refusal:
                self._html(400, refusal_page(refusal))
                return
            self._html(200, checkout_page(transaction, gateway.tmn_code))

        def _confirm(self, form: dict[str, str]) -> None:
            action = form.get("action", "")
            if action not in {"pay", "pay_no_return", "cancel"}:
                self._html(400, refusal_page(Refusal("03", "Thao tác không hợp lệ.")))
                return
            txn_ref = form.get("txn", "")
            try:
                params = gateway.complete(txn_ref, action=action, bank=form.get("bank", ""))
            except Refusal as refusal:
                self._html(400, refusal_page(refusal))
                return
            if action == "pay_no_return":
                done = "<p>Giao dịch thành công. Bạn có thể đóng trang này.</p>"
                self._html(200, _page("Thanh toán thành công", done))
                return
            return_url = gateway.ledger[txn_ref].return_url
            separator = "&" if "?" in return_url else "?"
            self.send_response(302)
            self.send_header("Location", f"{return_url}{separator}{urlencode(params)}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _html(self, status: int, page: str) -> None:
            self._send(status, page.encode(), "text/html; charset=utf-8")

        def _json(self, status: int, answer: Any) -> None:
            body = json.dumps(answer, ensure_ascii=False).encode()
            self._send(status, body, "application/json; charset=utf-8")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            if gateway.verbose:
                super().log_message(format, *args)

    return Handler
