from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from motcua.core.periodic import repeat
from motcua.payments.tasks import sweep_payments


class Command(BaseCommand):
    help = (
        "Enqueue the payment sweep: ask the gateway about payments left pending, expire the "
        "unpaid ones past the timeout, reconcile yesterday once. With --loop, every SECONDS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=int, metavar="SECONDS", help="repeat every SECONDS")

    def handle(self, *args: Any, loop: int | None, **options: Any) -> None:
        # Through the task framework, so the sweep runs on the task workers (and, with the
        # immediate backend, here).
        repeat(sweep_payments.enqueue, every=loop)
