"""What every back-office page's navigation shows: how many alerts are new to the officer."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import HttpRequest

from motcua.agencies.selectors import memberships_of
from motcua.supervision.selectors import alert_unseen_count


class AlertsBadge:
    """The number of new alerts, counted (one query) only when a template reads it."""

    def __init__(self, user: Any) -> None:
        self.user = user

    @cached_property
    def count(self) -> int:
        # The back office has checked the memberships already; they are cached on the user.
        if not memberships_of(user=self.user):
            return 0
        return alert_unseen_count(viewer=self.user)


def alerts_badge(request: HttpRequest) -> dict[str, Any]:
    """For an officer signed in to a back-office page; nothing anywhere else."""
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    if user is None or not user.is_authenticated or getattr(user, "is_citizen", False):
        return {}
    if match is None or "backoffice" not in match.namespaces:
        return {}
    return {"alerts_badge": AlertsBadge(user)}
