"""Closed periods: the figures counted once after a period ended agree, to the unit, with the
same figures counted from the dossiers, for every viewer and scope; a later change shows in the
check and in a recount, never silently."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.agencies.models import Unit
from motcua.catalog.models import Procedure, Sector
from motcua.ratings.models import Overall
from motcua.reports.closing import period_check, period_close, periods_to_close
from motcua.reports.index766 import index766_compute, index_conditions
from motcua.reports.models import FIGURES, ClosedPeriod, PeriodFigures
from motcua.reports.operational import COUNTED, Measure
from motcua.reports.periods import Period, PeriodKind, months_back
from motcua.reports.selectors import (
    ReportScope,
    dashboard,
    operational_report,
    public_board,
    report_scope_get,
)
from motcua.reports.tests import index766_scenario
from motcua.reports.tests.scenario import LAND, POLICE, WARD, build, local

pytestmark = pytest.mark.django_db

FEBRUARY = Period.of("month", 2027, 2)
QUARTER = Period.of("quarter", 2027, 1)
APRIL = local(2027, 4, 1, 9, 0)


def _figures(report: Any) -> dict[str, Any]:
    """Everything a report shows, labels included."""
    return {
        "agencies": [(r.key, r.label, r.counts) for r in report.by_agency],
        "procedures": [(r.key, r.label, r.counts) for r in report.by_procedure],
        "total": report.total.counts,
        "rates": (report.total.late_rate, report.total.on_time_rate),
        "causes": [(c.agency_id, c.count) for c in report.late_causes],
    }


def _scopes(demo: Any) -> list[tuple[Any, ReportScope]]:
    units = dict(Unit.objects.values_list("code", "pk"))
    leader, controller = demo.center_leader, demo.person("kiemsoat")
    police = Procedure.objects.filter(versions__competent_unit__code=POLICE).first()
    sector = Sector.objects.filter(procedures__isnull=False).first()
    scopes = [
        (leader, report_scope_get(viewer=leader)),
        (leader, report_scope_get(viewer=leader, unit_id=units[POLICE])),
        (leader, report_scope_get(viewer=leader, unit_id=units[LAND])),
        (controller, report_scope_get(viewer=controller)),
        (controller, report_scope_get(viewer=controller, unit_id=units[WARD])),
        (demo.land_director, report_scope_get(viewer=demo.land_director)),
        (demo.person("giamdocphuong"), report_scope_get(viewer=demo.person("giamdocphuong"))),
    ]
    if sector is not None:
        scopes.append((leader, report_scope_get(viewer=leader, sector_id=sector.pk)))
    if police is not None:
        scopes.append((leader, report_scope_get(viewer=leader, procedure_id=police.pk)))
    return scopes


def test_a_closed_report_equals_the_report_counted_from_the_dossiers(demo):
    build(demo)
    scopes = _scopes(demo)
    periods = [FEBRUARY, Period.of("month", 2027, 1), QUARTER]
    counted = {
        (i, p): _figures(operational_report(viewer=v, period=p, scope=s, now=APRIL))
        for i, (v, s) in enumerate(scopes)
        for p in periods
    }
    with time_machine.travel(APRIL, tick=False):
        for period in periods:
            period_close(period, now=APRIL)
    for (i, period), expected in counted.items():
        viewer, scope = scopes[i]
        report = operational_report(viewer=viewer, period=period, scope=scope, now=APRIL)
        assert report.closed_at == APRIL
        assert _figures(report) == expected, (i, period)
    # Not every row of the period is empty, and nothing differs on a fresh count.
    assert PeriodFigures.objects.filter(period__number=2).count() > 2
    for closed in ClosedPeriod.objects.all():
        assert period_check(closed, now=APRIL) == []


def test_a_closed_index_equals_the_index_counted_from_the_dossiers(demo, settings):
    index766_scenario.march_2027(demo, settings)
    march, after = Period(PeriodKind.MONTH, 2027, 3), local(2027, 4, 5, 9, 0)
    units = list(Unit.objects.filter(code__in=[index766_scenario.WARD, POLICE]))
    units += list(Unit.objects.filter(parent__isnull=True))
    counted = {u.pk: index766_compute(unit=u, period=march, now=after) for u in units}
    period_close(march, now=after)
    for unit in units:
        closed = index766_compute(unit=unit, period=march, now=after)
        assert closed.indicators == counted[unit.pk].indicators, unit.code
        assert closed.procedure_times == counted[unit.pk].procedure_times, unit.code
        assert closed.total == counted[unit.pk].total
    ward = next(u for u in units if u.code == index766_scenario.WARD)
    assert counted[ward.pk].indicator("3.3").denominator > 0


def test_a_change_after_the_closing_is_listed_by_the_check_until_counted_again(demo):
    scenario = build(demo)
    period_close(FEBRUARY, now=local(2027, 3, 2))
    closed = ClosedPeriod.objects.get()
    # A February dossier rated after the closing: the closed figures keep what was known then.
    index766_scenario.rate(scenario["F1"], Overall.DISSATISFIED, 2027, 3, 10, 9, 0)
    later = local(2027, 3, 11)
    differences = period_check(closed, now=later)
    assert {d.what for d in differences} == {"counts"}
    [difference] = differences
    assert difference.counted["dissatisfied"] == difference.stored.get("dissatisfied", 0) + 1
    output = StringIO()
    with pytest.raises(CommandError), time_machine.travel(later, tick=False):
        call_command("close_periods", "--check", FEBRUARY.token, stdout=output)
    assert "1 differences" in output.getvalue()
    with time_machine.travel(later, tick=False):
        call_command("close_periods", "--recount", FEBRUARY.token, stdout=StringIO())
        call_command("close_periods", "--check", stdout=output)
    assert ClosedPeriod.objects.get().closed_at == later


def test_the_command_closes_each_ended_period_once(demo):
    build(demo)
    with time_machine.travel(local(2027, 4, 1, 0, 30), tick=False):
        call_command("close_periods", stdout=StringIO())
        # January, February and March, the first quarter; the periods holding 1 April run.
        closed = set(ClosedPeriod.objects.filter(running=False).values_list("kind", "number"))
        assert closed == {("month", 1), ("month", 2), ("month", 3), ("quarter", 1)}
        running = set(ClosedPeriod.objects.filter(running=True).values_list("kind", "number"))
        assert running == {
            ("month", 4),
            ("quarter", 2),
            ("half", 1),
            ("nine_months", 1),
            ("year", 1),
        }
        assert list(periods_to_close(now=local(2027, 4, 1, 0, 30))) == []
    with pytest.raises(CommandError):
        call_command("close_periods", "--recount", "month:2027:13")


def test_a_closed_report_takes_the_same_queries_whatever_the_number_of_dossiers(demo):
    build(demo)
    period_close(FEBRUARY, now=APRIL)
    leader = demo.center_leader
    scope = report_scope_get(viewer=leader)
    with CaptureQueriesContext(connection) as queries:
        report = operational_report(viewer=leader, period=FEBRUARY, scope=scope, now=APRIL)
    assert report.closed_at is not None
    assert not any("dossiers_dossier" in q["sql"] for q in queries.captured_queries)


def test_a_closed_period_keeps_every_count_the_report_and_the_index_read():
    kept = set(FIGURES)
    assert {str(m) for m in COUNTED} | set(index_conditions(FEBRUARY, now=APRIL)) == kept


def _dashboard_figures(live: Any) -> dict[str, Any]:
    return {
        "agencies": [(r.key, r.label, r.counts) for r in live.by_agency],
        "procedures": [(r.key, r.label, r.counts) for r in live.by_procedure],
        "received": [r.counts for r in live.received],
        "trend": [(p.token, r, f) for p, r, f in live.trend],
        "delays": [(d.agency_id, d.count) for d in live.step_delays],
        "slowest": [(s.step.pk, s.overrun) for s in live.slowest_steps],
    }


def test_a_running_months_counted_figures_equal_the_dossiers_while_fresh(demo, settings):
    build(demo)
    # Sunday 28 February at 10:00: February runs; January is closed.
    now = local(2027, 2, 28, 10, 0)
    leader = demo.center_leader
    scope = report_scope_get(viewer=leader)
    period_close(Period.of("month", 2027, 1), now=now)
    counted = _figures(operational_report(viewer=leader, period=FEBRUARY, scope=scope, now=now))
    live = _dashboard_figures(dashboard(viewer=leader, scope=scope, now=now))
    assert live["slowest"] and live["delays"]
    closed = period_close(FEBRUARY, now=now)
    assert closed.running

    report = operational_report(viewer=leader, period=FEBRUARY, scope=scope, now=now)
    assert (report.closed_at, report.running, report.as_of) == (now, True, now)
    assert _figures(report) == counted
    again = dashboard(viewer=leader, scope=scope, now=now)
    assert again.counted_at == now
    assert _dashboard_figures(again) == live
    board = public_board(now=now)
    assert board.as_of == now and board.total[Measure.TO_PROCESS] > 0

    # Older than MOTCUA_RUNNING_FIGURES_MAX_AGE, they are set aside for the dossiers.
    settings.MOTCUA_RUNNING_FIGURES_MAX_AGE = 60
    later = now + timedelta(seconds=61)
    assert (
        operational_report(viewer=leader, period=FEBRUARY, scope=scope, now=later).closed_at is None
    )
    assert dashboard(viewer=leader, scope=scope, now=later).counted_at is None
    # Once February has ended, its running figures are not its closing.
    after = local(2027, 3, 1, 0, 1)
    settings.MOTCUA_RUNNING_FIGURES_MAX_AGE = 10**9
    assert (
        operational_report(viewer=leader, period=FEBRUARY, scope=scope, now=after).closed_at is None
    )
    assert list(periods_to_close(now=after)) == [FEBRUARY]


def test_the_dashboard_reads_a_running_month_without_counting_its_dossiers(demo):
    build(demo)
    now = local(2027, 2, 28, 10, 0)
    # Every month of the trend counted (close_periods skips the months before the first
    # dossier; they would be counted from the dossiers, which are few then).
    for month in months_back(until=FEBRUARY, count=12):
        period_close(month, now=now)
    leader = demo.center_leader
    scope = report_scope_get(viewer=leader)
    with CaptureQueriesContext(connection) as queries:
        dashboard(viewer=leader, scope=scope, now=now)
    # Only the counts of the day and the week still read the dossiers (by reception time).
    reading_dossiers = [
        q for q in queries.captured_queries if 'FROM "dossiers_dossier"' in q["sql"]
    ]
    assert len(reading_dossiers) == 1
