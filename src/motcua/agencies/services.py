from __future__ import annotations

from typing import Any

from django.db import transaction

from motcua.agencies.models import Membership, Role, Unit, UnitKind


@transaction.atomic
def unit_upsert(
    *,
    code: str,
    name: str,
    kind: UnitKind | str,
    parent: Unit | None = None,
    address: str = "",
    phone: str = "",
) -> Unit:
    """Create or update a unit by its code and keep its materialised path right."""
    unit, _ = Unit.objects.update_or_create(
        code=code,
        defaults={"name": name, "kind": kind, "parent": parent, "address": address, "phone": phone},
    )
    return unit


def membership_grant(*, user: Any, unit: Unit, role: Role | str, title: str = "") -> Membership:
    """Give a user a role in a unit (idempotent)."""
    membership, _ = Membership.objects.get_or_create(
        user=user, unit=unit, role=role, defaults={"title": title}
    )
    return membership
