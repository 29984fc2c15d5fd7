"""Background tasks of the payments, run by whichever django.tasks backend the settings choose."""

from __future__ import annotations

from motcua.core.tasks import background_task
from motcua.payments.reconciliation import reconciliation_catch_up
from motcua.payments.services import payments_recheck_pending


@background_task
def sweep_payments() -> int:
    """Re-check the payments left pending (querydr), expire the unpaid ones past the timeout,
    and reconcile yesterday once; returns how many payments changed."""
    changed = payments_recheck_pending()
    reconciliation_catch_up()
    return changed
