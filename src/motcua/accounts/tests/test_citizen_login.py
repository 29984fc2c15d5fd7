from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from motcua.accounts.services import (
    LOGIN_FAILURES_PER_ACCOUNT,
    RESEND_INTERVAL_SECONDS,
    citizen_contact_change_confirm,
    citizen_contact_change_start,
    citizen_login_code_confirm,
    citizen_login_code_start,
    citizen_login_password,
)
from motcua.accounts.tests.helpers import PASSWORD, citizen_create, code_sent_to
from motcua.core.errors import Conflict, NotFound, PermissionDenied, Throttled, ValidationFailed

User = get_user_model()


def log_in(identifier: str, password: str = PASSWORD, client: str = "1.2.3.4"):
    return citizen_login_password(identifier=identifier, password=password, client=client)


@pytest.mark.django_db
class TestPasswordLogin:
    def test_it_signs_in_by_email_whatever_the_case(self):
        citizen = citizen_create(contact="chau.pham@example.vn")
        assert log_in("Chau.Pham@example.VN") == citizen

    def test_it_signs_in_by_phone_however_it_is_typed(self):
        citizen = citizen_create(contact="0905123456")
        assert log_in("+84 905 123 456") == citizen
        assert log_in("0905.123.456") == citizen

    @pytest.mark.parametrize(
        ("identifier", "password"),
        [("chau.pham@example.vn", "sai-mat-khau"), ("khong.co@example.vn", PASSWORD), ("x", "y")],
    )
    def test_it_answers_a_wrong_password_and_an_unknown_account_the_same_way(
        self, identifier, password
    ):
        citizen_create(contact="chau.pham@example.vn")
        with pytest.raises(ValidationFailed) as refusal:
            log_in(identifier, password)
        assert str(refusal.value.message) == "Thông tin đăng nhập hoặc mật khẩu không đúng."

    def test_it_pauses_an_account_after_too_many_wrong_passwords(self):
        citizen_create(contact="chau.pham@example.vn")
        for attempt in range(LOGIN_FAILURES_PER_ACCOUNT):
            with pytest.raises(ValidationFailed):
                log_in("chau.pham@example.vn", "sai", client=f"10.0.0.{attempt}")
        with pytest.raises(Throttled):
            log_in("chau.pham@example.vn", client="10.0.1.1")

    def test_officers_do_not_sign_in_here(self):
        User.objects.create_user(username="canbo", email="canbo@example.vn", password=PASSWORD)
        with pytest.raises(ValidationFailed):
            log_in("canbo@example.vn")

    def test_a_locked_account_does_not_sign_in(self):
        citizen = citizen_create(contact="chau.pham@example.vn")
        User.objects.filter(pk=citizen.pk).update(is_active=False)
        with pytest.raises(ValidationFailed):
            log_in("chau.pham@example.vn")


@pytest.mark.django_db
class TestCodeLogin:
    def test_it_signs_in_with_a_code_sent_to_the_phone(self):
        citizen = citizen_create(contact="0905123456")
        with time_machine.travel(timezone.now() + timedelta(seconds=RESEND_INTERVAL_SECONDS)):
            row = citizen_login_code_start(identifier="0905 123 456", client="1.2.3.4")
            code = code_sent_to("0905123456")
            assert citizen_login_code_confirm(code_id=row.pk, code=code) == citizen

    def test_it_says_when_there_is_no_such_account(self):
        with pytest.raises(NotFound):
            citizen_login_code_start(identifier="khong.co@example.vn", client="1.2.3.4")


@pytest.mark.django_db
class TestContactChange:
    def test_it_changes_the_email_only_once_the_new_address_confirms(self):
        citizen = citizen_create(contact="chau.pham@example.vn")
        row = citizen_contact_change_start(actor=citizen, contact="chau@moi.vn", client="1.2.3.4")
        citizen.refresh_from_db()
        assert citizen.email == "chau.pham@example.vn"
        changed = citizen_contact_change_confirm(
            actor=citizen, code_id=row.pk, code=code_sent_to("chau@moi.vn")
        )
        assert changed.email == "chau@moi.vn"

    def test_it_adds_a_phone_to_an_email_account(self):
        citizen = citizen_create(contact="chau.pham@example.vn")
        row = citizen_contact_change_start(actor=citizen, contact="0905123456", client="1.2.3.4")
        citizen_contact_change_confirm(
            actor=citizen, code_id=row.pk, code=code_sent_to("0905123456")
        )
        citizen.refresh_from_db()
        assert (citizen.email, citizen.phone) == ("chau.pham@example.vn", "0905123456")

    def test_it_refuses_another_accounts_contact(self):
        citizen = citizen_create(contact="chau.pham@example.vn")
        citizen_create(contact="0905123456", id_number="046099005555")
        with pytest.raises(Conflict):
            citizen_contact_change_start(actor=citizen, contact="0905123456", client="1.2.3.4")

    def test_a_code_sent_for_someone_else_does_not_change_my_account(self):
        mine = citizen_create(contact="chau.pham@example.vn")
        theirs = citizen_create(contact="0905123456", id_number="046099005555")
        row = citizen_contact_change_start(actor=theirs, contact="0911222333", client="1.2.3.4")
        with pytest.raises(PermissionDenied):
            citizen_contact_change_confirm(
                actor=mine, code_id=row.pk, code=code_sent_to("0911222333")
            )

    def test_officers_cannot_use_it(self):
        officer = User.objects.create_user(username="canbo")
        with pytest.raises(PermissionDenied):
            citizen_contact_change_start(actor=officer, contact="0905123456", client="1.2.3.4")
