"""The citizen's payment pages and the officers' ones: what they show, and to whom."""

from __future__ import annotations

from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from pypdf import PdfReader

from motcua.dossiers.tests.helpers import receive
from motcua.payments.models import Payment, PaymentStatus, ReconciliationReport, Refund
from motcua.payments.services import payment_notify, payment_start
from motcua.payments.tests.conftest import BUSINESS_REGISTRATION, online
from motcua.payments.tests.helpers import gateway_params

pytestmark = pytest.mark.django_db


def paid(citizen: Any, dossier: Any, key: str = "k") -> Payment:
    payment, _url = payment_start(user=citizen, dossier=dossier, purpose="fee", idempotency_key=key)
    payment_notify(gateway_params(payment))
    payment.refresh_from_db()
    return payment


def portal_urls(payment: Payment) -> dict[str, str]:
    code = payment.dossier.code
    return {
        "payment": reverse("portal:payment", args=[code]),
        "receipt": reverse("portal:payment_receipt", args=[code, payment.txn_ref]),
        "return": reverse("portal:payment_return") + f"?vnp_TxnRef={payment.txn_ref}",
    }


def backoffice_urls(payment: Payment) -> dict[str, str]:
    return {
        "payment": reverse("backoffice:payment", args=[payment.txn_ref]),
        "payment_receipt": reverse("backoffice:payment_receipt", args=[payment.txn_ref]),
        "payment_refund": reverse("backoffice:payment_refund", args=[payment.txn_ref]),
    }


class TestCitizenPages:
    def test_it_lists_the_dues_with_their_amounts_and_a_button_to_pay(
        self, client, citizen, fee_dossier
    ):
        client.force_login(citizen)
        page = client.get(reverse("portal:payment", args=[fee_dossier.code])).content.decode()
        assert "Lệ phí đăng ký hộ kinh doanh" in page
        assert "100.000 đồng" in page
        assert "Thanh toán trực tuyến" in page
        assert 'name="idempotency_key"' in page and "csrfmiddlewaretoken" in page
        assert '<html lang="vi">' in page

    def test_paying_goes_to_the_gateway_once_whatever_the_clicks(
        self, client, citizen, fee_dossier, settings
    ):
        client.force_login(citizen)
        url = reverse("portal:payment", args=[fee_dossier.code])
        form = {"purpose": "fee", "idempotency_key": "abc-fee"}
        first = client.post(url, form)
        second = client.post(url, form)
        assert first.status_code == second.status_code == 302
        assert first["Location"] == second["Location"]
        page = client.get(url).content.decode()
        assert "đang chờ xác nhận từ cổng thanh toán" in page
        target = urlsplit(first["Location"])
        assert f"{target.scheme}://{target.netloc}" == settings.MOTCUA_PAYMENT_GATEWAY_URL
        assert target.path == "/paymentv2/vpcpay.html"
        assert "vnp_SecureHash=" in target.query and "vnp_Amount=10000000" in target.query
        assert Payment.objects.count() == 1

    def test_there_is_nothing_to_pay_for_a_settled_due(self, client, citizen, fee_dossier):
        paid(citizen, fee_dossier)
        client.force_login(citizen)
        url = reverse("portal:payment", args=[fee_dossier.code])
        page = client.get(url).content.decode()
        assert "Đã thanh toán" in page and "Tải biên lai điện tử" in page
        response = client.post(url, {"purpose": "fee", "idempotency_key": "again"})
        assert response.status_code == 409
        assert Payment.objects.count() == 1

    def test_the_return_page_says_paid_or_waiting_for_the_gateway(
        self, client, citizen, fee_dossier
    ):
        client.force_login(citizen)
        payment, _url = payment_start(
            user=citizen, dossier=fee_dossier, purpose="fee", idempotency_key="k"
        )
        url = reverse("portal:payment_return")
        waiting = client.get(url, gateway_params(payment))
        assert waiting.status_code == 200
        assert "Đang chờ xác nhận từ cổng thanh toán" in waiting.content.decode()
        payment_notify(gateway_params(payment))
        done = client.get(url, gateway_params(payment)).content.decode()
        assert "Đã thanh toán" in done
        assert reverse("portal:payment_receipt", args=[fee_dossier.code, payment.txn_ref]) in done
        forged = {**gateway_params(payment), "vnp_SecureHash": "00"}
        refused = client.get(url, forged)
        assert refused.status_code == 400 and "sai chữ ký" in refused.content.decode()

    def test_the_receipt_is_a_vietnamese_pdf_with_the_amount_in_words(
        self, client, citizen, fee_dossier
    ):
        payment = paid(citizen, fee_dossier)
        client.force_login(citizen)
        response = client.get(portal_urls(payment)["receipt"])
        assert response["Content-Type"] == "application/pdf"
        reader = PdfReader(BytesIO(response.content))
        assert len(reader.pages) == 1
        text = " ".join(reader.pages[0].extract_text().split())
        for expected in (
            "BIÊN LAI THU PHÍ, LỆ PHÍ",
            payment.receipt_number,
            fee_dossier.code,
            "Lệ phí đăng ký hộ kinh doanh",
            "100.000 đ",
            "Một trăm nghìn đồng",
            payment.txn_ref,
            "Trung tâm Phục vụ hành chính công phường Thuận Hóa".upper(),
        ):
            assert expected in text, expected
        fonts = {
            font.get_object()["/BaseFont"].split("+")[-1].replace("-", "")
            for font in reader.pages[0]["/Resources"]["/Font"].values()
        }
        assert fonts and all(name.startswith("LiberationSerif") for name in fonts), fonts

    def test_another_citizen_finds_none_of_it(self, client, citizen, other_citizen, fee_dossier):
        payment = paid(citizen, fee_dossier)
        client.force_login(other_citizen)
        for name, url in portal_urls(payment).items():
            assert client.get(url).status_code == 404, name
        response = client.post(
            portal_urls(payment)["payment"], {"purpose": "fee", "idempotency_key": "x"}
        )
        assert response.status_code == 404
        assert Payment.objects.count() == 1

    def test_a_visitor_is_asked_to_sign_in_and_an_officer_is_refused(
        self, client, demo, citizen, fee_dossier
    ):
        payment = paid(citizen, fee_dossier)
        for name, url in portal_urls(payment).items():
            response = client.get(url)
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("portal:login"))
        client.force_login(demo.ward_officer)
        for name, url in portal_urls(payment).items():
            assert client.get(url).status_code == 403, name


class TestOfficerPages:
    def test_the_desk_lists_its_payments_by_day_and_status(
        self, client, demo, citizen, fee_dossier, django_assert_max_num_queries
    ):
        payment = paid(citizen, fee_dossier)
        client.force_login(demo.ward_officer)
        url = reverse("backoffice:payments")
        day = payment.created_at.date().isoformat()
        with django_assert_max_num_queries(12):
            page = client.get(url, {"day": day, "status": "paid"}).content.decode()
        assert payment.txn_ref in page and fee_dossier.code in page
        assert payment.txn_ref not in client.get(url, {"status": "failed"}).content.decode()
        assert payment.txn_ref not in client.get(url, {"day": "2000-01-01"}).content.decode()
        assert client.get(url, {"status": "nonsense"}).status_code == 400

    def test_the_detail_shows_what_the_gateway_sent_and_records_a_refund(
        self, client, demo, citizen, fee_dossier
    ):
        payment = paid(citizen, fee_dossier)
        client.force_login(demo.ward_officer)
        urls = backoffice_urls(payment)
        page = client.get(urls["payment"]).content.decode()
        assert "Ghi nhận hoàn tiền" in page and "Hợp lệ" in page
        too_much = client.post(urls["payment_refund"], {"amount": 100_001, "reason": "x"})
        assert too_much.status_code == 400 and "vượt quá" in too_much.content.decode()
        done = client.post(urls["payment_refund"], {"amount": 20_000, "reason": "Miễn giảm"})
        assert done.status_code == 302
        assert Refund.objects.get().amount == 20_000
        receipt = client.get(urls["payment_receipt"])
        assert receipt["Content-Type"] == "application/pdf"

    def test_an_officer_of_another_ward_sees_nothing(self, client, demo, citizen, fee_dossier):
        payment = paid(citizen, fee_dossier)
        client.force_login(demo.outsider)
        assert payment.txn_ref not in client.get(reverse("backoffice:payments")).content.decode()
        for name, url in backoffice_urls(payment).items():
            response = (
                client.post(url, {"amount": 1, "reason": "x"})
                if name == "payment_refund"
                else client.get(url)
            )
            assert response.status_code == 404, name
        assert not Refund.objects.exists()

    def test_an_officer_who_sees_the_dossier_but_does_not_hold_the_money_cannot_refund(
        self, client, demo, citizen, obligation_dossier
    ):
        payment, _url = payment_start(
            user=citizen, dossier=obligation_dossier, purpose="fee", idempotency_key="k"
        )
        payment_notify(gateway_params(payment))
        client.force_login(demo.land_specialist)
        urls = backoffice_urls(payment)
        assert "Ghi nhận hoàn tiền" not in client.get(urls["payment"]).content.decode()
        response = client.post(urls["payment_refund"], {"amount": 1, "reason": "x"})
        assert response.status_code == 403
        assert not Refund.objects.exists()

    def test_accounts_without_a_role_and_visitors_are_refused(
        self, client, demo, citizen, fee_dossier
    ):
        payment = paid(citizen, fee_dossier)
        urls = [
            *backoffice_urls(payment).values(),
            reverse("backoffice:payments"),
            reverse("backoffice:payment_reconciliation"),
        ]
        for url in urls:
            assert client.get(url).status_code == 302, url
        client.force_login(demo.nobody())
        for url in urls:
            assert client.get(url).status_code == 403, url

    def test_the_centers_leader_runs_and_reads_the_reconciliation(self, client, demo, gateway):
        url = reverse("backoffice:payment_reconciliation")
        for officer in (demo.outsider, demo.ward_officer, demo.reception_officer):
            client.force_login(officer)
            assert client.get(url).status_code == 403
            assert client.post(url, {"day": "2027-03-10"}).status_code == 403
        client.force_login(demo.center_leader)
        assert "Chưa đối soát ngày này" in client.get(url, {"day": "2027-03-10"}).content.decode()
        response = client.post(url, {"day": "2027-03-10"})
        assert response.status_code == 302
        assert ReconciliationReport.objects.get().day.isoformat() == "2027-03-10"
        assert "Không có chênh lệch" in client.get(response["Location"]).content.decode()

    def test_the_reconciliation_says_so_when_the_gateway_cannot_be_reached(self, client, demo):
        client.force_login(demo.center_leader)
        response = client.post(reverse("backoffice:payment_reconciliation"), {"day": "2027-03-10"})
        assert response.status_code == 400
        assert "Không lấy được bảng kê" in response.content.decode()


def test_a_payment_list_page_of_many_payments_stays_within_its_query_budget(
    client, demo, citizen, django_assert_max_num_queries
):
    for index in range(12):
        dossier = online(receive(demo.ward_officer, BUSINESS_REGISTRATION), citizen)
        payment, _url = payment_start(
            user=citizen, dossier=dossier, purpose="fee", idempotency_key=f"k{index}"
        )
        if index % 2:
            payment_notify(gateway_params(payment))
    client.force_login(demo.ward_officer)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("backoffice:payments")).content.decode()
    assert page.count('<a class="code" href="/backoffice/thanh-toan/') == 12
    assert Payment.objects.filter(status=PaymentStatus.PAID).count() == 6
