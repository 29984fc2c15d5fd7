from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from motcua.notifications.models import Channel, DeliveryStatus, Message
from motcua.notifications.sms import DeliveryError, sms_provider

logger = logging.getLogger(__name__)

# Waits after the 1st, 2nd, 3rd failed attempt…; the last one repeats past the end of the list.
BACKOFF = [timedelta(minutes=minutes) for minutes in (1, 5, 15, 60)]


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
    now = timezone.now()
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
            next_attempt_at=now,
        )
        for channel, recipient in recipients
        if recipient
    ]
    messages = Message.objects.bulk_create(rows)
    if messages:
        # One task for the email and the SMS of one milestone: one write to the queue per
        # committed change. robust: a queue that is down must not turn the committed intake into
        # an error page; the messages stay due and the sweep (messages_deliver_due) sends them.
        ids = [message.pk for message in messages]
        transaction.on_commit(partial(_enqueue_delivery, ids), robust=True)
    return messages


def _enqueue_delivery(message_ids: list[int]) -> None:
    # Imported here: the tasks module imports this one.
    from motcua.notifications.tasks import deliver_messages

    deliver_messages.enqueue(message_ids)


def message_deliver(*, message_id: int, now: datetime | None = None) -> Message | None:
    """Send one due message unless another worker holds it; record the outcome.

    Returns None when there was nothing to do: already sent, failed for good, not yet due,
    or claimed by another worker.

    A worker that dies after the channel took the message but before "sent" is recorded leaves
    it claimed; once the claim's lease runs out it is sent again, under the same delivery
    reference (`delivery_reference`): the SMS gateway sends a request id it already accepted no
    second time; an email goes again with the same Message-ID, which the mail stores that merge
    duplicates show once (SMTP itself has no such guarantee).
    """
    now = now or timezone.now()
    if not _claim(message_id=message_id, now=now):
        return None
    message = Message.objects.get(pk=message_id)
    try:
        reference = _send(message)
    except DeliveryError as error:
        _record_failure(message, reason=str(error), retryable=error.retryable, now=now)
    except Exception as error:
        # A bug or an unforeseen library error still counts as an attempt, or the message
        # would be claimed again and again and never reach its last attempt.
        logger.exception("Delivering message %s failed unexpectedly", message_id)
        _record_failure(message, reason=repr(error), retryable=True, now=now)
    else:
        _record_sent(message, reference=reference)
    return message


def messages_deliver_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """The retry sweep: try every pending message whose time has come; return how many went."""
    due_ids = list(
        Message.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now or timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    outcomes = [message_deliver(message_id=message_id, now=now) for message_id in due_ids]
    return sum(1 for message in outcomes if message and message.status == DeliveryStatus.SENT)


def _claim(*, message_id: int, now: datetime) -> bool:
    # A conditional UPDATE rather than select_for_update: no transaction (on SQLite, no write
    # lock on the whole database) stays open while an SMTP server or a gateway answers, and the
    # UPDATE is atomic on every database, so of two workers only one matches the row.
    claimed = Message.objects.filter(
        pk=message_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + claim_lease())
    return claimed == 1


def claim_lease() -> timedelta:
    """How long a worker owns a message it claimed: far above the channels' timeouts; if the
    worker dies while sending, the message is due again once the lease runs out."""
    return timedelta(seconds=settings.MOTCUA_MESSAGE_CLAIM_SECONDS)


def delivery_reference(message: Message) -> str:
    """The message's own reference, the same at every attempt: the SMS request id and the
    email's Message-ID. Its creation time keeps it unique even if a restored database hands
    out the same primary key again; under 50 characters, as gateways require."""
    return f"motcua-{message.pk}-{message.created_at:%Y%m%d%H%M%S%f}"


def _record_sent(message: Message, *, reference: str) -> None:
    message.status = DeliveryStatus.SENT
    message.sent_at = timezone.now()
    message.provider_reference = reference
    message.next_attempt_at = None
    message.last_error = ""
    fields = ["status", "sent_at", "provider_reference", "next_attempt_at", "last_error"]
    message.save(update_fields=fields)


def _record_failure(message: Message, *, reason: str, retryable: bool, now: datetime) -> None:
    message.last_error = reason[:1000]
    if retryable and message.attempts < settings.MOTCUA_MESSAGE_MAX_ATTEMPTS:
        wait = BACKOFF[min(message.attempts, len(BACKOFF)) - 1]
        message.next_attempt_at = now + wait
        logger.warning("Message %s failed, retry in %s: %s", message.pk, wait, reason)
    else:
        message.status = DeliveryStatus.FAILED
        message.next_attempt_at = None
        logger.error("Message %s failed for good: %s", message.pk, reason)
    message.save(update_fields=["status", "next_attempt_at", "last_error"])


def _send(message: Message) -> str:
    if message.channel == Channel.SMS:
        return sms_provider().send(
            message.recipient, message.body, request_id=delivery_reference(message)
        )
    return _send_email(message)


def _send_email(message: Message) -> str:
    # Our own Message-ID, so the reference is known before the server answers, and the same
    # at every attempt.
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].rstrip(">") or "localhost"
    reference = f"<{delivery_reference(message)}@{domain}>"
    email = EmailMessage(
        subject=message.subject or settings.MOTCUA_CENTER_NAME,
        body=message.body,
        to=[message.recipient],
        headers={"Message-ID": reference},
    )
    # SMTP's own rule: 4yz replies are transient, 5yz permanent.
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as error:
        retryable = any(code < 500 for code, _ in error.recipients.values())
        raise DeliveryError(f"SMTP refused the recipient: {error}", retryable=retryable) from error
    except smtplib.SMTPResponseException as error:
        reply = (
            error.smtp_error.decode(errors="replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        raise DeliveryError(
            f"SMTP {error.smtp_code}: {reply}", retryable=error.smtp_code < 500
        ) from error
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"SMTP server unreachable: {error}", retryable=True) from error
    return reference
