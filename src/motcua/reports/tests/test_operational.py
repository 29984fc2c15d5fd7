"""The report's figures on the scenario (scenario.py), against numbers worked out by hand from
the dossiers' events; and the dashboard, the drill-down lists and the workbook against them."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from motcua.agencies.models import Unit
from motcua.core.errors import NotFound, PermissionDenied
from motcua.reports.exports import COLUMNS, cell, report_xlsx
from motcua.reports.operational import COUNTED, Measure
from motcua.reports.periods import Period
from motcua.reports.selectors import (
    ReportScope,
    dashboard,
    late_dossier_list,
    measure_dossiers,
    operational_report,
    public_board,
    report_scope_get,
)
from motcua.reports.tests.scenario import END_OF_FEBRUARY, LAND, POLICE, TAX, WARD, build, local

FEBRUARY = Period.of("month", 2027, 2)
ALL = ReportScope()

# Worked out from the table in scenario.py. Police: J1 J2 J4 carried over; F1 F2 F3 F4 F5 F8
# F9 received (F2 online, F3 by post); J1 J4 F1 F3 early, F2 on time, J2 and F8 late; F4 open
# overdue, F5 and F9 open within time; F2 not collected. Land: F6 and F7 received; F7 early;
# F6 open, paused, within time.
POLICE_FEBRUARY = {
    Measure.RECEIVED: 7,
    Measure.RECEIVED_COUNTER: 5,
    Measure.RECEIVED_ONLINE: 1,
    Measure.RECEIVED_POST: 1,
    Measure.CARRIED_OVER: 3,
    Measure.TO_PROCESS: 10,
    Measure.FINISHED: 7,
    Measure.FINISHED_EARLY: 4,
    Measure.FINISHED_ON_TIME: 1,
    Measure.FINISHED_LATE: 2,
    Measure.ENDED_WITHOUT_RESULT: 1,
    Measure.OPEN: 3,
    Measure.OPEN_WITHIN: 2,
    Measure.OPEN_OVERDUE: 1,
    Measure.OPEN_PAUSED: 0,
    Measure.UNCOLLECTED: 1,
    Measure.LATE: 3,
    Measure.LATE_APOLOGISED: 1,
    Measure.LATE_MULTI_SUPPLEMENT: 1,
}
LAND_FEBRUARY = {
    Measure.RECEIVED: 2,
    Measure.RECEIVED_COUNTER: 2,
    Measure.CARRIED_OVER: 0,
    Measure.TO_PROCESS: 2,
    Measure.FINISHED: 1,
    Measure.FINISHED_EARLY: 1,
    Measure.FINISHED_LATE: 0,
    Measure.OPEN: 1,
    Measure.OPEN_WITHIN: 1,
    Measure.OPEN_OVERDUE: 0,
    Measure.OPEN_PAUSED: 1,
    Measure.LATE: 0,
}


@pytest.fixture
def scenario(demo):  # type: ignore[no-untyped-def]
    return build(demo)


def _codes(queryset) -> set[str]:  # type: ignore[no-untyped-def]
    return set(queryset.values_list("code", flat=True))


def _rows(report) -> dict[str, object]:  # type: ignore[no-untyped-def]
    codes = dict(Unit.objects.values_list("pk", "code"))
    return {codes[row.key]: row for row in report.by_agency}


@pytest.mark.django_db
def test_the_february_report_counts_what_happened_to_each_dossier(demo, scenario):
    # The clock as the services left it: the supplement's 19 office hours (Tue 2 Feb 14:00 to
    # Fri 12 Feb 08:30, Tết skipped) moved F7's due date; J2's apology moved nothing.
    assert scenario["F7"].original_due_at == local(2027, 2, 17, 17, 0)
    assert scenario["F7"].due_at == local(2027, 2, 22, 11, 30)
    assert scenario["J2"].due_at == local(2027, 2, 16, 17, 0)
    assert scenario["J2"].rescheduled_due_at == local(2027, 2, 26, 17, 0)

    report = operational_report(
        viewer=demo.center_leader, period=FEBRUARY, scope=ALL, now=local(2027, 4, 1)
    )
    rows = _rows(report)
    assert set(rows) == {POLICE, LAND}
    assert {m: rows[POLICE][m] for m in POLICE_FEBRUARY} == POLICE_FEBRUARY
    assert {m: rows[LAND][m] for m in LAND_FEBRUARY} == LAND_FEBRUARY
    assert report.total[Measure.TO_PROCESS] == 12
    assert report.total[Measure.LATE] == 3
    # Late rate = (2 finished late + 1 open overdue) / 12 to process.
    assert report.total.late_rate == Decimal("25.00")
    assert report.total.on_time_rate == Decimal("75.00")
    assert rows[POLICE].on_time_rate == Decimal("70.00")
    assert rows[LAND].on_time_rate == Decimal("100.00")
    # J2 (two steps late at the police) and F4 (its examination overdue at the police); F8 is
    # late for its two supplement requests, with no step late.
    assert [(c.name, c.count) for c in report.late_causes] == [("Công an thành phố Huế", 2)]

    def listed(measure: Measure) -> set[str]:
        return _codes(
            measure_dossiers(
                viewer=demo.center_leader,
                measure=measure,
                period=FEBRUARY,
                scope=ALL,
                now=local(2027, 4, 1),
            )
        )

    assert listed(Measure.CARRIED_OVER) == scenario.codes("J1", "J2", "J4")
    assert listed(Measure.RECEIVED) == scenario.codes(
        "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9"
    )
    assert listed(Measure.FINISHED_EARLY) == scenario.codes("J1", "J4", "F1", "F3", "F7")
    assert listed(Measure.FINISHED_ON_TIME) == scenario.codes("F2")
    assert listed(Measure.FINISHED_LATE) == scenario.codes("J2", "F8")
    assert listed(Measure.OPEN_OVERDUE) == scenario.codes("F4")
    assert listed(Measure.OPEN_WITHIN) == scenario.codes("F5", "F6", "F9")
    assert listed(Measure.UNCOLLECTED) == scenario.codes("F2")
    assert listed(Measure.LATE_APOLOGISED) == scenario.codes("J2")

    reasons = {
        item.dossier.code: (item.held_up_by, item.apology_reason, item.multi_supplement)
        for item in late_dossier_list(
            viewer=demo.center_leader, period=FEBRUARY, scope=ALL, now=local(2027, 4, 1)
        )
    }
    police = "Công an thành phố Huế"
    assert reasons == {
        scenario["J2"].code: ([police], "Chờ xác minh chỗ ở hợp pháp", False),
        scenario["F4"].code: ([police], "", False),
        scenario["F8"].code: ([], "", True),
    }


@pytest.mark.django_db
def test_a_month_ends_at_its_last_minute_and_what_is_open_carries_over(demo, scenario):
    january = operational_report(
        viewer=demo.center_leader,
        period=Period.of("month", 2027, 1),
        scope=ALL,
        now=local(2027, 4, 1),
    )
    # J4, received Sunday 31 January at 23:59, is January's; J3 is the only one finished.
    assert january.total[Measure.RECEIVED] == 4
    assert january.total[Measure.CARRIED_OVER] == 0
    assert january.total[Measure.FINISHED] == january.total[Measure.FINISHED_EARLY] == 1
    assert january.total[Measure.OPEN] == january.total[Measure.OPEN_WITHIN] == 3
    assert january.total.on_time_rate == Decimal("100.00")

    march = operational_report(
        viewer=demo.center_leader,
        period=Period.of("month", 2027, 3),
        scope=ALL,
        now=local(2027, 3, 1, 0, 1),
    )
    # M1, received at 00:00 on 1 March, is March's; F9 (28 February, 23:59) carries over with
    # F4, F5 and F6. At 00:01 F4 is overdue.
    assert march.total[Measure.RECEIVED] == 1
    assert march.total[Measure.CARRIED_OVER] == 4
    assert march.total[Measure.LATE] == 1
    assert march.total.late_rate == Decimal("20.00")
    quarter = operational_report(
        viewer=demo.center_leader,
        period=Period.of("quarter", 2027, 1),
        scope=ALL,
        now=local(2027, 3, 1, 0, 1),
    )
    # The quarter so far: everything but W1 (another center), no carry-over from 2026.
    assert quarter.total[Measure.RECEIVED] == 14
    assert quarter.total[Measure.CARRIED_OVER] == 0
    assert quarter.total[Measure.FINISHED] == 9


@pytest.mark.django_db
def test_every_number_agrees_with_its_list_the_dashboard_and_the_workbook(demo, scenario):
    viewer = demo.center_leader
    report = operational_report(viewer=viewer, period=FEBRUARY, scope=ALL, now=END_OF_FEBRUARY)
    by_procedure = {row.key: row for row in report.by_procedure}
    for measure in COUNTED:
        for row in report.by_agency:
            found = measure_dossiers(
                viewer=viewer,
                measure=measure,
                period=FEBRUARY,
                scope=ALL,
                agency_id=row.key,
                now=END_OF_FEBRUARY,
            )
            assert found.count() == row[measure], (row.label, measure)
        for key, row in by_procedure.items():
            scope = report_scope_get(viewer=viewer, procedure_id=key)
            found = measure_dossiers(
                viewer=viewer, measure=measure, period=FEBRUARY, scope=scope, now=END_OF_FEBRUARY
            )
            assert found.count() == row[measure], (row.label, measure)
        assert sum(row[measure] for row in report.by_procedure) == report.total[measure]
    for cause in report.late_causes:
        found = measure_dossiers(
            viewer=viewer,
            measure=Measure.LATE,
            period=FEBRUARY,
            scope=ALL,
            cause_id=cause.agency_id,
            now=END_OF_FEBRUARY,
        )
        assert found.count() == cause.count

    # The dashboard at the same instant shows the same month; near due is its own measure.
    live = dashboard(viewer=viewer, scope=ALL, now=END_OF_FEBRUARY)
    for measure in COUNTED:
        if measure != Measure.OPEN_NEAR_DUE:
            assert live.total[measure] == report.total[measure], measure
    assert live.received[-1].counts[Measure.RECEIVED] == report.total[Measure.RECEIVED]
    assert [(p.number, r, f) for p, r, f in live.trend[-2:]] == [(1, 4, 1), (2, 9, 8)]
    for delay in live.step_delays:
        found = measure_dossiers(
            viewer=viewer,
            measure=Measure.STEP_DELAYED,
            period=FEBRUARY,
            scope=ALL,
            cause_id=delay.agency_id,
            now=END_OF_FEBRUARY,
        )
        assert found.count() == delay.count

    late = late_dossier_list(viewer=viewer, period=FEBRUARY, scope=ALL, now=END_OF_FEBRUARY)
    workbook = load_workbook(
        BytesIO(report_xlsx(report=report, late=late, heading_unit=None)), read_only=True
    )
    sheet = workbook.worksheets[0]
    values = [row for row in sheet.iter_rows(min_row=8, values_only=True) if row[1]]
    expected = [
        [row.label, *(cell(row, c.key) for c in COLUMNS)]
        for row in [*report.by_agency, report.total]
    ]
    assert [list(row[1:]) for row in values] == [
        [label, *("N/A" if v is None else float(v) if isinstance(v, Decimal) else v for v in rest)]
        for label, *rest in expected
    ]
    assert len(list(workbook.worksheets[2].iter_rows(min_row=7))) == report.total[Measure.LATE]


@pytest.mark.django_db
def test_the_dashboard_shows_the_day_the_week_the_month_and_where_time_was_lost(demo, scenario):
    live = dashboard(viewer=demo.center_leader, scope=ALL, now=END_OF_FEBRUARY)
    today, week, month = (line.counts for line in live.received)
    # Sunday 28 February: F9 at 23:59; the week of 22–28 February: F9 alone (F5 came on the
    # 18th); the month: nine, one online, one by post.
    assert today == {"received": 1, "received_counter": 1, "received_online": 0, "received_post": 0}
    assert week == today
    assert month == {"received": 9, "received_counter": 7, "received_online": 1, "received_post": 1}
    # 8 working hours from Sunday night reach Tuesday 2 March 08:00: F5 (due Monday 1 March
    # 17:00) is near; F6 waits for its payment.
    assert live.total[Measure.OPEN_NEAR_DUE] == 1
    assert live.total[Measure.OPEN_PAUSED] == 1
    # Dossiers with a step late this month, by the agency of the step: J2, F2 (its last step),
    # F4 and F5 (examinations still open past their time) at the police; F6 at the tax office.
    # F6's drafting step, open while the applicant pays, does not count.
    codes = dict(Unit.objects.values_list("pk", "code"))
    assert {codes[d.agency_id]: d.count for d in live.step_delays} == {POLICE: 4, TAX: 1}
    # In working days past the step's due time. F6's tax step: Wed 3 Feb 10:00 to Thu 11 Feb
    # 09:00 is eight calendar days but 6.5 office hours, Tết being off.
    slowest = [(s.step.dossier.code, s.overrun_days) for s in live.slowest_steps]
    assert slowest == [
        (scenario["F4"].code, Decimal("10.7")),
        (scenario["F5"].code, Decimal("2.8")),
        (scenario["J2"].code, Decimal("2.0")),
        (scenario["J2"].code, Decimal("2.0")),
        (scenario["F2"].code, Decimal("1.3")),
        (scenario["F6"].code, Decimal("0.9")),
    ]
    assert live.slowest_steps[-1].agency == "Thuế cơ sở 1 thành phố Huế"


@pytest.mark.django_db
def test_each_viewer_counts_only_the_dossiers_they_may_open(demo, scenario):
    def total(viewer, **scope_ids):  # type: ignore[no-untyped-def]
        scope = report_scope_get(viewer=viewer, **scope_ids)
        report = operational_report(
            viewer=viewer, period=FEBRUARY, scope=scope, now=END_OF_FEBRUARY
        )
        return report.total

    leader = demo.center_leader
    assert total(leader)[Measure.TO_PROCESS] == 12
    police = Unit.objects.get(code=POLICE)
    land = Unit.objects.get(code=LAND)
    assert total(leader, unit_id=police.pk)[Measure.TO_PROCESS] == 10
    assert total(leader, unit_id=land.pk)[Measure.TO_PROCESS] == 2
    # The land office's director: the land dossiers only.
    assert total(demo.land_director)[Measure.TO_PROCESS] == 2
    # The procedure controller of the province sees the ward's dossier too (W1, overdue).
    controller = demo.person("kiemsoat")
    assert total(controller)[Measure.TO_PROCESS] == 13
    ward = Unit.objects.get(code=WARD)
    ward_total = total(controller, unit_id=ward.pk)
    assert (ward_total[Measure.TO_PROCESS], ward_total.on_time_rate) == (1, Decimal("0.00"))
    # The ward's center leader: W1 alone; the land office is outside their reach.
    ward_leader = demo.person("giamdocphuong")
    assert total(ward_leader)[Measure.LATE] == 1
    with pytest.raises(NotFound):
        report_scope_get(viewer=ward_leader, unit_id=land.pk)
    for refused in (demo.outsider, demo.tax_officer, demo.reception_officer, demo.nobody()):
        with pytest.raises(PermissionDenied):
            report_scope_get(viewer=refused)
        with pytest.raises(PermissionDenied):
            operational_report(viewer=refused, period=FEBRUARY, scope=ALL)


@pytest.mark.django_db
def test_the_public_board_counts_every_agency_and_the_ratings_of_the_month(scenario):
    board = public_board(now=END_OF_FEBRUARY)
    codes = dict(Unit.objects.values_list("pk", "code"))
    figures = {
        codes[row.key]: (row[Measure.RECEIVED], row[Measure.FINISHED], row.on_time_rate)
        for row in board.rows
    }
    assert figures == {
        POLICE: (7, 7, Decimal("70.00")),
        LAND: (2, 1, Decimal("100.00")),
        # W1, the household business at Thuận Hóa ward: due Thursday 18 February, still open.
        WARD: (1, 0, Decimal("0.00")),
    }
    satisfaction = board.satisfaction
    assert (satisfaction.very_satisfied, satisfaction.satisfied, satisfaction.dissatisfied) == (
        1,
        1,
        1,
    )
    assert satisfaction.satisfied_rate == Decimal("66.67")
