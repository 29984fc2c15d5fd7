from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from motcua.audit.services import event_chain_verify


class Command(BaseCommand):
    help = "Verify the hash chain of the event log and report the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        report = event_chain_verify()
        if not report.ok:
            raise CommandError(
                f"Event chain broken at #{report.broken_at}: {report.problem} "
                f"({report.checked} events verified before it)"
            )
        self.stdout.write(f"Event chain intact: {report.checked} events verified.")
