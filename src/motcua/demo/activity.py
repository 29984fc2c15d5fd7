"""A year of the demo centers' work, planned: which dossier arrives when, how, and what becomes
of it. The plan is drawn from a seeded random generator, so every run of `load_demo_activity`
on the same day plans the same history; `demo.lives` then plays it through the real services.

Every instant is relative to the moment of the run and falls in office hours on the real
Vietnamese calendar (weekends, Tết and the other public holidays are skipped); nothing is ever
planned after that moment, so whatever would happen later simply has not happened yet and the
dossier is still open.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from motcua.calendars.selectors import work_calendar_for
from motcua.lib.workdays import WorkCalendar

SEED = 2026
# The demo's national calendar over the window; deadlines use each dossier's own calendar.
WINDOW_DAYS = 396


class Fate(StrEnum):
    """What happens to a dossier after it is received."""

    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"
    APOLOGY = "apology"  # late, after an apology with a new appointment
    SUPPLEMENT = "supplement"
    SUPPLEMENT_TWICE = "supplement_twice"
    WITHDRAWN = "withdrawn"
    REFUSED = "refused"
    STALLED = "stalled"  # received, then nobody acted: open, near due or overdue now


class Handover(StrEnum):
    DESK = "desk"
    POST = "post"
    ONLINE = "online"
    UNCOLLECTED = "uncollected"


@dataclass(frozen=True)
class Procedure:
    code: str
    weight: int
    # A department head approves supplement requests in the handling unit.
    supplements: bool = False
    long: bool = False  # five working days or more: room for an apology


CENTER_DESK = "tiepnhan"
WARD_DESK = "tiepnhanphuong"
CITIZENS = ("congdan", "khachhang")
PROCEDURES = (
    # The city center's desk: police and land.
    Procedure("1.004222", 14, long=True),  # residence registration
    Procedure("1.010041", 9),  # residence confirmation (4 working hours)
    Procedure("3.000333", 5, long=True),  # criminal record certificate
    Procedure("2.000200", 6, long=True),  # identity card
    Procedure("1.012783", 8, supplements=True, long=True),  # land certificate renewal
    Procedure("1.013831", 8, supplements=True, long=True),  # land transfer: tax to pay
    # First land registration: the ward confirms the land's state in a stage of its own.
    Procedure("1.013978", 4, supplements=True, long=True),
    # The ward of Thuận Hóa's desk.
    Procedure("1.001612", 12, supplements=True),  # household business registration
    Procedure("2.000720", 5, supplements=True),  # household business change
    Procedure("1.001193", 8),  # birth registration (on the spot)
    Procedure("2.000815", 8),  # certified copy (on the spot)
    Procedure("2.000884", 3),  # signature certification (on the spot)
    Procedure("1.000894", 4),  # marriage registration
    Procedure("1.000656", 2),  # death registration
    Procedure("1.013225", 3, supplements=True, long=True),  # building permit
)
BY_CODE = {p.code: p for p in PROCEDURES}


@dataclass(frozen=True)
class Story:
    """One dossier of the history, as planned."""

    index: int
    procedure: Procedure
    channel: str  # counter | online | post
    received_at: datetime
    fate: Fate
    handover: Handover
    rating: str  # "" when the applicant does not rate
    pace: float  # share of the allowed time used (early and on-time finishes)
    rng: random.Random

    @property
    def key(self) -> str:
        return f"demo-activity:{self.index}"


def national_calendar(now: datetime) -> WorkCalendar:
    years = range(now.year - 2, now.year + 2)
    return work_calendar_for(as_of=now, years=years)


def working_days(calendar: WorkCalendar, *, start: date, end: date) -> list[date]:
    count = (end - start).days + 1
    days = (start + timedelta(days=n) for n in range(count))
    return [day for day in days if calendar.is_working_day(day)]


def office_instant(
    calendar: WorkCalendar, day: date, rng: random.Random, *, before: datetime
) -> datetime | None:
    """A random minute of office hours on `day` (mornings busier), or None if none is left
    before `before`."""
    sessions = calendar.office_hours
    start, end = sessions[0] if rng.random() < 0.6 or len(sessions) == 1 else sessions[-1]
    opening = datetime.combine(day, start, tzinfo=calendar.tz)
    minutes = int((datetime.combine(day, end) - datetime.combine(day, start)).seconds / 60)
    instant = opening + timedelta(minutes=rng.randrange(max(minutes - 15, 1)))
    if instant < before:
        return instant
    if opening < before:
        return opening + (before - opening) / 2
    return None


# How often each ending happens to a dossier that is not on the spot.
FATE_SHARES = {
    Fate.EARLY: 50,
    Fate.ON_TIME: 20,
    Fate.LATE: 11,
    Fate.APOLOGY: 4,
    Fate.SUPPLEMENT: 8,
    Fate.WITHDRAWN: 3.5,
    Fate.REFUSED: 3.5,
}


def _fate(rng: random.Random, procedure: Procedure) -> Fate:
    fate = rng.choices(list(FATE_SHARES), list(FATE_SHARES.values()))[0]
    if fate == Fate.APOLOGY and not procedure.long:
        return Fate.LATE
    if fate == Fate.SUPPLEMENT and not procedure.supplements:
        return Fate.EARLY
    return fate


def _handover(rng: random.Random, channel: str) -> Handover:
    roll = rng.random()
    if roll < 0.06:
        return Handover.UNCOLLECTED
    if channel == "post":
        return Handover.POST
    if channel == "online" and roll < 0.5:
        return Handover.ONLINE
    return Handover.POST if roll > 0.95 else Handover.DESK


def _rating(rng: random.Random) -> str:
    if rng.random() > 0.45:
        return ""
    roll = rng.random()
    return "very_satisfied" if roll < 0.55 else "satisfied" if roll < 0.88 else "dissatisfied"


def _channel(rng: random.Random, procedure: Procedure) -> str:
    roll = rng.random()
    if procedure.code not in {"2.000200", "2.000884"} and roll < 0.3:
        return "online"
    return "post" if roll > 0.95 else "counter"


def stories(*, now: datetime, count: int, seed: int = SEED) -> list[Story]:
    """`count` dossiers spread over the last 13 months (a few more each month as the center
    gets known), and a handful placed to be open now: within time, near due and overdue."""
    rng = random.Random(seed)
    calendar = national_calendar(now)
    today = now.astimezone(calendar.tz).date()
    days = working_days(calendar, start=today - timedelta(days=WINDOW_DAYS), end=today)
    weights = [1 + n / len(days) for n in range(len(days))]
    planned: list[tuple[Procedure, datetime, Fate]] = []
    procedures, shares = list(PROCEDURES), [p.weight for p in PROCEDURES]
    while len(planned) < count:
        procedure = rng.choices(procedures, shares)[0]
        day = rng.choices(days, weights)[0]
        instant = office_instant(calendar, day, rng, before=now)
        if instant is not None:
            planned.append((procedure, instant, _fate(rng, procedure)))
    planned += _open_now(calendar, now, days, rng)
    planned.append((BY_CODE["1.012783"], _days_back(calendar, now, 70), Fate.SUPPLEMENT_TWICE))
    planned.sort(key=lambda item: item[1])
    return [_story(index, rng, *item) for index, item in enumerate(planned)]


def _days_back(calendar: WorkCalendar, now: datetime, days: int) -> datetime:
    """10:00 on the working day about `days` calendar days before now."""
    day = now.astimezone(calendar.tz).date() - timedelta(days=days)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return datetime.combine(day, time(10, 0), tzinfo=calendar.tz)


def _open_now(
    calendar: WorkCalendar, now: datetime, days: list[date], rng: random.Random
) -> list[tuple[Procedure, datetime, Fate]]:
    """Dossiers nobody has finished: overdue (received weeks ago), near due (received two
    working days ago for a three-day procedure) and within time (received this week)."""
    business, residence = BY_CODE["1.001612"], BY_CODE["1.004222"]
    opened: list[tuple[Procedure, datetime, Fate]] = [
        (residence, _days_back(calendar, now, 30), Fate.STALLED),
        (BY_CODE["1.012783"], _days_back(calendar, now, 24), Fate.STALLED),
        (business, _days_back(calendar, now, 12), Fate.STALLED),
    ]
    today = now.astimezone(calendar.tz).date()
    before_today = [day for day in days if day < today]
    for day in before_today[-3:-1]:
        opened.append(
            (business, datetime.combine(day, time(9, 30), tzinfo=calendar.tz), Fate.STALLED)
        )
    for day in days[-5:]:
        instant = office_instant(calendar, day, rng, before=now)
        if instant is not None:
            opened.append((residence, instant, Fate.STALLED))
    return opened


def _story(
    index: int, rng: random.Random, procedure: Procedure, received_at: datetime, fate: Fate
) -> Story:
    channel = "counter" if fate == Fate.STALLED else _channel(rng, procedure)
    rating = "dissatisfied" if fate == Fate.SUPPLEMENT_TWICE else _rating(rng)
    pace = rng.uniform(0.2, 0.75) if fate != Fate.ON_TIME else rng.uniform(0.9, 0.99)
    return Story(
        index=index,
        procedure=procedure,
        channel=channel,
        received_at=received_at,
        fate=fate,
        handover=_handover(rng, channel),
        rating=rating,
        pace=pace,
        rng=random.Random(rng.random()),
    )
