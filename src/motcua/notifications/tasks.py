"""Background tasks of the outbox, run by whichever django.tasks backend the settings choose."""

from __future__ import annotations

from motcua.core.tasks import background_task
from motcua.notifications import services


@background_task
def deliver_messages(message_ids: list[int]) -> list[str | None]:
    """Send messages of the outbox (the channels of one milestone); each one's status afterwards,
    or None where there was nothing to do."""
    delivered = [services.message_deliver(message_id=pk) for pk in message_ids]
    return [message.status if message else None for message in delivered]


@background_task
def deliver_due_messages() -> int:
    """The retry sweep as a task, for a scheduler that enqueues tasks; returns how many went."""
    return services.messages_deliver_due()
