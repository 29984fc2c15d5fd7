"""Declaring background tasks for Django's task framework, whichever backend runs them."""

from __future__ import annotations

from collections.abc import Callable

from django.tasks import Task


def background_task[**P, R](function: Callable[P, R]) -> Task[P, R]:
    """Django's own Task, whatever the backend.

    django.tasks.task asks the configured backend for its task class, and django-tasks-rq is
    built on the django-tasks backport, so under MOTCUA_TASKS_BACKEND=rq the decorator would hand
    back the backport's Task, which django-tasks-db's worker refuses ("does not point to a
    Task"). Django's Task is enqueued and run by all three backends (the rq worker accepts both).
    """
    return Task(func=function)
