"""Clients of the app for the fault tests, over real HTTP: the integrated counter system (API
token, Idempotency-Key) and a citizen in a browser (session, CSRF, multipart uploads).

Each client retries as a well-behaved one does: the same request (the same key, the same draft)
until the server answers it with a 2xx, 3xx or 4xx. A connection that drops after the request
was sent is "interrupted": the server may or may not have done the work, which is what the
idempotency keys are for.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

DEMO_TOKEN = "motcua-demo-token-hue-000000000000000000"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ONLINE_PROCEDURE = "1.001612"  # business registration: full online, at Thuận Hóa ward's desk
COUNTER_PROCEDURE = "1.013978"  # first land registration, at Huế's center
SUBMITTED = re.compile(r"/ho-so-cua-toi/([^/]+)/")
DRAFT = re.compile(r"/ho-so-nhap/(\d+)/")
CODE_IN_PAGE = re.compile(r"hồ sơ ([\w.]+-\d{6}-\d+)")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Tally:
    """What the clients saw, shared by their threads."""

    statuses: Counter[int] = field(default_factory=Counter)
    refused: int = 0
    interrupted: int = 0
    requests: int = 0
    server_errors: list[tuple[str, int, str]] = field(default_factory=list)
    # Every answer: (time.monotonic(), "METHOD path", status); and the 503s themselves.
    answers: list[tuple[float, str, int]] = field(default_factory=list)
    unavailable: list[tuple[str, Answer]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, **changes: int) -> None:
        with self.lock:
            for name, value in changes.items():
                setattr(self, name, getattr(self, name) + value)


class Http:
    """One client's connection to the server, with its cookies; no redirects followed."""

    def __init__(self, base_url: str, *, tally: Tally, timeout: float = 60) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.tally = tally
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def send(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """One exchange; OSError or HTTPException when the connection fails."""
        all_headers = dict(headers or {})
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            answer = Answer(
                status=response.status,
                headers={k.lower(): v for k, v in response.getheaders()},
                body=response.read(),
            )
            for cookie in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(cookie).items():
                    self.cookies[name] = morsel.value
            return answer
        finally:
            connection.close()

    def until_answered(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[Answer, int]:
        """The same request again until the server answers it (2xx-4xx); the answer and how
        many attempts were interrupted after the request had been sent."""
        interrupted = 0
        while True:
            self.tally.count(requests=1)
            try:
                answer = self.send(method, path, body=body, headers=headers)
            except ConnectionRefusedError:
                # Nobody listening: the request never left; the server is being restarted.
                self.tally.count(refused=1)
                time.sleep(0.05)
                continue
            except (OSError, http.client.HTTPException):
                interrupted += 1
                self.tally.count(interrupted=1)
                time.sleep(0.05)
                continue
            with self.tally.lock:
                self.tally.statuses[answer.status] += 1
                self.tally.answers.append((time.monotonic(), f"{method} {path}", answer.status))
                if answer.status == 503:
                    self.tally.unavailable.append((f"{method} {path}", answer))
            if answer.status == 503:
                time.sleep(0.05)
                continue
            if answer.status >= 500:
                with self.tally.lock:
                    self.tally.server_errors.append((path, answer.status, answer.text[:500]))
                time.sleep(0.05)
                continue
            return answer, interrupted


# ---------------------------------------------------------------------------------------------
# The counter system


def applicant(n: int) -> dict[str, str]:
    return {
        "name": f"Nguyễn Văn Thử {n}",
        "id_number": f"0461900{n:05d}",
        "phone": f"09{n:08d}",
        "address": f"{n} Lê Lợi, Huế",
    }


def intake_body(n: int, component_ids: list[int]) -> bytes:
    body = {
        "procedure": COUNTER_PROCEDURE,
        "applicant": applicant(n),
        "components": [{"id": pk} for pk in component_ids],
    }
    return json.dumps(body, ensure_ascii=False).encode()


@dataclass
class Intake:
    key: str
    code: str
    status: int
    interrupted: int


def counter_intake(client: Http, *, n: int, component_ids: list[int]) -> Intake:
    """POST /api/v1/dossiers/ with a fresh Idempotency-Key, retried with the same key."""
    key = f"fault-{uuid.uuid4()}"
    answer, interrupted = client.until_answered(
        "POST",
        "/api/v1/dossiers/",
        body=intake_body(n, component_ids),
        headers={
            "Authorization": f"Token {DEMO_TOKEN}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    assert answer.status in (200, 201), (answer.status, answer.text[:1000])
    if answer.status == 200:
        assert answer.headers.get("idempotent-replayed") == "true"
    return Intake(
        key=key, code=answer.json()["code"], status=answer.status, interrupted=interrupted
    )


# ---------------------------------------------------------------------------------------------
# A citizen online


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]) -> tuple:
    boundary = f"----motcua{secrets.token_hex(12)}"
    parts: list[bytes] = []
    for name, value in fields:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, filename, content in files:
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Citizen:
    """A citizen signed in on the portal with their password."""

    def __init__(self, client: Http, *, identifier: str, password: str) -> None:
        self.client = client
        self.identifier = identifier
        self.password = password

    def _csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def _form_headers(self) -> dict[str, str]:
        return {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": self._csrf()}

    def sign_in(self) -> None:
        page, _ = self.client.until_answered("GET", "/dang-nhap/")
        assert page.status == 200 and self._csrf(), page.status
        form = {"identifier": self.identifier, "password": self.password}
        form["csrfmiddlewaretoken"] = self._csrf()
        answer, _ = self.client.until_answered(
            "POST", "/dang-nhap/", body=urlencode(form).encode(), headers=self._form_headers()
        )
        assert answer.status == 302, (answer.status, answer.text[:2000])

    def start_draft(self) -> int:
        # Retried, a start may leave a second, empty draft behind: drafts count nowhere.
        body = urlencode({"csrfmiddlewaretoken": self._csrf()}).encode()
        answer, _ = self.client.until_answered(
            "POST",
            f"/thu-tuc/{ONLINE_PROCEDURE}/nop-truc-tuyen/",
            body=body,
            headers=self._form_headers(),
        )
        assert answer.status == 302, (answer.status, answer.text[:2000])
        match = DRAFT.search(answer.headers["location"])
        assert match, answer.headers["location"]
        return int(match.group(1))

    def submit(
        self, draft_id: int, *, fields: list[tuple[str, str]], attachments: list[int]
    ) -> Submitted:
        """Fill in the draft and submit it in one POST, as the page's submit button does."""
        form = [("csrfmiddlewaretoken", self._csrf()), *fields, ("submit", "1")]
        files = [(f"file_{pk}", f"giay-to-{pk}.pdf", PDF) for pk in attachments]
        body, content_type = multipart(form, files)
        answer, interrupted = self.client.until_answered(
            "POST",
            f"/ho-so-nhap/{draft_id}/",
            body=body,
            headers={"Content-Type": content_type, "X-CSRFToken": self._csrf()},
        )
        return Submitted(
            draft_id=draft_id,
            code=_submitted_code(answer),
            interrupted=interrupted,
            status=answer.status,
        )


@dataclass
class Submitted:
    draft_id: int
    code: str
    interrupted: int
    status: int


def _submitted_code(answer: Answer) -> str:
    if answer.status == 302:
        match = SUBMITTED.search(answer.headers.get("location", ""))
        assert match, answer.headers.get("location")
        return match.group(1)
    # A retry of a submission that went through: the draft is gone, the page names the dossier.
    match = CODE_IN_PAGE.search(answer.text)
    assert answer.status == 409 and match, (answer.status, answer.text[:2000])
    return match.group(1)


def declaration(schema: dict[str, Any], n: int) -> list[tuple[str, str]]:
    """A valid answer to every field of a procedure's declaration (JSON Schema)."""
    values = []
    for name, spec in schema.get("properties", {}).items():
        kind = spec.get("type")
        if kind == "boolean":
            values.append((name, "on"))
        elif kind in {"integer", "number"}:
            values.append((name, str(max(int(spec.get("minimum", 1)), 1))))
        elif spec.get("format") == "email":
            values.append((name, f"hokinhdoanh{n}@example.vn"))
        elif spec.get("x-widget") == "tel":
            values.append((name, f"09{n:08d}"))
        elif "enum" in spec:
            values.append((name, str(spec["enum"][0])))
        else:
            values.append((name, f"HỘ KINH DOANH THỬ {n}"))
    return values


def applicant_fields(n: int) -> list[tuple[str, str]]:
    person = applicant(50_000 + n)
    return [
        ("applicant_kind", "person"),
        ("applicant_name", person["name"]),
        ("applicant_id_number", person["id_number"]),
        ("applicant_address", person["address"]),
        ("applicant_phone", person["phone"]),
        ("applicant_email", ""),
        ("result_channel", "online"),
    ]


def keep_going(stop: threading.Event, job: Callable[[int], None], start: int) -> int:
    """Run `job(n)` for n = start, start + 1, … until `stop` is set; how many were run."""
    n = start
    while not stop.is_set():
        job(n)
        n += 1
    return n - start


def guarded(failures: list[BaseException], function: Callable[..., Any], *args: Any) -> None:
    """Run `function` in a thread; what it raises is kept for the test to report."""
    try:
        function(*args)
    except BaseException as error:
        failures.append(error)
