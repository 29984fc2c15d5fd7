"""SMS providers: an HTTP brandname gateway in production, files under var/sms for a demo."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Protocol

from django.conf import settings

# Vietnamese mobile numbers as gateways take them: 0 and nine digits, or 84 and nine digits.
PHONE_PATTERN = re.compile(r"^(0|84)\d{9}$")


class DeliveryError(Exception):
    """A channel could not deliver; `retryable` says whether trying again later may help."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.retryable = retryable


class SmsProvider(Protocol):
    def send(self, phone: str, text: str, *, request_id: str = "") -> str:
        """Send one SMS and return the provider's reference; raise DeliveryError.

        `request_id` names the message for good: sent again under the same id (a retry after a
        worker died waiting for the answer), it reaches the phone once.
        """
        ...


def normalize_phone(phone: str) -> str:
    """Drop the spaces, dots and dashes people type, and the + of +84."""
    return re.sub(r"[\s.\-()]", "", phone).removeprefix("+")


class HttpSmsProvider:
    """POST /v1/sms {"to", "text", "brandname", "request_id"} with a bearer key; 200 {"id",
    "status"}.

    `request_id` is the client's reference of the message, as Vietnamese brandname gateways take
    one (eSMS's RequestId: at most 50 characters, duplicates blocked for 24 hours): the gateway
    sends a request id it already accepted no second time and answers with the first one's id.
    """

    def __init__(self, *, url: str, api_key: str, brandname: str, timeout: float = 10) -> None:
        self.url = url
        self.api_key = api_key
        self.brandname = brandname
        self.timeout = timeout

    def send(self, phone: str, text: str, *, request_id: str = "") -> str:
        payload = {"to": normalize_phone(phone), "text": text, "brandname": self.brandname}
        if request_id:
            payload["request_id"] = request_id
        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={
                "Authorization": f"Bearer {self.api_key}",
                "Content-Type": "application/json; charset=utf-8",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            # 4xx: the gateway refuses this message (key, number, text); it will refuse it again.
            with error:
                detail = error.read().decode(errors="replace")[:200]
            raise DeliveryError(
                f"SMS gateway HTTP {error.code}: {detail}", retryable=error.code >= 500
            ) from error
        except (OSError, ValueError) as error:
            # Refused or dropped connections, timeouts and garbled answers may pass.
            raise DeliveryError(f"SMS gateway unreachable: {error}", retryable=True) from error
        if not isinstance(answer, dict) or not answer.get("id"):
            raise DeliveryError(f"SMS gateway answered without an id: {answer!r}", retryable=True)
        return str(answer["id"])


class FileSmsProvider:
    """Writes each SMS to a file, so a demo without a gateway still shows what was sent."""

    def __init__(self, *, directory: Path) -> None:
        self.directory = directory

    def send(self, phone: str, text: str, *, request_id: str = "") -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        # Named by the request id when there is one, so that sending again writes no second file.
        prefix = request_id or f"{datetime.now():%Y%m%d-%H%M%S-%f}"
        name = f"{prefix}-{normalize_phone(phone)}.txt"
        (self.directory / name).write_text(f"To: {phone}\n\n{text}\n", encoding="utf-8")
        return name


def sms_provider() -> SmsProvider:
    """The provider the settings choose: the HTTP gateway when MOTCUA_SMS_URL is set."""
    if settings.MOTCUA_SMS_URL:
        return HttpSmsProvider(
            url=settings.MOTCUA_SMS_URL,
            api_key=settings.MOTCUA_SMS_API_KEY,
            brandname=settings.MOTCUA_SMS_BRANDNAME,
        )
    return FileSmsProvider(directory=Path(settings.MOTCUA_SMS_DIR))
