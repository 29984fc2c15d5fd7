"""Officer sign-in through the pages: lockout, the code after the password, enrolment when it is
required, the security page, and the admin's sign-in going through all of it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from motcua.accounts import second_factor as totp
from motcua.accounts.models import SecondFactor
from motcua.accounts.officer_signin import second_factor_enrol
from motcua.audit.models import Event

pytestmark = pytest.mark.django_db

PASSWORD = "motcua2026"
LOGIN = reverse("backoffice:login")
CODE_PAGE = reverse("backoffice:login_second_factor")
ENROL = reverse("backoffice:second_factor_enrol")
SECURITY = reverse("backoffice:security")
WORKLIST = reverse("backoffice:worklist")
# In the middle of a 30-second step, so a code computed "now" stays current.
NOON = datetime(2026, 3, 2, 5, 0, 10, tzinfo=UTC)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def code_at(secret: str, moment: datetime) -> str:
    return totp.totp(totp.secret_key(secret), at=moment.timestamp())


def now() -> datetime:
    from django.utils import timezone

    return timezone.now()


def password_step(client: Any, username: str, password: str = PASSWORD, next_url: str = "") -> Any:
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def signed_in(client: Any) -> bool:
    return "_auth_user_id" in client.session


def enrol(user: Any) -> str:
    secret = totp.secret_new()
    second_factor_enrol(user=user, secret=secret, code=code_at(secret, now()))
    return secret


def secret_on(page: str) -> str:
    found = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)
    assert found, page
    return found.group(1).replace(" ", "")


class TestPassword:
    def test_an_officer_without_a_second_factor_signs_in_with_the_password(self, client, demo):
        response = password_step(client, "tiepnhan")
        assert response.status_code == 302 and response["Location"] == WORKLIST
        assert signed_in(client)

    def test_a_wrong_password_is_a_400_with_the_reason(self, client, demo):
        response = password_step(client, "tiepnhan", "sai-mat-khau")
        assert response.status_code == 400
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.content.decode()
        assert not signed_in(client)

    def test_too_many_wrong_passwords_lock_the_account_with_the_wait_left(
        self, client, demo, settings, clock
    ):
        for _attempt in range(settings.MOTCUA_OFFICER_LOGIN_FAILURES_PER_ACCOUNT):
            assert password_step(client, "tiepnhan", "sai").status_code == 400
        clock.shift(60)
        response = password_step(client, "tiepnhan")
        assert response.status_code == 429
        left = settings.MOTCUA_OFFICER_LOGIN_LOCKOUT_SECONDS - 60
        assert response["Retry-After"] == str(left)
        assert f"Vui lòng thử lại sau {left // 60} phút." in response.content.decode()
        assert not signed_in(client)
        assert Event.objects.filter(kind="account.login_locked").count() == 1

    def test_a_citizen_does_not_sign_in_at_the_back_office(self, client, demo):
        assert password_step(client, "congdan").status_code == 400
        assert not signed_in(client)


class TestSecondFactor:
    def test_an_enrolled_officer_is_asked_for_the_code_before_being_signed_in(
        self, client, demo, clock
    ):
        secret = enrol(demo.reception_officer)
        clock.shift(30)
        response = password_step(client, "tiepnhan", next_url="/backoffice/ho-so/")
        assert response["Location"] == CODE_PAGE
        assert not signed_in(client)
        # Half-way, the back office is still closed.
        assert client.get(WORKLIST)["Location"].startswith(LOGIN)
        assert client.get(CODE_PAGE).status_code == 200
        response = client.post(CODE_PAGE, {"code": code_at(secret, now())})
        assert response.status_code == 302 and response["Location"] == "/backoffice/ho-so/"
        assert signed_in(client)
        assert client.get(WORKLIST).status_code == 200

    def test_a_code_is_not_accepted_twice(self, client, demo, clock):
        secret = enrol(demo.reception_officer)
        clock.shift(30)
        code = code_at(secret, now())
        password_step(client, "tiepnhan")
        assert client.post(CODE_PAGE, {"code": code}).status_code == 302
        client.post(reverse("backoffice:logout"))
        password_step(client, "tiepnhan")
        replay = client.post(CODE_PAGE, {"code": code})
        assert replay.status_code == 400
        assert "đã được dùng" in replay.content.decode()
        assert not signed_in(client)

    def test_wrong_codes_lock_the_account(self, client, demo, settings, clock):
        secret = enrol(demo.reception_officer)
        clock.shift(30)
        password_step(client, "tiepnhan")
        for _attempt in range(settings.MOTCUA_OFFICER_LOGIN_FAILURES_PER_ACCOUNT):
            assert client.post(CODE_PAGE, {"code": "000000"}).status_code == 400
        response = client.post(CODE_PAGE, {"code": code_at(secret, now())})
        assert response.status_code == 429
        assert not signed_in(client)
        assert password_step(client, "tiepnhan").status_code == 429

    def test_the_half_finished_sign_in_expires(self, client, demo, clock):
        secret = enrol(demo.reception_officer)
        password_step(client, "tiepnhan")
        clock.shift(11 * 60)
        response = client.post(CODE_PAGE, {"code": code_at(secret, now())})
        assert response.status_code == 302 and response["Location"] == LOGIN
        assert not signed_in(client)

    def test_the_code_page_without_a_password_first_sends_to_the_login(self, client, demo):
        response = client.post(CODE_PAGE, {"code": "123456"})
        assert response["Location"] == LOGIN
        assert not signed_in(client)

    def test_a_recovery_code_signs_in_once(self, client, demo, clock):
        from motcua.accounts.officer_signin import second_factor_enrol as enrol_with_codes

        secret = totp.secret_new()
        codes = enrol_with_codes(
            user=demo.reception_officer, secret=secret, code=code_at(secret, now())
        )
        password_step(client, "tiepnhan")
        assert client.post(CODE_PAGE, {"code": codes[0]}).status_code == 302
        client.post(reverse("backoffice:logout"))
        password_step(client, "tiepnhan")
        assert client.post(CODE_PAGE, {"code": codes[0]}).status_code == 400


class TestRequiredEnrolment:
    def test_with_the_setting_an_officer_enrols_before_reaching_any_page(
        self, client, demo, settings, clock
    ):
        settings.MOTCUA_OFFICER_TOTP_REQUIRED = True
        response = password_step(client, "tiepnhan")
        assert response["Location"] == ENROL
        assert not signed_in(client)
        assert client.get(WORKLIST)["Location"].startswith(LOGIN)
        page = client.get(ENROL).content.decode()
        secret = secret_on(page)
        assert "<svg" in page
        # A wrong code enrols nothing and signs nobody in.
        wrong = code_at(secret, now() + timedelta(minutes=3))
        assert client.post(ENROL, {"code": wrong}).status_code == 400
        assert not SecondFactor.objects.exists() and not signed_in(client)
        # The same secret is shown until it is confirmed.
        assert secret_on(client.get(ENROL).content.decode()) == secret
        response = client.post(ENROL, {"code": code_at(secret, now())})
        assert response.status_code == 200
        codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", response.content.decode())
        assert len(codes) == 10
        assert signed_in(client)
        assert client.get(WORKLIST).status_code == 200
        # Never shown again.
        assert secret not in client.get(ENROL, follow=True).content.decode()
        assert secret not in client.get(SECURITY).content.decode()

    def test_the_admin_can_require_it_of_one_officer(self, client, demo):
        demo.reception_officer.__class__.objects.filter(username="tiepnhan").update(
            second_factor_required=True
        )
        assert password_step(client, "tiepnhan")["Location"] == ENROL
        assert password_step(client, "chuyenvien")["Location"] == WORKLIST


class TestSecurityPage:
    def test_an_officer_enrols_from_the_security_page(self, client, demo, clock):
        client.force_login(demo.land_specialist)
        assert "Chưa bật" in client.get(SECURITY).content.decode()
        secret = secret_on(client.get(ENROL).content.decode())
        response = client.post(ENROL, {"code": code_at(secret, now())})
        assert response.status_code == 200
        assert "Đang bật" in client.get(SECURITY).content.decode()
        assert SecondFactor.objects.get().user == demo.land_specialist

    def test_anonymous_visitors_and_accounts_without_a_role_are_refused(self, client, demo):
        for url in (SECURITY, ENROL):
            assert client.get(url)["Location"].startswith(LOGIN)
        client.force_login(demo.nobody())
        for url in (SECURITY, ENROL):
            assert client.get(url).status_code == 403
        assert not SecondFactor.objects.exists()


class TestAdminSignIn:
    def test_the_admin_login_page_sends_to_the_back_office_login(self, client, demo):
        response = client.get("/admin/login/?next=/admin/accounts/user/")
        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN}?next=/admin/accounts/user/"
        # Posting a password to it signs nobody in.
        client.post("/admin/login/", {"username": "quantri", "password": PASSWORD})
        assert not signed_in(client)
        assert client.get("/admin/", follow=True).redirect_chain[-1][0].startswith(LOGIN)

    def test_the_administrator_goes_through_the_lockout(self, client, demo, settings):
        for _attempt in range(settings.MOTCUA_OFFICER_LOGIN_FAILURES_PER_ACCOUNT):
            password_step(client, "quantri", "sai", next_url="/admin/")
        assert password_step(client, "quantri", next_url="/admin/").status_code == 429

    def test_the_administrator_enrols_too_when_it_is_required(self, client, demo, settings, clock):
        settings.MOTCUA_OFFICER_TOTP_REQUIRED = True
        assert password_step(client, "quantri", next_url="/admin/")["Location"] == ENROL
        assert client.get("/admin/", follow=True).redirect_chain[-1][0].startswith(LOGIN)
        secret = secret_on(client.get(ENROL).content.decode())
        page = client.post(ENROL, {"code": code_at(secret, now())}).content.decode()
        assert 'href="/admin/"' in page
        assert client.get("/admin/").status_code == 200

    def test_a_signed_in_officer_who_is_not_staff_is_refused_not_looped(self, client, demo):
        client.force_login(demo.reception_officer)
        assert client.get("/admin/login/?next=/admin/").status_code == 403

    def test_the_administrator_resets_an_officers_second_factor(self, client, demo, clock):
        enrol(demo.reception_officer)
        client.force_login(demo.person("quantri"))
        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {
                "action": "reset_second_factor",
                "_selected_action": [demo.reception_officer.pk],
            },
        )
        assert response.status_code == 302
        assert not SecondFactor.objects.exists()
        [event] = Event.objects.filter(kind="account.second_factor_reset")
        assert event.actor.username == "quantri"
        # With no app and none required, the password alone signs in again.
        client.logout()
        assert password_step(client, "tiepnhan")["Location"] == WORKLIST

    def test_the_administrator_requires_it_of_an_officer(self, client, demo):
        client.force_login(demo.person("quantri"))
        client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "require_second_factor", "_selected_action": [demo.land_specialist.pk]},
        )
        assert demo.person("chuyenvien").second_factor_required
        [event] = Event.objects.filter(kind="account.second_factor_required")
        assert event.data == {"required": True}
