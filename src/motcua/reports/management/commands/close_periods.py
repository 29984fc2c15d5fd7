from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from motcua.core.periodic import repeat
from motcua.reports.closing import (
    period_check,
    period_close,
    periods_running,
    periods_to_close,
)
from motcua.reports.models import ClosedPeriod
from motcua.reports.periods import Period


class Command(BaseCommand):
    help = (
        "Close the report periods (month, quarter, six and nine months, year) that have ended: "
        "count their figures once from the dossiers, for the reports and the 766 index to read; "
        "and count the running ones again (the dashboard reads them while fresh, "
        "MOTCUA_RUNNING_FIGURES_MAX_AGE). "
        "--recount PERIOD counts a closed period again (after a correction); --check counts "
        "every closed period (or PERIOD) again and lists the differences, exiting 1 if any. "
        "PERIOD is written kind:year:number, e.g. month:2026:10. With --loop, every SECONDS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--recount", metavar="PERIOD", action="append", default=[])
        parser.add_argument("--check", nargs="*", metavar="PERIOD")
        parser.add_argument("--loop", type=int, metavar="SECONDS", help="repeat every SECONDS")

    def handle(
        self, *args: Any, recount: list[str], check: list[str] | None, loop: int | None, **_: Any
    ) -> None:
        try:
            periods = [Period.parse(token) for token in [*recount, *(check or [])]]
        except Exception as error:
            raise CommandError(str(error)) from error
        if check is not None:
            self._check(periods)
        elif periods:
            for period in periods:
                self._close(period)
        else:
            repeat(self._close_ended, every=loop)

    def _close(self, period: Period) -> None:
        closed = period_close(period, now=timezone.now())
        state = "running" if closed.running else "closed"
        self.stdout.write(f"{period.token} ({state}): {closed.figures.count()} rows")

    def _close_ended(self) -> None:
        for period in periods_to_close(now=timezone.now()):
            self._close(period)
        for period in periods_running(now=timezone.now()):
            self._close(period)

    def _check(self, periods: list[Period]) -> None:
        closed = list(ClosedPeriod.objects.filter(running=False).order_by("year", "kind", "number"))
        if periods:
            wanted = {(p.kind, p.year, p.number) for p in periods}
            closed = [c for c in closed if (c.kind, c.year, c.number) in wanted]
        found = 0
        for period in closed:
            differences = period_check(period, now=timezone.now())
            found += len(differences)
            self.stdout.write(f"{period}: {len(differences) or 'no'} differences")
            for difference in differences:
                self.stdout.write(
                    f"  {difference.what} {difference.key}: stored {difference.stored}, "
                    f"counted {difference.counted}"
                )
        if found:
            raise CommandError(f"{found} differences")
