from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from motcua.core.periodic import repeat
from motcua.supervision.tasks import sweep_alerts


class Command(BaseCommand):
    help = (
        "Enqueue the alerts sweep (near-due and overdue steps and dossiers are told to the "
        "people the escalation rules name, once each). With --loop, every SECONDS (what "
        "`make run` and `make worker` run)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=int, metavar="SECONDS", help="repeat every SECONDS")

    def handle(self, *args: Any, loop: int | None, **options: Any) -> None:
        # Through the task framework, so the sweep runs on the task workers (and, with the
        # immediate backend, here).
        repeat(sweep_alerts.enqueue, every=loop)
