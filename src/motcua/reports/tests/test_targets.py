"""The online-service targets of Huế's center for 2027, per agency and for the center, through
the real services, against the targets set for the year.

Procedures received at the center: the land office's three (all partial online) and the
police's four (1.004222, 1.010041, 3.000333 full online; 2.000200 not online).

    T0  1.004222  counter  Tue 15 Dec 2026   (last year)
    T1  1.004222  online   Mon  1 Mar 2027   resolved, returned online
    T2  1.004222  counter  Mon  1 Mar 2027   resolved, returned at the desk
    T3  1.012783  online   Tue  2 Mar 2027   (partial online: not level 4)
    T4  1.012783  counter  Tue  2 Mar 2027
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from motcua.agencies.models import Unit
from motcua.dossiers import online
from motcua.dossiers.models import Dossier
from motcua.dossiers.processing import Recipient, dossier_resolve, dossier_return, step_forward
from motcua.dossiers.tests.helpers import receive
from motcua.dossiers.tests.test_online import citizen, filled_draft
from motcua.reports.index766 import index766_compute
from motcua.reports.models import OnlineTarget
from motcua.reports.periods import Period, PeriodKind
from motcua.reports.services import index_settings_seed
from motcua.reports.targets import online_targets_compute, online_targets_report
from motcua.reports.tests.index766_scenario import at, local

pytestmark = pytest.mark.django_db

RESIDENCE = "1.004222"  # police, full online, the result is not a document
LAND_RENEWAL = "1.012783"  # land office, partial online
CENTER, LAND, POLICE = "000.00.01.H57", "000.20.30.H57", "000.00.70.H57"
AFTER = local(2027, 6, 30, 9, 0)
D = Decimal


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def filed_online(demo: Any, national_code: str, username: str, *when: int) -> Dossier:
    with at(*when):
        draft = filled_draft(citizen(username), national_code)
        if "so_dinh_danh_chu_ho" in draft.form_data:  # a pattern the sample text does not fit
            online.draft_save(
                draft=draft,
                applicant=draft.applicant,
                form_data=draft.form_data | {"so_dinh_danh_chu_ho": "046190001234"},
                result_channel=draft.result_channel,
            )
        dossier = online.draft_submit(draft=draft).dossier
        return online.online_accept(actor=demo.reception_officer, code=dossier.code)


def police_resolve(demo: Any, dossier: Dossier, *when: int) -> None:
    with at(*when):
        step_forward(actor=demo.police_officer, code=dossier.code)
        step_forward(actor=demo.person("truongcongan"), code=dossier.code)
        dossier_resolve(actor=demo.police_officer, code=dossier.code, result_number="XN-01")


@pytest.fixture
def year_2027(demo: Any) -> dict[str, Dossier]:
    d: dict[str, Dossier] = {}
    with at(2026, 12, 15, 9, 0):
        d["T0"] = receive(demo.reception_officer, RESIDENCE)
    d["T1"] = filed_online(demo, RESIDENCE, "nguoinop1", 2027, 3, 1, 9, 0)
    police_resolve(demo, d["T1"], 2027, 3, 3, 9, 0)
    with at(2027, 3, 4, 9, 0):
        dossier_return(actor=demo.reception_officer, code=d["T1"].code, channel="online")
    with at(2027, 3, 1, 10, 0):
        d["T2"] = receive(demo.reception_officer, RESIDENCE)
    police_resolve(demo, d["T2"], 2027, 3, 3, 10, 0)
    with at(2027, 3, 4, 10, 0):
        dossier_return(
            actor=demo.reception_officer,
            code=d["T2"].code,
            channel="desk",
            recipient=Recipient(name="Nguyễn Thị Hồng Nhung", id_number="046190001234"),
        )
    d["T3"] = filed_online(demo, LAND_RENEWAL, "nguoinop2", 2027, 3, 2, 9, 0)
    with at(2027, 3, 2, 10, 0):
        d["T4"] = receive(demo.reception_officer, LAND_RENEWAL)
    index_settings_seed(year=2027)  # the center's targets: 100%, 50%, 30%, 30%
    OnlineTarget.objects.create(
        year=2027,
        unit=unit(LAND),
        level3_share=100,
        level4_share=20,
        online_received_share=10,
        online_returned_share=10,
    )
    return d


def table(report: Any) -> dict[str, tuple[Any, ...]]:
    return {
        row.unit.code: (
            row.target_source,
            row.procedures,
            *((m.numerator, m.denominator, m.rate, m.target, m.met) for m in row.measures),
        )
        for row in report.rows
    }


class TestTheYear:
    def test_each_agency_and_the_center_against_their_targets(self, year_2027):
        report = online_targets_compute(center=unit(CENTER), year=2027, now=AFTER)
        assert [row.unit.code for row in report.rows] == [CENTER, LAND, POLICE]
        assert table(report) == {
            # 6 of 7 procedures online, 3 full; T1 of 4 received online at level 4 (T3 is
            # online but partial); T1 of the 2 returned, online.
            CENTER: (
                "center",
                7,
                (6, 7, D("85.71"), D(100), False),
                (3, 7, D("42.86"), D(50), False),
                (1, 4, D("25.00"), D(30), False),
                (1, 2, D("50.00"), D(30), True),
            ),
            # The land office's own targets; nothing returned yet: N/A, neither met nor missed.
            LAND: (
                "own",
                3,
                (3, 3, D("100.00"), D(100), True),
                (0, 3, D("0.00"), D(20), False),
                (0, 2, D("0.00"), D(10), False),
                (0, 0, None, D(10), None),
            ),
            # The police are held to the center's targets.
            POLICE: (
                "center",
                4,
                (3, 4, D("75.00"), D(100), False),
                (3, 4, D("75.00"), D(50), True),
                (1, 2, D("50.00"), D(30), True),
                (1, 2, D("50.00"), D(30), True),
            ),
        }

    def test_the_center_row_agrees_with_the_index_of_the_center(self, year_2027):
        targets = online_targets_compute(center=unit(CENTER), year=2027, now=AFTER)
        index = index766_compute(unit=unit(CENTER), period=Period(PeriodKind.YEAR, 2027), now=AFTER)
        level3 = targets.rows[0].level3
        offered = index.indicator("3.1")
        assert (level3.numerator, level3.denominator, level3.rate) == (
            offered.numerator,
            offered.denominator,
            offered.rate,
        )
        # 3.3 counts every online dossier (T1 and T3), the target only level 4 (T1).
        assert index.indicator("3.3").numerator == 2

    def test_a_year_without_targets_shows_the_figures_without_judging_them(self, year_2027):
        report = online_targets_compute(center=unit(CENTER), year=2028, now=local(2028, 2, 1))
        assert all(row.target_source == "" for row in report.rows)
        assert all(m.target is None and m.met is None for r in report.rows for m in r.measures)
        assert table(report)[CENTER][4] == (0, 0, None, None, None)  # nothing received in 2028

    def test_the_number_of_queries_is_fixed(self, year_2027, demo):
        with CaptureQueriesContext(connection) as before:
            online_targets_compute(center=unit(CENTER), year=2027, now=AFTER)
        with at(2027, 3, 5, 9, 0):
            for _ in range(3):
                receive(demo.reception_officer, RESIDENCE)
        with CaptureQueriesContext(connection) as after:
            online_targets_compute(center=unit(CENTER), year=2027, now=AFTER)
        assert len(after) == len(before) == 5  # unit, procedures, dossiers, ancestors, targets


class TestAccess:
    def test_an_agency_head_sees_their_agency_only(self, year_2027, demo):
        report = online_targets_report(
            viewer=demo.land_director, center=unit(CENTER), year=2027, now=AFTER
        )
        assert [row.unit.code for row in report.rows] == [LAND]

    def test_the_page_shows_the_rows_to_the_center_leader(self, year_2027, demo, client):
        client.force_login(demo.center_leader)
        url = reverse("backoffice:online_targets")
        response = client.get(url, {"center": unit(CENTER).pk, "year": 2027})
        assert response.status_code == 200
        page = response.content.decode()
        assert "85,71%" in page and "42,86%" in page and "áp dụng chỉ tiêu chung" in page
        assert page.index(unit(LAND).name) < page.index(unit(POLICE).name)

    def test_the_page_refuses_officers_without_a_reporting_role_and_citizens(
        self, year_2027, demo, client
    ):
        url = reverse("backoffice:online_targets")
        for person in (demo.outsider, demo.land_specialist, demo.reception_officer, citizen()):
            client.force_login(person)
            assert client.get(url).status_code == 403, person
        client.logout()
        assert client.get(url).status_code == 302  # to the login page

    def test_an_agency_head_cannot_open_a_center_that_does_not_serve_their_agency(
        self, year_2027, demo, client
    ):
        client.force_login(demo.land_director)
        ward_center = Unit.objects.get(code="000.12.01.H57")
        url = reverse("backoffice:online_targets")
        assert client.get(url, {"center": ward_center.pk, "year": 2027}).status_code == 403
        response = client.get(url, {"center": unit(CENTER).pk, "year": 2027})
        assert response.status_code == 200
        assert unit(POLICE).name not in response.content.decode()
