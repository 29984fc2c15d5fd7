from __future__ import annotations

from datetime import UTC, datetime

from django.template.loader import render_to_string

from motcua.notifications.models import Channel, DeliveryStatus, Message


def outbox(*messages: Message) -> str:
    return render_to_string("notifications/_outbox.html", {"messages": list(messages)})


def test_it_shows_a_sent_email_with_a_green_badge_and_when_it_went() -> None:
    html = outbox(
        Message(
            channel=Channel.EMAIL,
            recipient="an@example.vn",
            subject="Tiếp nhận hồ sơ",
            body="Hồ sơ đã được tiếp nhận.",
            status=DeliveryStatus.SENT,
            attempts=1,
            sent_at=datetime(2026, 11, 28, 2, 5, tzinfo=UTC),
        )
    )

    assert '<span class="badge ok">Đã gửi</span>' in html
    assert "Thư điện tử" in html and "Tiếp nhận hồ sơ" in html
    assert "Đã gửi lúc 09:05 28/11/2026" in html


def test_it_shows_a_failed_sms_with_a_red_badge_and_the_error() -> None:
    html = outbox(
        Message(
            channel=Channel.SMS,
            recipient="12345",
            body="Hồ sơ đã được tiếp nhận.",
            status=DeliveryStatus.FAILED,
            attempts=1,
            last_error='SMS gateway HTTP 400: {"error": "invalid_phone"}',
        )
    )

    assert '<span class="badge bad">Gửi lỗi</span>' in html
    assert "invalid_phone" in html


def test_it_shows_when_a_pending_message_is_tried_again() -> None:
    html = outbox(
        Message(
            channel=Channel.SMS,
            recipient="0912345678",
            body="…",
            status=DeliveryStatus.PENDING,
            attempts=2,
            last_error="SMS gateway HTTP 503",
            next_attempt_at=datetime(2026, 11, 28, 2, 10, tzinfo=UTC),
        )
    )

    assert '<span class="badge warn">Chờ gửi</span>' in html
    assert "Gửi lại lúc 09:10 28/11/2026" in html


def test_it_says_so_when_there_is_nothing_to_send() -> None:
    assert "không để lại số điện thoại hay thư điện tử" in outbox()
