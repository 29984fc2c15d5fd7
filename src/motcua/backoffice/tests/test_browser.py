"""The walk-in journey in headless Chromium: log in, intake, print, look the dossier up."""

from __future__ import annotations

import re

import pytest

from motcua.dossiers.models import Dossier

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/backoffice/")
    page.fill("#id_username", username)
    page.fill("#id_password", "motcua2026")
    page.click("main button[type=submit]")


def test_it_receives_a_walk_in_dossier_and_the_citizen_looks_it_up(
    live_server, browser_demo, chromium, artifacts_dir
):
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, live_server.url, "tiepnhan")
    page.get_by_role("link", name="Tiếp nhận", exact=True).click()
    page.fill("#q", "dang ky dat dai lan dau")
    page.press("#q", "Enter")
    page.locator("main a.button").first.click()

    page.fill("#id_applicant_name", "Nguyễn Văn An")
    page.fill("#id_applicant_id_number", "046085000123")
    page.fill("#id_applicant_phone", "0905123456")
    # Forgetting the mandatory application form: the page says what is missing, nothing is saved.
    page.click("button[value=accept]")
    assert "chưa đủ thành phần bắt buộc" in page.locator("[role=alert]").inner_text()
    assert page.input_value("#id_applicant_name") == "Nguyễn Văn An"

    for checkbox in page.locator("table.components input[type=checkbox]").all():
        checkbox.check()
    page.screenshot(path=str(artifacts_dir / "intake-form.png"), full_page=True)
    page.click("button[value=accept]")

    dossier = Dossier.objects.get()
    assert page.locator("h1").inner_text().endswith(dossier.code)
    assert re.fullmatch(r"000\.00\.01\.H57-\d{6}-0001", dossier.code)
    page.screenshot(path=str(artifacts_dir / "dossier-received.png"), full_page=True)
    receipt = page.request.get(
        f"{live_server.url}/backoffice/ho-so/{dossier.code}/giay-tiep-nhan.pdf"
    )
    assert receipt.headers["content-type"] == "application/pdf"
    (artifacts_dir / "receipt-form-01.pdf").write_bytes(receipt.body())

    citizen = chromium.new_page(viewport={"width": 390, "height": 844})
    citizen.goto(f"{live_server.url}/tra-cuu/?ma={dossier.code}")
    assert citizen.input_value("#id_code") == dossier.code
    citizen.fill("#id_secret", "SAIMA234")
    citizen.click("main button[type=submit]")
    assert "Không tìm thấy hồ sơ" in citizen.locator("[role=alert]").inner_text()
    citizen.fill("#id_secret", dossier.lookup_secret)
    citizen.click("main button[type=submit]")
    # Received and transferred to the land office at once (electronic transfer).
    assert citizen.locator("#state").inner_text() == "Đang giải quyết"
    assert "Nguyễn Văn An" not in citizen.content()
    citizen.screenshot(path=str(artifacts_dir / "public-lookup-phone.png"), full_page=True)


def test_it_issues_one_guidance_notice_for_everything_missing(live_server, browser_demo, chromium):
    page = chromium.new_page()
    log_in(page, live_server.url, "tiepnhan")
    page.goto(f"{live_server.url}/backoffice/tiep-nhan/?q=cap doi giay chung nhan")
    page.locator("main a.button").first.click()
    page.fill("#id_applicant_name", "Trần Thị Bích")
    page.fill("#id_applicant_id_number", "046190004567")
    page.fill("#id_other_items", "Sơ đồ thửa đất: bản vẽ không rõ ranh giới")
    page.click("button[value=guidance]")
    assert "Phiếu yêu cầu bổ sung" in page.locator("h1").inner_text()
    assert "Sơ đồ thửa đất — bản vẽ không rõ ranh giới" in page.content()
    assert Dossier.objects.count() == 0
