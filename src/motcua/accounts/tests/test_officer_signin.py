"""Officer sign-in: lockout after wrong passwords or codes, the second factor's enrolment, code
checks without replay, recovery codes, and the administrator's reset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher

from motcua.accounts import second_factor as totp
from motcua.accounts.models import RecoveryCode, SecondFactor
from motcua.accounts.officer_signin import (
    lockout_remaining,
    officer_code_check,
    officer_password_check,
    second_factor_enrol,
    second_factor_require,
    second_factor_reset,
)
from motcua.accounts.selectors import second_factor_status
from motcua.accounts.tests.helpers import citizen_create
from motcua.audit.models import Event
from motcua.core.errors import Conflict, Throttled, ValidationFailed

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "mat-khau-can-bo-2026"
# A fixed instant in the middle of a 30-second step, so codes computed "now" stay current.
NOON = datetime(2026, 3, 2, 5, 0, 10, tzinfo=UTC)


@pytest.fixture
def officer() -> Any:
    return User.objects.create_user(username="canbo", full_name="Cán Bộ", password=PASSWORD)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def code_at(secret: str, moment: datetime) -> str:
    return totp.totp(totp.secret_key(secret), at=moment.timestamp())


def sign_in(username: str, password: str = PASSWORD, client: str = "10.0.0.1") -> Any:
    return officer_password_check(username=username, password=password, client=client)


def enrolled(user: Any) -> tuple[str, list[str]]:
    """Enrol `user` at the current time; the secret and the recovery codes."""
    from django.utils import timezone

    secret = totp.secret_new()
    codes = second_factor_enrol(user=user, secret=secret, code=code_at(secret, timezone.now()))
    return secret, codes


class TestPassword:
    def test_it_signs_an_officer_in_with_the_right_password(self, officer):
        assert sign_in("canbo") == officer

    @pytest.mark.parametrize(("username", "password"), [("canbo", "sai"), ("khongco", PASSWORD)])
    def test_it_answers_a_wrong_password_and_an_unknown_account_the_same_way(
        self, officer, username, password
    ):
        with pytest.raises(ValidationFailed) as refusal:
            sign_in(username, password)
        assert refusal.value.message == "Tên đăng nhập hoặc mật khẩu không đúng."

    def test_it_hashes_once_whether_the_account_exists_or_not(self, officer, settings):
        # The time a refusal takes is the hasher's: one run for a wrong password, one for an
        # account that does not exist.
        settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
        officer.set_password(PASSWORD)
        officer.save()
        for username in ("canbo", "khongco"):
            CountingHasher.runs = 0
            with pytest.raises(ValidationFailed):
                sign_in(username, "sai-mat-khau")
            assert CountingHasher.runs == 1, username

    def test_citizens_and_system_clients_do_not_sign_in_here(self, officer):
        citizen = citizen_create(password=PASSWORD)
        system = User.objects.create_user(username="hethong", password=PASSWORD, is_system=True)
        for user in (citizen, system):
            with pytest.raises(ValidationFailed):
                sign_in(user.username)


class CountingHasher(MD5PasswordHasher):
    runs = 0

    def encode(self, password: str, salt: str) -> str:
        type(self).runs += 1
        return super().encode(password, salt)


class TestLockout:
    def fail(self, username: str, times: int, client: str = "10.0.0.1") -> None:
        for _attempt in range(times):
            with pytest.raises(ValidationFailed):
                sign_in(username, "sai", client=client)

    def test_it_locks_the_account_after_too_many_wrong_passwords_even_for_the_right_one(
        self, officer, settings, clock
    ):
        limit = settings.MOTCUA_OFFICER_LOGIN_FAILURES_PER_ACCOUNT
        self.fail("canbo", limit - 1)
        assert sign_in("canbo") == officer
        self.fail("canbo", 1)
        # From another address, with the right password: refused, with the time left.
        with pytest.raises(Throttled) as refusal:
            sign_in("canbo", client="10.9.9.9")
        period = settings.MOTCUA_OFFICER_LOGIN_LOCKOUT_SECONDS
        assert refusal.value.status == 429
        assert refusal.value.extra["retry_after"] == period
        assert f"thử lại sau {period // 60} phút" in str(refusal.value.message)

    def test_the_lock_ends_when_the_period_has_passed_and_says_how_long_is_left(
        self, officer, settings, clock
    ):
        period = settings.MOTCUA_OFFICER_LOGIN_LOCKOUT_SECONDS
        self.fail("canbo", settings.MOTCUA_OFFICER_LOGIN_FAILURES_PER_ACCOUNT)
        clock.shift(period - 61)
        with pytest.raises(Throttled) as refusal:
            sign_in("canbo")
        assert refusal.value.extra["retry_after"] == 61
        assert "thử lại sau 2 phút" in str(refusal.value.message)
        clock.shift(61)
        assert lockout_remaining(username="canbo", client="10.0.0.1") == 0
        assert sign_in("canbo") == officer

    def test_changing_the_case_of_the_username_buys_no_extra_guesses(self, officer, settings):
        for username in ("canbo", "CanBo", "CANBO", "canBO", "Canbo"):
            with pytest.raises(ValidationFailed):
                sign_in(username, "sai")
        with pytest.raises(Throttled):
            sign_in("canbo")

    def test_it_locks_a_client_address_that_tries_many_accounts(self, officer, settings):
        limit = settings.MOTCUA_OFFICER_LOGIN_FAILURES_PER_CLIENT
        for attempt in range(limit):
            with pytest.raises(ValidationFailed):
                sign_in(f"khongco{attempt}", "sai", client="203.0.113.7")
        with pytest.raises(Throttled):
            sign_in("canbo", client="203.0.113.7")
        # The account itself is not locked: from elsewhere it signs in.
        assert sign_in("canbo", client="10.0.0.2") == officer

    def test_an_unknown_username_is_locked_like_a_real_one_and_not_written_down(self, settings):
        # Someone typing their password in the username field.
        typed = "Mat-khau-bi-mat-2026"
        self.fail(typed, settings.MOTCUA_OFFICER_LOGIN_FAILURES_PER_ACCOUNT)
        with pytest.raises(Throttled):
            sign_in(typed, client="10.0.0.3")
        [event] = Event.objects.filter(kind="account.login_locked")
        assert event.target_type == "login_name"
        assert typed.lower() not in f"{event.target_id} {event.data}".lower()

    def test_a_lockout_is_recorded_once_without_the_password(self, officer, settings):
        limit = settings.MOTCUA_OFFICER_LOGIN_FAILURES_PER_ACCOUNT
        self.fail("canbo", limit)
        for _attempt in range(3):
            with pytest.raises(Throttled):
                sign_in("canbo", "sai")
        [event] = Event.objects.filter(kind="account.login_locked")
        assert (event.target_type, event.target_id) == ("user", str(officer.pk))
        assert event.data["scope"] == "account"
        assert event.data["client"] == "10.0.0.1"
        assert event.data["failures"] == limit
        assert "sai" not in str(event.data.values())

    def test_a_client_lockout_names_the_address(self, settings):
        limit = settings.MOTCUA_OFFICER_LOGIN_FAILURES_PER_CLIENT
        for attempt in range(limit):
            with pytest.raises(ValidationFailed):
                sign_in(f"u{attempt}", "sai", client="198.51.100.4")
        events = Event.objects.filter(kind="account.login_locked", target_type="client")
        assert [event.target_id for event in events] == ["198.51.100.4"]


class TestEnrolment:
    def test_it_enrols_once_the_app_shows_a_current_code(self, officer, clock):
        secret, codes = enrolled(officer)
        factor = SecondFactor.objects.get(user=officer)
        assert secret not in factor.secret_sealed
        assert totp.secret_open(factor.secret_sealed) == secret
        assert len(codes) == len(set(codes)) == 10
        # Only hashes are kept.
        stored = set(RecoveryCode.objects.values_list("code_hash", flat=True))
        assert not stored & set(codes)
        assert second_factor_status(viewer=officer).recovery_codes_left == 10
        [event] = Event.objects.filter(kind="account.second_factor_enrolled")
        assert event.actor == officer

    def test_a_wrong_code_enrols_nothing(self, officer, clock):
        secret = totp.secret_new()
        wrong = code_at(secret, NOON + timedelta(minutes=5))
        with pytest.raises(ValidationFailed):
            second_factor_enrol(user=officer, secret=secret, code=wrong)
        assert not SecondFactor.objects.exists()
        assert not Event.objects.filter(kind="account.second_factor_enrolled").exists()

    def test_it_refuses_a_second_enrolment(self, officer, clock):
        enrolled(officer)
        with pytest.raises(Conflict):
            enrolled(officer)
        assert SecondFactor.objects.count() == 1


class TestCode:
    def test_a_code_is_accepted_once(self, officer, clock):
        secret, _codes = enrolled(officer)
        clock.shift(30)
        code = code_at(secret, NOON + timedelta(seconds=30))
        officer_code_check(user=officer, code=code, client="10.0.0.1")
        with pytest.raises(ValidationFailed):
            officer_code_check(user=officer, code=code, client="10.0.0.1")
        clock.shift(30)
        officer_code_check(
            user=officer, code=code_at(secret, NOON + timedelta(seconds=60)), client="10.0.0.1"
        )

    def test_the_code_shown_at_enrolment_cannot_sign_in(self, officer, clock):
        secret = totp.secret_new()
        code = code_at(secret, NOON)
        second_factor_enrol(user=officer, secret=secret, code=code)
        with pytest.raises(ValidationFailed):
            officer_code_check(user=officer, code=code, client="10.0.0.1")

    def test_wrong_codes_count_toward_the_lockout(self, officer, settings, clock):
        secret, _codes = enrolled(officer)
        for _attempt in range(settings.MOTCUA_OFFICER_LOGIN_FAILURES_PER_ACCOUNT):
            with pytest.raises(ValidationFailed):
                officer_code_check(user=officer, code="000000", client="10.0.0.1")
        clock.shift(30)
        with pytest.raises(Throttled):
            officer_code_check(
                user=officer, code=code_at(secret, NOON + timedelta(seconds=30)), client="10.0.0.1"
            )
        with pytest.raises(Throttled):
            sign_in("canbo")

    def test_a_recovery_code_stands_in_for_the_app_once(self, officer, clock):
        _secret, codes = enrolled(officer)
        typed = codes[3].upper().replace("-", " ")
        officer_code_check(user=officer, code=typed, client="10.0.0.1")
        with pytest.raises(ValidationFailed):
            officer_code_check(user=officer, code=codes[3], client="10.0.0.1")
        assert second_factor_status(viewer=officer).recovery_codes_left == 9
        [event] = Event.objects.filter(kind="account.recovery_code_used")
        assert event.data == {"left": 9}

    def test_another_officers_recovery_code_does_not_work(self, officer, clock):
        other = User.objects.create_user(username="canbokhac", password=PASSWORD)
        enrolled(officer)
        _secret, their_codes = enrolled(other)
        with pytest.raises(ValidationFailed):
            officer_code_check(user=officer, code=their_codes[0], client="10.0.0.1")

    def test_an_officer_without_the_app_has_no_code_to_give(self, officer):
        with pytest.raises(ValidationFailed):
            officer_code_check(user=officer, code="123456", client="10.0.0.1")


class TestAdministration:
    def test_a_reset_takes_the_app_off_and_is_recorded(self, officer, clock):
        admin = User.objects.create_user(username="quantri2", is_staff=True)
        enrolled(officer)
        second_factor_reset(actor=admin, user=officer)
        assert not SecondFactor.objects.exists() and not RecoveryCode.objects.exists()
        [event] = Event.objects.filter(kind="account.second_factor_reset")
        assert (event.actor, event.target_id) == (admin, str(officer.pk))
        with pytest.raises(Conflict):
            second_factor_reset(actor=admin, user=officer)

    def test_requiring_the_app_of_one_officer_is_recorded_when_it_changes(self, officer):
        admin = User.objects.create_user(username="quantri2", is_staff=True)
        assert not second_factor_status(viewer=officer).required
        second_factor_require(actor=admin, user=officer, required=True)
        second_factor_require(actor=admin, user=officer, required=True)
        officer.refresh_from_db()
        assert second_factor_status(viewer=officer).required
        events = Event.objects.filter(kind="account.second_factor_required")
        assert [event.data for event in events] == [{"required": True}]

    def test_the_setting_requires_the_app_of_everybody(self, officer, settings):
        settings.MOTCUA_OFFICER_TOTP_REQUIRED = True
        assert second_factor_status(viewer=officer).required
