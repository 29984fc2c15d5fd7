"""Real servers on 127.0.0.1 for the channels: an SMTP server and the fake SMS gateway."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from motcua.notifications.fake_sms_gateway import FakeSmsGateway

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
# Recipients the SMTP server refuses for good.
UNKNOWN_MAILBOX = "khongtontai@example.vn"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings: Any) -> None:
    # Tasks run where they are enqueued; the worker tests choose their backend themselves.
    settings.TASKS = IMMEDIATE


@dataclass
class MailRecorder:
    """An aiosmtpd handler keeping every message it accepts."""

    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address == UNKNOWN_MAILBOX:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted"


def free_port() -> int:
    # aiosmtpd's controller checks it is up by connecting to its port, so it cannot take 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def smtp_mailers(*, port: int) -> dict[str, Any]:
    backend = "django.core.mail.backends.smtp.EmailBackend"
    options = {"host": "127.0.0.1", "port": port, "timeout": 5}
    return {"default": {"BACKEND": backend, "OPTIONS": options}}


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[MailRecorder]:
    """A real SMTP server; Django's SMTP backend points at it."""
    recorder = MailRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.MAILERS = smtp_mailers(port=controller.port)
    settings.DEFAULT_FROM_EMAIL = "motcua@hue.gov.vn"
    yield recorder
    controller.stop()


@pytest.fixture
def sms_gateway(settings: Any) -> Iterator[FakeSmsGateway]:
    """The fake gateway over real HTTP; the settings send SMS through it."""
    with FakeSmsGateway(api_key="test-key") as gateway:
        settings.MOTCUA_SMS_URL = gateway.url
        settings.MOTCUA_SMS_API_KEY = "test-key"
        settings.MOTCUA_SMS_BRANDNAME = "MOTCUA-HUE"
        yield gateway
