"""The query parameters of the report pages (report, dashboard, evaluation): a period, a scope,
ids; a malformed one is a validation error, shown as such."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.core.errors import ValidationFailed
from motcua.reports.periods import REPORT_KINDS, Period, PeriodKind
from motcua.reports.selectors import ReportScope, report_scope_get


def int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError as error:
        raise ValidationFailed(_("Tham số «%(name)s» không hợp lệ.") % {"name": name}) from error


def scope_param(request: HttpRequest) -> ReportScope:
    return report_scope_get(
        viewer=request.user,
        unit_id=int_param(request, "unit"),
        sector_id=int_param(request, "sector"),
        procedure_id=int_param(request, "procedure"),
    )


def period_param(request: HttpRequest) -> Period:
    """The period from the query: a token (p=month:2027:2), or kind, year and number as the
    period form sends them; this month by default."""
    if "p" in request.GET:
        return Period.parse(request.GET["p"])
    if "kind" not in request.GET:
        return Period.containing(PeriodKind.MONTH, timezone.localdate())
    kind = request.GET.get("kind", "")
    if kind not in REPORT_KINDS:
        raise ValidationFailed(_("Kỳ báo cáo không hợp lệ."))
    return Period.of(kind, int_param(request, "year") or 0, int_param(request, "number") or 1)
