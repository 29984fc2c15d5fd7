"""Supervision in headless Chromium, as the center's leader: the dashboard and the dossiers
behind one of its numbers, the month's report and its Excel workbook, the Decision 766 index,
and the public board without logging in; no console error anywhere, and the dashboard usable at
a phone's width.

The data is the reports' February 2027 scenario (reports/tests/scenario.py), reached through the
real services; the pages are looked at on Sunday 28 February 2027, the clock running.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from io import BytesIO
from typing import Any

import pytest
import time_machine
from openpyxl import load_workbook

from motcua.backoffice.tests.test_browser import log_in
from motcua.reports.tests.scenario import build, local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOOKED_AT = local(2027, 2, 28, 10, 0)


class Console:
    """Every console error and uncaught exception of the pages it watches."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Any) -> Any:
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page


@pytest.fixture
def february(browser_demo: Any) -> Iterator[Any]:
    scenario = build(browser_demo)
    with time_machine.travel(LOOKED_AT, tick=True):
        yield scenario


def listed_count(page: Any) -> int:
    """The number of dossiers a drill-down page says it lists ("12 hồ sơ.")."""
    found = re.search(r"(\d+) hồ sơ\.", page.locator("main p.muted").first.inner_text())
    assert found, page.url
    return int(found.group(1))


def test_the_leader_drills_down_downloads_the_report_and_the_public_sees_the_board(
    live_server, february, chromium, artifacts_dir
):
    console = Console()
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = console.watch(context.new_page())
    log_in(page, live_server.url, "giamdoc")

    # The dashboard: a number, and the list behind it with as many dossiers.
    page.goto(f"{live_server.url}/backoffice/giam-sat/")
    assert page.locator("h1").inner_text() == "Giám sát tình hình giải quyết hồ sơ"
    assert "Tháng 02/2027" in page.locator("main").inner_text()
    numbers = page.locator("main a[href*='/giam-sat/ho-so/']")
    link = next(
        a
        for a in numbers.all()
        if a.inner_text().strip().isdigit() and 0 < int(a.inner_text().strip()) <= 25
    )
    shown = int(link.inner_text().strip())
    link.click()
    page.wait_for_url(re.compile(r"/giam-sat/ho-so/"))
    assert listed_count(page) == shown
    assert page.locator("main table tbody tr").count() == shown
    page.screenshot(path=str(artifacts_dir / "supervision-drill-down.png"), full_page=True)

    # The month's report on screen, and its workbook with the same total.
    page.goto(f"{live_server.url}/backoffice/bao-cao/")
    total_row = page.locator("main table.figures").first.locator("tbody tr").last
    assert total_row.locator("th").inner_text().strip() == "Tổng cộng"
    on_screen = [cell.inner_text().strip() for cell in total_row.locator("td").all()]
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải báo cáo (Excel)").click()
    saved = artifacts_dir / "supervision-report.xlsx"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "bao-cao-month-2027-02.xlsx"
    # A real workbook: openpyxl opens it (a zip of XML parts), whatever its extension says.
    sheet = load_workbook(BytesIO(saved.read_bytes()), read_only=True).worksheets[0]
    [in_workbook] = [
        row[2:] for row in sheet.iter_rows(min_row=8, values_only=True) if row[1] == "Tổng cộng"
    ]
    counts = [(int(t), v) for t, v in zip(on_screen, in_workbook, strict=False) if t.isdigit()]
    assert len(counts) >= 15 and all(shown == saved for shown, saved in counts), counts
    assert int(on_screen[0]) == in_workbook[0] > 0

    # The Decision 766 index of the leader's first unit, this month.
    response = page.goto(f"{live_server.url}/backoffice/chi-so-766/")
    assert response is not None and response.status == 200
    assert page.locator("h1").inner_text().startswith("Chỉ số chỉ đạo, điều hành")
    assert "2.1" in page.locator("main table").first.inner_text()
    page.screenshot(path=str(artifacts_dir / "supervision-index766.png"), full_page=True)
    context.close()

    # The public board, without logging in.
    public = console.watch(chromium.new_page(viewport={"width": 390, "height": 844}))
    public.goto(f"{live_server.url}/cong-khai/")
    assert "Công khai kết quả giải quyết hồ sơ" in public.content()
    assert "Công an thành phố Huế" in public.locator("main").inner_text()
    public.close()

    assert console.errors == []


def test_the_dashboard_is_usable_at_a_phones_width(live_server, february, chromium, artifacts_dir):
    console = Console()
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    page = console.watch(context.new_page())
    log_in(page, live_server.url, "giamdoc")
    page.goto(f"{live_server.url}/backoffice/giam-sat/")

    assert page.locator("h1").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"scrolls sideways: {width}px"
    page.screenshot(path=str(artifacts_dir / "supervision-dashboard-phone.png"), full_page=True)
    context.close()
    assert console.errors == []
