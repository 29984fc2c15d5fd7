"""Background tasks of supervision, run by whichever django.tasks backend the settings choose."""

from __future__ import annotations

from motcua.core.tasks import background_task
from motcua.supervision.services import alerts_sweep


@background_task
def sweep_alerts() -> int:
    """Send the near-due and overdue alerts the escalation rules call for; returns how many."""
    return alerts_sweep()
