"""Reads of the catalogue. The catalogue is public information, so no viewer scoping is needed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery
from django.utils.translation import gettext as _

from motcua.catalog.models import Procedure, ProcedureVersion, WorkflowStep
from motcua.core.errors import NotFound
from motcua.lib.text import search_terms


def _latest_version_id() -> Subquery:
    latest = ProcedureVersion.objects.filter(procedure=OuterRef("pk")).order_by("-number")
    return Subquery(latest.values("pk")[:1])


def _current_versions() -> QuerySet[ProcedureVersion]:
    # A version is current when no later version of the same procedure exists; prefetching with
    # this filter loads exactly one version per procedure in a single query.
    later = ProcedureVersion.objects.filter(
        procedure=OuterRef("procedure"), number__gt=OuterRef("number")
    )
    return ProcedureVersion.objects.filter(~Exists(later)).select_related(
        "competent_unit", "receiving_unit"
    )


def procedure_list(
    *,
    search: str = "",
    sector_code: str = "",
    online_mode: str = "",
    receiving_units: Iterable[Any] | None = None,
) -> QuerySet[Procedure]:
    """Active procedures with their current version prefetched; a fixed number of queries."""
    procedures = (
        Procedure.objects.filter(is_active=True)
        .select_related("sector")
        .annotate(current_version_id=_latest_version_id())
        .filter(current_version_id__isnull=False)
    )
    for term in search_terms(search):
        procedures = procedures.filter(search_text__contains=term)
    if sector_code:
        procedures = procedures.filter(sector__code=sector_code)
    current = ProcedureVersion.objects.all()
    if online_mode:
        current = current.filter(online_mode=online_mode)
    if receiving_units is not None:
        current = current.filter(receiving_unit__in=list(receiving_units))
    if online_mode or receiving_units is not None:
        procedures = procedures.filter(current_version_id__in=current.values("pk"))
    return procedures.prefetch_related(
        Prefetch("versions", queryset=_current_versions(), to_attr="current_versions")
    ).order_by("national_code")


def procedure_get(*, national_code: str) -> Procedure:
    """One procedure by its national code, annotated with ``current_version_id``."""
    procedure = (
        Procedure.objects.select_related("sector")
        .annotate(current_version_id=_latest_version_id())
        .filter(national_code=national_code)
        .first()
    )
    if procedure is None:
        raise NotFound(
            _("Không tìm thấy thủ tục có mã «%(c)s».") % {"c": national_code},
            extra={"national_code": national_code},
        )
    return procedure


def procedure_current_version(*, procedure: Procedure) -> ProcedureVersion:
    """The latest published version of a procedure (the one new dossiers are received under)."""
    version = procedure.current_version
    if version is None:
        raise NotFound(
            _("Thủ tục «%(c)s» chưa có phiên bản nào được công bố.")
            % {"c": procedure.national_code},
            extra={"national_code": procedure.national_code},
        )
    return version


def version_get(*, pk: int) -> ProcedureVersion:
    """One version with its procedure, units, components, fee items and workflow loaded."""
    steps = WorkflowStep.objects.select_related("unit").order_by("position")
    version = (
        ProcedureVersion.objects.select_related(
            "procedure__sector", "competent_unit", "receiving_unit"
        )
        .prefetch_related("components", "fee_items", Prefetch("workflow_steps", queryset=steps))
        .filter(pk=pk)
        .first()
    )
    if version is None:
        raise NotFound(
            _("Không tìm thấy phiên bản thủ tục số %(pk)s.") % {"pk": pk}, extra={"pk": pk}
        )
    return version


# Published versions never change (their rows refuse updates), so each process keeps the ones it
# has read, by primary key and content hash: the intake's hot path then reads one narrow row per
# request. Primary keys are never reused once committed (PostgreSQL sequences, SQLite
# AUTOINCREMENT); tests, which roll back, clear it (conftest).
published_versions: dict[tuple[int, str], ProcedureVersion] = {}


def version_in_force(*, national_code: str) -> ProcedureVersion:
    """The version new dossiers of an active procedure are received under, with its components."""
    row = (
        ProcedureVersion.objects.filter(procedure__national_code=national_code)
        .order_by("-number")
        .values_list("pk", "content_hash", "procedure__is_active")
        .first()
    )
    if row is None:
        raise NotFound(
            _("Không tìm thấy thủ tục có mã «%(c)s».") % {"c": national_code},
            extra={"national_code": national_code},
        )
    pk, content_hash, is_active = row
    if not is_active:
        raise NotFound(
            _("Thủ tục «%(c)s» không còn được áp dụng.") % {"c": national_code},
            code="inactive_procedure",
            extra={"national_code": national_code},
        )
    version = published_versions.get((pk, content_hash))
    if version is None:
        version = version_get(pk=pk)
        published_versions[(pk, content_hash)] = version
    return version
