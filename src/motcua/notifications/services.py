from __future__ import annotations

from django.db import transaction

from motcua.notifications.models import Channel, Message


def message_enqueue(
    *,
    topic: str,
    target_type: str,
    target_id: str | int,
    body: str,
    subject: str = "",
    email: str = "",
    phone: str = "",
) -> list[Message]:
    """Queue the message on every channel the recipient gave, inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("message_enqueue must run inside the transaction of its cause")
    recipients = [(Channel.EMAIL, email), (Channel.SMS, phone)]
    rows = [
        Message(
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            topic=topic,
            target_type=target_type,
            target_id=str(target_id),
        )
        for channel, recipient in recipients
        if recipient
    ]
    return Message.objects.bulk_create(rows)
