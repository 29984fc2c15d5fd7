"""The query parameters of the supervision API: ids, a period as kind, year and number, a
measure, a flag; each refused in the pages' own words (already in the catalogue)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.request import Request

from motcua.api.serializers import BAD_PARAMETER, query_of
from motcua.core.errors import ValidationFailed
from motcua.reports.operational import MEASURE_LABELS, Measure
from motcua.reports.periods import FIRST_YEAR, LAST_YEAR, REPORT_KINDS, Period, PeriodKind
from motcua.reports.selectors import (
    ReportScope,
    report_scope_get,
)

# The pages' own messages (already in the catalogue), so a refusal reads the same everywhere.
BAD_PERIOD = _("Kỳ báo cáo không hợp lệ.")
BAD_MEASURE = _("Chỉ tiêu không hợp lệ.")
NOT_AN_OFFICER = _("Tài khoản của bạn chưa được phân công vào đơn vị nào.")
# Primary keys are 64-bit; a larger number is a bad parameter, not a database error.
MAX_ID = 2**63 - 1
RECEIVED_MEASURES = (
    Measure.RECEIVED,
    Measure.RECEIVED_COUNTER,
    Measure.RECEIVED_ONLINE,
    Measure.RECEIVED_POST,
)


# ---------------------------------------------------------------------------------------------
# Parameters


class _Refused(serializers.Field):
    """A query parameter refused with one translated message, whatever is wrong with it."""

    message: Any = BAD_PARAMETER

    def run_validation(self, data: Any = empty) -> Any:
        # The field's own checks and its validators (bounds) alike.
        try:
            return super().run_validation(data)
        except serializers.ValidationError as error:
            codes = error.get_codes()
            code = codes[0] if isinstance(codes, list) and codes else "invalid"
            message = str(self.message) % {"name": self.field_name}
            raise serializers.ValidationError(message, code=str(code)) from error


class IdParameter(_Refused, serializers.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", None)
        # A query string has no null: an absent id is None, an empty one is refused.
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


class PeriodNumberParameter(_Refused, serializers.IntegerField):
    message = BAD_PERIOD


class PeriodKindParameter(_Refused, serializers.ChoiceField):
    message = BAD_PERIOD


class FlagParameter(_Refused, serializers.BooleanField):
    pass


class MeasureParameter(_Refused, serializers.ChoiceField):
    message = BAD_MEASURE


class ScopeParameters(serializers.Serializer):
    unit = IdParameter(help_text="A unit's id: its subtree (received or competent there).")
    sector = IdParameter(help_text="A sector's id.")
    procedure = IdParameter(help_text="A procedure's id.")

    def scope(self, viewer: Any) -> ReportScope:
        data = self.validated_data
        return report_scope_get(
            viewer=viewer,
            unit_id=data["unit"],
            sector_id=data["sector"],
            procedure_id=data["procedure"],
        )


def _kind(kinds: Any) -> PeriodKindParameter:
    return PeriodKindParameter(
        choices=[(kind.value, kind.label) for kind in kinds],
        required=False,
        help_text="Without it, the current month (year and number are then not read).",
    )


class PeriodParameters(serializers.Serializer):
    kind = _kind(REPORT_KINDS)
    year = PeriodNumberParameter(required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR)
    number = PeriodNumberParameter(
        required=False,
        default=1,
        min_value=1,
        max_value=366,
        help_text="Month 1–12, quarter 1–4, half 1–2; 1 for nine months and a year.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return {**attrs, "period": _period_of(attrs)}


def _period_of(data: dict[str, Any]) -> Period:
    """The period asked for, as the pages read it: the current month when no kind is given."""
    if not data.get("kind"):
        return Period.containing(PeriodKind.MONTH, timezone.localdate())
    try:
        return Period.of(data["kind"], data.get("year", 0), data["number"])
    except ValidationFailed as error:
        raise serializers.ValidationError(
            {"number": [serializers.ErrorDetail(str(error.message), code=error.code)]}
        ) from error


class ReportParameters(ScopeParameters, PeriodParameters):
    pass


class DrillParameters(ReportParameters):
    # The dashboard's numbers of today and this week open their lists too.
    kind = _kind(PeriodKind)
    measure = MeasureParameter(choices=[(m.value, MEASURE_LABELS[m]) for m in Measure])
    agency = IdParameter(help_text="A row of the report: the competent agency's id.")
    cause = IdParameter(help_text="A reason: the id of the agency whose step was late.")


class IndexParameters(PeriodParameters):
    unit = IdParameter(help_text="A province, commune, center or agency; default the first.")


def parameters_parse[S: serializers.Serializer](kind: type[S], request: Request) -> S:
    parameters = kind(data=query_of(request))
    parameters.is_valid(raise_exception=True)
    return parameters
