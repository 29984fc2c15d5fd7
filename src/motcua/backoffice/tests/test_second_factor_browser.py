"""The second factor in headless Chromium: an officer required to use it enrols an authenticator
app at sign-in (the test plays the app: it reads the secret off the page and computes the code),
then signs in again on another browser with a fresh code."""

from __future__ import annotations

import time

import pytest

from motcua.accounts import second_factor as totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def app_code(secret: str, *, later: int = 0) -> str:
    """What an authenticator app holding `secret` shows now (or `later` seconds from now)."""
    return totp.totp(totp.secret_key(secret), at=time.time() + later)


def password_step(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/backoffice/dang-nhap/")
    page.fill("#id_username", username)
    page.fill("#id_password", "motcua2026")
    with page.expect_navigation():
        page.click("main button[type=submit]")


def test_an_officer_enrols_an_authenticator_app_and_signs_in_with_its_code(
    live_server, browser_demo, chromium, settings, artifacts_dir
):
    settings.MOTCUA_OFFICER_TOTP_REQUIRED = True
    first = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = first.new_page()
    password_step(page, live_server.url, "tiepnhan")
    assert page.url.endswith("/backoffice/bao-mat/xac-thuc-hai-lop/")
    assert page.locator(".qr svg").is_visible()
    secret = page.inner_text("#totp-secret").replace(" ", "")
    page.screenshot(path=str(artifacts_dir / "second-factor-enrol.png"), full_page=True)

    # A code from another secret is refused and the page stays.
    page.fill("#id_code", app_code(totp.secret_new()))
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "Mã xác thực không đúng" in page.locator("[role=alert]").inner_text()

    page.fill("#id_code", app_code(secret))
    with page.expect_navigation():
        page.click("main button[type=submit]")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    with page.expect_navigation():
        page.get_by_role("link", name="Tôi đã lưu các mã, tiếp tục").click()
    assert page.url.endswith("/backoffice/viec-cua-toi/")
    first.close()

    second = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = second.new_page()
    password_step(page, live_server.url, "tiepnhan")
    assert page.url.endswith("/backoffice/dang-nhap/ma-xac-thuc/")
    # The next step's code: the one used at enrolment may not be used again.
    page.fill("#id_code", app_code(secret, later=totp.STEP_SECONDS))
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url.endswith("/backoffice/viec-cua-toi/")
    second.close()
