from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from motcua.accounts.models import OneTimeCode
from motcua.accounts.services import (
    RESEND_INTERVAL_SECONDS,
    SENDS_PER_DESTINATION,
    citizen_signup_confirm,
    citizen_signup_start,
    one_time_code_resend,
)
from motcua.accounts.tests.helpers import PASSWORD, citizen_create, code_sent_to
from motcua.audit.models import Event
from motcua.core.errors import Conflict, NotFound, Throttled, ValidationFailed
from motcua.notifications.models import Channel, Message
from motcua.notifications.services import message_deliver

User = get_user_model()
NAME = "Hoàng Văn Đức"
ID_NUMBER = "046088004444"


def start(contact: str = "duc.hoang@example.vn", **kwargs: str) -> OneTimeCode:
    values = {"full_name": NAME, "id_number": ID_NUMBER, "password": PASSWORD, "client": "1.2.3.4"}
    return citizen_signup_start(contact=contact, **{**values, **kwargs})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.mark.django_db
class TestSignupStart:
    def test_it_sends_a_code_by_email_and_creates_no_account_yet(self):
        row = start("Duc.Hoang@Example.VN")
        message = Message.objects.get(target_type="one_time_code", target_id=str(row.pk))
        assert message.channel == Channel.EMAIL
        assert message.recipient == "duc.hoang@example.vn"
        assert "đăng ký tài khoản" in message.body
        assert not User.objects.filter(is_citizen=True).exists()

    def test_it_sends_a_code_by_sms_to_a_normalised_number(self):
        row = start("+84 905.123.456")
        message = Message.objects.get(target_id=str(row.pk))
        assert (message.channel, message.recipient) == (Channel.SMS, "0905123456")

    def test_it_keeps_only_a_hash_of_the_code(self):
        row = start()
        code = code_sent_to(row.destination)
        row.refresh_from_db()
        assert code not in row.code_hash
        assert code not in str(row.pending)
        assert PASSWORD not in str(row.pending)

    @pytest.mark.parametrize("id_number", ["04608800444", "0460880044445", "999088004444", "abc"])
    def test_it_refuses_an_invalid_id_number(self, id_number):
        with pytest.raises(ValidationFailed) as refusal:
            start(id_number=id_number)
        assert refusal.value.extra["field"] == "id_number"
        assert "12 chữ số" in str(refusal.value.message)
        assert not OneTimeCode.objects.exists()

    @pytest.mark.parametrize("contact", ["duc@", "12345", "0905 123", "+1 415 555 0100"])
    def test_it_refuses_what_is_neither_an_email_nor_a_mobile_number(self, contact):
        with pytest.raises(ValidationFailed) as refusal:
            start(contact)
        assert refusal.value.extra["field"] == "contact"

    def test_it_refuses_a_weak_password(self):
        with pytest.raises(ValidationFailed) as refusal:
            start(password="123")
        assert refusal.value.extra["field"] == "password"
        assert not Message.objects.exists()

    @pytest.mark.parametrize(
        ("taken", "contact", "id_number", "field"),
        [
            ("duc.hoang@example.vn", "DUC.HOANG@example.vn", "046099005555", "contact"),
            ("0905123456", "+84905123456", "046099005555", "contact"),
            ("khac@example.vn", "duc.hoang@example.vn", ID_NUMBER, "id_number"),
        ],
    )
    def test_it_refuses_a_contact_or_id_number_already_in_use_and_creates_nothing(
        self, taken, contact, id_number, field
    ):
        citizen_create(contact=taken, id_number=ID_NUMBER)
        users, codes, messages = (model.objects.count() for model in (User, OneTimeCode, Message))
        with pytest.raises(Conflict) as refusal:
            start(contact, id_number=id_number)
        assert refusal.value.extra["field"] == field
        assert "đã được dùng cho một tài khoản khác" in str(refusal.value.message)
        counts = tuple(model.objects.count() for model in (User, OneTimeCode, Message))
        assert counts == (users, codes, messages)

    def test_an_officer_with_the_same_email_does_not_block_a_citizen(self):
        User.objects.create_user(username="canbo", email="duc.hoang@example.vn")
        assert citizen_create(contact="duc.hoang@example.vn", id_number=ID_NUMBER).is_citizen


@pytest.mark.django_db
class TestSignupConfirm:
    def test_it_creates_an_active_citizen_with_a_self_declared_id_number(self):
        row = start()
        user = citizen_signup_confirm(code_id=row.pk, code=code_sent_to(row.destination))
        assert user.is_active and user.is_citizen
        assert (user.full_name, user.id_number, user.email) == (NAME, ID_NUMBER, row.destination)
        assert not user.id_number_verified
        assert user.check_password(PASSWORD)
        assert not user.is_staff and not user.is_superuser
        assert Event.objects.filter(kind="account.signed_up", actor=user).exists()

    def test_it_refuses_a_wrong_code_and_counts_the_attempt(self):
        row = start()
        with pytest.raises(ValidationFailed) as refusal:
            citizen_signup_confirm(code_id=row.pk, code=wrong(code_sent_to(row.destination)))
        assert "không đúng" in str(refusal.value.message)
        row.refresh_from_db()
        assert row.attempts == 1
        assert not User.objects.filter(is_citizen=True).exists()

    def test_it_refuses_an_expired_code(self, settings):
        row = start()
        later = timezone.now() + timedelta(seconds=settings.MOTCUA_OTP_TTL_SECONDS + 1)
        with time_machine.travel(later), pytest.raises(ValidationFailed) as refusal:
            citizen_signup_confirm(code_id=row.pk, code=code_sent_to(row.destination))
        assert refusal.value.code == "code_expired"
        assert "hết hạn" in str(refusal.value.message)

    def test_it_refuses_even_the_right_code_after_too_many_attempts(self, settings):
        settings.MOTCUA_OTP_MAX_ATTEMPTS = 3
        row = start()
        code = code_sent_to(row.destination)
        for _try in range(3):
            with pytest.raises(ValidationFailed):
                citizen_signup_confirm(code_id=row.pk, code=wrong(code))
        with pytest.raises(Throttled) as refusal:
            citizen_signup_confirm(code_id=row.pk, code=code)
        assert "quá nhiều lần" in str(refusal.value.message)
        assert not User.objects.filter(is_citizen=True).exists()

    def test_a_code_works_once(self):
        row = start()
        code = code_sent_to(row.destination)
        citizen_signup_confirm(code_id=row.pk, code=code)
        with pytest.raises(ValidationFailed):
            citizen_signup_confirm(code_id=row.pk, code=code)
        assert User.objects.filter(is_citizen=True).count() == 1

    def test_a_second_sign_up_for_the_same_contact_replaces_the_first_code(self):
        first = start(id_number="046099005555")
        with time_machine.travel(timezone.now() + timedelta(seconds=RESEND_INTERVAL_SECONDS)):
            other = start(client="5.6.7.8")
        # The second sign-up for the same email replaced the first one's code.
        with pytest.raises(ValidationFailed):
            citizen_signup_confirm(code_id=first.pk, code=code_sent_to(first.destination))
        assert citizen_signup_confirm(code_id=other.pk, code=code_sent_to(other.destination))

    def test_it_refuses_an_id_number_that_another_account_took_in_between(self):
        row = start("0905123456")
        citizen_create(contact="khac@example.vn", id_number=ID_NUMBER)
        with pytest.raises(Conflict) as refusal:
            citizen_signup_confirm(code_id=row.pk, code=code_sent_to("0905123456"))
        assert refusal.value.extra["field"] == "id_number"
        assert not User.objects.filter(phone="0905123456").exists()

    def test_it_works_with_the_code_from_the_delivered_email(self, settings, tmp_path):
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "OPTIONS": {"file_path": str(tmp_path)},
            }
        }
        row = start()
        message = Message.objects.get(target_id=str(row.pk))
        message_deliver(message_id=message.pk)
        (sent,) = Path(tmp_path).iterdir()
        email = message_from_bytes(sent.read_bytes(), policy=policy.default)
        code = str(email["subject"]).rsplit(" ", 1)[-1]
        assert email["to"] == "duc.hoang@example.vn"
        assert code in email.get_content()  # type: ignore[attr-defined]
        assert citizen_signup_confirm(code_id=row.pk, code=code).email == "duc.hoang@example.vn"


@pytest.mark.django_db
class TestResend:
    def test_it_waits_a_minute_between_codes(self):
        row = start()
        with pytest.raises(Throttled) as refusal:
            one_time_code_resend(code_id=row.pk, purpose="signup", client="1.2.3.4")
        assert refusal.value.code == "resend_too_soon"
        with time_machine.travel(timezone.now() + timedelta(seconds=RESEND_INTERVAL_SECONDS + 1)):
            fresh = one_time_code_resend(code_id=row.pk, purpose="signup", client="1.2.3.4")
        assert fresh.pk != row.pk
        assert fresh.pending == row.pending

    def test_only_the_newest_code_works(self):
        row = start()
        old = code_sent_to(row.destination)
        with time_machine.travel(timezone.now() + timedelta(seconds=RESEND_INTERVAL_SECONDS + 1)):
            fresh = one_time_code_resend(code_id=row.pk, purpose="signup", client="1.2.3.4")
        new = code_sent_to(row.destination)
        with pytest.raises(ValidationFailed):
            citizen_signup_confirm(code_id=row.pk, code=old)
        assert citizen_signup_confirm(code_id=fresh.pk, code=new).is_citizen

    def test_it_stops_after_a_few_codes_an_hour(self):
        row = start()
        now = timezone.now()
        for step in range(1, SENDS_PER_DESTINATION):
            at = now + timedelta(seconds=step * (RESEND_INTERVAL_SECONDS + 1))
            with time_machine.travel(at):
                row = one_time_code_resend(code_id=row.pk, purpose="signup", client="1.2.3.4")
        at = now + timedelta(seconds=SENDS_PER_DESTINATION * (RESEND_INTERVAL_SECONDS + 1))
        with time_machine.travel(at), pytest.raises(Throttled) as refusal:
            one_time_code_resend(code_id=row.pk, purpose="signup", client="1.2.3.4")
        assert "quá nhiều mã xác nhận" in str(refusal.value.message)
        assert Message.objects.count() == SENDS_PER_DESTINATION

    def test_it_refuses_without_a_pending_step(self):
        with pytest.raises(NotFound):
            one_time_code_resend(code_id=None, purpose="signup", client="1.2.3.4")


@pytest.mark.django_db
def test_the_purge_deletes_codes_expired_for_a_day_and_keeps_the_rest(settings):
    old = start()
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        fresh = start("0905123456")
        call_command("purge_one_time_codes", stdout=StringIO())
    assert list(OneTimeCode.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert old.pk != fresh.pk
