from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from motcua.accounts.services import one_time_codes_purge
from motcua.core.periodic import repeat


class Command(BaseCommand):
    help = (
        "Delete one-time codes (and the sign-ups they were holding) that expired more than a "
        "day ago. With --loop, keep doing it every SECONDS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=int, metavar="SECONDS", help="repeat every SECONDS")

    def handle(self, *args: Any, loop: int | None, **options: Any) -> None:
        def purge() -> None:
            deleted = one_time_codes_purge()
            if deleted or options["verbosity"] > 1:
                self.stdout.write(f"{deleted} expired code(s) deleted")

        repeat(purge, every=loop)
