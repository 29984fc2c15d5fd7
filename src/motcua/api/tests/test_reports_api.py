"""GET /api/v1/reports/… and /api/v1/alerts/: the figures of the supervision and statistics pages,
from the same selectors, under the same rules of access.

The scenarios are the reports' own (reports/tests/scenario.py for February 2027 at Huế's center,
reports/tests/index766_scenario.py for March 2027 at the ward of Thuận Hóa), reached through the
real services; each figure the API gives is compared with the selector's.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.agencies.models import Unit
from motcua.dossiers.tests.helpers import receive
from motcua.reports.closing import period_close
from motcua.reports.index766 import index766_report
from motcua.reports.operational import COUNTED, OperationalRow
from motcua.reports.periods import Period, PeriodKind
from motcua.reports.selectors import ReportScope, dashboard, operational_report
from motcua.reports.tests.index766_scenario import WARD, march_2027
from motcua.reports.tests.index766_scenario import local as march_local
from motcua.reports.tests.scenario import END_OF_FEBRUARY, POLICE, at, build
from motcua.supervision.services import alerts_sweep
from motcua.supervision.tests.helpers import default_rules
from motcua.supervision.tests.helpers import local as sweep_local
from motcua.supervision.tests.helpers import received as received_for_alerts

pytestmark = pytest.mark.django_db

OPERATIONAL = "/api/v1/reports/operational/"
DOSSIERS = "/api/v1/reports/operational/dossiers/"
DASHBOARD = "/api/v1/reports/dashboard/"
INDEX = "/api/v1/reports/index-766/"
ALERTS = "/api/v1/alerts/"
FEBRUARY = {"kind": "month", "year": 2027, "number": 2}
FEBRUARY_PERIOD = Period(PeriodKind.MONTH, 2027, 2)


def rate(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def row(figures: OperationalRow) -> dict[str, Any]:
    """A row as the API must give it."""
    return {
        "key": figures.key,
        "label": figures.label,
        "counts": {str(m): figures[m] for m in COUNTED},
        "late_rate": rate(figures.late_rate),
        "on_time_rate": rate(figures.on_time_rate),
    }


def agency_counts(items: list[Any]) -> list[dict[str, Any]]:
    return [{"agency_id": i.agency_id, "name": i.name, "count": i.count} for i in items]


@pytest.fixture
def february(demo: Any) -> Any:
    return build(demo)


@pytest.fixture
def leader(personas: Any) -> Any:
    return personas.token_client("giamdoc")


class TestOperationalReport:
    def test_it_gives_the_figures_of_the_report_page(self, february, demo, leader):
        with time_machine.travel(END_OF_FEBRUARY, tick=False):
            body = leader.get(OPERATIONAL, FEBRUARY).json()
            report = operational_report(
                viewer=demo.center_leader, period=FEBRUARY_PERIOD, scope=ReportScope()
            )

        assert body["period"] == {
            "kind": "month",
            "year": 2027,
            "number": 2,
            "label": "Tháng 02/2027",
            "first_day": "2027-02-01",
            "last_day": "2027-02-28",
        }
        assert body["scope"] == {"unit": None, "sector": None, "procedure": None}
        assert body["by_agency"] == [row(r) for r in report.by_agency]
        assert body["by_procedure"] == [row(r) for r in report.by_procedure]
        assert body["total"] == row(report.total)
        assert body["late_causes"] == agency_counts(report.late_causes)
        # The figures the page and its workbook show (reports/tests/test_pages.py).
        # The police's figures, as the page and its workbook show them (reports/tests/test_pages).
        police = next(r for r in body["by_agency"] if r["label"] == "Công an thành phố Huế")
        assert police["counts"]["to_process"] == 10 and police["on_time_rate"] == "70.00"

    def test_it_narrows_to_a_unit_and_says_na_for_an_empty_rate(self, february, leader):
        police = Unit.objects.get(code=POLICE)
        with time_machine.travel(END_OF_FEBRUARY, tick=False):
            body = leader.get(OPERATIONAL, {**FEBRUARY, "unit": police.pk}).json()
            empty = leader.get(OPERATIONAL, {"kind": "month", "year": 2026, "number": 2}).json()

        assert body["scope"]["unit"] == {"id": police.pk, "code": POLICE, "name": police.name}
        assert [r["label"] for r in body["by_agency"]] == ["Công an thành phố Huế"]
        assert empty["total"]["counts"]["to_process"] == 0
        assert empty["total"]["late_rate"] is None and empty["total"]["on_time_rate"] is None

    def test_an_ended_period_once_closed_gives_the_same_figures_and_says_when(
        self, february, leader
    ):
        later = END_OF_FEBRUARY + timedelta(days=2)
        with time_machine.travel(later, tick=False):
            counted = leader.get(OPERATIONAL, FEBRUARY).json()
            period_close(FEBRUARY_PERIOD, now=later)
            closed = leader.get(OPERATIONAL, FEBRUARY).json()

        assert counted["closed_at"] is None
        assert closed.pop("closed_at") is not None
        counted.pop("closed_at")
        assert closed == counted

    def test_the_current_month_is_the_default(self, february, leader):
        with time_machine.travel(END_OF_FEBRUARY, tick=False):
            body = leader.get(OPERATIONAL).json()
        assert (body["period"]["kind"], body["period"]["number"]) == ("month", 2)


class TestDrillDown:
    def test_each_number_of_the_total_lists_that_many_dossiers(self, february, demo, leader):
        with time_machine.travel(END_OF_FEBRUARY, tick=False):
            total = leader.get(OPERATIONAL, FEBRUARY).json()["total"]["counts"]
            listed = {
                measure: leader.get(DOSSIERS, {**FEBRUARY, "measure": measure}).json()["count"]
                for measure in total
            }
            late = leader.get(DOSSIERS, {**FEBRUARY, "measure": "late"}).json()

        assert listed == total
        assert {d["code"] for d in late["results"]} >= february.codes("J2", "F4", "F8")
        first = late["results"][0]
        assert set(first) >= {"code", "state", "procedure", "competent_unit", "ended_at"}

    def test_a_row_and_a_reason_narrow_the_list(self, february, leader):
        police = Unit.objects.get(code=POLICE).pk
        with time_machine.travel(END_OF_FEBRUARY, tick=False):
            report = leader.get(OPERATIONAL, FEBRUARY).json()
            row = next(r for r in report["by_agency"] if r["key"] == police)
            listed = leader.get(DOSSIERS, {**FEBRUARY, "measure": "late", "agency": police})
            [cause] = [c for c in report["late_causes"] if c["agency_id"] == police]
            held_up = leader.get(DOSSIERS, {**FEBRUARY, "measure": "late", "cause": police})

        assert listed.json()["count"] == row["counts"]["late"]
        assert held_up.json()["count"] == cause["count"]

    def test_a_page_costs_the_same_queries_however_many_dossiers(self, demo, leader):
        def queries() -> int:
            with (
                time_machine.travel(END_OF_FEBRUARY, tick=False),
                CaptureQueriesContext(connection) as captured,
            ):
                response = leader.get(DOSSIERS, {**FEBRUARY, "measure": "received"})
            assert response.status_code == 200
            return len(captured.captured_queries)

        with at(2027, 2, 1, 9, 0):
            receive(demo.reception_officer, "1.004222")
        few = queries()
        with at(2027, 2, 3, 9, 0):
            for code in ("1.013978", "1.010041", "2.000200", "1.012783", "1.004222"):
                receive(demo.reception_officer, code)
        assert queries() == few
        assert few <= 8


class TestDashboard:
    def test_it_gives_the_figures_of_the_dashboard(self, february, demo, leader):
        with time_machine.travel(END_OF_FEBRUARY, tick=False):
            body = leader.get(DASHBOARD).json()
            figures = dashboard(viewer=demo.center_leader, scope=ReportScope())

        assert body["month"]["label"] == "Tháng 02/2027"
        assert body["total"] == row(figures.total)
        assert body["by_agency"] == [row(r) for r in figures.by_agency]
        assert body["by_procedure"] == [row(r) for r in figures.by_procedure]
        assert [r["counts"] for r in body["received"]] == [r.counts for r in figures.received]
        assert [r["period"]["kind"] for r in body["received"]] == ["day", "week", "month"]
        assert [(t["received"], t["finished"]) for t in body["trend"]] == [
            (r, f) for _p, r, f in figures.trend
        ]
        assert len(body["trend"]) == 12
        assert body["step_delays"] == agency_counts(figures.step_delays)
        assert [s["dossier"] for s in body["slowest_steps"]] == [
            s.step.dossier.code for s in figures.slowest_steps
        ]
        assert [Decimal(s["overrun_days"]) for s in body["slowest_steps"]] == [
            s.overrun_days for s in figures.slowest_steps
        ]

    def test_the_dashboards_numbers_of_today_open_their_lists(self, february, leader):
        with time_machine.travel(END_OF_FEBRUARY, tick=False):
            [today, week, _month] = leader.get(DASHBOARD).json()["received"]
            week_period = {k: week["period"][k] for k in ("kind", "year", "number")}
            listed = leader.get(DOSSIERS, {**week_period, "measure": "received"}).json()
        assert listed["count"] == week["counts"]["received"]
        assert today["period"]["kind"] == "day"


class TestIndex766:
    def test_it_gives_every_indicator_of_the_index_page(self, demo, settings, leader):
        march_2027(demo, settings)
        ward = Unit.objects.get(code=WARD)
        with time_machine.travel(march_local(2027, 4, 5, 9, 0), tick=False):
            body = leader.get(INDEX, {"unit": ward.pk, "kind": "month", "year": 2027, "number": 3})
            report = index766_report(
                viewer=demo.center_leader, unit=ward, period=Period(PeriodKind.MONTH, 2027, 3)
            )
        assert body.status_code == 200, body.json()
        body = body.json()

        assert body["unit"]["code"] == WARD
        indicators = {i["code"]: i for g in body["groups"] for i in g["indicators"]}
        for expected in report.indicators:
            got = indicators[expected.code]
            assert (got["numerator"], got["denominator"]) == (
                expected.numerator,
                expected.denominator,
            )
            assert got["rate"] == rate(expected.rate)
            assert got["target"] == rate(expected.target)
            assert got["points"] == rate(expected.points)
            assert got["maximum"] == rate(expected.maximum)
            assert [(d["label"], d["count"]) for d in got["detail"]] == list(expected.detail)
        # By hand in reports/tests/test_index766.py.
        assert indicators["2.1"]["rate"] == "72.73" and indicators["2.1"]["points"] == "14.55"
        assert indicators["2.2"]["rate"] is None and not indicators["2.2"]["scored"]
        assert [g["points"] for g in body["groups"]] == [rate(g.points) for g in report.groups]
        assert body["total"] == "35.33" == rate(report.total)
        assert [
            (t["national_code"], t["count"], t["average"]) for t in body["procedure_times"]
        ] == [
            ("1.001193", 1, "0.00"),
            ("1.001612", 6, "2.77"),
            ("2.000815", 1, "0.00"),
        ]

    def test_another_units_index_is_refused_and_a_department_is_a_bad_parameter(
        self, demo, personas
    ):
        # truongcongan heads the city police: its index only.
        head = personas.token_client("truongcongan")
        land = Unit.objects.get(code="000.20.30.H57")
        police = Unit.objects.get(code=POLICE)
        department = Unit.objects.filter(parent=police, kind="department").first()

        assert head.get(INDEX).json()["unit"]["code"] == POLICE
        assert head.get(INDEX, {"unit": land.pk}).status_code == 403
        assert head.get(INDEX, {"unit": 10**9}).status_code == 400
        if department is not None:
            assert head.get(INDEX, {"unit": department.pk}).status_code == 400


class TestAccess:
    URLS = (OPERATIONAL, f"{DOSSIERS}?measure=late", DASHBOARD, INDEX)

    def test_it_refuses_citizens_and_officers_without_a_reporting_role(self, demo, personas):
        citizen = personas.token_client("congdan")
        assert get_user_model().objects.get(username="congdan").is_citizen
        for client in (citizen, personas.officer, personas.outsider, personas.tax_officer):
            for url in self.URLS:
                response = client.get(url)
                assert response.status_code == 403, url
                assert response.json()["code"] == "permission_denied"
        assert citizen.get(ALERTS).status_code == 403
        for url in (*self.URLS, ALERTS):
            assert personas.anonymous.get(url).status_code == 401

    def test_a_unit_outside_the_viewers_reach_is_not_found(self, demo, personas):
        land = Unit.objects.get(code="000.20.30.H57")
        ward_leader = personas.token_client("giamdocphuong")
        for url, query in ((OPERATIONAL, {}), (DASHBOARD, {}), (DOSSIERS, {"measure": "late"})):
            response = ward_leader.get(url, {**query, "unit": land.pk})
            assert response.status_code == 404, url
            assert response.json()["detail"] == "Không tìm thấy đơn vị."

    @pytest.mark.parametrize(
        ("url", "query", "detail"),
        [
            (
                OPERATIONAL,
                {"kind": "month", "year": 2027, "number": 13},
                "Kỳ báo cáo không hợp lệ.",
            ),
            (OPERATIONAL, {"kind": "decade", "year": 2027}, "Kỳ báo cáo không hợp lệ."),
            (OPERATIONAL, {"kind": "month", "year": "x"}, "Kỳ báo cáo không hợp lệ."),
            (OPERATIONAL, {"kind": "month"}, "Kỳ báo cáo không hợp lệ."),
            (OPERATIONAL, {"kind": "week", "year": 2027}, "Kỳ báo cáo không hợp lệ."),
            (OPERATIONAL, {"kind": "year", "year": 99999}, "Kỳ báo cáo không hợp lệ."),
            (OPERATIONAL, {"unit": "x"}, "Tham số «unit» không hợp lệ."),
            (DASHBOARD, {"sector": 10**30}, "Tham số «sector» không hợp lệ."),
            (DOSSIERS, {"measure": "nothing"}, "Chỉ tiêu không hợp lệ."),
            (DOSSIERS, {}, "Chỉ tiêu không hợp lệ."),
            (
                DOSSIERS,
                {"measure": "late", "kind": "day", "number": 400},
                "Kỳ báo cáo không hợp lệ.",
            ),
            (INDEX, {"kind": "quarter", "year": 2027, "number": 5}, "Kỳ báo cáo không hợp lệ."),
        ],
    )
    def test_a_bad_parameter_is_a_bad_request_in_the_pages_words(
        self, demo, leader, url, query, detail
    ):
        response = leader.get(url, query)

        assert response.status_code == 400, response.json()
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["detail"] == detail
        assert response.json()["code"] == "validation_failed"

    def test_it_keeps_the_stable_code_in_english(self, demo, leader):
        response = leader.get(OPERATIONAL, {"kind": "decade"}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert response.headers["Content-Language"] == "en"
        assert response.json()["code"] == "validation_failed"


class TestAlerts:
    def test_an_officer_lists_the_alerts_sent_to_them(self, demo, personas):
        default_rules()
        dossier = received_for_alerts(demo.reception_officer)
        alerts_sweep(now=sweep_local(2027, 2, 12, 16, 0))
        specialist = personas.specialist

        page = specialist.get(ALERTS).json()
        unread = specialist.get(ALERTS, {"unread": "true"}).json()
        nothing = personas.officer.get(ALERTS).json()

        assert page["count"] >= 1 and unread["count"] == page["count"]
        first = page["results"][0]
        assert first["dossier"] == dossier.code
        assert first["trigger"] in {"near_due", "overdue"}
        assert first["read_at"] is None and first["audience"] == "assignee"
        assert nothing["count"] == 0
        bad = specialist.get(ALERTS, {"unread": "perhaps"})
        assert bad.status_code == 400
        assert bad.json()["detail"] == "Tham số «unread» không hợp lệ."
