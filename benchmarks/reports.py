"""The supervision budgets of DESIGN.md §6 on a province-sized history: the monthly operational
report (< 300 ms) and the yearly Decision 766 index for all units (< 1 s), on PostgreSQL.

Fill the database first (about 10 minutes and 24 GB for ten million dossiers):

    .venv/bin/python benchmarks/generate_dossiers.py --dossiers 10000000 \\
        --database-url postgres://postgres@127.0.0.1:5432/motcua_bench10m

then migrate it and seed the index settings (`manage.py migrate`, `manage.py seed_index766` with
the same DATABASE_URL), then, from the repository root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/motcua_bench10m \\
        .venv/bin/python benchmarks/reports.py [--rounds 5] [--skip-index] [--skip-live] [--wide] \\
        [--from-dossiers]

Server time only (no HTTP): the selectors the pages call, as the procedure controller of the
province (`kiemsoat`), who sees every unit. First the last month and the last year are closed
(`reports.closing.period_close`, what `close_periods` runs once a period ends; timed once),
then the budgets are measured on them: the monthly report and the yearly index read the closed
figures. Then the running month: counted so far (what `close_periods` does every few minutes),
its report and the dashboard reading those figures (`--from-dossiers`: also without them).
Prints the median and the best of the rounds and the number of queries. A missed budget is
printed as BELOW TARGET; the run does not fail on it.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from collections.abc import Callable
from math import inf
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")

import django

django.setup()

# ruff: noqa: E402  (Django is set up before the product's modules are imported)

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from motcua.agencies.models import Unit
from motcua.catalog.models import ProcedureVersion
from motcua.dossiers.models import Dossier
from motcua.reports.closing import period_close
from motcua.reports.index766 import index766_compute
from motcua.reports.models import ClosedPeriod, PeriodFigures
from motcua.reports.periods import Period, PeriodKind, months_back
from motcua.reports.selectors import dashboard, operational_report, report_scope_get

REPORT_BUDGET_MS = 300
INDEX_BUDGET_MS = 1000


def timed(work: Callable[[], object], rounds: int) -> tuple[list[float], int]:
    with CaptureQueriesContext(connection) as queries:
        work()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return times, len(queries.captured_queries)


def show(name: str, times: list[float], queries: int, budget: float) -> None:
    median = statistics.median(times)
    verdict = "ok" if median < budget else "BELOW TARGET"
    print(
        f"{name:<46} median {median:9.1f} ms  best {min(times):9.1f} ms  "
        f"{queries:3d} queries  budget < {budget:.0f} ms: {verdict}"
    )


def wide(viewer: object, scope: object, month: Period, year: Period, rounds: int) -> None:
    """The closed periods' rows multiplied to every combination of units and versions."""
    units = list(Unit.objects.values_list("pk", flat=True))
    versions = list(ProcedureVersion.objects.values_list("pk", flat=True))
    with transaction.atomic():
        for period in (month, year):
            closed = ClosedPeriod.objects.get(
                kind=period.kind, year=period.year, number=period.number
            )
            sample = closed.figures.first()
            assert sample is not None, "the period has no rows to copy"
            closed.figures.all().delete()
            PeriodFigures.objects.bulk_create(
                (
                    PeriodFigures(
                        period=closed,
                        receiving_unit_id=receiving,
                        competent_unit_id=competent,
                        agency_id=competent,
                        procedure_version_id=version,
                        resolutions=sample.resolutions,
                        resolution_time=sample.resolution_time,
                        **sample.figures(),
                    )
                    for receiving, competent, version in itertools.product(units, units, versions)
                ),
                batch_size=5000,
            )
        rows = closed.figures.count()
        times, queries = timed(
            lambda: operational_report(viewer=viewer, period=month, scope=scope), rounds
        )
        show(f"  the same, {rows:,} rows", times, queries, REPORT_BUDGET_MS)
        province = Unit.objects.get(code="000.00.00.H57")
        times, queries = timed(lambda: index766_compute(unit=province, period=year), rounds)
        show(f"  the same, {rows:,} rows", times, queries, INDEX_BUDGET_MS)
        transaction.set_rollback(True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-index", action="store_true")
    parser.add_argument("--skip-live", action="store_true")
    parser.add_argument(
        "--from-dossiers",
        action="store_true",
        help="also time the running month's report and the dashboard counted from the dossiers "
        "(minutes on ten million)",
    )
    parser.add_argument(
        "--wide",
        action="store_true",
        help="also time the closed report and index with a row for every receiving unit × "
        "competent unit × procedure version (a province with many more procedures and units "
        "than the demo's), in a transaction rolled back afterwards",
    )
    args = parser.parse_args()
    print(f"database: {connection.vendor}, {Dossier.objects.count():,} dossiers")
    viewer = get_user_model().objects.get(username="kiemsoat")
    today = timezone.localdate()
    month = Period.containing(PeriodKind.MONTH, today.replace(day=1) - timezone.timedelta(days=1))
    year = Period.containing(
        PeriodKind.YEAR, today.replace(month=1, day=1) - timezone.timedelta(days=1)
    )
    for period in (month, *(() if args.skip_index else (year,))):
        start = time.perf_counter()
        closed = period_close(period, now=timezone.now())
        print(
            f"closing {period.token}: {time.perf_counter() - start:7.1f} s, "
            f"{closed.figures.count():,} rows (once, when the period ends)"
        )
    scope = report_scope_get(viewer=viewer)
    times, queries = timed(
        lambda: operational_report(viewer=viewer, period=month, scope=scope), args.rounds
    )
    show(f"operational report, {month.token}", times, queries, REPORT_BUDGET_MS)
    if not args.skip_index:
        province = Unit.objects.get(code="000.00.00.H57")
        times, queries = timed(lambda: index766_compute(unit=province, period=year), args.rounds)
        show(f"766 index, all units, {year.token}", times, queries, INDEX_BUDGET_MS)
    if args.wide:
        wide(viewer, scope, month, year, args.rounds)
    if args.skip_live:
        return
    running = Period.containing(PeriodKind.MONTH, today)
    if args.from_dossiers:
        times, queries = timed(
            lambda: operational_report(viewer=viewer, period=running, scope=scope), 1
        )
        show(f"running report, {running.token}, from the dossiers", times, queries, inf)
        times, queries = timed(lambda: dashboard(viewer=viewer, scope=scope), 1)
        show("dashboard, from the dossiers", times, queries, inf)
    # The dashboard's trend reads the eleven months before this one closed, as they are once
    # close_periods has run since they ended.
    start = time.perf_counter()
    closed = {(c.kind, c.year, c.number) for c in ClosedPeriod.objects.filter(running=False)}
    trend = [
        m
        for m in months_back(until=running, count=12)[:-1]
        if (m.kind, m.year, m.number) not in closed
    ]
    for month_before in trend:
        period_close(month_before, now=timezone.now())
    print(f"closing {len(trend)} more months of the trend: {time.perf_counter() - start:7.1f} s")
    start = time.perf_counter()
    period_close(running, now=timezone.now())
    print(
        f"counting {running.token} so far: {time.perf_counter() - start:7.1f} s "
        "(every few minutes, in the background)"
    )
    times, queries = timed(
        lambda: operational_report(viewer=viewer, period=running, scope=scope), args.rounds
    )
    show(f"running report, {running.token}", times, queries, REPORT_BUDGET_MS)
    times, queries = timed(lambda: dashboard(viewer=viewer, scope=scope), args.rounds)
    show("dashboard (no budget of its own)", times, queries, inf)


if __name__ == "__main__":
    main()
