from __future__ import annotations

import time
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from motcua.demo.activity import SEED, stories
from motcua.demo.lives import World, play
from motcua.dossiers.models import Dossier, IdempotencyRecord

MARKER = "demo-activity:"


class Command(BaseCommand):
    help = (
        "Give the demo centers a year of work: about 300 dossiers over the last 13 months "
        "(counter, online, post; early, on time, late, paused, withdrawn, refused, returned, "
        "rated, a few still open), received and handled through the real services at their "
        "time. Run after load_demo; does nothing the second time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dossiers", type=int, default=300, help="how many (default 300)")
        parser.add_argument("--seed", type=int, default=SEED, help=f"default {SEED}")

    def handle(self, *args: Any, dossiers: int, seed: int, **options: Any) -> None:
        if IdempotencyRecord.objects.filter(key__startswith=MARKER).exists():
            self.stdout.write("The demo centers already have their activity.")
            return
        started, now = time.monotonic(), timezone.now()
        before = Dossier.objects.count()
        plan = stories(now=now, count=dossiers, seed=seed)
        # One transaction: a failure leaves nothing half-loaded, and SQLite writes once.
        with transaction.atomic():
            refused = play(World(now=now), plan)
        added = Dossier.objects.count() - before
        self.stdout.write(
            self.style.SUCCESS(
                f"{added} demo dossiers over 13 months in {time.monotonic() - started:.0f} s."
            )
        )
        self._summary(refused)

    def _summary(self, refused: Counter[str]) -> None:
        states = Counter(Dossier.objects.values_list("state", flat=True))
        self.stdout.write("  " + ", ".join(f"{k}: {v}" for k, v in sorted(states.items())))
        if refused:
            self.stdout.write(f"  actions refused by the services: {dict(refused)}")
