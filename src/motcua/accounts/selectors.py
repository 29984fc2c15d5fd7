"""Reads about accounts; each takes the viewer, who only ever sees their own account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from motcua.accounts.models import ExternalIdentity, OneTimeCode, SecondFactor, User


def is_citizen(*, viewer: Any) -> bool:
    """Whether the viewer is a signed-in citizen (not an officer, not anonymous)."""
    return bool(getattr(viewer, "is_authenticated", False) and viewer.is_citizen)


def external_identities_of(*, viewer: Any) -> QuerySet[ExternalIdentity]:
    """The identity-provider accounts linked to the viewer's own account."""
    if not is_citizen(viewer=viewer):
        return ExternalIdentity.objects.none()
    return ExternalIdentity.objects.filter(user=viewer).order_by("created_at")


def pending_code_destination(*, code_id: int | None, purpose: str) -> str:
    """Where the pending code of this step went, masked for display; empty when there is none.

    The code's id comes from the viewer's own session, which is what ties the step to them.
    """
    if not code_id:
        return ""
    destination = (
        OneTimeCode.objects.filter(pk=code_id, purpose=purpose)
        .values_list("destination", flat=True)
        .first()
    )
    return mask_destination(destination or "")


def mask_destination(destination: str) -> str:
    """nhung@example.vn → nh***@example.vn; 0912345678 → 091****678."""
    if "@" in destination:
        local, _at, domain = destination.partition("@")
        return f"{local[:2]}***@{domain}"
    if len(destination) >= 7:
        return f"{destination[:3]}****{destination[-3:]}"
    return destination


@dataclass(frozen=True)
class SecondFactorStatus:
    enrolled_at: datetime | None
    required: bool
    recovery_codes_left: int

    @property
    def enrolled(self) -> bool:
        return self.enrolled_at is not None


def second_factor_status(*, viewer: Any) -> SecondFactorStatus:
    """Whether the viewer (an officer, signed in or half-way) has an authenticator app, and
    whether they must have one."""
    required = bool(settings.MOTCUA_OFFICER_TOTP_REQUIRED or viewer.second_factor_required)
    factor = SecondFactor.objects.filter(user=viewer).first()
    if factor is None:
        return SecondFactorStatus(enrolled_at=None, required=required, recovery_codes_left=0)
    left = factor.recovery_codes.filter(used_at__isnull=True).count()
    return SecondFactorStatus(
        enrolled_at=factor.enrolled_at, required=required, recovery_codes_left=left
    )


def sign_in_candidate(*, user_id: Any) -> User | None:
    """The active account a half-finished sign-in (password checked, code not yet) is for."""
    if not isinstance(user_id, int):
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()
