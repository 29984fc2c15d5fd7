"""The land journey of dossiers/tests/test_journey.py, driven through the back office in headless
Chromium: one persona per role logs in in turn, on frozen time across Tết 2027.

Tết 2027: Thu 4 – Wed 10 February are days off. The transfer (1.013831) takes 8 working days from
the day after reception, and the time waiting for the financial obligation is excluded: due
18/02 17:00 at reception, 22/02 16:00 once paid on 12/02. At the end the delivery sweep sends the
applicant's messages to a real SMTP server and to the fake SMS gateway over HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader

from motcua.core.testing import sample_pdf
from motcua.dossiers.models import Dossier, DossierState, Handover, Timeliness
from motcua.notifications.fake_sms_gateway import FakeSmsGateway
from motcua.notifications.models import DeliveryStatus, Message
from motcua.notifications.services import messages_deliver_due
from motcua.notifications.tests.conftest import MailRecorder, free_port, smtp_mailers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VN = timedelta(hours=7)
# A real PDF: results are signed, so they must parse.
PDF = sample_pdf()
PHONE, EMAIL = "0912345678", "nhung@example.vn"
MILESTONES = [
    "dossier.received",
    "dossier.payment_requested",
    "dossier.payment_received",
    "dossier.resolved",
    "dossier.returned",
]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC) - VN


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[MailRecorder]:
    recorder = MailRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.MAILERS = smtp_mailers(port=controller.port)
    settings.DEFAULT_FROM_EMAIL = "motcua@hue.gov.vn"
    yield recorder
    controller.stop()


@pytest.fixture
def sms_gateway(settings: Any) -> Iterator[FakeSmsGateway]:
    with FakeSmsGateway(api_key="test-key") as gateway:
        settings.MOTCUA_SMS_URL = gateway.url
        settings.MOTCUA_SMS_API_KEY = "test-key"
        settings.MOTCUA_SMS_BRANDNAME = "MOTCUA-HUE"
        yield gateway


@pytest.fixture
def queued_only(settings: Any) -> None:
    # The worker is not running: messages stay in the outbox until the sweep at the end.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def submit(page: Any, selector: str) -> None:
    """Click and wait for the page the form leads to."""
    with page.expect_navigation():
        page.click(selector)


@dataclass
class Center:
    chromium: Any
    base_url: str
    artifacts: Path
    time: Any

    @contextmanager
    def desk_of(self, username: str, *when: int) -> Iterator[Any]:
        """At local time `when`, `username` logs in on a fresh browser and lands on the worklist."""
        self.time.move_to(local(*when), tick=False)
        context = self.chromium.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{self.base_url}/backoffice/dang-nhap/")
        page.fill("#id_username", username)
        page.fill("#id_password", "motcua2026")
        submit(page, "main button[type=submit]")
        assert page.url.endswith("/backoffice/viec-cua-toi/")
        try:
            yield page
        finally:
            context.close()

    def open_dossier(self, page: Any, code: str, *, tab: str, shot: str = "") -> None:
        """From the worklist tab where the step waits, to the dossier page."""
        with page.expect_navigation():
            page.get_by_role("link", name=re.compile(tab)).click()
        assert code in page.inner_text("table.worklist")
        if shot:
            self.shot(page, shot)
        submit(page, f"table.worklist a:text-is('{code}')")

    def act(self, page: Any, action: str, fill: dict[str, str] | None = None) -> None:
        """Open an action of the dossier page, fill its form and send it."""
        submit(page, f".dossier-actions a:text-is('{action}')")
        for selector, value in (fill or {}).items():
            page.fill(selector, value)
        submit(page, "form.action-form button[type=submit]")

    def shot(self, page: Any, name: str) -> None:
        page.screenshot(path=str(self.artifacts / f"land-journey-{name}.png"), full_page=True)


def clock(page: Any) -> dict[str, str]:
    return {
        name: page.inner_text(f"#clock-{name}")
        for name in ("original", "current", "rescheduled", "status")
    }


def slip_results(pdf: bytes) -> list[str]:
    """The timeliness of each row of the control slip, "" for a re-assignment."""
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    text = " ".join(text.split())
    rows = re.findall(r"\d{2}:\d{2} ngày \d{2}/\d{2}/\d{4}( Trước hạn| Đúng hạn| Quá hạn)?", text)
    return [row.strip() for row in rows]


def test_the_land_transfer_goes_through_every_agency_in_the_browser(
    live_server,
    browser_demo,
    chromium,
    artifacts_dir,
    time_machine,
    smtp_server,
    sms_gateway,
    queued_only,
):
    center = Center(chromium, live_server.url, artifacts_dir, time_machine)

    # Mon 1 Feb 09:00: the desk receives the dossier through the intake form.
    with center.desk_of("tiepnhan", 2027, 2, 1, 9, 0) as page:
        page.get_by_role("link", name="Tiếp nhận", exact=True).click()
        page.fill("#q", "dang ky bien dong")
        with page.expect_navigation():
            page.press("#q", "Enter")
        submit(page, "tr:has-text('1.013831') a.button")
        page.fill("#id_applicant_name", "Nguyễn Thị Hồng Nhung")
        page.fill("#id_applicant_id_number", "046190001234")
        page.fill("#id_applicant_address", "12 Lê Lợi, phường Thuận Hóa")
        page.fill("#id_applicant_phone", PHONE)
        page.fill("#id_applicant_email", EMAIL)
        for checkbox in page.locator("table.components input[type=checkbox]").all():
            checkbox.check()
        submit(page, "button[value=accept]")
        code = page.inner_text("h1 .code")
        assert clock(page)["original"] == "17:00 18/02/2027"
        assert clock(page)["current"] == "17:00 18/02/2027"
        assert clock(page)["status"] == "Trong hạn"
        center.shot(page, "1-received")

    # 10:00: the head of the registration department gives the examination to the specialist.
    with center.desk_of("truongphong", 2027, 2, 1, 10, 0) as page:
        center.open_dossier(page, code, tab="Của đơn vị tôi", shot="worklist-head")
        center.shot(page, "2-head-dossier")
        submit(page, ".dossier-actions a:text-is('Phân công thụ lý')")
        page.select_option("#id_assignee", label="Nguyễn Văn Bình")
        submit(page, "form.action-form button[type=submit]")
        assert "cho Nguyễn Văn Bình" in page.inner_text(".messages")

    # Tue 2 Feb 14:00: the specialist finds it on their worklist and sends it to the tax office.
    with center.desk_of("chuyenvien", 2027, 2, 2, 14, 0) as page:
        row = page.locator("table.worklist tr", has_text=code)
        assert "Trong hạn" in row.inner_text()
        center.shot(page, "worklist-specialist")
        submit(page, f"table.worklist a:text-is('{code}')")
        center.act(page, "Hoàn thành bước, chuyển tiếp", {"#id_note": "Hồ sơ hợp lệ."})
        assert "Thuế cơ sở 1 thành phố Huế" in page.inner_text(".messages")

    # Wed 3 Feb 10:00: the tax officer issues the payment notice; the clock stops.
    with center.desk_of("canbothue", 2027, 2, 3, 10, 0) as page:
        center.open_dossier(page, code, tab="Của đơn vị tôi", shot="worklist-tax")
        submit(page, ".dossier-actions a:text-is('Ra thông báo nộp tiền')")
        assert page.input_value("#id_line_name_0").startswith("Thuế thu nhập cá nhân")
        assert page.input_value("#id_line_name_1") == "Lệ phí trước bạ nhà, đất"
        page.fill("#id_line_amount_0", "30.000.000")
        page.fill("#id_line_amount_1", "7.500.000")
        center.shot(page, "form-payment-notice")
        submit(page, "form.action-form button[type=submit]")
        assert page.inner_text("#state") == "Chờ thực hiện nghĩa vụ tài chính"
        assert clock(page)["status"] == "Tạm dừng tính thời gian"
        assert "Tổng cộng\t37.500.000 đ" in page.inner_text(".payment")
        notice = page.request.get(
            f"{live_server.url}/backoffice/ho-so/{code}/thong-bao-nop-tien.pdf"
        )
        assert notice.headers["content-type"] == "application/pdf"
        center.shot(page, "3-payment-notice")

    # Fri 12 Feb 09:00, after Tết: the applicant pays at the desk; the clock runs again.
    with center.desk_of("tiepnhan", 2027, 2, 12, 9, 0) as page:
        page.goto(f"{live_server.url}/backoffice/ho-so/?q={code}")
        submit(page, f"a.code:text-is('{code}')")
        center.act(page, "Ghi nhận đã nộp tiền", {"#id_receipt_number": "BL-0001"})
        assert clock(page) == {
            "original": "17:00 18/02/2027",
            "current": "16:00 22/02/2027",
            "rescheduled": "—",
            "status": "Trong hạn",
        }
        assert page.inner_text(".appointment") == "16:00 22/02/2027"
        center.shot(page, "4-paid")

    # Mon 15 Feb 09:00: the specialist finishes the draft and sends it to the director.
    with center.desk_of("chuyenvien", 2027, 2, 15, 9, 0) as page:
        center.open_dossier(page, code, tab="Của đơn vị tôi")
        center.act(page, "Hoàn thành bước, chuyển tiếp")

    # Tue 16 Feb 10:00: the director signs, an hour after the signing step was due.
    with center.desk_of("lanhdao", 2027, 2, 16, 10, 0) as page:
        with page.expect_navigation():
            page.get_by_role("link", name=re.compile("Chờ tôi ký")).click()
        row = page.locator("table.worklist tr", has_text=code)
        assert "Quá hạn" in row.inner_text() and "quá 1 giờ" in row.inner_text()
        center.shot(page, "worklist-director")
        submit(page, f"table.worklist a:text-is('{code}')")
        center.act(page, "Hoàn thành bước, chuyển tiếp")

    # 15:00: the specialist issues the result with the signed certificate.
    with center.desk_of("chuyenvien", 2027, 2, 16, 15, 0) as page:
        page.goto(f"{live_server.url}/backoffice/ho-so/{code}/")
        submit(page, ".dossier-actions a:text-is('Ban hành kết quả')")
        page.fill("#id_result_number", "CS 123456")
        page.set_input_files(
            "#id_document",
            files=[{"name": "ket-qua.pdf", "mimeType": "application/pdf", "buffer": PDF}],
        )
        submit(page, "form.action-form button[type=submit]")
        assert page.inner_text("#state") == "Đã giải quyết"
        assert clock(page)["status"] == "Trước hạn"
        center.shot(page, "5-resolved")

    # Wed 17 Feb 09:00: the applicant collects the result at the desk.
    with center.desk_of("tiepnhan", 2027, 2, 17, 9, 0) as page:
        center.open_dossier(page, code, tab="Của đơn vị tôi")
        submit(page, ".dossier-actions a:text-is('Trả kết quả')")
        assert page.is_checked("input[name=channel][value=desk]")
        # Without the recipient's identity the page says what is missing, and keeps the choice.
        submit(page, "form.action-form button[type=submit]")
        assert "Cần ghi họ tên người nhận kết quả." in page.inner_text("[role=alert]")
        center.shot(page, "form-return-refused")
        page.fill("#id_recipient_name", "Nguyễn Thị Hồng Nhung")
        page.fill("#id_recipient_id_number", "046190001234")
        submit(page, "form.action-form button[type=submit]")
        assert page.inner_text("#state") == "Đã trả kết quả"
        slip = page.request.get(f"{live_server.url}/backoffice/ho-so/{code}/phieu-kiem-soat.pdf")
        assert slip.headers["content-type"] == "application/pdf"
        slip_pdf = slip.body()
        (artifacts_dir / "land-journey-control-slip-06.pdf").write_bytes(slip_pdf)

    dossier = Dossier.objects.get(code=code)
    assert dossier.state == DossierState.RETURNED
    assert dossier.original_due_at == local(2027, 2, 18, 17, 0)
    assert dossier.due_at == local(2027, 2, 22, 16, 0)
    assert dossier.resolved_at == local(2027, 2, 16, 15, 0)
    assert dossier.timeliness == Timeliness.EARLY
    assert dossier.recipient_id_number == "046190001234"
    assert not dossier.steps.filter(finished_at__isnull=True).exists()
    assert dossier.result_document is not None
    # The control slip: reception on time, the assignment not judged, examination and tax early,
    # the draft on time, the signature an hour late, the issue early (as in test_journey.py).
    assert [h.timeliness for h in Handover.objects.filter(dossier=dossier)] == [
        "on_time", "", "early", "early", "on_time", "late", "early",
    ]  # fmt: skip
    assert slip_results(slip_pdf) == [
        "Đúng hạn", "", "Trước hạn", "Trước hạn", "Đúng hạn", "Quá hạn", "Trước hạn",
    ]  # fmt: skip

    # The worker was not running: the sweep delivers every milestone's SMS and email.
    time_machine.move_to(local(2027, 2, 17, 9, 5), tick=False)
    assert messages_deliver_due() == 2 * len(MILESTONES)
    sent = Message.objects.filter(target_id=code).order_by("pk")
    assert {m.status for m in sent} == {DeliveryStatus.SENT}
    assert [m.topic for m in sent if m.channel == "sms"] == MILESTONES
    assert [m.topic for m in sent if m.channel == "email"] == MILESTONES
    assert [s["to"] for s in sms_gateway.accepted] == [PHONE] * len(MILESTONES)
    assert all(code in s["text"] for s in sms_gateway.accepted)
    assert [m["To"] for m in smtp_server.received] == [EMAIL] * len(MILESTONES)
    assert [m["Subject"] for m in smtp_server.received] == [
        m.subject for m in sent if m.channel == "email"
    ]
    assert all(code in str(m["Subject"]) for m in smtp_server.received)

    with center.desk_of("tiepnhan", 2027, 2, 17, 9, 10) as page:
        page.goto(f"{live_server.url}/backoffice/ho-so/{code}/")
        outbox = page.locator("table.outbox tbody tr")
        assert outbox.count() == 2 * len(MILESTONES)
        for status in outbox.locator("td:nth-child(4)").all_inner_texts():
            assert status == "Đã gửi"
        assert clock(page)["original"] == "17:00 18/02/2027"
        assert clock(page)["current"] == "16:00 22/02/2027"
        center.shot(page, "6-returned")
