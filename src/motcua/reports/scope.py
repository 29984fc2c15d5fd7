"""Whose figures a viewer reads: the units they may report on and the dossiers a scope counts.

One rule for the operational report, the dashboard, the drill-down lists, the Decision 766
index and the closed periods' roll-ups: a unit's dossiers are those received, or to be
decided, by a unit of its subtree. A viewer counts the dossiers of the subtrees their reporting
roles reach (`_reach`), narrowed to a chosen unit's (an agency's head counts the steps their
agency took in others' dossiers among the late causes and step delays, not among its
dossiers). The condition names only `receiving_unit`,
`competent_unit` and `procedure_version`, so the same Q filters the dossiers and the roll-up
rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from motcua.agencies.models import Role, Unit, UnitKind
from motcua.agencies.selectors import agency_of, memberships_of
from motcua.catalog.models import Procedure, Sector
from motcua.core.errors import NotFound, PermissionDenied
from motcua.dossiers.models import Dossier

# Who reads the figures: the center's leaders, the procedure controllers, the agencies' heads.
REPORT_ROLES = (Role.CENTER_LEADER, Role.PROCEDURE_CONTROLLER, Role.SIGNING_AUTHORITY)


def units_condition(paths: Iterable[str]) -> Q:
    """Received or to be decided by a unit under one of `paths` (no path: nothing)."""
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(receiving_unit__path__startswith=path)
        condition |= Q(competent_unit__path__startswith=path)
    return condition


def dossiers_of_unit(unit: Unit) -> QuerySet[Dossier]:
    """Dossiers received or to be decided by a unit of `unit`'s subtree."""
    return Dossier.objects.filter(units_condition([unit.path]))


def report_viewer_require(*, viewer: Any) -> None:
    """Refuse a viewer who holds none of the roles that read reports."""
    if getattr(viewer, "is_citizen", False) or not any(
        m.role in REPORT_ROLES for m in memberships_of(user=viewer)
    ):
        raise PermissionDenied(
            _(
                "Chỉ lãnh đạo Trung tâm, lãnh đạo cơ quan và công chức kiểm soát thủ tục hành "
                "chính được xem báo cáo, thống kê."
            )
        )


def _reach(unit: Unit, role: str) -> tuple[Unit, Unit]:
    """The subtree whose dossiers a role counts, and the one whose units it may narrow to.

    A center leader counts the center's dossiers (received at its desks, or decided by its
    own units) and narrows them to any unit of the province or commune the center serves (the
    police, the land office); an agency's head counts and narrows within the agency; a
    procedure controller within their unit (the province's controller: every desk)."""
    if role == Role.CENTER_LEADER and unit.kind == UnitKind.CENTER and unit.parent is not None:
        return unit, unit.parent
    if role == Role.SIGNING_AUTHORITY:
        agency = agency_of(unit=unit)
        return agency, agency
    return unit, unit


def outermost_paths(paths: Iterable[str]) -> list[str]:
    """The paths not inside another of them."""
    paths = set(paths)
    return sorted(p for p in paths if not any(p != q and p.startswith(q) for q in paths))


def report_roots(*, viewer: Any) -> tuple[list[str], list[str]]:
    """The paths of the subtrees the viewer counts, and of those they may narrow to."""
    report_viewer_require(viewer=viewer)
    reach = [_reach(m.unit, m.role) for m in memberships_of(user=viewer) if m.role in REPORT_ROLES]
    return (
        outermost_paths(counted.path for counted, _ in reach),
        outermost_paths(chosen.path for _, chosen in reach),
    )


def report_units(*, viewer: Any) -> QuerySet[Unit]:
    """The units the viewer may narrow the figures to, counters aside."""
    condition = Q(pk__in=[])
    for path in report_roots(viewer=viewer)[1]:
        condition |= Q(path__startswith=path)
    return Unit.objects.filter(condition).exclude(kind=UnitKind.COUNTER).order_by("path")


def report_home_unit(*, viewer: Any) -> Unit | None:
    """The unit a viewer's reports are issued by when no unit is chosen: the center, agency or
    unit of their first reporting role."""
    for membership in memberships_of(user=viewer):
        if membership.role in REPORT_ROLES:
            return agency_of(unit=membership.unit)
    return None


@dataclass(frozen=True)
class ReportScope:
    """What the figures are about: a unit's subtree (None: the viewer's subtrees), a sector, a
    procedure (None: every one)."""

    unit: Unit | None = None
    sector: Sector | None = None
    procedure: Procedure | None = None

    def query(self) -> dict[str, int]:
        """The choices as URL parameters."""
        chosen = {"unit": self.unit, "sector": self.sector, "procedure": self.procedure}
        return {name: value.pk for name, value in chosen.items() if value is not None}


def scope_condition(*, viewer: Any, scope: ReportScope) -> Q:
    """The dossiers (or roll-up rows) a viewer counts in a scope; refuses a viewer without a
    reporting role."""
    condition = units_condition(report_roots(viewer=viewer)[0])
    if scope.unit is not None:
        condition &= units_condition([scope.unit.path])
    if scope.sector is not None:
        condition &= Q(procedure_version__procedure__sector=scope.sector)
    if scope.procedure is not None:
        condition &= Q(procedure_version__procedure=scope.procedure)
    return condition


def report_scope_get(
    *,
    viewer: Any,
    unit_id: int | None = None,
    sector_id: int | None = None,
    procedure_id: int | None = None,
) -> ReportScope:
    """The scope a viewer asked for; a unit outside their reach is reported as not found."""
    unit = sector = procedure = None
    if unit_id is not None:
        unit = report_units(viewer=viewer).filter(pk=unit_id).select_related("parent").first()
        if unit is None:
            raise NotFound(_("Không tìm thấy đơn vị."))
    else:
        report_viewer_require(viewer=viewer)
    if sector_id is not None:
        sector = Sector.objects.filter(pk=sector_id).first()
        if sector is None:
            raise NotFound(_("Không tìm thấy lĩnh vực."))
    if procedure_id is not None:
        procedure = Procedure.objects.filter(pk=procedure_id).first()
        if procedure is None:
            raise NotFound(_("Không tìm thấy thủ tục hành chính."))
    return ReportScope(unit=unit, sector=sector, procedure=procedure)


def scoped_dossiers(*, viewer: Any, scope: ReportScope) -> QuerySet[Dossier]:
    """The dossiers a viewer counts in a scope."""
    return Dossier.objects.filter(scope_condition(viewer=viewer, scope=scope))


@dataclass(frozen=True)
class ReportChoices:
    """What a viewer may narrow the figures to: their units, every sector and procedure."""

    units: list[Unit]
    sectors: list[Sector]
    procedures: list[Procedure]


def report_choices(*, viewer: Any) -> ReportChoices:
    return ReportChoices(
        units=list(report_units(viewer=viewer)),
        sectors=list(Sector.objects.order_by("name")),
        procedures=list(Procedure.objects.filter(is_active=True).order_by("national_code")),
    )
