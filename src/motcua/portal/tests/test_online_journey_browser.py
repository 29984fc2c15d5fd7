"""The full-online (level 4) journey in headless Chromium at a phone's viewport: a citizen signs
up with a one-time code, submits a business household registration (1.001612) with its
declaration and attachments, the ward desk accepts it in the back office, the agency asks for a
supplement which the citizen sends from their account, the citizen pays the fee through the
gateway simulator (signed IPN over real HTTP), the agency issues the result, the citizen
downloads it and the test verifies its digital signature, and the citizen rates the service.

Every main portal page on the way is checked with axe-core (axe-playwright-python's bundled
copy; nothing is downloaded): no violation of the WCAG 2.1 A/AA rules it tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from motcua.accounts.tests.helpers import code_sent_to
from motcua.core.testing import sample_pdf
from motcua.documents.signing import signature_report
from motcua.dossiers import processing
from motcua.dossiers.models import Dossier, DossierState
from motcua.dossiers.processing import SupplementItem
from motcua.lib.jsonform import form_fields
from motcua.payments.gateway_simulator import GatewaySimulator
from motcua.payments.models import Payment
from motcua.ratings.models import Rating

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BUSINESS = "1.001612"
PHONE = "0905666777"
PASSWORD = "Hue-2026-an-toan"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def gateway(live_server: Any, settings: Any) -> Iterator[GatewaySimulator]:
    with GatewaySimulator(
        tmn_code=settings.MOTCUA_PAYMENT_MERCHANT_CODE,
        secret=settings.MOTCUA_PAYMENT_HASH_SECRET,
        ipn_url=f"{live_server.url}{reverse('portal:payment_ipn')}",
        ipn_retry_delay=0.05,
    ) as simulator:
        settings.MOTCUA_PAYMENT_GATEWAY_URL = simulator.url
        settings.SITE_URL = live_server.url
        yield simulator


@pytest.fixture
def phone(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def submit(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


class Accessibility:
    """axe-core on each page visited; every violation is kept, reported at the end."""

    def __init__(self, artifacts: Any) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.artifacts = artifacts
        self.violations: dict[str, list[str]] = {}

    def check(self, page: Any, name: str) -> None:
        options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
        found = self.axe.run(page, options=options).response["violations"]
        if found:
            self.violations[name] = [
                f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in found
            ]
        page.screenshot(path=str(self.artifacts / f"online-{name}.png"), full_page=True)


def test_full_online_journey_on_a_phone(
    browser_demo: Any,
    live_server: Any,
    gateway: GatewaySimulator,
    phone: Any,
    chromium: Any,
    artifacts_dir: Any,
) -> None:
    page, base = phone, live_server.url
    axe = Accessibility(artifacts_dir)

    page.goto(base + "/")
    axe.check(page, "home")
    page.goto(base + reverse("portal:procedures") + "?q=ho kinh doanh")
    assert "hộ kinh doanh" in page.content().lower()
    axe.check(page, "procedures")

    # 1. Sign up with a phone and the one-time code it receives.
    page.goto(base + reverse("portal:signup"))
    axe.check(page, "signup")
    page.fill("#id_full_name", "Phạm Thị Lan")
    page.fill("#id_id_number", "046190055555")
    page.fill("#id_contact", PHONE)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password_confirm", PASSWORD)
    submit(page, "main button[type=submit]")
    axe.check(page, "signup-confirm")
    page.fill("#id_code", code_sent_to(PHONE))
    submit(page, "main button[type=submit]")
    assert "Phạm Thị Lan" in page.content()

    # 2. The procedure's public record, then the draft: declaration, attachments, submit.
    page.goto(base + reverse("portal:procedure", args=[BUSINESS]))
    axe.check(page, "procedure")
    submit(page, "#online-submit button")
    axe.check(page, "draft")
    page.fill("#applicant_address", "27 Trần Hưng Đạo, phường Thuận Hóa")
    version = (
        Dossier._meta.get_field("procedure_version")
        .related_model.objects.filter(procedure__national_code=BUSINESS)
        .latest("number")
    )
    for field in form_fields(version.form_schema):
        _answer(page, field)
    for requirement in version.components.filter(is_mandatory=True):
        page.set_input_files(
            f"#file_{requirement.pk}",
            files=[
                {
                    "name": "giay-de-nghi.pdf",
                    "mimeType": "application/pdf",
                    "buffer": sample_pdf(title="Giấy đề nghị"),
                }
            ],
        )
    submit(page, "button[name=submit]")
    assert "Đã nộp hồ sơ thành công" in page.content(), page.content()[:3000]
    axe.check(page, "submitted")
    dossier = Dossier.objects.get(applicant_user__phone=PHONE)
    assert dossier.state == DossierState.SUBMITTED_ONLINE
    assert dossier.code in page.content()

    # 3. The ward desk accepts it from its queue of online dossiers (back office, desktop).
    desk = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    desk.goto(base + reverse("backoffice:login"))
    desk.fill("#id_username", "tiepnhanphuong")
    desk.fill("#id_password", "motcua2026")
    submit(desk, "main button[type=submit]")
    desk.goto(base + reverse("backoffice:worklist"))
    assert dossier.code in desk.inner_text("#online-queue")
    submit(desk, f"#online-queue a:has-text('{dossier.code}')")
    submit(desk, "a:has-text('Tiếp nhận hồ sơ trực tuyến')")
    submit(desk, "main form button[type=submit]")
    dossier.refresh_from_db()
    assert dossier.state == DossierState.IN_PROCESSING and dossier.due_at is not None
    desk.context.close()

    # 4. The agency asks for a supplement (services); the citizen sends it from their account.
    officer, head = browser_demo.person("kinhtephuong"), browser_demo.person("truongphongphuong")
    processing.supplement_propose(
        actor=officer,
        code=dossier.code,
        items=[SupplementItem(name="Bản sao hợp đồng thuê địa điểm", reason="Chưa có trong hồ sơ")],
    )
    processing.supplement_decide(actor=head, code=dossier.code, approve=True)
    page.goto(base + reverse("portal:my_dossier", args=[dossier.code]))
    assert "Bản sao hợp đồng thuê địa điểm" in page.inner_text("#supplement")
    axe.check(page, "supplement-requested")
    page.set_input_files(
        "#file_other",
        files=[
            {
                "name": "hop-dong-thue.pdf",
                "mimeType": "application/pdf",
                "buffer": sample_pdf(title="Hợp đồng thuê"),
            }
        ],
    )
    submit(page, "#supplement button[type=submit]")
    dossier.refresh_from_db()
    assert dossier.state == DossierState.IN_PROCESSING

    # 5. The fee (100.000 đồng), paid through the gateway simulator; the IPN settles it.
    submit(page, "#pay")
    axe.check(page, "dues")
    submit(page, "main form button[type=submit]")
    assert page.url.startswith(gateway.url)
    submit(page, "button[value=pay]")
    assert page.url.startswith(base + reverse("portal:payment_return"))
    payment = Payment.objects.get(dossier=dossier)
    assert payment.status == "paid" and payment.amount == 100_000
    axe.check(page, "payment-result")

    # 6. The agency examines, approves and issues the result (services), signed by the agency.
    processing.step_forward(actor=officer, code=dossier.code)
    processing.step_forward(actor=head, code=dossier.code)
    processing.dossier_resolve(
        actor=officer,
        code=dossier.code,
        result_number="16A8001234",
        document=SimpleUploadedFile("gcn-hkd.pdf", sample_pdf(title="Giấy chứng nhận")),
    )

    # 7. The citizen downloads the signed result; the signature is checked here.
    page.goto(base + reverse("portal:my_dossier", args=[dossier.code]))
    axe.check(page, "resolved")
    with page.expect_download() as download:
        page.click("#download-result")
    signed = Path(download.value.path()).read_bytes()
    report = signature_report(signed)
    assert report.signed and report.intact and report.valid and report.trusted
    dossier.refresh_from_db()
    assert dossier.state == DossierState.RETURNED and dossier.return_channel == "online"

    # 8. The citizen rates the service.
    page.goto(base + reverse("portal:my_dossier", args=[dossier.code]))
    submit(page, "a:has-text('Đánh giá mức độ hài lòng')")
    axe.check(page, "rating")
    page.check("input[name=overall][value=very_satisfied]")
    submit(page, "form.rating-form button[type=submit]")
    assert Rating.objects.get(dossier=dossier).overall == "very_satisfied"

    page.goto(base + reverse("portal:my_dossiers"))
    axe.check(page, "my-dossiers")
    page.goto(base + reverse("portal:document_store"))
    axe.check(page, "document-store")
    assert "gcn-hkd.pdf" in page.content() or "Giấy chứng nhận" in page.content()

    (artifacts_dir / "online-axe.json").write_text(json.dumps(axe.violations, indent=1))
    assert axe.violations == {}


def _answer(page: Any, field: Any) -> None:
    """Fill one declaration field with a plausible answer, by its kind."""
    selector = f"[name='{field.name}']"
    if field.kind == "checkbox":
        page.check(selector)
    elif field.kind == "select":
        page.select_option(selector, field.choices[0][0])
    elif field.kind == "radio":
        page.check(f"{selector}[value='{field.choices[0][0]}']")
    elif field.kind in {"integer", "number"}:
        page.fill(selector, f"{int(field.minimum or 1) * 50:,}".replace(",", "."))
    elif field.kind == "date":
        page.fill(selector, "2026-01-05")
    elif field.kind == "email":
        page.fill(selector, "lan.pham@example.vn")
    elif field.kind == "tel":
        page.fill(selector, "0905666777")
    else:
        page.fill(selector, "Hộ kinh doanh Cơm hến Bà Lan")


def test_the_accessibility_check_does_find_violations(chromium: Any, artifacts_dir: Any) -> None:
    """The control for the check above: an unlabeled input and an image without text fail."""
    page = chromium.new_page()
    page.set_content('<html lang="vi"><title>x</title><main><img src="a.png"><input></main>')
    axe = Accessibility(artifacts_dir)
    axe.check(page, "control")
    page.close()
    assert {v.split(" ")[0] for v in axe.violations["control"]} >= {"image-alt", "label"}
