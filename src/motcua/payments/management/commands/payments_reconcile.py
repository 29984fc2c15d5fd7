from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from motcua.core.errors import DomainError
from motcua.payments.reconciliation import reconciliation_run


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"--day must be YYYY-MM-DD, not {text!r}") from error


class Command(BaseCommand):
    help = (
        "Compare one day of our payments with the gateway's statement and keep the report "
        "(default: yesterday). Exits with an error when the gateway cannot be reached."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", type=_day, help="the day, YYYY-MM-DD (default: yesterday)")

    def handle(self, *args: Any, day: dt.date | None, **options: Any) -> None:
        day = day or timezone.localdate() - dt.timedelta(days=1)
        try:
            report = reconciliation_run(day=day)
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(
            f"{day}: {report.our_count} payment(s) here ({report.our_total} VND), "
            f"{report.gateway_count} at the gateway ({report.gateway_total} VND), "
            f"{report.matched_count} matched, {len(report.mismatches)} mismatch(es)"
        )
        for mismatch in report.mismatches:
            self.stdout.write(f"  {mismatch['kind']}: {mismatch['txn_ref']} {mismatch['dossier']}")
