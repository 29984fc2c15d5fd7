from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from motcua.agencies.models import Membership, Role, Unit, UnitKind


def memberships_of(*, user: Any) -> list[Membership]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_motcua_memberships", None)
    if cached is None:
        cached = list(Membership.objects.select_related("unit").filter(user=user))
        user._motcua_memberships = cached  # type: ignore[attr-defined]
    return cached


def roles_of(*, user: Any) -> set[str]:
    return {membership.role for membership in memberships_of(user=user)}


def has_role(*, user: Any, roles: Iterable[Role | str]) -> bool:
    return bool(roles_of(user=user) & {str(role) for role in roles})


# Staff of a department or a counter work for the agency or center above it.
_PART_OF_PARENT = {UnitKind.DEPARTMENT, UnitKind.COUNTER}


def agency_of(*, unit: Unit) -> Unit:
    """The agency, center or commune a department or counter belongs to (the unit itself else)."""
    while unit.kind in _PART_OF_PARENT and unit.parent is not None:
        unit = unit.parent
    return unit


def scope_paths_of(*, user: Any) -> set[str]:
    """Paths of the units whose subtree the user works in: each membership's unit, climbed from a
    department or counter to the agency, center or commune it belongs to."""
    cached = getattr(user, "_motcua_scope_paths", None)
    if cached is not None:
        return cached
    memberships = memberships_of(user=user)
    ancestor_ids = {int(i) for m in memberships for i in m.unit.path.strip("/").split("/") if i}
    units = Unit.objects.in_bulk(ancestor_ids)
    paths = set()
    for membership in memberships:
        unit = membership.unit
        while unit.kind in _PART_OF_PARENT and unit.parent_id in units:
            unit = units[unit.parent_id]
        paths.add(unit.path)
    user._motcua_scope_paths = paths
    return paths


def unit_subtree_filter(*, user: Any, field: str) -> Q:
    """Keep rows whose `field` (a unit FK) lies in the scope of one of the user's units."""
    paths = scope_paths_of(user=user)
    if not paths:
        return Q(pk__in=[])
    condition = Q()
    for path in paths:
        condition |= Q(**{f"{field}__path__startswith": path})
    return condition


def units_where(*, user: Any, roles: Iterable[Role | str]) -> QuerySet[Unit]:
    """The units in which the user holds one of `roles`."""
    wanted = {str(role) for role in roles}
    ids = [m.unit_id for m in memberships_of(user=user) if m.role in wanted]
    return Unit.objects.filter(pk__in=ids)


def unit_by_code(*, code: str) -> Unit | None:
    return Unit.objects.filter(code=code).first()
