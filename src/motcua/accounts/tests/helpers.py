"""Citizen accounts for tests, made through the real services (reusable by other apps' tests)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings

from motcua.accounts.services import (
    citizen_signup_confirm,
    citizen_signup_start,
    oidc_login_complete,
)
from motcua.notifications.models import Message

PASSWORD = "mat-khau-rat-kho-doan-2026"
TEST_ISSUER = "https://vneid.test"


def code_sent_to(destination: str) -> str:
    """The last one-time code sent to an email or phone, read from the outbox."""
    message = Message.objects.filter(
        recipient=destination, topic__startswith="account.code."
    ).latest("pk")
    found = re.search(r"\b(\d{6})\b", message.body)
    assert found, message.body
    return found.group(1)


def citizen_create(
    *,
    contact: str = "chau.pham@example.vn",
    full_name: str = "Phạm Minh Châu",
    id_number: str = "046095003333",
    password: str = PASSWORD,
) -> Any:
    """A citizen who signed up with an email or phone and a self-declared (unverified) ID."""
    row = citizen_signup_start(
        full_name=full_name,
        id_number=id_number,
        contact=contact,
        password=password,
        # A client address of its own, so that several sign-ups in a test are not throttled.
        client=f"test:{contact}",
    )
    return citizen_signup_confirm(code_id=row.pk, code=code_sent_to(row.destination))


def citizen_verified_create(
    *,
    subject: str = "vneid-test-0001",
    full_name: str = "Nguyễn Thị Hồng Nhung",
    id_number: str = "046190001234",
    email: str = "",
    phone: str = "",
) -> Any:
    """A citizen whose ID number an identity provider vouched for (as after a VNeID sign-in)."""
    claims = {"sub": subject, "name": full_name, settings.MOTCUA_OIDC_ID_NUMBER_CLAIM: id_number}
    if email:
        claims.update(email=email, email_verified=True)
    if phone:
        claims.update(phone_number=phone, phone_number_verified=True)
    return oidc_login_complete(issuer=TEST_ISSUER, claims=claims)
