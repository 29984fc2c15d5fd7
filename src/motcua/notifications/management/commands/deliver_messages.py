from __future__ import annotations

import contextlib
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

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
        # Ctrl-C is how a developer stops `make worker`; a message being sent keeps its claim
        # and is tried again when the lease runs out.
        with contextlib.suppress(KeyboardInterrupt):
            self._deliver(loop=loop, limit=limit, verbosity=options["verbosity"])

    def _deliver(self, *, loop: int | None, limit: int, verbosity: int) -> None:
        while True:
            sent = messages_deliver_due(limit=limit)
            if sent or verbosity > 1:
                self.stdout.write(f"{sent} message(s) sent")
            if not loop:
                return
            # A loop that lives for days must not keep a connection the database has dropped.
            close_old_connections()
            time.sleep(loop)
