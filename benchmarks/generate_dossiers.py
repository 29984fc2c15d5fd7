"""Fill a benchmark database with N dossiers and their workflow steps, fast (no ORM per row).

For the worklist budget of DESIGN.md §6 (a page with 1,000,000 dossiers in the database). The
dossiers follow the demo center (`load_demo`, run here first if the catalogue is empty): every
demo procedure version, weighted by how common it is, received at its own desk over three years.

- About 92 % are finished: returned, every step of their workflow finished (most on time, some
  late), milestones received → transferred → resolved → returned.
- About 8 % are open: every day receives as many dossiers, and the younger a dossier and the
  longer its procedure, the likelier it is still open (the backlog). One stage in progress with
  its one or two open steps (a parallel stage, or an added consultation of the tax office, the
  commune, the construction department, the police), the earlier stages finished, due dates
  around now (about 4 in 10 overdue; open return steps, budget 0, all are). Steps are assigned
  to the demo staff of their unit and role (chuyenvien, canbothue, lanhdao, congan, the desk
  officers …), one open step in five left unassigned as if it had just arrived; late steps and
  dossiers carry the deadline sweep's `overdue_noted_at`.
- Codes follow MOTCUA_DOSSIER_CODE_PATTERN per receiving unit and day, and the code counters are
  raised to match, so dossiers received afterwards through the product do not collide.

Only `dossiers_dossier`, `dossiers_dossierstep` and `dossiers_dossiercodecounter` are written:
no components, hand-overs, pauses, notices or audit events (the worklist does not read them).
Times are spread in calendar time (a working day counts as 1.4 days), not on the product's
working-day calendar: the query plans do not depend on it.

PostgreSQL: one transaction; the tables' secondary indexes are dropped and built again after
COPY (FREEZE after --reset), and foreign-key triggers are skipped (`session_replication_role =
replica`, as superuser; every key written refers to a row that exists). SQLite: `executemany`
in batches. Then ANALYZE (VACUUM ANALYZE on PostgreSQL: index-only scans need the visibility map).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/motcua_bench \\
        .venv/bin/python benchmarks/generate_dossiers.py [--dossiers 1000000] [--reset]

Without DATABASE_URL it uses that PostgreSQL database; it is created when missing. `--reset`
empties the dossier tables first (refused unless the database's name contains "bench");
without it the dossiers are added to those already there.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from queue import Queue
from typing import Any
from urllib.parse import unquote, urlsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/motcua_bench"

DAY = 86_400
YEARS = 3
OPEN_SHARE = 0.08
SWEEP_SECONDS = 900  # the deadline sweep notes a late step or dossier within this time
CHUNK = 20_000  # dossiers per COPY / executemany batch


def words(text: str) -> list[str]:
    return text.split()


# How common each demo procedure is at the desk (national code → weight); others weigh 3.
WEIGHTS = {
    "1.013978": 6,  # land: first registration
    "1.013831": 10,  # land: transfer
    "1.012783": 5,  # land: certificate re-issued
    "1.001612": 4,  # household business
    "2.000720": 3,
    "1.001193": 10,  # birth
    "1.000894": 4,  # marriage
    "1.000656": 3,  # death
    "2.000815": 18,  # certified copies
    "2.000884": 10,  # certified signatures
    "1.013225": 3,  # construction permit
    "1.004222": 6,  # permanent residence
    "1.010041": 8,  # residence confirmation
    "2.000200": 6,  # identity card
    "3.000333": 4,  # judicial record
}
# One unit of each statutory kind, in calendar seconds (nights and weekends included).
UNIT_SECONDS = {
    "working_days": 1.4 * DAY,
    "working_hours": 2.5 * 3600,
    "calendar_days": DAY,
    "same_day": 8 * 3600,
}
# Units that a handling stage may consult besides its workflow: tax, commune, construction,
# police (codes of the demo organisation).
CONSULTED_UNITS = ("000.00.60.H57", "000.00.12.H57", "000.00.21.H57", "000.00.70.H57")

SURNAMES = words("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý")
MIDDLES = words("Văn Thị Hữu Đức Minh Thu Ngọc Quốc Thanh Xuân")
GIVENS = words(
    "An Bình Châu Dũng Giang Hà Hải Hạnh Hiếu Hòa Hùng Hương Khánh Lan Linh Long Mai Nam Nga "
    "Phúc Quang Sơn Tâm Thảo Trang Tuấn Vy Yến"
)
STREETS = (
    "Lê Lợi",
    "Hùng Vương",
    "Trần Hưng Đạo",
    "Bà Triệu",
    "Phan Đình Phùng",
    "Lý Thường Kiệt",
    "Đống Đa",
    "Nguyễn Huệ",
)
WARDS = ("Thuận Hóa", "Phú Xuân", "Vỹ Dạ", "An Cựu", "Kim Long")
SECRET_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--reset", action="store_true", help="empty the dossier tables first")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", POSTGRES_URL))
    args = parser.parse_args()

    url = args.database_url
    if urlsplit(url).scheme.startswith("postgres"):
        create_postgres_database(url)
    setup_django(url)
    from django.db import connection

    ensure_demo()
    if args.reset:
        refuse_unless_bench(connection)
    now = int(time.time())
    demo = Demo.load()
    loader = PostgresLoader(connection) if connection.vendor == "postgresql" else SqliteLoader()
    print(f"Database: {connection.vendor} {describe(connection)}")
    started = time.perf_counter()
    counts = loader.run(demo=demo, count=args.dossiers, reset=args.reset, seed=args.seed, now=now)
    elapsed = time.perf_counter() - started
    rows = counts["dossiers"] + counts["steps"]
    print(
        f"Wrote {counts['dossiers']:,} dossiers ({counts['open']:,} open) and "
        f"{counts['steps']:,} steps ({counts['open_steps']:,} open) in {elapsed:.1f} s: "
        f"{rows / elapsed:,.0f} rows/s"
    )
    started = time.perf_counter()
    loader.analyze()
    print(f"ANALYZE: {time.perf_counter() - started:.1f} s")
    print_summary(connection)
    return 0


# ---------------------------------------------------------------------------------------------
# Set-up


def create_postgres_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    with psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or "") or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"Created database {name}")


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def ensure_demo() -> None:
    """migrate and load_demo when the catalogue is not there yet."""
    from django.core.management import call_command
    from django.db import connection

    from motcua.catalog.models import WorkflowStep

    tables = connection.introspection.table_names()
    if "catalog_workflowstep" in tables and WorkflowStep.objects.exists():
        return
    print("No demo catalogue: migrate + load_demo ...", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


def refuse_unless_bench(connection: Any) -> None:
    name = str(connection.settings_dict["NAME"])
    if "bench" not in Path(name).name:
        sys.exit(f"refusing to empty the dossier tables of {name!r}: its name must contain 'bench'")


def describe(connection: Any) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        return f"{version}, database {connection.settings_dict['NAME']}"
    import sqlite3

    return f"{sqlite3.sqlite_version}, {connection.settings_dict['NAME']}"


# ---------------------------------------------------------------------------------------------
# The demo center, as the generator needs it


@dataclass
class Step:
    workflow_step_id: int | None
    stage: int
    kind: str
    name: str
    unit_id: int
    role: str
    budget: str
    seconds: float  # the budget in calendar seconds
    officers: tuple[int, ...]  # the demo officers of this unit and role


@dataclass
class Version:
    id: int
    procedure_id: int
    national_code: str
    receiving_unit_id: int
    competent_unit_id: int
    statutory_unit: str
    seconds: float
    weight: float
    receivers: tuple[int, ...]
    stages: list[list[Step]]  # stage 1 (reception) first, the return stage last
    backlog_days: float = 0.0  # a dossier received d days ago is open with e^(-d/this)

    @property
    def processing(self) -> list[list[Step]]:
        return self.stages[1:-1]


@dataclass
class Demo:
    versions: list[Version]
    unit_codes: dict[int, str]
    consulted: list[tuple[int, tuple[int, ...]]]  # (unit, officers) of added consultations

    @classmethod
    def load(cls) -> Demo:
        from motcua.agencies.models import Membership, Unit
        from motcua.catalog.models import ProcedureVersion, WorkflowStep

        staff: dict[tuple[int, str], list[int]] = defaultdict(list)
        # People, not the integrated systems that share a desk's role.
        memberships = Membership.objects.filter(user__is_system=False).order_by("user_id")
        for unit_id, role, user_id in memberships.values_list("unit_id", "role", "user_id"):
            staff[unit_id, role].append(user_id)
        officers = {key: tuple(users) for key, users in staff.items()}
        unit_codes = dict(Unit.objects.values_list("id", "code"))
        versions = []
        for version in ProcedureVersion.objects.select_related("procedure").order_by("id"):
            per_unit = UNIT_SECONDS[version.statutory_unit]
            stages: dict[int, list[Step]] = defaultdict(list)
            for w in WorkflowStep.objects.filter(version=version).order_by("stage", "position"):
                stages[w.stage].append(
                    Step(
                        workflow_step_id=w.pk,
                        stage=w.stage,
                        kind=w.kind,
                        name=w.name,
                        unit_id=w.unit_id,
                        role=w.role,
                        budget=str(w.budget),
                        seconds=float(w.budget) * per_unit,
                        officers=officers.get((w.unit_id, w.role), ()),
                    )
                )
            if len(stages) < 2:
                continue  # a version without a workflow opens no step
            versions.append(
                Version(
                    id=version.pk,
                    procedure_id=version.procedure_id,
                    national_code=version.procedure.national_code,
                    receiving_unit_id=version.receiving_unit_id,
                    competent_unit_id=version.competent_unit_id,
                    statutory_unit=version.statutory_unit,
                    seconds=float(version.statutory_amount) * per_unit,
                    weight=WEIGHTS.get(version.procedure.national_code, 3),
                    receivers=officers.get((version.receiving_unit_id, "reception_officer"), ()),
                    stages=[stages[s] for s in sorted(stages)],
                )
            )
        if not versions:
            sys.exit("no procedure version with a workflow: run load_demo first")
        set_backlogs(versions)
        codes = {code: pk for pk, code in unit_codes.items()}
        consulted = [
            (codes[c], officers.get((codes[c], "coordinating_officer"), ()))
            for c in CONSULTED_UNITS
            if c in codes
        ]
        return cls(versions=versions, unit_codes=unit_codes, consulted=consulted)


def set_backlogs(versions: list[Version]) -> None:
    """Make OPEN_SHARE of the dossiers open, the recent ones more than the old ones (every day
    receives as many dossiers, the backlog is what is left of them) and long procedures more
    than short ones: a dossier received d days ago is open with probability e^(-d/τ), τ being
    proportional to the procedure's duration + 2 days."""
    span = YEARS * 365
    weight = sum(v.weight for v in versions)

    def open_share(scale: float) -> float:
        taus = [scale * (v.seconds / DAY + 2) for v in versions]
        shares = [tau / span * (1 - math.exp(-span / tau)) for tau in taus]
        return sum(v.weight * share for v, share in zip(versions, shares, strict=True)) / weight

    low, high = 0.01, 1000.0
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if open_share(middle) < OPEN_SHARE else (low, middle)
    for v in versions:
        v.backlog_days = low * (v.seconds / DAY + 2)


# ---------------------------------------------------------------------------------------------
# Rows


class Clock:
    """Epoch seconds → the database's text for a timestamp, and ISO 8601 for milestones."""

    def __init__(self, *, suffix: str) -> None:
        self.suffix = suffix
        self.hms = [
            f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
        ]
        self.days: dict[int, str] = {}

    def day(self, ts: int) -> str:
        number = ts // DAY
        text = self.days.get(number)
        if text is None:
            text = self.days[number] = (date(1970, 1, 1) + timedelta(days=number)).isoformat()
        return text

    def db(self, ts: float) -> str:
        t = int(ts)
        return f"{self.day(t)} {self.hms[t % DAY]}{self.suffix}"

    def iso(self, ts: float) -> str:
        t = int(ts)
        return f"{self.day(t)}T{self.hms[t % DAY]}+00:00"


@dataclass
class Columns:
    """A table's columns: those the generator fills per row, then the others at their default."""

    table: str
    varying: list[str]
    constant: list[str] = field(default_factory=list)
    constant_values: list[Any] = field(default_factory=list)

    @classmethod
    def of(cls, model: Any, varying: Sequence[str]) -> Columns:
        from django.db.models import NOT_PROVIDED

        columns = cls(table=model._meta.db_table, varying=list(varying))
        for f in model._meta.concrete_fields:
            if f.column in varying:
                continue
            if f.default is not NOT_PROVIDED:
                value = f.get_default()
                value = json.dumps(value) if f.get_internal_type() == "JSONField" else value
            elif f.null:
                value = None
            elif f.get_internal_type() in {"CharField", "TextField", "EmailField"}:
                value = ""
            else:
                sys.exit(f"{columns.table}.{f.column} is NOT NULL without a default: fill it")
            columns.constant.append(f.column)
            columns.constant_values.append(value)
        missing = set(varying) - {f.column for f in model._meta.concrete_fields}
        if missing:
            sys.exit(f"{columns.table} has no column {sorted(missing)}")
        return columns

    @property
    def names(self) -> list[str]:
        return self.varying + self.constant


# The columns the generator fills, in the order of its tuples; the others get their default.
DOSSIER_COLUMNS = words(
    "id code lookup_secret procedure_version_id receiving_unit_id competent_unit_id channel "
    "result_channel state received_at received_by_id original_due_at due_at resolved_at "
    "timeliness returned_at returned_by_id return_channel recipient_name recipient_id_number "
    "result_number postal_tracking_number stage supplement_count state_before_withdrawal "
    "overdue_noted_at milestones search_text applicant_name applicant_id_number "
    "applicant_address applicant_phone"
)
STEP_COLUMNS = words(
    "id dossier_id procedure_id workflow_step_id stage kind name unit_id role assignee_id budget "
    "started_at due_at finished_at finished_by_id timeliness overdue_noted_at dossier_state"
)


def fold_parts() -> list[tuple[str, str]]:
    from motcua.lib.text import fold

    return [
        (f"{s} {m} {g}", fold(f"{s} {m} {g}")) for s in SURNAMES for m in MIDDLES for g in GIVENS
    ]


class Generator:
    """Dossiers and their steps, oldest first, as tuples in the column order of Columns."""

    def __init__(self, *, demo: Demo, clock: Clock, seed: int, now: int) -> None:
        from django.conf import settings
        from django.utils import timezone

        from motcua.lib.codes import format_dossier_code

        self.demo, self.clock, self.now = demo, clock, now
        self.rng = random.Random(seed)
        self.names = fold_parts()
        self.addresses = [
            f"{n} {s}, phường {w}, thành phố Huế"
            for n in (3, 12, 27, 48, 105)
            for s in STREETS
            for w in WARDS
        ]
        self.offset = int(
            timezone.localtime(datetime.fromtimestamp(now, UTC)).utcoffset().total_seconds()
        )
        self.pattern = settings.MOTCUA_DOSSIER_CODE_PATTERN
        self.seq_width = settings.MOTCUA_CODE_SEQ_WIDTH
        self.format_code = format_dossier_code
        self.counters: dict[tuple[int, date], int] = {}
        self.day_dates: dict[int, date] = {}
        self.counts = {"dossiers": 0, "open": 0, "steps": 0, "open_steps": 0}

    # -- the plan: (received_at, version index, timeline of an open dossier), oldest first

    def plan(self, count: int) -> list[tuple[float, int, Timeline | None]]:
        rng, versions = self.rng, self.demo.versions
        weights = [v.weight for v in versions]
        picks = rng.choices(range(len(versions)), weights=weights, k=count)
        start = self.now - YEARS * 365 * DAY
        plan: list[tuple[float, int, Timeline | None]] = []
        for index in picks:
            version = versions[index]
            received_at = self.office_time(start, self.now - 600)
            age = (self.now - received_at) / DAY
            is_open = rng.random() < math.exp(-age / version.backlog_days)
            timeline = self.open_timeline(version, received_at) if is_open else None
            plan.append((received_at, index, timeline))
        plan.sort(key=lambda entry: entry[0])
        return plan

    def office_time(self, low: float, high: float) -> float:
        """A random instant on a weekday between 07:30 and 17:00 local time."""
        rng = self.rng
        while True:
            local_day = int((rng.uniform(low, high) + self.offset) // DAY)
            if (local_day + 3) % 7 < 5:  # 1970-01-01 was a Thursday
                return local_day * DAY - self.offset + rng.uniform(7.5 * 3600, 17 * 3600)

    # -- rows

    def dossiers(
        self, plan: list[tuple[float, int, Timeline | None]], first_id: int, first_step_id: int
    ) -> Iterator[tuple[list[tuple], list[tuple]]]:
        dossier_id, step_id = first_id, first_step_id
        chunk_dossiers: list[tuple] = []
        chunk_steps: list[tuple] = []
        for received_at, index, timeline in plan:
            version = self.demo.versions[index]
            is_open = timeline is not None
            if timeline is None:
                timeline = self.finished_timeline(version, received_at)
            row, step_rows = self.rows(dossier_id, step_id, version, timeline, is_open)
            chunk_dossiers.append(row)
            chunk_steps.extend(step_rows)
            dossier_id += 1
            step_id += len(step_rows)
            if len(chunk_dossiers) >= CHUNK:
                yield chunk_dossiers, chunk_steps
                chunk_dossiers, chunk_steps = [], []
        if chunk_dossiers:
            yield chunk_dossiers, chunk_steps

    def finished_timeline(self, version: Version, received_at: float) -> Timeline:
        rng = self.rng
        timeline = Timeline(received_at=received_at)
        receiver = timeline.receiver = self.pick(version.receivers)
        for step in version.stages[0]:
            timeline.add(step, received_at, received_at, receiver)
        at = received_at
        for stage in version.processing:
            end = at
            for step in stage:
                # Most steps finish within their budget, about one in seven late.
                factor = rng.uniform(0.2, 1.0) if rng.random() < 0.86 else rng.uniform(1.0, 1.6)
                finished = at + max(step.seconds, 600) * factor
                timeline.add(step, at, finished, self.pick(step.officers))
                end = max(end, finished)
            at = end
        timeline.resolved_at = at
        returned = at + rng.uniform(1800, 5 * DAY)
        # Dossiers received in the last days: squeeze their timeline so it ends before now.
        latest = self.now - 60
        if returned > latest:
            timeline.squeeze(received_at, (latest - received_at) / (returned - received_at))
            returned = latest
        for step in version.stages[-1]:
            timeline.add(step, timeline.resolved_at, returned, receiver)
        timeline.returned_at = returned
        return timeline

    def open_timeline(self, version: Version, received_at: float) -> Timeline:
        rng = self.rng
        candidates = version.stages[1:]
        # The stage in progress: processing stages by their budget, the return stage (results
        # waiting for the applicant) as much as one day of work.
        weights = [max(sum(s.seconds for s in stage), 0.2 * DAY) for stage in candidates]
        weights[-1] = DAY
        current = rng.choices(range(len(candidates)), weights=weights)[0] + 1
        stage_budget = max(max(s.seconds for s in version.stages[current]), 3600)
        # Due dates around now: the stage started up to 1.6 budgets ago (about 4 in 10 overdue);
        # a result waits for its applicant up to ten days.
        waited = 10 * DAY if current == len(version.stages) - 1 else 1.6 * stage_budget
        started = max(self.now - rng.uniform(0.0, waited), received_at + 60)
        # The earlier stages fill the time from reception to the stage in progress (an old
        # dossier has waited somewhere: that is the backlog).
        earlier = version.stages[1:current]
        spent = [[max(s.seconds, 600) * rng.uniform(0.3, 1.2) for s in stage] for stage in earlier]
        total = sum(max(times) for times in spent)
        if total:
            scale = (started - received_at) / total
            spent = [[took * scale for took in times] for times in spent]
        timeline = Timeline(received_at=received_at, receiver=self.pick(version.receivers))
        for step in version.stages[0]:
            timeline.add(step, received_at, received_at, timeline.receiver)
        at = received_at
        for stage, times in zip(earlier, spent, strict=True):
            for step, took in zip(stage, times, strict=True):
                timeline.add(step, at, at + took, self.pick(step.officers))
            at += max(times)
        at = started
        in_progress = version.stages[current]
        for n, step in enumerate(in_progress):
            # In a parallel stage, one of the two may already be done.
            if n and rng.random() < 0.5:
                finished = min(at + step.seconds * rng.uniform(0.3, 1.0), self.now - 60)
                timeline.add(step, at, finished, self.pick(step.officers))
                continue
            assignee = self.pick(step.officers) if rng.random() < 0.8 else None
            timeline.add(step, at, None, assignee)
        timeline.current = current
        if current == len(version.stages) - 1:
            timeline.resolved_at = at
        elif in_progress[0].kind == "handling" and rng.random() < 0.1 and self.demo.consulted:
            unit_id, officers = rng.choice(self.demo.consulted)
            seconds = min(max(version.seconds * 0.2, 3600), stage_budget)
            extra = Step(
                workflow_step_id=None,
                stage=current,
                kind="consultation",
                name="Lấy ý kiến cơ quan có liên quan",
                unit_id=unit_id,
                role="coordinating_officer",
                budget=f"{seconds / UNIT_SECONDS[version.statutory_unit]:.2f}",
                seconds=seconds,
                officers=officers,
            )
            timeline.add(extra, at, None, self.pick(officers) if rng.random() < 0.8 else None)
        return timeline

    def pick(self, officers: tuple[int, ...]) -> int | None:
        return self.rng.choice(officers) if officers else None

    def local_date(self, ts: float) -> date:
        number = int((ts + self.offset) // DAY)
        value = self.day_dates.get(number)
        if value is None:
            value = self.day_dates[number] = date(1970, 1, 1) + timedelta(days=number)
        return value

    def code(self, unit_id: int, received_at: float) -> str:
        day = self.local_date(received_at)
        key = (unit_id, day)
        seq = self.counters.get(key, 0) + 1
        self.counters[key] = seq
        return self.format_code(
            pattern=self.pattern,
            unit_code=self.demo.unit_codes[unit_id],
            day=day,
            seq=seq,
            seq_width=self.seq_width,
        )

    def rows(
        self, dossier_id: int, step_id: int, version: Version, timeline: Timeline, is_open: bool
    ) -> tuple[tuple, list[tuple]]:
        row = self.dossier_row(dossier_id, version, timeline, is_open)
        state = row[DOSSIER_COLUMNS.index("state")]
        step_rows = self.step_rows(dossier_id, step_id, timeline, version.procedure_id, state)
        self.counts["dossiers"] += 1
        self.counts["open"] += is_open
        self.counts["steps"] += len(step_rows)
        return row, step_rows

    def noted(self, due: float, ended: float | None) -> str | None:
        """When the deadline sweep (every few minutes) saw it open past its due time, if ever."""
        noticed = due + SWEEP_SECONDS
        return self.clock.db(noticed) if noticed < (ended or self.now) else None

    def open_state(self, version: Version, timeline: Timeline) -> tuple[str, list[dict]]:
        """The state of an open dossier and the milestones its state adds."""
        iso, draw = self.clock.iso, self.rng.random()
        if timeline.resolved_at is not None:
            return "resolved", []
        if version.stages[timeline.current][0].kind == "financial" and draw < 0.5:
            return "awaiting_payment", [
                {"kind": "dossier.payment_requested", "at": iso(self.now - 3600)}
            ]
        if draw < 0.06:
            return "supplement_requested", [
                {"kind": "dossier.supplement_requested", "at": iso(self.now - 7200)}
            ]
        if draw < 0.07:
            return "withdrawal_requested", []
        return "in_processing", []

    def dossier_row(
        self, dossier_id: int, version: Version, timeline: Timeline, is_open: bool
    ) -> tuple:
        rng, db, iso = self.rng, self.clock.db, self.clock.iso
        received_at = timeline.received_at
        code = self.code(version.receiving_unit_id, received_at)
        name, folded = rng.choice(self.names)
        due = received_at + version.seconds
        resolved, returned = timeline.resolved_at, timeline.returned_at
        # Reception is finished at once and the dossier transferred (dossier_route_start).
        milestones = [
            {"kind": "dossier.received", "at": iso(received_at)},
            {"kind": "dossier.transferred", "at": iso(received_at)},
        ]
        state, stage = "returned", version.stages[-1][0].stage
        if is_open:
            state, more = self.open_state(version, timeline)
            milestones += more
            stage = timeline.current
        timeliness = ""
        if resolved is not None:
            milestones.append({"kind": "dossier.resolved", "at": iso(resolved)})
            timeliness = (
                "late" if resolved > due else "early" if resolved < due - DAY else "on_time"
            )
        result_channel = rng.choices(("desk", "post", "online"), (80, 10, 10))[0]
        returned_fields: tuple = (None, None, "", "", "", "", "")
        if returned is not None:
            milestones.append({"kind": "dossier.returned", "at": iso(returned)})
            at_desk, by_post = result_channel == "desk", result_channel == "post"
            returned_fields = (
                db(returned),
                timeline.receiver,
                result_channel,
                name if at_desk else "",
                citizen_id(rng) if at_desk else "",
                f"{rng.randrange(1, 99999)}/KQ" if version.processing else "",
                f"RR{rng.randrange(10**9):09d}VN" if by_post else "",
            )
        paused = state in {"supplement_requested", "awaiting_payment"}
        return (
            dossier_id,
            code,
            "".join(rng.choices(SECRET_ALPHABET, k=8)),
            version.id,
            version.receiving_unit_id,
            version.competent_unit_id,
            rng.choices(("counter", "online", "post"), (60, 35, 5))[0],
            result_channel,
            state,
            db(received_at),
            timeline.receiver,
            db(due),
            db(due),
            db(resolved) if resolved is not None else None,
            timeliness,
            *returned_fields,
            stage,
            int(state == "supplement_requested"),
            "in_processing" if state == "withdrawal_requested" else "",
            None if paused else self.noted(due, resolved),
            json.dumps(milestones, ensure_ascii=False),
            f"{code.lower()} {folded}",
            name,
            citizen_id(rng),
            rng.choice(self.addresses),
            f"09{rng.randrange(10**8):08d}",
        )

    def step_rows(
        self, dossier_id: int, step_id: int, timeline: Timeline, procedure_id: int, state: str
    ) -> list[tuple]:
        db = self.clock.db
        rows = []
        for step, started, finished, assignee in timeline.steps:
            due = started + step.seconds
            if finished is None:
                timeliness = ""
                self.counts["open_steps"] += 1
            elif step.seconds and finished > due:
                timeliness = "late"
            elif step.seconds and finished < due - 0.1 * step.seconds:
                timeliness = "early"
            else:
                timeliness = "on_time"
            rows.append(
                (
                    step_id + len(rows),
                    dossier_id,
                    procedure_id,
                    step.workflow_step_id,
                    step.stage,
                    step.kind,
                    step.name,
                    step.unit_id,
                    step.role,
                    assignee,
                    step.budget,
                    db(started),
                    db(due),
                    db(finished) if finished is not None else None,
                    assignee if finished is not None else None,
                    timeliness,
                    self.noted(due, finished) if step.seconds else None,
                    state if finished is None else "",
                )
            )
        return rows


def citizen_id(rng: random.Random) -> str:
    """A 12-digit citizen identity number of Thừa Thiên Huế (province code 046)."""
    return f"046{rng.randrange(10**9):09d}"


@dataclass
class Timeline:
    received_at: float
    steps: list[tuple[Step, float, float | None, int | None]] = field(default_factory=list)
    resolved_at: float | None = None
    returned_at: float | None = None
    current: int = 0
    receiver: int | None = None

    def add(self, step: Step, started: float, finished: float | None, assignee: int | None) -> None:
        self.steps.append((step, started, finished, assignee))

    def squeeze(self, origin: float, ratio: float) -> None:
        def moved(t: float) -> float:
            return origin + (t - origin) * ratio

        self.steps = [
            (s, moved(a), None if b is None else moved(b), who) for s, a, b, who in self.steps
        ]
        if self.resolved_at is not None:
            self.resolved_at = moved(self.resolved_at)


# ---------------------------------------------------------------------------------------------
# Loaders


class Loader(ABC):
    """Writes the generated rows; one subclass per database."""

    suffix = ""

    def run(self, *, demo: Demo, count: int, reset: bool, seed: int, now: int) -> dict[str, int]:
        from motcua.dossiers.models import Dossier, DossierStep

        self.dossier_columns = Columns.of(Dossier, DOSSIER_COLUMNS)
        self.step_columns = Columns.of(DossierStep, STEP_COLUMNS)
        generator = Generator(demo=demo, clock=Clock(suffix=self.suffix), seed=seed, now=now)
        self.begin(reset)
        generator.counters.update(self.counters())
        started = time.perf_counter()
        plan = generator.plan(count)
        print(f"Plan of {count:,} dossiers: {time.perf_counter() - started:.1f} s", flush=True)
        first_id, first_step_id = self.next_ids()
        expected = (len(self.dossier_columns.varying), len(self.step_columns.varying))
        chunks = (
            (
                len(dossiers),
                self.prepare(self.dossier_columns, dossiers),
                self.prepare(self.step_columns, steps),
            )
            for dossiers, steps in generator.dossiers(plan, first_id, first_step_id)
            if (len(dossiers[0]), len(steps[0])) == expected or sys.exit("columns ≠ values")
        )
        written = 0
        for size, dossiers, steps in prefetched(chunks):
            self.write(self.dossier_columns, dossiers)
            self.write(self.step_columns, steps)
            written += size
            if written % (CHUNK * 10) == 0 or written == count:
                elapsed = time.perf_counter() - started
                print(f"  {written:>10,} dossiers  {elapsed:6.1f} s", flush=True)
        self.save_counters(generator.counters)
        self.finish()
        return generator.counts

    def next_ids(self) -> tuple[int, int]:
        from django.db import connection

        from motcua.dossiers.models import Dossier, DossierStep

        ids = []
        with connection.cursor() as cursor:
            for model in (Dossier, DossierStep):
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {model._meta.db_table}")
                ids.append(int(cursor.fetchone()[0]))
        return ids[0], ids[1]

    def counters(self) -> dict[tuple[int, date], int]:
        from motcua.dossiers.models import DossierCodeCounter

        rows = DossierCodeCounter.objects.filter(series="dossier").values_list(
            "unit_id", "day", "last"
        )
        return {(unit, day): last for unit, day, last in rows}

    def save_counters(self, counters: dict[tuple[int, date], int]) -> None:
        from django.db import connection

        from motcua.dossiers.models import DossierCodeCounter

        table = DossierCodeCounter._meta.db_table
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (unit_id, series, day, last) VALUES (%s, 'dossier', %s, %s) "
                f"ON CONFLICT (unit_id, series, day) DO UPDATE SET last = {self.greatest}"
                "(excluded.last, " + table + ".last)",
                [(unit, day, last) for (unit, day), last in counters.items()],
            )

    def dossier_tables(self) -> list[str]:
        from django.apps import apps

        return [m._meta.db_table for m in apps.get_app_config("dossiers").get_models()]

    @abstractmethod
    def begin(self, reset: bool) -> None:
        """Open the load (and empty the dossier tables with `reset`)."""

    @abstractmethod
    def prepare(self, columns: Columns, rows: list[tuple]) -> Any:
        """The rows as `write` sends them (run in the generating thread)."""

    @abstractmethod
    def write(self, columns: Columns, payload: Any) -> None:
        """Write one prepared batch."""

    @abstractmethod
    def finish(self) -> None:
        """Commit the load (rebuilding what `begin` dropped)."""

    @abstractmethod
    def analyze(self) -> None:
        """Refresh the planner statistics."""


class PostgresLoader(Loader):
    suffix = "+00"
    greatest = "GREATEST"

    def run(self, *, demo: Demo, **kwargs: Any) -> dict[str, int]:
        # Workflow step names come from the catalogue: escape them for COPY's text format once.
        for version in demo.versions:
            for stage in version.stages:
                for step in stage:
                    step.name = copy_escape(step.name)
        return super().run(demo=demo, **kwargs)

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.indexes: list[tuple[str, str]] = []
        self.freeze = False

    def begin(self, reset: bool) -> None:
        from django.db import transaction

        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        with self.connection.cursor() as cursor:
            if reset:
                cursor.execute(f"TRUNCATE {', '.join(self.dossier_tables())} RESTART IDENTITY")
                # Emptied in this transaction: COPY may write the rows frozen and all-visible.
                self.freeze = True
                print("Emptied the dossier tables")
            cursor.execute("SELECT current_setting('is_superuser')")
            if cursor.fetchone()[0] == "on":
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            # Secondary indexes are built once after the load instead of row by row; DDL is
            # transactional, so a failed load leaves them as they were.
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                "WHERE t.relname = ANY(%s) AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
                [["dossiers_dossier", "dossiers_dossierstep"]],
            )
            self.indexes = list(cursor.fetchall())
            for name, _definition in self.indexes:
                cursor.execute(f'DROP INDEX "{name}"')

    def prepare(self, columns: Columns, rows: list[tuple]) -> str:
        # COPY's text format; the generated strings contain no tab, newline or backslash (step
        # names are escaped beforehand).
        tail = "\t".join("\\N" if v is None else str(v) for v in columns.constant_values)
        tail = f"\t{tail}\n" if columns.constant else "\n"
        return "".join(
            "\t".join(["\\N" if v is None else str(v) for v in row]) + tail for row in rows
        )

    def write(self, columns: Columns, payload: str) -> None:
        names = ", ".join(columns.names)
        options = "WITH (FREEZE)" if self.freeze else ""
        with (
            self.connection.connection.cursor() as cursor,
            cursor.copy(f"COPY {columns.table} ({names}) FROM STDIN {options}") as copy,
        ):
            copy.write(payload)

    def finish(self) -> None:
        started = time.perf_counter()
        with self.connection.cursor() as cursor:
            for _name, definition in self.indexes:
                cursor.execute(definition)
            for table in ("dossiers_dossier", "dossiers_dossierstep"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
        print(f"Indexes built again: {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        self.atomic.__exit__(None, None, None)
        print(f"COMMIT: {time.perf_counter() - started:.1f} s", flush=True)

    def analyze(self) -> None:
        raw = self.connection.connection
        autocommit = raw.autocommit
        raw.autocommit = True
        try:
            for table in (
                "dossiers_dossier",
                "dossiers_dossierstep",
                "dossiers_dossiercodecounter",
            ):
                raw.execute(f"VACUUM (ANALYZE) {table}")
        finally:
            raw.autocommit = autocommit


class SqliteLoader(Loader):
    greatest = "MAX"

    def begin(self, reset: bool) -> None:
        from django.db import connection

        connection.ensure_connection()
        self.raw = connection.connection
        self.raw.execute("PRAGMA synchronous = OFF")
        self.raw.execute("BEGIN IMMEDIATE")
        if reset:
            # Children first: the foreign keys are enforced.
            for table in reversed(self.dossier_tables()):
                self.raw.execute(f"DELETE FROM {table}")
            print("Emptied the dossier tables")

    def prepare(self, columns: Columns, rows: list[tuple]) -> list[tuple]:
        tail = tuple(columns.constant_values)
        return [row + tail for row in rows]

    def write(self, columns: Columns, payload: list[tuple]) -> None:
        names = ", ".join(columns.names)
        marks = ", ".join("?" * len(columns.names))
        self.raw.executemany(f"INSERT INTO {columns.table} ({names}) VALUES ({marks})", payload)

    def finish(self) -> None:
        from django.db import connection

        # Django's cursor, on the same connection, inside the same transaction.
        self.raw.commit()
        connection.connection.execute("PRAGMA synchronous = NORMAL")

    def save_counters(self, counters: dict[tuple[int, date], int]) -> None:
        table = "dossiers_dossiercodecounter"
        self.raw.executemany(
            f"INSERT INTO {table} (unit_id, series, day, last) VALUES (?, 'dossier', ?, ?) "
            "ON CONFLICT (unit_id, series, day) "
            f"DO UPDATE SET last = MAX(excluded.last, {table}.last)",
            [(unit, day.isoformat(), last) for (unit, day), last in counters.items()],
        )

    def analyze(self) -> None:
        self.raw.execute("ANALYZE")


def copy_escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def prefetched(chunks: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """Iterate over `chunks` computed ahead in a thread: Python generates the next chunk while
    the database (which releases the GIL while we wait for it) writes this one."""
    queue: Queue[Any] = Queue(maxsize=depth)
    done = object()

    def produce() -> None:
        try:
            for chunk in chunks:
                queue.put(chunk)
        except BaseException as error:  # handed to the consumer, raised there
            queue.put(error)
        queue.put(done)

    sys.setswitchinterval(0.0002)
    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    while (item := queue.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item
    thread.join()


# ---------------------------------------------------------------------------------------------
# Summary


def print_summary(connection: Any) -> None:
    from django.db.models import Count

    from motcua.agencies.models import Unit
    from motcua.dossiers.models import Dossier, DossierStep

    total = Dossier.objects.count()
    states = dict(Dossier.objects.values_list("state").annotate(n=Count("id")).order_by())
    print(f"\nDossiers in the database: {total:,}")
    for state, n in sorted(states.items(), key=lambda item: -item[1]):
        print(f"  {state:<22} {n:>10,}  {n / total:6.1%}")
    open_steps = DossierStep.objects.filter(finished_at__isnull=True)
    print(f"Steps: {DossierStep.objects.count():,}, open: {open_steps.count():,}")
    names = dict(Unit.objects.values_list("id", "code"))
    per_unit = open_steps.values_list("unit_id").annotate(n=Count("id")).order_by("-n")
    for unit_id, n in per_unit:
        print(f"  open at {names[unit_id]:<20} {n:>8,}")
    per_assignee = (
        open_steps.exclude(assignee=None)
        .values_list("assignee__username")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    for username, n in per_assignee:
        print(f"  open assigned to {username:<16} {n:>8,}")
    print(f"Database size: {database_size(connection)}")


def database_size(connection: Any) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            return str(cursor.fetchone()[0])
    path = Path(str(connection.settings_dict["NAME"]))
    return f"{path.stat().st_size / 2**20:,.0f} MB" if path.exists() else "?"


if __name__ == "__main__":
    sys.exit(main())
