from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from motcua.accounts.models import OneTimeCode
from motcua.accounts.services import RESEND_INTERVAL_SECONDS
from motcua.accounts.tests.helpers import (
    PASSWORD,
    citizen_create,
    citizen_verified_create,
    code_sent_to,
)
from motcua.dossiers.tests.helpers import CITIZEN, receive
from motcua.notifications.models import Message
from motcua.notifications.services import message_deliver

User = get_user_model()
LAND_FIRST_REGISTRATION = "1.013978"


def signup_form(contact: str, **changes: str) -> dict[str, str]:
    return {
        "full_name": "Võ Thị Thu Hà",
        "id_number": "046192006666",
        "contact": contact,
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        **changes,
    }


def signed_in(client: Any) -> Any:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def assert_accessible(page: str) -> None:
    """One h1; every visible input has a label; every error is tied to its input."""
    assert page.count("<h1") == 1
    for input_id in re.findall(r'<input type="(?!hidden)[^"]+" name="[^"]+" id="([^"]+)"', page):
        assert f'<label for="{input_id}">' in page
    for error_id in re.findall(r'class="errors"[^>]* id="([^"]+_error)"', page):
        assert re.search(rf'aria-describedby="[^"]*\b{error_id}\b', page)


@pytest.mark.django_db
class TestSignupPages:
    def test_it_signs_up_by_email_through_the_pages(self, client):
        form = client.get(reverse("portal:signup"))
        assert_accessible(form.content.decode())
        response = client.post(reverse("portal:signup"), signup_form("ha.vo@example.vn"))
        assert response.status_code == 302
        assert response["Location"] == reverse("portal:signup_confirm")
        assert signed_in(client) is None
        confirm = client.get(reverse("portal:signup_confirm")).content.decode()
        assert "ha***@example.vn" in confirm
        assert_accessible(confirm)
        done = client.post(
            reverse("portal:signup_confirm"), {"code": code_sent_to("ha.vo@example.vn")}
        )
        assert done["Location"] == reverse("portal:my_dossiers")
        user = signed_in(client)
        assert (user.email, user.full_name, user.is_citizen) == (
            "ha.vo@example.vn",
            "Võ Thị Thu Hà",
            True,
        )
        profile = client.get(reverse("portal:profile")).content.decode()
        assert "Võ Thị Thu Hà" in profile and "046192006666" in profile
        assert "Tự khai báo, chưa xác thực" in profile

    def test_it_signs_up_by_phone_with_the_code_from_the_delivered_sms(
        self, client, settings, tmp_path
    ):
        settings.MOTCUA_SMS_URL = ""
        settings.MOTCUA_SMS_DIR = tmp_path
        client.post(reverse("portal:signup"), signup_form("0905 123 456"))
        message_deliver(message_id=Message.objects.get(recipient="0905123456").pk)
        (sms,) = Path(tmp_path).iterdir()
        code = re.search(r"\b(\d{6})\b", sms.read_text(encoding="utf-8")).group(1)
        client.post(reverse("portal:signup_confirm"), {"code": code})
        assert signed_in(client).phone == "0905123456"

    def test_a_wrong_code_is_shown_at_the_code_field(self, client):
        client.post(reverse("portal:signup"), signup_form("ha.vo@example.vn"))
        code = code_sent_to("ha.vo@example.vn")
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        response = client.post(reverse("portal:signup_confirm"), {"code": wrong})
        page = response.content.decode()
        assert response.status_code == 400
        assert "Mã xác nhận không đúng. Bạn còn 4 lần thử." in page
        assert 'aria-describedby="id_code_error"' in page
        assert_accessible(page)
        assert signed_in(client) is None

    def test_an_expired_code_says_so(self, client, settings):
        client.post(reverse("portal:signup"), signup_form("ha.vo@example.vn"))
        code = code_sent_to("ha.vo@example.vn")
        later = timezone.now() + timedelta(seconds=settings.MOTCUA_OTP_TTL_SECONDS + 1)
        with time_machine.travel(later):
            response = client.post(reverse("portal:signup_confirm"), {"code": code})
        assert "Mã xác nhận đã hết hạn" in response.content.decode()

    def test_resending_at_once_is_refused_and_a_minute_later_works(self, client):
        client.post(reverse("portal:signup"), signup_form("ha.vo@example.vn"))
        response = client.post(reverse("portal:signup_resend"), follow=True)
        assert "Vui lòng chờ 60 giây" in response.content.decode()
        assert Message.objects.count() == 1
        later = timezone.now() + timedelta(seconds=RESEND_INTERVAL_SECONDS + 1)
        with time_machine.travel(later):
            response = client.post(reverse("portal:signup_resend"), follow=True)
            assert "Đã gửi mã xác nhận mới." in response.content.decode()
            code = code_sent_to("ha.vo@example.vn")
            client.post(reverse("portal:signup_confirm"), {"code": code})
        assert signed_in(client).email == "ha.vo@example.vn"

    def test_resending_is_a_post(self, client):
        assert client.get(reverse("portal:signup_resend")).status_code == 405

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"contact": "HA.VO@example.vn"}, "contact", "Địa chỉ thư điện tử này đã được dùng"),
            ({"contact": "+84905123456"}, "contact", "Số điện thoại này đã được dùng"),
            (
                {"contact": "khac@example.vn", "id_number": "046192006666"},
                "id_number",
                "Số định danh cá nhân này đã được dùng",
            ),
        ],
    )
    def test_it_refuses_what_another_account_uses(self, client, changes, field, message):
        citizen_create(contact="ha.vo@example.vn", id_number="046192006666")
        citizen_create(contact="0905123456", id_number="046099005555")
        counts = (User.objects.count(), OneTimeCode.objects.count(), Message.objects.count())
        fields = {"id_number": "046199007777", **changes}
        response = client.post(reverse("portal:signup"), signup_form(**fields))
        page = response.content.decode()
        assert response.status_code == 409
        assert message in page
        assert f'aria-describedby="id_{field}_error' in page
        after = (User.objects.count(), OneTimeCode.objects.count(), Message.objects.count())
        assert after == counts

    def test_it_refuses_an_invalid_id_number(self, client):
        response = client.post(
            reverse("portal:signup"), signup_form("ha.vo@example.vn", id_number="12345")
        )
        assert response.status_code == 400
        assert "Số định danh cá nhân gồm 12 chữ số" in response.content.decode()
        assert not OneTimeCode.objects.exists()

    def test_it_refuses_two_different_passwords(self, client):
        response = client.post(
            reverse("portal:signup"),
            signup_form("ha.vo@example.vn", password_confirm="khac-han-2026"),
        )
        assert "Hai mật khẩu đã nhập không giống nhau." in response.content.decode()
        assert not OneTimeCode.objects.exists()

    def test_the_confirmation_page_needs_a_sign_up_under_way(self, client):
        response = client.get(reverse("portal:signup_confirm"))
        assert response["Location"] == reverse("portal:signup")


@pytest.mark.django_db
class TestLoginPages:
    def test_it_signs_in_and_goes_where_the_citizen_was_going(self, client):
        citizen = citizen_create(contact="ha.vo@example.vn")
        page = client.get(reverse("portal:login"), {"next": "/tai-khoan/"}).content.decode()
        assert_accessible(page)
        response = client.post(
            reverse("portal:login"),
            {"identifier": "ha.vo@example.vn", "password": PASSWORD, "next": "/tai-khoan/"},
        )
        assert response["Location"] == "/tai-khoan/"
        assert signed_in(client) == citizen

    @pytest.mark.parametrize(
        "next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"]
    )
    def test_it_never_sends_the_citizen_to_another_site(self, client, next_url):
        citizen_create(contact="ha.vo@example.vn")
        response = client.post(
            reverse("portal:login"),
            {"identifier": "ha.vo@example.vn", "password": PASSWORD, "next": next_url},
        )
        assert response.status_code == 302
        assert "evil" not in response["Location"] and "javascript" not in response["Location"]

    def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(self, client):
        citizen_create(contact="ha.vo@example.vn")
        response = client.post(
            reverse("portal:login"), {"identifier": "ha.vo@example.vn", "password": "sai"}
        )
        assert response.status_code == 400
        assert "Thông tin đăng nhập hoặc mật khẩu không đúng." in response.content.decode()

    def test_it_signs_in_with_a_code_instead_of_the_password(self, client):
        citizen = citizen_create(contact="0905123456")
        later = timezone.now() + timedelta(seconds=RESEND_INTERVAL_SECONDS + 1)
        with time_machine.travel(later):
            client.post(reverse("portal:login_code"), {"contact": "0905123456"})
            page = client.get(reverse("portal:login_code_confirm")).content.decode()
            assert "090****456" in page
            client.post(reverse("portal:login_code_confirm"), {"code": code_sent_to("0905123456")})
        assert signed_in(client) == citizen

    def test_sign_out_is_a_post(self, client):
        client.force_login(citizen_create())
        assert client.get(reverse("portal:logout")).status_code == 405
        response = client.post(reverse("portal:logout"))
        assert response["Location"] == reverse("portal:home")
        assert signed_in(client) is None


@pytest.mark.django_db
class TestProfilePage:
    def test_it_sends_visitors_to_the_citizen_sign_in(self, client):
        response = client.get(reverse("portal:profile"))
        assert response["Location"] == f"{reverse('portal:login')}?next=/tai-khoan/"

    def test_it_shows_a_verified_id_number(self, client):
        client.force_login(citizen_verified_create())
        page = client.get(reverse("portal:profile")).content.decode()
        assert "046190001234" in page and "Đã xác thực" in page
        assert_accessible(page)

    def test_it_changes_the_phone_once_confirmed(self, client):
        citizen = citizen_create(contact="ha.vo@example.vn")
        client.force_login(citizen)
        response = client.post(reverse("portal:profile"), {"contact": "0905123456"})
        assert response["Location"] == reverse("portal:contact_confirm")
        client.post(reverse("portal:contact_confirm"), {"code": code_sent_to("0905123456")})
        citizen.refresh_from_db()
        assert citizen.phone == "0905123456"

    def test_officers_are_refused(self, client, demo):
        client.force_login(demo.reception_officer)
        response = client.get(reverse("portal:profile"))
        assert response.status_code == 403


@pytest.mark.django_db
class TestCitizensStayOutOfTheBackOffice:
    @pytest.fixture
    def dossier(self, demo):
        return receive(demo.reception_officer, LAND_FIRST_REGISTRATION)

    def test_a_citizen_has_no_unit(self, demo):
        assert not citizen_create().memberships.exists()

    def test_a_citizen_is_refused_on_every_back_office_page(self, client, dossier):
        # Even the applicant of the dossier, with a verified ID number.
        citizen = citizen_verified_create(id_number=CITIZEN.id_number)
        client.force_login(citizen)
        for url in (
            reverse("backoffice:home"),
            reverse("backoffice:worklist"),
            reverse("backoffice:dossiers"),
            reverse("backoffice:intake_select"),
            reverse("backoffice:dossier", args=[dossier.code]),
            reverse("backoffice:receipt", args=[dossier.code]),
        ):
            response = client.get(url)
            assert response.status_code == 403, url
            assert CITIZEN.address not in response.content.decode()

    def test_a_citizen_is_refused_by_the_admin(self, client):
        client.force_login(citizen_create())
        response = client.get("/admin/")
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")

    def test_visitors_of_the_back_office_go_to_the_officer_sign_in(self, client):
        # Guards the LOGIN_URL change: officers keep /backoffice/dang-nhap/.
        response = client.get(reverse("backoffice:worklist"))
        assert response["Location"].startswith(reverse("backoffice:login"))
