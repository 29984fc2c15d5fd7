from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from motcua.agencies.models import Membership, Role, Unit


def memberships_of(*, user: object) -> list[Membership]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_motcua_memberships", None)
    if cached is None:
        cached = list(Membership.objects.select_related("unit").filter(user=user))
        user._motcua_memberships = cached  # type: ignore[attr-defined]
    return cached


def roles_of(*, user: object) -> set[str]:
    return {membership.role for membership in memberships_of(user=user)}


def has_role(*, user: object, roles: Iterable[Role | str]) -> bool:
    return bool(roles_of(user=user) & {str(role) for role in roles})


def unit_subtree_filter(*, user: object, field: str) -> Q:
    """A Q that keeps rows whose `field` (a unit FK) lies under one of the user's units."""
    paths = {membership.unit.path for membership in memberships_of(user=user)}
    if not paths:
        return Q(pk__in=[])
    condition = Q()
    for path in paths:
        condition |= Q(**{f"{field}__path__startswith": path})
    return condition


def units_where(*, user: object, roles: Iterable[Role | str]) -> QuerySet[Unit]:
    """The units in which the user holds one of `roles`."""
    wanted = {str(role) for role in roles}
    ids = [m.unit_id for m in memberships_of(user=user) if m.role in wanted]
    return Unit.objects.filter(pk__in=ids)


def unit_by_code(*, code: str) -> Unit | None:
    return Unit.objects.filter(code=code).first()
