"""Background tasks of the dossiers, run by whichever django.tasks backend the settings choose."""

from __future__ import annotations

from motcua.core.tasks import background_task
from motcua.dossiers.processing import deadlines_sweep


@background_task
def sweep_deadlines() -> int:
    """Log the steps and dossiers that went past their due time; returns how many."""
    return deadlines_sweep()
