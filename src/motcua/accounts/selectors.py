"""Reads about citizen accounts; each takes the viewer, who only ever sees their own account."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from motcua.accounts.models import ExternalIdentity, OneTimeCode


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
