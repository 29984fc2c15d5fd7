"""Due-date arithmetic on the working calendar, for anyone: "received then, due when?"."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from motcua.agencies.selectors import unit_by_code
from motcua.api.base import PublicApi
from motcua.api.serializers import AwareDateTimeField, StringField, problems, query_of
from motcua.calendars.selectors import deadline_rules, work_calendar_for
from motcua.catalog.models import StatutoryUnit
from motcua.lib.workdays import DurationUnit, due_instant

EARLIEST_START = datetime(2000, 1, 1, tzinfo=timezone.get_fixed_timezone(7 * 60))
LATEST_START_AFTER_NOW = timedelta(days=5 * 365)
MAX_AMOUNT = {
    DurationUnit.WORKING_DAYS: Decimal(365),
    DurationUnit.CALENDAR_DAYS: Decimal(365),
    DurationUnit.WORKING_HOURS: Decimal(2000),
    DurationUnit.SAME_DAY: Decimal(1),
}
# Enough years of holidays for the longest amount allowed (365 working days ≈ 17 months).
CALENDAR_YEARS = 3


class DueDateComputeApi(PublicApi):
    class FilterSerializer(serializers.Serializer):
        start = AwareDateTimeField(help_text="Reception instant, ISO 8601 with its offset.")
        amount = serializers.DecimalField(
            max_digits=8,
            decimal_places=2,
            min_value=Decimal(0),
            help_text="Days: a whole number up to 365; hours: up to 2000; same_day: 0 or 1.",
        )
        unit = serializers.ChoiceField(choices=StatutoryUnit.choices)
        unit_code = StringField(
            required=False,
            default="",
            allow_blank=True,
            max_length=40,
            help_text="Code of the competent unit, to apply its own calendar changes.",
        )

        def validate_start(self, value: datetime) -> datetime:
            if value < EARLIEST_START or value > timezone.now() + LATEST_START_AFTER_NOW:
                raise serializers.ValidationError(
                    _("Chỉ tính cho thời điểm từ năm 2000 đến 5 năm tới."), code="out_of_range"
                )
            return value

        def validate_unit_code(self, value: str) -> Any:
            if not value:
                return None
            unit = unit_by_code(code=value)
            if unit is None:
                raise serializers.ValidationError(
                    _("Không có cơ quan mã «%(code)s».") % {"code": value}, code="unknown_unit"
                )
            return unit

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            unit, amount = DurationUnit(attrs["unit"]), attrs["amount"]
            if amount > MAX_AMOUNT[unit]:
                raise serializers.ValidationError(
                    {"amount": _("Thời hạn quá dài: tối đa %(max)s.") % {"max": MAX_AMOUNT[unit]}},
                    code="out_of_range",
                )
            if unit != DurationUnit.WORKING_HOURS and amount != amount.to_integral_value():
                raise serializers.ValidationError(
                    {"amount": _("Số ngày phải là số nguyên.")}, code="not_whole"
                )
            return attrs

    @extend_schema_serializer(component_name="DueDate")
    class OutputSerializer(serializers.Serializer):
        start = serializers.DateTimeField()
        amount = serializers.DecimalField(max_digits=8, decimal_places=2, coerce_to_string=False)
        unit = serializers.CharField()
        due_at = serializers.DateTimeField()
        calendar_as_of = serializers.DateTimeField(
            help_text="The calendar (days off, make-up days) applied is the one known then."
        )

    @extend_schema(
        operation_id="due_date_compute",
        tags=["calendar"],
        summary="When is something received at `start` due?",
        description=(
            "Public. Counts `amount` `unit`s from `start` on the Vietnamese working calendar "
            "(national holidays, compensatory and make-up days, the administrators' changes "
            "known now, for `unit_code` when given) with the province's counting rules. "
            "`start` must carry its offset and lie between 2000 and five years from now."
        ),
        parameters=[FilterSerializer],
        responses={200: OutputSerializer, **problems(400)},
    )
    def get(self, request: Request) -> Response:
        query = self.FilterSerializer(data=query_of(request))
        query.is_valid(raise_exception=True)
        data = query.validated_data
        result = _due_date(
            start=data["start"], amount=data["amount"], unit=data["unit"], agency=data["unit_code"]
        )
        return Response(self.OutputSerializer(result).data)


def _due_date(*, start: datetime, amount: Decimal, unit: str, agency: Any) -> dict[str, Any]:
    now = timezone.now()
    year = timezone.localtime(start).year
    calendar = work_calendar_for(unit=agency, as_of=now, years=range(year, year + CALENDAR_YEARS))
    due_at = due_instant(
        calendar=calendar,
        received_at=start,
        amount=amount,
        unit=DurationUnit(unit),
        rules=deadline_rules(),
    )
    return {"start": start, "amount": amount, "unit": unit, "due_at": due_at, "calendar_as_of": now}
