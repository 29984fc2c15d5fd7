"""Background tasks of the outbox, run by whichever django.tasks backend the settings choose."""

from __future__ import annotations

from motcua.core.tasks import background_task
from motcua.notifications import services


@background_task
def deliver_message(message_id: int) -> str | None:
    """Send one message of the outbox; its status afterwards, or None if there was nothing to do."""
    message = services.message_deliver(message_id=message_id)
    return message.status if message else None


@background_task
def deliver_due_messages() -> int:
    """The retry sweep as a task, for a scheduler that enqueues tasks; returns how many went."""
    return services.messages_deliver_due()
