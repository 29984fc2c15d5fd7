"""The Decision 766 indicators on a month of the ward of Thuận Hóa reached through the real
services (index766_scenario), each checked against a value computed by hand."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO, StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from motcua.agencies.models import Unit
from motcua.audit.models import Event
from motcua.dossiers.models import Dossier
from motcua.dossiers.tests.helpers import receive
from motcua.reports.index766 import complement_rate, index766_compute, points_for
from motcua.reports.models import IndicatorCode, IndicatorGroup, IndicatorSetting, OnlineTarget
from motcua.reports.operational import rate_of
from motcua.reports.periods import Period, PeriodKind
from motcua.reports.services import index_settings_seed
from motcua.reports.tests.index766_scenario import (
    CERTIFIED_COPY,
    WARD,
    Ward,
    at,
    local,
    march_2027,
    verified_citizen,
)

pytestmark = pytest.mark.django_db

MARCH = Period(PeriodKind.MONTH, 2027, 3)
AFTER = local(2027, 4, 5, 9, 0)
D = Decimal


def ward_unit() -> Unit:
    return Unit.objects.get(code=WARD)


@pytest.fixture
def scenario(demo: Any, settings: Any) -> dict[str, Dossier]:
    return march_2027(demo, settings)


def figures(report: Any, code: str) -> tuple[Any, ...]:
    i = report.indicator(code)
    return (i.numerator, i.denominator, i.rate, i.target, i.maximum, i.points)


class TestTheMonth:
    def test_it_computes_every_indicator_as_counted_by_hand(self, scenario):
        report = index766_compute(unit=ward_unit(), period=MARCH, now=AFTER)

        # To process: C (carried over) and the ten received in March; late: L (resolved after
        # its due date), M (two supplement requests), O (open past its due date).
        assert figures(report, "2.1") == (8, 11, D("72.73"), D(100), D(20), D("14.55"))
        assert report.indicator("2.1").detail == (
            ("đã kết thúc trước hạn, đúng hạn", 7),  # C A E S W Q Z
            ("đang giải quyết trong hạn", 1),  # B, due Thu 1 April
        )
        # Of the 8 active procedures of the ward: 4 full online, 3 partial, 1 none.
        assert figures(report, "3.1") == (7, 8, D("87.50"), D(80), D(6), D(6))
        assert report.indicator("3.1").detail == (("toàn trình", 4), ("một phần", 3))
        # B alone was filed online, of the 10 received in March.
        assert figures(report, "3.3") == (1, 10, D("10.00"), D(50), D(8), D("1.60"))
        # B paid its fee at the gateway; Z (birth registration) has no fee.
        assert figures(report, "3.6") == (1, 9, D("11.11"), D(100), D(4), D("0.44"))
        # Results issued in March: C A L E S M signed; Q and Z (on the spot) on paper.
        assert figures(report, "4.1") == (6, 8, D("75.00"), D(100), D(6), D("4.50"))
        # Every component scanned and the result signed: A, E; B filed online. Q was scanned
        # but its result is not electronic.
        assert figures(report, "4.2") == (3, 10, D("30.00"), D(80), D(8), D("3.00"))
        assert figures(report, "4.3") == (1, 10, D("10.00"), D(80), D(8), D("1.00"))
        # Late or dissatisfied, each dossier once: L (both), M, O, E (rated dissatisfied).
        assert figures(report, "5.4") == (7, 11, D("63.64"), D(90), D(6), D("4.24"))
        assert report.indicator("5.4").detail == (
            ("trễ hạn, quá hạn", 3),
            ("đánh giá không hài lòng", 2),
        )

    def test_it_adds_up_the_groups_and_the_total(self, scenario):
        report = index766_compute(unit=ward_unit(), period=MARCH, now=AFTER)
        groups = {g.group: (g.points, g.computed_maximum, g.maximum) for g in report.groups}
        assert groups == {
            IndicatorGroup.PUBLICITY: (D(0), D(0), D(18)),
            IndicatorGroup.PROGRESS: (D("14.55"), D(20), D(20)),
            IndicatorGroup.ONLINE_SERVICE: (D("8.04"), D(18), D(22)),
            IndicatorGroup.DIGITISATION: (D("8.50"), D(22), D(22)),
            IndicatorGroup.SATISFACTION: (D("4.24"), D(6), D(18)),
        }
        assert report.total == D("35.33")
        assert report.computed_maximum == D(66) and report.total_maximum == D(100)

    def test_it_averages_the_resolution_time_per_procedure_in_its_unit(self, scenario):
        report = index766_compute(unit=ward_unit(), period=MARCH, now=AFTER)
        times = [(t.national_code, t.unit, t.count, t.average) for t in report.procedure_times]
        # Working hours of C 26.5, A 16, L 31, E 19, S 38.5 less the 22.5 h of its supplement,
        # M 16: 124.5 h / 6 = 20.75 h = 2.77 working days of 7.5 h. On the spot: no time.
        assert times == [
            ("1.001193", "same_day", 1, D("0.00")),
            ("1.001612", "working_days", 6, D("2.77")),
            ("2.000815", "same_day", 1, D("0.00")),
        ]
        indicator = report.indicator("2.2")
        assert (indicator.denominator, indicator.rate, indicator.points) == (8, None, None)
        assert not indicator.scored and not indicator.not_applicable

    def test_supplement_time_is_subtracted_and_a_second_request_is_late(self, scenario):
        s, m = scenario["S"], scenario["M"]
        # S was resolved after its original due date, within the one moved by the pause.
        assert s.original_due_at == local(2027, 3, 11, 17, 0)
        assert s.due_at == local(2027, 3, 16, 17, 0)
        assert s.resolved_at == local(2027, 3, 15, 10, 0)
        assert s.supplement_count == 1
        # M was resolved before its due date, yet counts as late.
        assert m.resolved_at < m.due_at and m.supplement_count == 2

    def test_the_end_time_is_the_resolution_else_the_return_else_the_stop(self, demo):
        ward = Ward(demo)
        # Imported rows (the services always resolve before they return): all due Mon 8 Mar.
        dossiers = [ward.receive(2027, 3, 3, 9, 0) for _ in range(3)]
        due = dossiers[0].due_at
        assert due == local(2027, 3, 8, 17, 0)
        before, after = local(2027, 3, 5, 9, 0), local(2027, 3, 9, 9, 0)
        ends = [
            {"resolved_at": before, "returned_at": after, "stopped_at": None},  # on time
            {"resolved_at": None, "returned_at": after, "stopped_at": before},  # late
            {"resolved_at": None, "returned_at": None, "stopped_at": before},  # on time
        ]
        for dossier, end in zip(dossiers, ends, strict=True):
            Dossier.objects.filter(pk=dossier.pk).update(**end)
        report = index766_compute(unit=ward_unit(), period=MARCH, now=AFTER)
        assert figures(report, "2.1")[:3] == (2, 3, D("66.67"))

    def test_a_period_before_the_end_of_the_month_judges_open_dossiers_now(self, scenario):
        # On Tue 30 March at noon O is not yet overdue (due 17:00): only L and M are late.
        report = index766_compute(unit=ward_unit(), period=MARCH, now=local(2027, 3, 30, 12, 0))
        assert figures(report, "2.1")[:3] == (9, 11, D("81.82"))


class TestSettings:
    def test_an_empty_unit_shows_not_applicable_everywhere(self, demo):
        empty = Unit.objects.get(code="000.00.13.H57")  # Phú Xuân: no procedure, no dossier
        report = index766_compute(unit=empty, period=MARCH, now=AFTER)
        scored = [i for i in report.indicators if i.scored]
        assert scored and all(i.not_applicable and i.points is None for i in scored)
        assert all(i.denominator == 0 for i in report.indicators)
        assert report.total == D(0) and report.procedure_times == ()

    def test_the_settings_of_the_year_change_the_points(self, scenario):
        index_settings_seed(year=2027)
        IndicatorSetting.objects.filter(year=2027, code="2.1").update(maximum=10)
        IndicatorSetting.objects.filter(year=2027, code="3.3").update(target=10)
        report = index766_compute(unit=ward_unit(), period=MARCH, now=AFTER)
        assert report.settings_year == 2027
        assert report.indicator("2.1").points == D("7.27")  # 10 × 72.73%
        assert report.indicator("3.3").points == D(8)  # 10% reaches the target: full marks
        assert report.total == D("35.33") - D("14.55") + D("7.27") - D("1.60") + D(8)

    def test_a_year_without_settings_takes_the_latest_earlier_ones(self, scenario):
        index_settings_seed(year=2026)
        IndicatorSetting.objects.filter(year=2026, code="4.3").update(maximum=4, target=20)
        report = index766_compute(unit=ward_unit(), period=MARCH, now=AFTER)
        assert report.settings_year == 2026
        assert figures(report, "4.3")[3:] == (D(20), D(4), D(2))  # 4 × 10 / 20

    def test_without_any_settings_the_defaults_apply(self, demo):
        report = index766_compute(unit=ward_unit(), period=MARCH, now=AFTER)
        assert report.settings_year is None
        maxima = {i.code: i.maximum for i in report.indicators}
        assert maxima == {
            "2.1": D(20),
            "2.2": D(0),
            "3.1": D(6),
            "3.3": D(8),
            "3.6": D(4),
            "4.1": D(6),
            "4.2": D(8),
            "4.3": D(8),
            "5.4": D(6),
        }
        assert set(maxima) == set(IndicatorCode.values)


class TestSeedAndAdmin:
    def test_the_seed_is_idempotent_and_copies_the_latest_year(self, db):
        out = StringIO()
        call_command("seed_index766", "--year", "2026", stdout=out)
        assert "2026: 9 indicator setting(s), 1 center target row(s) created." in out.getvalue()
        IndicatorSetting.objects.filter(year=2026, code="3.3").update(maximum=5)
        call_command("seed_index766", "--year", "2026", stdout=out)
        assert "2026: 0 indicator setting(s), 0 center target row(s)" in out.getvalue()
        assert IndicatorSetting.objects.get(year=2026, code="3.3").maximum == 5
        call_command("seed_index766", "--year", "2027", stdout=out)
        assert IndicatorSetting.objects.get(year=2027, code="3.3").maximum == 5
        center = OnlineTarget.objects.get(year=2027, unit=None)
        assert (center.level3_share, center.level4_share) == (100, 50)
        assert (center.online_received_share, center.online_returned_share) == (30, 30)
        for setting in IndicatorSetting.objects.all():
            setting.full_clean()  # within the group's points, a target where scored
        assert Event.objects.filter(kind="reports.index_settings_seeded").count() == 2

    def test_an_administrator_changes_a_setting_and_the_change_is_logged(self, demo, client):
        index_settings_seed(year=2027)
        setting = IndicatorSetting.objects.get(year=2027, code="2.1")
        url = reverse("admin:reports_indicatorsetting_change", args=[setting.pk])
        client.force_login(demo.person("quantri"))
        form = {"name": setting.name, "maximum": "15", "target": "95", "note": "Tỉnh quyết định"}
        assert client.post(url, form).status_code == 302
        setting.refresh_from_db()
        assert (setting.maximum, setting.target) == (15, 95)
        assert setting.updated_by == demo.person("quantri")
        event = Event.objects.get(kind="reports.indicator_setting_saved")
        assert event.data["maximum"] == "15" and event.data["code"] == "2.1"

    def test_the_admin_refuses_points_beyond_the_group_and_an_unscored_target(self, demo, client):
        index_settings_seed(year=2027)
        client.force_login(demo.person("quantri"))
        online_payment = IndicatorSetting.objects.get(year=2027, code="3.6")
        url = reverse("admin:reports_indicatorsetting_change", args=[online_payment.pk])
        form = {"name": online_payment.name, "maximum": "9", "target": "100", "note": ""}
        response = client.post(url, form)  # 6 + 8 + 9 > 22
        assert response.status_code == 200
        assert "vượt 22 điểm" in response.content.decode()
        average = IndicatorSetting.objects.get(year=2027, code="2.2")
        url = reverse("admin:reports_indicatorsetting_change", args=[average.pk])
        form = {"name": average.name, "maximum": "2", "target": "", "note": ""}
        assert "không chấm điểm" in client.post(url, form).content.decode()
        assert not Event.objects.filter(kind="reports.indicator_setting_saved").exists()


class TestArithmetic:
    def test_rates_are_rounded_half_up_to_two_decimals(self):
        assert rate_of(2, 3) == D("66.67")
        assert rate_of(1, 800) == D("0.13")  # 0.125
        assert rate_of(0, 5) == D("0.00")
        assert rate_of(0, 0) is None and rate_of(3, 0) is None

    def test_on_time_rates_are_100_less_the_rounded_late_rate(self):
        # As the operational report: 1 late of 800 is 0.13% late, so 99.87% on time (not the
        # 99.88 that rounding 99.875 would give).
        assert complement_rate(1, 800) == D("99.87")
        assert complement_rate(0, 0) is None

    def test_points_are_proportional_below_the_target_and_capped_at_the_maximum(self):
        assert points_for(D("40.00"), maximum=D(8), target=D(80)) == D("4.00")
        assert points_for(D("80.00"), maximum=D(8), target=D(80)) == D(8)
        assert points_for(D("100.00"), maximum=D(8), target=D(50)) == D(8)
        assert points_for(None, maximum=D(8), target=D(80)) is None


class TestQueries:
    def test_the_number_of_queries_does_not_grow_with_the_dossiers(self, demo):
        # Settings, whether the period was closed, dossiers, procedures; for 2.2 the resolved
        # rows, their pauses, the calendars' overrides and the procedure versions.
        ward, unit = Ward(demo), ward_unit()
        with at(2027, 3, 5, 9, 0):
            receive(ward.desk, CERTIFIED_COPY)
        with CaptureQueriesContext(connection) as few:
            index766_compute(unit=unit, period=MARCH, now=AFTER)
        with at(2027, 3, 8, 9, 0):
            for _ in range(6):
                receive(ward.desk, CERTIFIED_COPY)
        ward.receive(2027, 3, 9, 9, 0)
        with CaptureQueriesContext(connection) as many:
            report = index766_compute(unit=unit, period=MARCH, now=AFTER)
        assert report.indicator("3.3").denominator == 8
        assert len(many) == len(few) == 8


class TestPages:
    def query(self, unit: Unit) -> dict[str, Any]:
        return {"unit": unit.pk, "period": "month:3", "year": 2027}

    def test_the_page_shows_the_figures_and_the_total(self, scenario, demo, client):
        with at(2027, 4, 5, 9, 0):
            client.force_login(demo.center_leader)
            response = client.get(reverse("backoffice:index766"), self.query(ward_unit()))
        assert response.status_code == 200
        page = response.content.decode()
        for figure in ("72,73", "14,55", "87,50", "63,64", "35,33", "2,77"):
            assert figure in page, figure
        assert "<td>N/A</td>" not in page

    def test_an_empty_denominator_shows_not_applicable(self, demo, client):
        empty = Unit.objects.get(code="000.00.13.H57")
        with at(2027, 4, 5, 9, 0):
            client.force_login(demo.person("kiemsoat"))
            response = client.get(reverse("backoffice:index766"), self.query(empty))
        assert response.status_code == 200
        # The rate and the points of each of the 8 scored indicators.
        assert response.content.decode().count("<td>N/A</td>") == 2 * 8

    def test_the_workbook_has_the_same_figures(self, scenario, demo, client):
        with at(2027, 4, 5, 9, 0):
            client.force_login(demo.person("quantri"))
            response = client.get(reverse("backoffice:index766_xlsx"), self.query(ward_unit()))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(BytesIO(response.content)).worksheets[0]
        rows = {r[0]: r for r in sheet.iter_rows(min_row=7, values_only=True) if r[0]}
        assert rows["2.1"][2:] == (8, 11, 72.73, 100, 20, 14.55)
        assert rows["3.1"][4:] == (87.5, 80, 6, 6)
        assert rows["2.2"][2:4] == (None, 8)
        total = [r for r in sheet.iter_rows(values_only=True) if r[1] == "Tổng điểm"]
        assert total == [(None, "Tổng điểm", None, None, None, None, 100, 35.33)]
        times = load_workbook(BytesIO(response.content)).worksheets[1]
        business = [r for r in times.iter_rows(min_row=7, values_only=True) if r[0] == "1.001612"]
        assert [r[2:] for r in business] == [(6, 2.77, "ngày làm việc", "3 ngày làm việc")]

    @pytest.mark.parametrize(
        "username", ["giamdoc", "giamdocphuong", "kiemsoat", "quantri", "chutichphuong"]
    )
    def test_leaders_controllers_administrators_and_the_ward_head_see_the_ward(
        self, demo, client, username
    ):
        client.force_login(demo.person(username))
        response = client.get(reverse("backoffice:index766"), self.query(ward_unit()))
        assert response.status_code == 200

    def test_an_agency_head_sees_their_agency_and_no_other_unit(self, demo, client):
        client.force_login(demo.land_director)
        url = reverse("backoffice:index766")
        land = Unit.objects.get(code="000.20.30.H57")
        assert client.get(url, self.query(land)).status_code == 200
        assert client.get(url, self.query(ward_unit())).status_code == 403
        assert (
            client.get(reverse("backoffice:index766_xlsx"), self.query(ward_unit())).status_code
            == 403
        )
        choices = client.get(url).context["form"].fields["unit"].queryset
        assert [u.code for u in choices] == ["000.20.30.H57"]

    def test_everyone_else_is_refused(self, demo, client):
        url = reverse("backoffice:index766")
        others = [
            demo.outsider,
            demo.reception_officer,
            demo.land_specialist,
            demo.land_head,
            demo.nobody(),
            verified_citizen(),
        ]
        for person in others:
            client.force_login(person)
            assert client.get(url, self.query(ward_unit())).status_code == 403, person
        client.logout()
        assert client.get(url).status_code == 302
