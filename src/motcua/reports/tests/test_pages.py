"""The dashboard, its drill-down lists, the report with its Excel and PDF, and the public board:
who may open them, what they show, and what they cost in queries."""

from __future__ import annotations

import re
from html import unescape
from io import BytesIO
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from motcua.agencies.models import Unit
from motcua.agencies.services import unit_upsert
from motcua.reports.tests.scenario import END_OF_FEBRUARY, POLICE, at, build

FEBRUARY = {"kind": "month", "year": 2027, "number": 2}
BACKOFFICE_PAGES = (
    "backoffice:stats_dashboard",
    "backoffice:operational_report",
    "backoffice:operational_report_xlsx",
    "backoffice:operational_report_pdf",
)


def _drill(**query: str) -> str:
    return f"{reverse('backoffice:stats_dossiers')}?measure=late&p=month:2027:2" + "".join(
        f"&{k}={v}" for k, v in query.items()
    )


def _pages() -> list[str]:
    return [reverse(name) for name in BACKOFFICE_PAGES] + [_drill()]


@pytest.mark.django_db
class TestAccess:
    def test_it_sends_anonymous_visitors_to_the_login_page(self, client, demo):
        for url in _pages():
            response = client.get(url)
            assert response.status_code == 302, url
            assert reverse("backoffice:login") in response["Location"]

    def test_it_refuses_officers_without_a_reporting_role_and_citizens(self, client, demo):
        citizen = get_user_model().objects.get(username="congdan")
        assert citizen.is_citizen
        for person in (demo.outsider, demo.tax_officer, demo.reception_officer, citizen):
            client.force_login(person)
            for url in _pages():
                assert client.get(url).status_code == 403, (person.username, url)

    def test_a_unit_outside_the_viewers_reach_is_not_found(self, client, demo):
        land = Unit.objects.get(code="000.20.30.H57")
        client.force_login(demo.person("giamdocphuong"))
        for url in _pages():
            assert client.get(url, {"unit": land.pk}).status_code == 404, url
        assert client.get(reverse("backoffice:stats_dashboard")).status_code == 200

    def test_a_wrong_measure_or_period_is_a_bad_request(self, client, demo):
        client.force_login(demo.center_leader)
        url = reverse("backoffice:stats_dossiers")
        assert client.get(url, {"measure": "nothing", "p": "month:2027:2"}).status_code == 400
        assert client.get(url, {"measure": "late", "p": "month:2027:13"}).status_code == 400
        report = reverse("backoffice:operational_report")
        assert client.get(report, {"kind": "decade", "year": 2027}).status_code == 400
        assert client.get(report, {"kind": "month", "year": "x"}).status_code == 400

    def test_the_public_board_needs_no_login(self, client, demo):
        response = client.get(reverse("portal:transparency_board"))
        assert response.status_code == 200
        assert "Công khai kết quả giải quyết hồ sơ" in response.content.decode()


def _links(html: str) -> list[tuple[str, str]]:
    """(href, text) of the links whose text is a number."""
    found = re.findall(r'<a href="([^"]+)">\s*([0-9]+)\s*</a>', html)
    return [(unescape(href), text) for href, text in found]


@pytest.mark.django_db
def test_the_pages_show_the_scenarios_numbers_and_each_number_opens_its_dossiers(client, demo):
    scenario = build(demo)
    with time_machine.travel(END_OF_FEBRUARY, tick=False):
        client.force_login(demo.center_leader)
        page = client.get(reverse("backoffice:stats_dashboard")).content.decode()
        report = client.get(reverse("backoffice:operational_report"), FEBRUARY).content.decode()
        workbook = client.get(reverse("backoffice:operational_report_xlsx"), FEBRUARY)
        pdf = client.get(reverse("backoffice:operational_report_pdf"), FEBRUARY)
        drill = [
            (href, text, client.get(href).content.decode())
            for href, text in sorted(set(_links(page) + _links(report)))
            if "/giam-sat/ho-so/" in href
        ]
    assert "75,00%" in page  # the month's on-time rate
    assert "<svg" in page and "<title" in page and "Bảng số liệu" in page
    # Every number on the dashboard and the report opens a list of that many dossiers.
    assert len(drill) > 100
    for href, text, listed in drill:
        shown = re.search(r"([0-9]+) hồ sơ\.", listed)
        assert shown and shown.group(1) == text, href
    late = next(
        listed
        for href, _t, listed in drill
        if parse_qs(urlsplit(href).query) == {"measure": ["late"], "p": ["month:2027:2"]}
    )
    assert scenario.codes("J2", "F4", "F8") <= set(
        re.findall(r"000\.00\.01\.H57-\d{6}-\d{4}", late)
    )

    assert workbook["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(workbook.content), read_only=True).worksheets[0]
    rows = {row[1]: row[2:] for row in sheet.iter_rows(min_row=8, values_only=True) if row[1]}
    # Police: 10 to process (3 carried over, 7 received: 5 at the counter, 1 online, 1 by
    # post), 7 finished (4 early, 1 on time, 2 late, 1 of them withdrawn), 3 open (2 within
    # time, 1 overdue), 1 not collected, 70% on time.
    assert rows["Công an thành phố Huế"] == (10, 3, 7, 5, 1, 1, 7, 4, 1, 2, 1, 3, 2, 1, 1, 70, 30)
    assert rows["Tổng cộng"] == (12, 3, 9, 7, 1, 1, 8, 5, 1, 2, 1, 4, 3, 1, 1, 75, 25)

    assert pdf["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in text
    assert "Tháng 02/2027" in text
    assert "75,00" in text and "Chờ xác minh chỗ ở hợp pháp" in text


@pytest.mark.django_db
def test_the_public_board_shows_numbers_and_no_personal_data(client, demo):
    scenario = build(demo)
    with time_machine.travel(END_OF_FEBRUARY, tick=False):
        html = client.get(reverse("portal:transparency_board")).content.decode()
    assert "Công an thành phố Huế" in html and "70,00%" in html
    assert "66,67% hài lòng" in html
    dossiers = [scenario[name] for name in scenario.dossiers]
    personal = {d.code for d in dossiers} | {d.lookup_secret for d in dossiers}
    personal |= {d.applicant_name for d in dossiers} | {d.applicant_id_number for d in dossiers}
    personal |= {d.applicant_phone for d in dossiers if d.applicant_phone}
    officers = ("tiepnhan", "giamdoc", "chuyenvien", "congan", "canbothue", "lanhdao")
    personal |= {demo.person(username).full_name for username in officers}
    personal |= {"Chờ xác minh chỗ ở hợp pháp", "Nguyễn Văn An"}
    assert not {value for value in personal if value in html}


def _more_units_and_dossiers(demo) -> None:  # type: ignore[no-untyped-def]
    from motcua.dossiers.tests.helpers import receive

    province = Unit.objects.get(code="000.00.00.H57")
    for number in range(5):
        agency = unit_upsert(
            code=f"000.00.9{number}.H57",
            name=f"Sở thử nghiệm {number}",
            kind="agency",
            parent=province,
        )
        unit_upsert(
            code=f"000.00.9{number}.H57.P01", name="Phòng", kind="department", parent=agency
        )
    with at(2027, 2, 3, 9, 0):
        for code in ("1.013978", "1.010041", "2.000200", "1.012783", "1.004222", "1.004222"):
            receive(demo.reception_officer, code)


@pytest.mark.django_db
def test_the_report_and_the_dashboard_cost_the_same_queries_however_much_there_is(
    client, demo, django_assert_max_num_queries
):
    def queries() -> dict[str, int]:
        counts = {}
        with time_machine.travel(END_OF_FEBRUARY, tick=False):
            client.force_login(demo.center_leader)
            police = Unit.objects.get(code=POLICE).pk
            for name, query in [
                ("backoffice:operational_report", FEBRUARY),
                ("backoffice:operational_report", {**FEBRUARY, "unit": police}),
                ("backoffice:stats_dashboard", {}),
                ("backoffice:operational_report_xlsx", FEBRUARY),
            ]:
                with CaptureQueriesContext(connection) as captured:
                    assert client.get(reverse(name), query).status_code == 200
                counts[f"{name} {query}"] = len(captured.captured_queries)
        return counts

    with at(2027, 2, 1, 9, 0):
        from motcua.dossiers.tests.helpers import receive

        receive(demo.reception_officer, "1.004222")
    few = queries()
    _more_units_and_dossiers(demo)
    many = queries()
    assert many == few
    report = few[f"backoffice:operational_report {FEBRUARY}"]
    with time_machine.travel(END_OF_FEBRUARY, tick=False), django_assert_max_num_queries(report):
        client.get(reverse("backoffice:operational_report"), FEBRUARY)
    assert report <= 16
