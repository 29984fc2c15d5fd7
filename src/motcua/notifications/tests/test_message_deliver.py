from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from motcua.notifications import services
from motcua.notifications.fake_sms_gateway import FakeSmsGateway
from motcua.notifications.models import Channel, DeliveryStatus, Message
from motcua.notifications.services import message_deliver, message_enqueue, messages_deliver_due
from motcua.notifications.tests.conftest import (
    UNKNOWN_MAILBOX,
    MailRecorder,
    free_port,
    smtp_mailers,
)

pytestmark = pytest.mark.django_db

SUBJECT = "Tiếp nhận hồ sơ H01.01-261128-0001"
BODY = (
    "Hồ sơ H01.01-261128-0001 đã được tiếp nhận. Hẹn trả kết quả: 17:00 02/12/2026. "
    "Tra cứu tại http://127.0.0.1:8000/tra-cuu/ với mã tra cứu 7XK4Q2."
)


def queue(*, email: str = "", phone: str = "") -> Message:
    """One message, queued as the intake queues it (the test's transaction never commits)."""
    with transaction.atomic():
        [message] = message_enqueue(
            topic="dossier.received",
            target_type="dossier",
            target_id="H01.01-261128-0001",
            subject=SUBJECT,
            body=BODY,
            email=email,
            phone=phone,
        )
    return message


def reloaded(message: Message) -> Message:
    return Message.objects.get(pk=message.pk)


def test_it_sends_the_email_to_a_real_smtp_server(smtp_server: MailRecorder) -> None:
    message = queue(email="nguyenvanan@example.vn")

    message_deliver(message_id=message.pk)

    [received] = smtp_server.received
    assert received["Subject"] == SUBJECT
    assert received["To"] == "nguyenvanan@example.vn"
    assert received["From"] == "motcua@hue.gov.vn"
    assert received.get_content().strip() == BODY
    message = reloaded(message)
    assert message.status == DeliveryStatus.SENT
    assert message.provider_reference == received["Message-ID"]
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.next_attempt_at is None


def test_it_sends_the_sms_through_the_gateway_over_http(sms_gateway: FakeSmsGateway) -> None:
    message = queue(phone="0912 345 678")

    message_deliver(message_id=message.pk)

    [accepted] = sms_gateway.accepted
    assert accepted["to"] == "0912345678"
    assert accepted["text"] == BODY
    assert accepted["brandname"] == "MOTCUA-HUE"
    message = reloaded(message)
    assert message.status == DeliveryStatus.SENT
    assert message.provider_reference == accepted["id"]


def test_it_retries_a_503_with_backoff_and_then_succeeds(sms_gateway: FakeSmsGateway) -> None:
    message = queue(phone="0912345678")
    sms_gateway.fail_next(2)
    start = timezone.now()

    message_deliver(message_id=message.pk, now=start)
    message = reloaded(message)
    assert message.status == DeliveryStatus.PENDING
    assert message.attempts == 1
    assert message.next_attempt_at == start + timedelta(minutes=1)
    assert "503" in message.last_error

    assert messages_deliver_due(now=start + timedelta(seconds=59)) == 0
    assert sms_gateway.requests == 1

    assert messages_deliver_due(now=start + timedelta(minutes=1)) == 0
    assert reloaded(message).next_attempt_at == start + timedelta(minutes=6)

    assert messages_deliver_due(now=start + timedelta(minutes=6)) == 1
    message = reloaded(message)
    assert message.status == DeliveryStatus.SENT
    assert message.attempts == 3
    assert len(sms_gateway.accepted) == 1


def test_it_fails_for_good_when_the_gateway_refuses_the_number(
    sms_gateway: FakeSmsGateway,
) -> None:
    message = queue(phone="12345")

    message_deliver(message_id=message.pk)

    message = reloaded(message)
    assert message.status == DeliveryStatus.FAILED
    assert message.next_attempt_at is None
    assert "400" in message.last_error
    assert messages_deliver_due(now=timezone.now() + timedelta(days=1)) == 0
    assert message_deliver(message_id=message.pk) is None
    assert sms_gateway.requests == 1


def test_it_fails_for_good_when_the_gateway_refuses_the_key(
    sms_gateway: FakeSmsGateway, settings: Any
) -> None:
    settings.MOTCUA_SMS_API_KEY = "wrong-key"
    message = queue(phone="0912345678")

    message_deliver(message_id=message.pk)

    assert reloaded(message).status == DeliveryStatus.FAILED
    assert "401" in reloaded(message).last_error
    assert sms_gateway.accepted == []


def test_it_gives_up_after_the_last_attempt(sms_gateway: FakeSmsGateway, settings: Any) -> None:
    settings.MOTCUA_MESSAGE_MAX_ATTEMPTS = 3
    sms_gateway.fail_next(10)
    message = queue(phone="0912345678")
    later = timezone.now() + timedelta(hours=1)

    for hours in range(5):
        messages_deliver_due(now=later + timedelta(hours=hours))

    message = reloaded(message)
    assert message.status == DeliveryStatus.FAILED
    assert message.attempts == 3
    assert sms_gateway.requests == 3


def test_it_never_sends_a_sent_message_twice(sms_gateway: FakeSmsGateway) -> None:
    message = queue(phone="0912345678")

    message_deliver(message_id=message.pk)
    assert message_deliver(message_id=message.pk) is None
    assert messages_deliver_due(now=timezone.now() + timedelta(days=1)) == 0

    assert len(sms_gateway.accepted) == 1
    assert reloaded(message).attempts == 1


def test_it_leaves_a_message_claimed_by_another_worker_until_its_lease_ends(
    sms_gateway: FakeSmsGateway,
) -> None:
    message = queue(phone="0912345678")
    now = timezone.now()
    # Another worker claimed it and has not finished (or died while sending).
    assert services._claim(message_id=message.pk, now=now)

    assert message_deliver(message_id=message.pk, now=now) is None
    assert sms_gateway.requests == 0

    assert messages_deliver_due(now=now + services.claim_lease()) == 1
    assert len(sms_gateway.accepted) == 1


def test_it_fails_for_good_when_the_mail_server_refuses_the_mailbox(
    smtp_server: MailRecorder,
) -> None:
    message = queue(email=UNKNOWN_MAILBOX)

    message_deliver(message_id=message.pk)

    message = reloaded(message)
    assert message.status == DeliveryStatus.FAILED
    assert "550" in message.last_error
    assert smtp_server.received == []


def test_it_retries_when_the_mail_server_is_unreachable(settings: Any) -> None:
    settings.MAILERS = smtp_mailers(port=free_port())
    message = queue(email="nguyenvanan@example.vn")

    message_deliver(message_id=message.pk)

    message = reloaded(message)
    assert message.status == DeliveryStatus.PENDING
    assert message.next_attempt_at is not None
    assert "unreachable" in message.last_error


def test_an_unexpected_error_still_counts_as_an_attempt(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(message: Message) -> str:
        raise ValueError("a bug")

    monkeypatch.setattr(services, "_send", broken)
    message = queue(phone="0912345678")

    message_deliver(message_id=message.pk)

    message = reloaded(message)
    assert message.attempts == 1
    assert message.status == DeliveryStatus.PENDING
    assert "a bug" in message.last_error


def test_the_sweep_sends_the_oldest_due_messages_first(sms_gateway: FakeSmsGateway) -> None:
    first, second = queue(phone="0912000001"), queue(phone="0912000002")

    assert messages_deliver_due(limit=1) == 1

    assert [m["to"] for m in sms_gateway.accepted] == ["0912000001"]
    assert reloaded(first).status == DeliveryStatus.SENT
    assert reloaded(second).status == DeliveryStatus.PENDING
    assert reloaded(second).channel == Channel.SMS
