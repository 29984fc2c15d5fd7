from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from motcua.reports.services import index_settings_seed


class Command(BaseCommand):
    help = (
        "Give a year (default: this year) the Decision 766 indicators' points and targets and "
        "the center's online-service targets, copied from the latest earlier year or else the "
        "defaults. Idempotent: what is already set for the year is left as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, help="the year to seed (default: this year)")

    def handle(self, *args: Any, year: int | None, **options: Any) -> None:
        year = year or timezone.localdate().year
        if not 2000 <= year <= 2100:
            raise CommandError(f"--year {year}: expected a year between 2000 and 2100")
        seeded = index_settings_seed(year=year)
        self.stdout.write(
            f"{year}: {seeded.settings} indicator setting(s), "
            f"{seeded.targets} center target row(s) created."
        )
