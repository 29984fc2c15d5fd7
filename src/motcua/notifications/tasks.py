"""Background tasks of the outbox, run by whichever django.tasks backend the settings choose."""

from __future__ import annotations

from collections.abc import Callable

from django.tasks import Task

from motcua.notifications import services


def _task[**P, R](function: Callable[P, R]) -> Task[P, R]:
    # Django's own Task class, whatever the backend. django.tasks.task asks the configured
    # backend for its task class, and django-tasks-rq is built on the django-tasks backport, so
    # under MOTCUA_TASKS_BACKEND=rq the decorator would hand back the backport's Task, which
    # django-tasks-db's worker refuses ("does not point to a Task"). Django's Task is enqueued
    # and run by all three backends (the rq worker accepts both classes).
    return Task(func=function)


@_task
def deliver_message(message_id: int) -> str | None:
    """Send one message of the outbox; its status afterwards, or None if there was nothing to do."""
    message = services.message_deliver(message_id=message_id)
    return message.status if message else None


@_task
def deliver_due_messages() -> int:
    """The retry sweep as a task, for a scheduler that enqueues tasks; returns how many went."""
    return services.messages_deliver_due()
