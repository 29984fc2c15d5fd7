"""The worklist budget of DESIGN.md §6, measured in-process on a database of 1,000,000 dossiers.

Budget: an officer's worklist page with 1,000,000 dossiers in the database takes < 50 ms of
server time, with a fixed number of queries whatever the page size. Run
`benchmarks/generate_dossiers.py` first on the same DATABASE_URL.

For each persona (chuyenvien, tab "mine"; truongphong and canbothue, tab "unit"):

- server time for one page of 25 rows, p50/p95/p99 over --runs warm runs, one after the other in
  this process (no HTTP server, no load generator), of two things: the selector and what a page
  does with it (`worklist(viewer, tab)`, a Paginator page: count + rows, `work_items`, reading
  every field a row shows); and, when /backoffice/viec-cua-toi/ exists, the page itself through
  Django's test client (middleware, session, the view's tab counts, the template);
- the number of queries for pages of 5, 25 and 100 rows, which must be equal, and the median
  time spent inside the database calls;
- EXPLAIN ANALYZE of every statement the page sends on steps: the plan's top node, the indexes
  used, times (on PostgreSQL also the generic plan, which prepared statements may switch to).

Baselines measured the same way in the same run, so the figures can be compared across
machines: the minimal lookup of benchmarks/run.py (one select by a unique code) in-process and
as an endpoint through the test client. A few filtered and deep pages follow, for information.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/motcua_bench \\
        .venv/bin/python benchmarks/worklist.py [--runs 200] [--warmup 20]

Writes var/bench/worklist-<database>.json. Exits 0 whatever the figures (a missed budget is
printed as BELOW TARGET) and non-zero only when it could not measure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
VAR = ROOT / "var" / "bench"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/motcua_bench"
PAGE_PATH = "/backoffice/viec-cua-toi/"
BUDGET_MS = 50.0
PAGE_SIZE = 25
SIZES = (5, 25, 100)


@dataclass
class Case:
    username: str
    tab: str
    filters: dict[str, str] = field(default_factory=dict)
    page: int = 1
    information: bool = False

    @property
    def label(self) -> str:
        extra = "".join(f", {k}={v}" for k, v in self.filters.items())
        page = f", page {self.page}" if self.page != 1 else ""
        return f"{self.username} ({self.tab}{extra}{page})"


CASES = [
    Case("chuyenvien", "mine"),
    Case("truongphong", "unit"),
    Case("canbothue", "unit"),
]
# For information: a filter by procedure, a rare state, a deep page.
EXTRA_CASES = [
    Case("truongphong", "unit", {"procedure": "1.013831"}, information=True),
    Case("truongphong", "unit", {"state": "supplement_requested"}, information=True),
    Case("truongphong", "unit", page=40, information=True),
]


@dataclass
class Timing:
    label: str
    what: str
    ms: list[float]
    rows: int = 0
    total: int = 0
    other_cores: float = 0.0

    def stats(self) -> dict[str, float]:
        ordered = sorted(self.ms)

        def pick(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

        return {
            "p50": statistics.median(ordered),
            "p95": pick(0.95),
            "p99": pick(0.99),
            "max": ordered[-1],
            "mean": statistics.fmean(ordered),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", POSTGRES_URL))
    parser.add_argument(
        "--no-extra", dest="extra", action="store_false", help="skip the filtered and deep pages"
    )
    parser.add_argument("--wait-idle", type=float, default=60.0)
    parser.add_argument(
        "--seconds", type=float, default=30.0, help="slow cases make fewer runs: about this long"
    )
    args = parser.parse_args()

    setup_django(args.database_url)
    sys.path.insert(0, str(BENCH_DIR))
    import run as runner  # the machine description and the quiet-machine wait of run.py
    from django.db import connection

    header = describe(connection, runner.machine())
    print(header["title"])
    check_data(connection)
    page_exists = has_page()
    what = f"selector + work_items, {PAGE_SIZE} rows"
    if page_exists:
        what += f"; the page GET {PAGE_PATH} through the test client"
    print(f"Measured: {what}\n")
    busy = runner.wait_for_quiet(args.wait_idle)
    if busy > runner.QUIET_CORES:
        print(f"WARNING: other processes use {busy:.2f} cores: the figures will be high.")

    results: dict[str, Any] = {"header": header, "measured": what, "cases": []}
    baselines = measure_baselines(args)
    for case in CASES + (EXTRA_CASES if args.extra else []):
        results["cases"].append(measure_case(case, args, page_exists))
    report(results, baselines)
    VAR.mkdir(parents=True, exist_ok=True)
    out = VAR / f"worklist-{connection.vendor}.json"
    results["baselines"] = [asdict(b) | {"stats": b.stats()} for b in baselines]
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    print(f"\nWrote {out.relative_to(ROOT)}")
    return 0


# ---------------------------------------------------------------------------------------------
# Set-up


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchsite.settings"
    os.environ.pop("MOTCUA_DEBUG", None)
    sys.path[:0] = [str(ROOT / "src"), str(BENCH_DIR)]
    import django

    django.setup()


def describe(connection: Any, machine: dict[str, str]) -> dict[str, Any]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        else:
            import sqlite3

            database = f"SQLite {sqlite3.sqlite_version}"
    title = (
        f"Worklist benchmark - {database} - {machine['cores']} cores ({machine['cpu']}), "
        f"{machine['memory']}, Python {machine['python']}\n"
        f"Source: {machine['source']}; {time.strftime('%Y-%m-%d %H:%M %Z')}"
    )
    return {"title": title, "database": database, **machine}


def check_data(connection: Any) -> None:
    from motcua.dossiers.models import Dossier, DossierStep

    dossiers = Dossier.objects.count()
    open_steps = DossierStep.objects.filter(finished_at__isnull=True).count()
    print(f"Data: {dossiers:,} dossiers, {open_steps:,} open steps, {database_size(connection)}")
    if dossiers < 1000:
        sys.exit("almost no dossiers: run benchmarks/generate_dossiers.py first")


def database_size(connection: Any) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            return f"database {cursor.fetchone()[0]}"
    path = Path(str(connection.settings_dict["NAME"]))
    return f"database {path.stat().st_size / 2**20:,.0f} MB"


def has_page() -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(PAGE_PATH)
    except Resolver404:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# What is measured


def fresh(user: Any) -> Any:
    """The viewer as a new request sees it: memberships not read yet."""
    for name in ("_motcua_memberships", "_motcua_scope_paths"):
        user.__dict__.pop(name, None)
    return user


def selector_page(case: Case, user: Any, size: int = PAGE_SIZE) -> tuple[int, int]:
    """What the page does without HTTP: the selector, a paginated page, urgencies, the cells."""
    from django.core.paginator import Paginator

    from motcua.dossiers.worklists import work_items, worklist

    steps = worklist(viewer=fresh(user), tab=case.tab, **case.filters)
    page = Paginator(steps, size).get_page(case.page)
    cells = []
    for item in work_items(steps=page.object_list):
        step, dossier = item.step, item.step.dossier
        cells.append(
            (
                dossier.code,
                dossier.applicant_name,
                dossier.get_state_display(),
                dossier.procedure_version.name,
                dossier.procedure_version.procedure.national_code,
                step.name,
                step.unit.name,
                step.assignee.full_name if step.assignee else "",
                item.urgency_label,
                item.left_days_hours,
            )
        )
    return len(cells), page.paginator.count


def page_request(case: Case, client: Any, size: int = PAGE_SIZE) -> tuple[int, int]:
    """GET the back-office page through the test client, with pages of `size` rows."""
    from django.urls import resolve

    view_module = sys.modules[resolve(PAGE_PATH).func.__module__]
    saved = getattr(view_module, "WORKLIST_PAGE_SIZE", None)
    if saved is None and size != PAGE_SIZE:
        print(f"  NOTE: no WORKLIST_PAGE_SIZE in {view_module.__name__}: page size not changed")
    if saved is not None:
        view_module.WORKLIST_PAGE_SIZE = size  # type: ignore[attr-defined]
    try:
        response = client.get(PAGE_PATH, {"tab": case.tab, "page": case.page, **case.filters})
    finally:
        if saved is not None:
            view_module.WORKLIST_PAGE_SIZE = saved  # type: ignore[attr-defined]
    if response.status_code != 200:
        raise RuntimeError(f"{PAGE_PATH} answered {response.status_code}")
    # The rows of the table (response.context needs the test environment, which would
    # instrument the templates): one <tr class="urgency-…"> each.
    return response.content.count(b'<tr class="urgency-'), 0


def timed(
    fn: Callable[[], Any], runs: int, warmup: int, seconds: float = 30.0
) -> tuple[list[float], Any, float]:
    """Milliseconds of each run, the last result, and the cores other processes used. A slow
    case makes fewer runs (at least 20): about `seconds` in all."""
    started = time.perf_counter()
    fn()
    once = time.perf_counter() - started
    runs = max(20, min(runs, int(seconds / max(once, 1e-6))))
    for _ in range(min(warmup, runs // 4)):
        fn()
    before = cpu_now()
    result = None
    ms = []
    started = time.perf_counter()
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        ms.append((time.perf_counter() - t0) * 1000)
    return ms, result, other_cores(before, cpu_now(), time.perf_counter() - started)


def cpu_now() -> dict[str, float]:
    """CPU seconds so far: the machine, this process, every postgres process."""
    ticks = os.sysconf("SC_CLK_TCK")
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    postgres = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if stat.split(" (", 1)[1].startswith("postgres)"):
            fields = stat.rsplit(")", 1)[1].split()
            postgres += (int(fields[11]) + int(fields[12])) / ticks
    me = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "machine": (sum(values) - values[3] - values[4]) / ticks,
        "me": me.ru_utime + me.ru_stime,
        "postgres": postgres,
    }


def other_cores(before: dict[str, float], after: dict[str, float], elapsed: float) -> float:
    used = {key: (after[key] - before[key]) / elapsed for key in before}
    return max(0.0, used["machine"] - used["me"] - used["postgres"])


def database_ms(fn: Callable[[], Any], runs: int) -> float:
    """Median, over `runs` calls, of the time spent inside the database calls of one call
    (driver and server: from sending each statement to having its rows)."""
    from django.db import connection

    spent: list[float] = []

    def clock(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.append(time.perf_counter() - started)

    totals = []
    with connection.execute_wrapper(clock):
        for _ in range(runs):
            spent.clear()
            fn()
            totals.append(sum(spent) * 1000)
    return statistics.median(totals)


def queries_of(fn: Callable[[], Any]) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return [q["sql"] for q in captured.captured_queries]


def measure_baselines(args: argparse.Namespace) -> list[Timing]:
    """The minimal lookup of benchmarks/run.py: in-process, and as an endpoint (test client)."""
    from benchsite.models import BenchItem
    from django.test import Client

    ensure_bench_items()
    codes = [f"BENCH-{i:06d}" for i in range(1000)]
    turn = iter(range(10**9))

    def select() -> Any:
        code = codes[next(turn) % len(codes)]
        return BenchItem.objects.filter(code=code).values_list("code", "name", "state").first()

    client = Client()

    def endpoint() -> Any:
        response = client.get(f"/bench/minimal-lookup/{codes[next(turn) % len(codes)]}/")
        assert response.status_code == 200, response.status_code
        return response

    out = []
    for label, fn in (("minimal select (in-process)", select), ("minimal endpoint", endpoint)):
        ms, _result, other = timed(fn, args.runs, args.warmup, args.seconds)
        out.append(Timing(label=label, what="baseline", ms=ms, other_cores=other))
    return out


def ensure_bench_items() -> None:
    from benchsite.models import BenchItem
    from django.core.management import call_command
    from django.db import connection

    if BenchItem._meta.db_table not in connection.introspection.table_names():
        call_command("migrate", "benchsite", verbosity=0, interactive=False)
    if not BenchItem.objects.exists():
        BenchItem.objects.bulk_create(
            [
                BenchItem(code=f"BENCH-{i:06d}", name=f"Item {i}", state="received")
                for i in range(1000)
            ]
        )


def measure_case(case: Case, args: argparse.Namespace, page_exists: bool) -> dict[str, Any]:
    """The selector (+ work_items), and the page when it exists: times, queries, plans."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.get(username=case.username)
    measured: dict[str, Callable[..., tuple[int, int]]] = {
        "selector": lambda size=PAGE_SIZE: selector_page(case, user, size)
    }
    if page_exists:
        client = Client()
        client.force_login(user)
        measured["page"] = lambda size=PAGE_SIZE: page_request(case, client, size)
    result: dict[str, Any] = {"case": asdict(case), "label": case.label}
    for what, fn in measured.items():
        ms, (rows, total), other = timed(fn, args.runs, args.warmup, args.seconds)
        if what == "page":  # the page shows the same list as the selector
            total = result["selector"]["timing"]["total"]
        timing = Timing(case.label, what, ms, rows=rows, total=total, other_cores=other)
        counts = {size: len(queries_of(lambda fn=fn, size=size: fn(size))) for size in SIZES}
        result[what] = {
            "timing": asdict(timing) | {"stats": timing.stats()},
            "database_ms": database_ms(fn, min(len(ms), 50)),
            "queries": counts,
            "statements": queries_of(fn),
        }
    # The page runs the selector's queries and the tab counts: explain what it sends.
    result["plans"] = explain_case(measured["page" if page_exists else "selector"])
    print_case(result)
    return result


# ---------------------------------------------------------------------------------------------
# Plans


def explain_case(fn: Callable[[], Any]) -> dict[str, Any]:
    """EXPLAIN the rows query and the count query of one page, with the parameters it sent."""
    from django.db import connection

    executed: list[tuple[str, Any]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        fn()
    plans = {}
    seen = set()
    counts = 0
    for sql, params in executed:
        key = (sql, repr(params))
        if not re.search(r'FROM "dossiers_(dossierstep|supplementrequest)"', sql) or key in seen:
            continue
        seen.add(key)
        if "supplementrequest" in sql.split(" WHERE ")[0].split(" JOIN ")[0]:
            name = "supplements"
        elif "COUNT(" in sql:
            counts += 1
            name = f"count {counts}"
        else:
            name = "rows"
        if connection.vendor == "postgresql":
            plans[name] = explain_postgres(sql, tuple(params or ()))
        else:
            plans[name] = explain_sqlite(sql, tuple(params or ()))
    return plans


INDEX_NAMES = ("step_open_unit_idx", "step_open_assignee_idx")


def explain_postgres(sql: str, params: tuple[Any, ...]) -> dict[str, Any]:
    import psycopg
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        custom = [row[0] for row in cursor.fetchall()]
        # The plan a prepared statement may settle on after five executions (psycopg prepares
        # repeated statements with server-side binding; PostgreSQL may then plan generically).
        numbers = iter(range(1, 10_000))
        numbered = re.sub(r"%s", lambda _m: f"${next(numbers)}", sql).replace("%%", "%")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE worklist_bench AS {numbered}")
        try:
            marks = ", ".join(["%s"] * len(params))
            execute = f"EXECUTE worklist_bench({marks})" if params else "EXECUTE worklist_bench"
            # A utility statement takes no bound parameters: inline them as literals.
            literal = psycopg.ClientCursor(connection.connection).mogrify(execute, params)
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {literal}")
            generic = [row[0] for row in cursor.fetchall()]
        finally:
            cursor.execute("DEALLOCATE worklist_bench")
        transaction.set_rollback(True)
    return {"custom": summarise(custom), "generic": summarise(generic)}


def summarise(lines: list[str]) -> dict[str, Any]:
    text = "\n".join(lines)
    times = dict(re.findall(r"(Planning|Execution) Time: ([\d.]+) ms", text))
    return {
        "top": lines[0].split("  (")[0].strip(),
        "indexes": sorted(set(re.findall(r"Index (?:Only )?Scan (?:Backward )?using (\S+)", text))),
        "partial_index": any(name in text for name in INDEX_NAMES),
        "planning_ms": float(times.get("Planning", 0)),
        "execution_ms": float(times.get("Execution", 0)),
        "lines": lines,
    }


def explain_sqlite(sql: str, params: tuple[Any, ...]) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        lines = [str(row[-1]) for row in cursor.fetchall()]
    text = "\n".join(lines)
    return {
        "custom": {
            "top": next((line for line in lines if "dossiers_dossierstep" in line), lines[0]),
            "indexes": sorted(set(re.findall(r"USING (?:COVERING )?INDEX (\S+)", text))),
            "partial_index": any(name in text for name in INDEX_NAMES),
            "planning_ms": 0.0,
            "execution_ms": 0.0,
            "lines": lines,
        }
    }


# ---------------------------------------------------------------------------------------------
# Report


def print_case(result: dict[str, Any]) -> None:
    print(result["label"])
    for what in ("selector", "page"):
        if what not in result:
            continue
        t, counts = result[what]["timing"], result[what]["queries"]
        s = t["stats"]
        fixed = len(set(counts.values())) == 1
        print(
            f"  {what}: {t['total']:,} open steps in the list, {t['rows']} rows shown; "
            f"ms p50 {s['p50']:.1f}  p95 {s['p95']:.1f}  p99 {s['p99']:.1f}  max {s['max']:.1f}"
            f"  (other processes: {t['other_cores']:.2f} cores)"
        )
        print(f"    in the database (median): {result[what]['database_ms']:.1f} ms")
        sizes = "  ".join(f"{size} rows: {n}" for size, n in counts.items())
        print(f"    queries: {sizes}  -> {'fixed' if fixed else 'VARIES WITH THE PAGE SIZE'}")
        for sql in result[what]["statements"]:
            print(f"      {shorten(sql)}")
    for name, plan in result["plans"].items():
        for kind, p in plan.items():
            times = (
                f"; planning {p['planning_ms']:.2f} ms, execution {p['execution_ms']:.2f} ms"
                if p["execution_ms"]
                else ""
            )
            indexes = ", ".join(p["indexes"]) or "-"
            print(f"  {name} plan ({kind}): {p['top']}; indexes: {indexes}{times}")
    print()


def shorten(sql: str, width: int = 160) -> str:
    sql = re.sub(r"SELECT .*? FROM ", "SELECT … FROM ", sql, count=1)
    return sql if len(sql) <= width else sql[: width - 1] + "…"


def report(results: dict[str, Any], baselines: list[Timing]) -> None:
    print("=" * 104)
    print(results["header"]["title"])
    print(f"Measured: {results['measured']}; warm runs in one process, one after the other.")
    print(
        f"\n{'':<60}{'runs':>5}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'db ms':>7}"
        f"{'queries':>9}{'other':>7}"
    )
    for b in baselines:
        s = b.stats()
        print(
            f"{b.label:<60}{len(b.ms):>5}{s['p50']:>8.2f}{s['p95']:>8.2f}{s['p99']:>8.2f}{'':>7}{'1':>9}"
            f"{b.other_cores:>7.2f}"
        )
    verdicts = []
    for case in results["cases"]:
        for what in ("selector", "page"):
            if what not in case:
                continue
            s, counts = case[what]["timing"]["stats"], case[what]["queries"]
            fixed = len(set(counts.values())) == 1
            info = " (info)" if case["case"]["information"] else ""
            label = f"{case['label']} {what}{info}"
            print(
                f"{label:<60}{len(case[what]['timing']['ms']):>5}{s['p50']:>8.2f}{s['p95']:>8.2f}{s['p99']:>8.2f}"
                f"{case[what]['database_ms']:>7.1f}"
                f"{'/'.join(str(n) for n in counts.values()):>9}"
                f"{case[what]['timing']['other_cores']:>7.2f}"
            )
            if not info:
                verdicts.append((f"{case['label']} {what}", s, fixed))
    print(
        f"\n(db: median time inside database calls; queries: pages of "
        f"{'/'.join(map(str, SIZES))} rows; other: cores used by other processes during the runs)"
    )
    minimal = {b.label: b.stats()["p50"] for b in baselines}
    print(f"\nBudget (DESIGN.md §6): < {BUDGET_MS:.0f} ms server time, fixed number of queries")
    for label, s, fixed in verdicts:
        base = minimal.get(
            "minimal endpoint" if label.endswith("page") else "minimal select (in-process)", 0.0
        )
        ratio = f", p50 = {s['p50'] / base:.1f} × the minimal one" if base else ""
        ok = s["p99"] < BUDGET_MS and fixed
        print(
            f"  {label:<38} p99 {s['p99']:6.1f} ms{ratio}, queries "
            f"{'fixed' if fixed else 'vary'}: {'ok' if ok else 'BELOW TARGET'}"
        )


if __name__ == "__main__":
    sys.exit(main())
