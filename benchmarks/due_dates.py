"""How many due dates per second lib.workdays computes on one core, on the real 2025-2028 calendar.

Run from the repository root: `python benchmarks/due_dates.py`. The lead's budget is at least
100,000 working-day due dates per second without pauses.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from motcua.lib.workdays import (
    DurationUnit,
    Pause,
    WorkCalendar,
    due_instant,
    vietnam_public_calendar,
)

CALLS = 200_000
CALENDAR = vietnam_public_calendar(range(2025, 2029))


def working_days(received_at: datetime) -> datetime:
    return due_instant(
        calendar=CALENDAR, received_at=received_at, amount=10, unit=DurationUnit.WORKING_DAYS
    )


def working_hours(received_at: datetime) -> datetime:
    return due_instant(
        calendar=CALENDAR,
        received_at=received_at,
        amount=Decimal("16.5"),
        unit=DurationUnit.WORKING_HOURS,
    )


def calendar_days(received_at: datetime) -> datetime:
    return due_instant(
        calendar=CALENDAR, received_at=received_at, amount=30, unit=DurationUnit.CALENDAR_DAYS
    )


def working_days_two_pauses(received_at: datetime) -> datetime:
    # Building the pauses is part of the cost: callers do it for every dossier.
    pauses = (
        Pause(received_at + timedelta(days=1), received_at + timedelta(days=2, hours=3)),
        Pause(received_at + timedelta(days=4), received_at + timedelta(days=6)),
    )
    return due_instant(
        calendar=CALENDAR,
        received_at=received_at,
        amount=10,
        unit=DurationUnit.WORKING_DAYS,
        pauses=pauses,
    )


def reception_instants(calendar: WorkCalendar, count: int) -> list[datetime]:
    # Random instants over 2025-2027 so that every deadline stays inside the calendar's years.
    rng = random.Random(20260213)
    start = datetime(2025, 1, 1, tzinfo=calendar.tz)
    span = int(timedelta(days=3 * 365).total_seconds())
    return [start + timedelta(seconds=rng.randrange(span)) for _ in range(count)]


def measure(label: str, compute: Callable[[datetime], datetime], instants: list[datetime]) -> float:
    started = time.perf_counter()
    for received_at in instants:
        compute(received_at)
    rate = len(instants) / (time.perf_counter() - started)
    print(f"{label:<30} {rate:>12,.0f} due dates/s")
    return rate


def main() -> dict[str, float]:
    """Print and return due dates per second by kind (benchmarks/run.py calls this)."""
    instants = reception_instants(CALENDAR, CALLS)
    # The first call builds the calendar's day index; measure the steady state after it.
    working_days(instants[0])
    return {
        "working days": measure("working days", working_days, instants),
        "working hours": measure("working hours", working_hours, instants),
        "calendar days": measure("calendar days", calendar_days, instants),
        "working days with 2 pauses": measure(
            "working days with 2 pauses", working_days_two_pauses, instants
        ),
    }


if __name__ == "__main__":
    main()
