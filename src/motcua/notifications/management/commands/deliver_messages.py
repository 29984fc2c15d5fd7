from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from motcua.core.periodic import repeat
from motcua.notifications.services import messages_deliver_due


class Command(BaseCommand):
    help = (
        "Send the due messages of the outbox: retries, and new ones whose delivery task was "
        "lost. With --loop, keep doing it every SECONDS (what `make run` and `make worker` run)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=int, metavar="SECONDS", help="repeat every SECONDS")
        parser.add_argument("--limit", type=int, default=100, help="messages per round")

    def handle(self, *args: Any, loop: int | None, limit: int, **options: Any) -> None:
        verbosity = options["verbosity"]

        def deliver() -> None:
            sent = messages_deliver_due(limit=limit)
            if sent or verbosity > 1:
                self.stdout.write(f"{sent} message(s) sent")

        # A message being sent when the loop is stopped keeps its claim and is tried again when
        # the lease runs out.
        repeat(deliver, every=loop)
