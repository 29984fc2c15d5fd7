"""A message sent again after its worker died mid-send reaches the citizen once: every attempt
carries the message's own delivery reference (the SMS request id, the email's Message-ID).

The worker's death is reproduced as it leaves the database: the channel took the message, the
claim is still on the row and nothing was recorded. The real multi-process case, with rq
workers killed by SIGKILL, is tests/production/test_worker_killed.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from motcua.notifications import services
from motcua.notifications.fake_sms_gateway import FakeSmsGateway
from motcua.notifications.models import DeliveryStatus, Message
from motcua.notifications.services import (
    delivery_reference,
    message_deliver,
    message_enqueue,
    messages_deliver_due,
)
from motcua.notifications.sms import sms_provider
from motcua.notifications.tests.conftest import MailRecorder

pytestmark = pytest.mark.django_db

BODY = "Hồ sơ H01.01-261128-0009 đã được tiếp nhận."


def queue(*, phone: str = "", email: str = "") -> Message:
    with transaction.atomic():
        [message] = message_enqueue(
            topic="dossier.received",
            target_type="dossier",
            target_id="H01.01-261128-0009",
            subject="Tiếp nhận hồ sơ H01.01-261128-0009",
            body=BODY,
            phone=phone,
            email=email,
        )
    return Message.objects.get(pk=message.pk)


def died_after_the_channel_took_it(message: Message) -> Any:
    """Claim the message and hand it to the channel, as a worker does, then record nothing."""
    now = timezone.now()
    assert services._claim(message_id=message.pk, now=now)
    services._send(message)
    return now


def test_an_sms_sent_again_after_the_lease_reaches_the_phone_once(
    sms_gateway: FakeSmsGateway,
) -> None:
    message = queue(phone="0912345678")
    now = died_after_the_channel_took_it(message)

    assert messages_deliver_due(now=now + services.claim_lease()) == 1

    [received] = sms_gateway.accepted
    assert received["request_id"] == delivery_reference(message)
    assert (sms_gateway.requests, sms_gateway.duplicates) == (2, 1)
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT and message.attempts == 2
    assert message.provider_reference == received["id"]


def test_each_message_has_its_own_reference_the_same_at_every_attempt(
    sms_gateway: FakeSmsGateway,
) -> None:
    first, second = queue(phone="0912345678"), queue(phone="0912345678")

    message_deliver(message_id=first.pk)
    message_deliver(message_id=second.pk)

    assert delivery_reference(first) != delivery_reference(second)
    assert delivery_reference(first) == delivery_reference(Message.objects.get(pk=first.pk))
    assert [m["request_id"] for m in sms_gateway.accepted] == [
        delivery_reference(first),
        delivery_reference(second),
    ]


def test_an_email_sent_again_keeps_its_message_id(smtp_server: MailRecorder) -> None:
    message = queue(email="nguyenvanan@example.vn")
    now = died_after_the_channel_took_it(message)

    messages_deliver_due(now=now + services.claim_lease())

    # SMTP has no idempotency: the server takes both. With one Message-ID, mail stores that
    # merge duplicates (Gmail's, for one) show a single message; others show two.
    first, again = smtp_server.received
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"] == f"<{delivery_reference(message)}@hue.gov.vn>"


def test_without_a_gateway_the_file_written_again_is_the_same_file(
    tmp_path: Path, settings: Any
) -> None:
    settings.MOTCUA_SMS_URL = ""
    settings.MOTCUA_SMS_DIR = tmp_path
    message = queue(phone="0912345678")
    now = died_after_the_channel_took_it(message)

    messages_deliver_due(now=now + services.claim_lease())

    [written] = list(tmp_path.iterdir())
    assert written.name.startswith(delivery_reference(message))
    assert sms_provider().send("0912345678", BODY, request_id="other") != written.name
