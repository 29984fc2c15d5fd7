"""The evaluation pages: who may open them, what they show on the reporting scenario, the
entry form (errors at the field, Post/Redirect/Get, refusals), the workbook, and their cost in
queries at two sizes."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from motcua.evaluation.models import EvaluationEntry
from motcua.reports.tests.scenario import at, build

FEBRUARY = "?kind=month&year=2027&number=2"
FEBRUARY_TOKEN = "?p=month:2027:2"


@pytest.fixture
def scenario(demo):  # type: ignore[no-untyped-def]
    built = build(demo)
    # The pages are looked at on Fri 26 February 2027, after every February dossier ended (the
    # last on Fri 19) and before F7's follow-up falls due; logins happen then too.
    with at(2027, 2, 26, 9, 0):
        yield built


def _pages(code: str) -> list[str]:
    return [
        reverse("backoffice:evaluation_summary") + FEBRUARY,
        reverse("backoffice:evaluation_summary_xlsx") + FEBRUARY,
        reverse("backoffice:evaluation_dossiers") + FEBRUARY_TOKEN,
        reverse("backoffice:evaluation_dossier", args=[code]),
    ]


def _entry_url(code: str) -> str:
    return reverse("backoffice:evaluation_dossier", args=[code])


@pytest.mark.django_db
class TestAccess:
    def test_it_sends_anonymous_visitors_to_the_login_page(self, client, scenario):  # type: ignore[no-untyped-def]
        for url in _pages(scenario["J1"].code):
            response = client.get(url)
            assert response.status_code == 302, url
            assert reverse("backoffice:login") in response["Location"]

    def test_it_refuses_officers_without_a_reporting_role_and_citizens(
        self, client, scenario, demo
    ):  # type: ignore[no-untyped-def]
        citizen = get_user_model().objects.get(username="congdan")
        for person in (demo.outsider, demo.tax_officer, demo.reception_officer, citizen):
            client.force_login(person)
            for url in _pages(scenario["J1"].code):
                assert client.get(url).status_code == 403, (person.username, url)

    def test_a_reader_who_may_not_grade_is_refused_the_form(self, client, scenario, demo):  # type: ignore[no-untyped-def]
        code = scenario["F7"].code
        # The land office's director reads F7's evaluation but does not grade.
        client.force_login(demo.land_director)
        page = client.get(_entry_url(code)).content.decode()
        assert "Chấm điểm chỉ số" not in page
        response = client.post(_entry_url(code), {"indicator": "attitude", "points": "2"})
        assert response.status_code == 403
        assert not EvaluationEntry.objects.exists()

    def test_a_dossier_outside_the_graders_reach_is_not_found(self, client, scenario, demo):  # type: ignore[no-untyped-def]
        # The ward center's leader grades the ward's dossiers, not the city center's.
        client.force_login(demo.person("giamdocphuong"))
        url = _entry_url(scenario["J1"].code)
        assert client.get(url).status_code == 404
        assert client.post(url, {"indicator": "attitude", "points": "2"}).status_code == 404
        assert not EvaluationEntry.objects.exists()


@pytest.mark.django_db
class TestPages:
    def test_the_summary_shows_the_periods_figures(self, client, scenario, demo):  # type: ignore[no-untyped-def]
        client.force_login(demo.center_leader)
        html = client.get(reverse("backoffice:evaluation_summary") + FEBRUARY).content.decode()
        # Eight ended dossiers, two fully evaluated (17 and 18): 17,50/18, excellent.
        assert "17,50/18 — Xuất sắc" in html  # Vietnamese decimal comma
        assert "Công an thành phố Huế" in html
        assert "1.004222 — Đăng ký thường trú" in html

    def test_the_list_shows_each_dossiers_points_and_class(self, client, scenario, demo):  # type: ignore[no-untyped-def]
        client.force_login(demo.center_leader)
        url = reverse("backoffice:evaluation_dossiers") + FEBRUARY_TOKEN + "&grade=excellent"
        html = client.get(url).content.decode()
        assert scenario["F1"].code in html and scenario["J4"].code in html
        assert scenario["J2"].code not in html
        assert "18/18" in html and "17/18" in html

    def test_the_workbook_holds_the_summary(self, client, scenario, demo):  # type: ignore[no-untyped-def]
        client.force_login(demo.center_leader)
        response = client.get(reverse("backoffice:evaluation_summary_xlsx") + FEBRUARY)
        sheet = load_workbook(BytesIO(response.content)).active
        rows = [row for row in sheet.iter_rows(values_only=True) if row[0] == "Tổng cộng"]
        assert rows[0][1] == 8  # dossiers
        assert rows[0][13] == 17.5 and rows[0][14] == "Xuất sắc"

    def test_the_pages_cost_the_same_queries_for_one_dossier_as_for_eight(  # type: ignore[no-untyped-def]
        self, client, scenario, demo
    ):
        client.force_login(demo.center_leader)
        counts = []
        for month in (1, 2):
            query = f"?kind=month&year=2027&number={month}"
            token = f"?p=month:2027:{month}"
            with CaptureQueriesContext(connection) as queries:
                client.get(reverse("backoffice:evaluation_summary") + query)
                client.get(reverse("backoffice:evaluation_dossiers") + token)
            counts.append(len(queries))
        assert counts[0] == counts[1]


@pytest.mark.django_db
class TestEntryForm:
    def test_it_saves_and_redirects(self, client, scenario, demo):  # type: ignore[no-untyped-def]
        code = scenario["J2"].code
        client.force_login(demo.center_leader)
        response = client.post(
            _entry_url(code), {"indicator": "attitude", "points": "1", "note": "Gọi lại"}
        )
        assert response.status_code == 302
        assert response["Location"] == _entry_url(code)
        html = client.get(response["Location"]).content.decode()
        # J2: 0+1+2+2+2+2+1+2+2 = 14, good.
        assert "14/18" in html and "Tốt" in html and "Gọi lại" in html
        client.post(
            reverse("backoffice:evaluation_entry_clear", args=[code]),
            {"indicator": "attitude"},
        )
        assert not EvaluationEntry.objects.exists()

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"indicator": "attitude", "points": "3"}, "Điểm của mỗi chỉ số là 0, 1 hoặc 2."),
            ({"indicator": "courtesy", "points": "1"}, "Hãy chọn một chỉ số trong danh sách."),
            ({"indicator": "total_time", "points": "1"}, "Hãy chọn một chỉ số trong danh sách."),
        ],
    )
    def test_bad_input_is_shown_at_the_field_and_changes_nothing(  # type: ignore[no-untyped-def]
        self, client, scenario, demo, data, message
    ):
        client.force_login(demo.center_leader)
        response = client.post(_entry_url(scenario["J2"].code), data)
        assert response.status_code == 400
        assert f'<span class="errors">{message}</span>' in response.content.decode()
        assert not EvaluationEntry.objects.exists()

    def test_an_open_dossier_has_no_evaluation(self, client, scenario, demo):  # type: ignore[no-untyped-def]
        client.force_login(demo.center_leader)
        assert client.get(_entry_url(scenario["F4"].code)).status_code == 404
        response = client.post(
            _entry_url(scenario["F4"].code), {"indicator": "attitude", "points": "1"}
        )
        assert response.status_code == 409
        assert not EvaluationEntry.objects.exists()
