"""A brandname-SMS gateway on this machine, speaking the protocol HttpSmsProvider speaks.

Tests start it on 127.0.0.1, port 0, in a thread; a developer runs
`manage.py fake_sms_gateway --port 8025` and points MOTCUA_SMS_URL at it.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any

from motcua.lib.local_server import LocalHttpServer
from motcua.notifications.sms import PHONE_PATTERN

PATH = "/v1/sms"


class FakeSmsGateway(LocalHttpServer):
    """Accepts SMS over HTTP and keeps them in memory (`accepted`: what reached the phones).

    A `request_id` it already accepted is not sent again: the answer carries the first one's
    id, with status "duplicate". It can be told to fail with 503, or to accept messages and then
    hold their answers, as a gateway does whose client died before reading the answer.
    """

    def __init__(self, *, api_key: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api_key = api_key
        self.accepted: list[dict[str, str]] = []
        self.requests = 0
        self.duplicates = 0
        self.verbose = False
        self._failures_left = 0
        self._holds_left = 0
        # The client address (host, port) of each request whose answer is being held.
        self.held: list[tuple[str, int]] = []
        self._by_request_id: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()
        self._held_changed = threading.Condition(self._lock)
        self._released = threading.Event()
        self._listen(host, port, _handler_for(self))

    @property
    def url(self) -> str:
        return f"{self.base_url}{PATH}"

    def fail_next(self, count: int) -> None:
        """Answer the next `count` requests with 503, as an overloaded gateway does."""
        with self._lock:
            self._failures_left = count

    def hold_answers(self, count: int) -> None:
        """Accept the next `count` new messages, then keep their answers until `release`."""
        with self._lock:
            self._holds_left = count
            self._released.clear()

    def wait_for_held(self, count: int = 1, timeout: float = 60) -> list[tuple[str, int]]:
        """Block until `count` answers are held; their clients' addresses."""
        with self._held_changed:
            if not self._held_changed.wait_for(lambda: len(self.held) >= count, timeout):
                raise TimeoutError(f"{len(self.held)} of {count} answers held after {timeout} s")
            return list(self.held)

    def release(self) -> None:
        """Let the held answers go (to whoever is still listening)."""
        self._released.set()

    def _hold_this_one(self, client: tuple[str, int]) -> bool:
        with self._held_changed:
            if self._holds_left <= 0:
                return False
            self._holds_left -= 1
            self.held.append(client)
            self._held_changed.notify_all()
            return True

    def answer(self, *, authorization: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """The gateway's decision for one POST: status code and JSON answer."""
        with self._lock:
            self.requests += 1
            if self._failures_left > 0:
                self._failures_left -= 1
                return 503, {"error": "service_unavailable"}
        if authorization != f"Bearer {self.api_key}":
            return 401, {"error": "unauthorized"}
        try:
            payload = json.loads(body)
        except ValueError:
            return 400, {"error": "invalid_json"}
        if not isinstance(payload, dict):
            return 400, {"error": "invalid_json"}
        if not PHONE_PATTERN.match(str(payload.get("to", ""))):
            return 400, {"error": "invalid_phone"}
        if not payload.get("text"):
            return 400, {"error": "empty_text"}
        message = {
            "id": uuid.uuid4().hex,
            "to": str(payload["to"]),
            "text": str(payload["text"]),
            "brandname": str(payload.get("brandname", "")),
        }
        request_id = str(payload.get("request_id") or "")
        if request_id:
            message["request_id"] = request_id
        with self._lock:
            first = self._by_request_id.get(request_id) if request_id else None
            if first is not None:
                self.duplicates += 1
                return 200, {"id": first["id"], "status": "duplicate"}
            self.accepted.append(message)
            if request_id:
                self._by_request_id[request_id] = message
        return 200, {"id": message["id"], "status": "accepted"}


def _handler_for(gateway: FakeSmsGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != PATH:
                self._reply(404, {"error": "not_found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            status, answer = gateway.answer(
                authorization=self.headers.get("Authorization", ""),
                body=self.rfile.read(length),
            )
            if answer.get("status") == "accepted" and gateway._hold_this_one(self.client_address):
                gateway._released.wait()
            # The client may have given up (or died) while its answer was held.
            with contextlib.suppress(OSError):
                self._reply(status, answer)

        def do_GET(self) -> None:
            # What was accepted so far, for a developer looking at the gateway in a browser.
            with gateway._lock:
                accepted = list(gateway.accepted)
            self._reply(200 if self.path == PATH else 404, {"messages": accepted})

        def _reply(self, status: int, answer: dict[str, Any]) -> None:
            body = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            if gateway.verbose:
                super().log_message(format, *args)

    return Handler
