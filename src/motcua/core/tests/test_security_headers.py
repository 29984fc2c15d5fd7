"""Security headers on every response, a strict Content-Security-Policy the pages keep to, and
HSTS and secure cookies in production."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import motcua
from motcua.core.tests.helpers import intake
from motcua.core.tests.processes import production_environment, requests_in_process, run_django

STRICT_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# Rendered to PDF by WeasyPrint, never shown by a browser: their inline CSS is no concern of CSP.
PDF_TEMPLATES = ("dossiers/forms/", "demo/sample_scan.html", "reports/", "payments/receipt.html")
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)"),
    "event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
    "style element": re.compile(r"<style\b", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def policy_of(response: Any) -> dict[str, list[str]]:
    directives = (d.split() for d in response["Content-Security-Policy"].split(";"))
    return {name: values for name, *values in directives}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/tra-cuu/", "/thu-tuc/", "/api/v1/procedures/", "/khong-co/", "/admin/"]
)
def test_every_answer_carries_the_security_headers(client: Any, path: str) -> None:
    response = client.get(path)
    policy = policy_of(response)
    assert {name: policy[name] for name in STRICT_POLICY} == STRICT_POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    # WSGI servers refuse header names of any other type (a StrEnum included).
    assert {type(name) for name in response.headers} == {str}


@pytest.mark.django_db
def test_forms_may_post_to_ourselves_and_to_the_payment_gateway_only(
    client: Any, settings: Any
) -> None:
    # Paying posts to us and is redirected to the gateway; Chromium checks form-action there too.
    settings.MOTCUA_PAYMENT_GATEWAY_URL = "https://sandbox.vnpayment.vn/paymentv2"
    policy = policy_of(client.get("/"))
    assert policy["form-action"] == ["'self'", "https://sandbox.vnpayment.vn"]


def browser_templates() -> Iterator[Path]:
    root = Path(motcua.__file__).resolve().parent
    for template in sorted(root.glob("*/templates/**/*.html")):
        name = template.as_posix().split("/templates/", 1)[1]
        if not name.startswith(PDF_TEMPLATES):
            yield template


def test_no_template_a_browser_shows_has_inline_script_or_style() -> None:
    found = [
        f"{template.name}: {kind}"
        for template in browser_templates()
        for kind, pattern in INLINE.items()
        if pattern.search(template.read_text())
    ]
    assert found == []


def test_the_inline_check_does_find_inline_code() -> None:
    samples = {
        "inline script": "<script>alert(1)</script>",
        "event handler attribute": '<form method="post" onsubmit="return false">',
        "style attribute": '<p class="x" style="color:red">',
        "style element": "<style>p{}</style>",
        "javascript: URL": '<a href="javascript:void(0)">',
    }
    for kind, sample in samples.items():
        assert INLINE[kind].search(sample), kind
    assert not INLINE["inline script"].search('<script src="/static/motcua/forms.js" defer>')


def test_in_production_hsts_and_secure_cookies(tmp_path: Path) -> None:
    https = {"Host": "motcua.hue.gov.vn", "X-Forwarded-Proto": "https"}
    [lookup], _ = requests_in_process(
        production_environment(tmp_path), [("GET", "/tra-cuu/", https)]
    )
    assert lookup["status"] == 200
    assert lookup["headers"]["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    csrf = lookup["cookies"]["csrftoken"]
    assert "Secure" in csrf and "SameSite=Lax" in csrf
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, "
        "s.CSRF_COOKIE_SECURE)"
    )
    result = run_django(production_environment(tmp_path), "-c", code)
    assert result.stdout.split() == ["True", "True", "Lax", "True"], result.stderr


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
class TestThePagesKeepToThePolicy:
    """The main pages in Chromium: the browser reports every rule of the policy a page breaks."""

    @pytest.fixture
    def browser(self, chromium: Any) -> Iterator[Any]:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        yield context
        context.close()

    def watched(self, browser: Any) -> tuple[Any, list[str]]:
        page = browser.new_page()
        violations: list[str] = []

        def seen(message: Any) -> None:
            if "Content Security Policy" in message.text:
                violations.append(f"{page.url}: {message.text}")

        page.on("console", seen)
        return page, violations

    def sign_in_officer(self, page: Any, base: str, username: str) -> None:
        page.goto(f"{base}/backoffice/dang-nhap/")
        page.fill("#id_username", username)
        page.fill("#id_password", "motcua2026")
        page.click("main button[type=submit]")
        assert "/dang-nhap/" not in page.url

    def visit(self, page: Any, url: str) -> None:
        response = page.goto(url)
        assert response.status == 200, url

    def test_public_and_citizen_pages(self, live_server: Any, browser_demo: Any, browser: Any):
        base, dossier = live_server.url, intake()
        page, violations = self.watched(browser)
        for path in ["/", "/thu-tuc/", "/thu-tuc/1.013978/", "/cong-khai/", "/tra-cuu/"]:
            self.visit(page, base + path)
        page.fill("#id_code", dossier["code"])
        page.fill("#id_secret", dossier["lookup_secret"])
        page.click("main button[type=submit]")
        assert dossier["code"] in page.content()

        page.goto(f"{base}/dang-nhap/")
        page.fill("#id_identifier", "0905111222")
        page.fill("#id_password", "motcua2026")
        page.click("main form button[type=submit]")
        for path in ["/tai-khoan/", "/ho-so-cua-toi/", f"/ho-so-cua-toi/{dossier['code']}/"]:
            self.visit(page, base + path)
        self.visit(page, f"{base}/thu-tuc/1.001612/")
        page.click("#online-submit button")
        assert "/ho-so-nhap/" in page.url
        assert violations == []

    def test_reception_pages(self, live_server: Any, browser_demo: Any, browser: Any) -> None:
        base, dossier = live_server.url, intake()
        page, violations = self.watched(browser)
        self.sign_in_officer(page, base, "tiepnhan")
        for path in ["/backoffice/viec-cua-toi/", f"/backoffice/ho-so/{dossier['code']}/"]:
            self.visit(page, base + path)
        self.visit(page, f"{base}/backoffice/tiep-nhan/")
        page.fill("#q", "dang ky dat dai")
        page.press("#q", "Enter")
        page.locator("main a.button").first.click()
        assert page.locator("table.components").count() == 1
        assert violations == []

    def test_supervision_pages(self, live_server: Any, browser_demo: Any, browser: Any) -> None:
        base = live_server.url
        intake()
        page, violations = self.watched(browser)
        self.sign_in_officer(page, base, "giamdoc")
        for path in ["giam-sat/", "bao-cao/", "chi-so-766/", "canh-bao/", "danh-gia-giai-quyet/"]:
            self.visit(page, f"{base}/backoffice/{path}")
        assert violations == []

    def test_an_action_form_is_sent_once(self, live_server: Any, browser_demo: Any, browser: Any):
        base, dossier = live_server.url, intake()
        page, violations = self.watched(browser)
        self.sign_in_officer(page, base, "truongphong")
        self.visit(page, f"{base}/backoffice/ho-so/{dossier['code']}/phan-cong/")
        # The guard lives in a static script now: the second submission is cancelled.
        cancelled = page.evaluate(
            """() => {
                const form = document.querySelector("form[data-submit-once]");
                return [1, 2].map(() => {
                    const event = new Event("submit", {bubbles: true, cancelable: true});
                    form.dispatchEvent(event);
                    return event.defaultPrevented;
                });
            }"""
        )
        assert cancelled == [False, True]
        assert violations == []

    def test_the_admin(self, live_server: Any, browser_demo: Any, browser: Any) -> None:
        base = live_server.url
        page, violations = self.watched(browser)
        self.sign_in_officer(page, base, "quantri")
        for path in [
            "",
            "calendars/calendaroverride/add/",
            "accounts/user/",
            "accounts/user/add/",
            "agencies/unit/add/",
        ]:
            self.visit(page, f"{base}/admin/{path}")
        assert violations == []

    def test_the_watch_does_see_a_violation(self, live_server: Any, browser: Any) -> None:
        page, violations = self.watched(browser)
        self.visit(page, f"{live_server.url}/tra-cuu/")
        with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
            page.evaluate(
                """() => {
                    const script = document.createElement("script");
                    script.textContent = "window.injected = true";
                    document.body.append(script);
                }"""
            )
        assert page.evaluate("window.injected === undefined")
        assert len(violations) == 1
