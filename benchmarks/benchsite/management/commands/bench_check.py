"""After a run: what the database holds, and whether the audit chain survived the load.

Prints one JSON line that benchmarks/run.py reads.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from benchsite.models import BenchRow
from motcua.audit.models import Event
from motcua.audit.services import event_chain_verify
from motcua.dossiers.models import Dossier, DossierComponent, IdempotencyRecord
from motcua.notifications.models import Message


class Command(BaseCommand):
    help = "Count the rows the benchmark wrote and verify the event chain."

    def handle(self, *args: Any, **options: Any) -> None:
        report = event_chain_verify()
        codes = Dossier.objects.values_list("code", flat=True)
        self.stdout.write(
            json.dumps(
                {
                    "dossiers": Dossier.objects.count(),
                    "distinct_codes": len(set(codes)),
                    "components": DossierComponent.objects.count(),
                    "idempotency_records": IdempotencyRecord.objects.count(),
                    "events": Event.objects.count(),
                    "messages": Message.objects.count(),
                    "minimal_rows": BenchRow.objects.count(),
                    "chain_ok": report.ok,
                    "chain_checked": report.checked,
                    "chain_problem": report.problem,
                }
            )
        )
