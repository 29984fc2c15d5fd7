"""Supervision and statistics, read-only: the operational report, the live dashboard, the
dossiers behind a number, the Decision 766 index and the caller's alerts. The figures are read
from the database's replica when one is configured (`core.replica`); the alerts, which officers
mark read, from the primary.

The same selectors as the back-office pages (`reports.selectors`, `reports.index766`,
`supervision.selectors`) give the same figures under the same rules of access; the parameters
mean what they mean on the pages (ids of a unit, a sector, a procedure; a period as kind, year
and number) and a bad one is refused in the pages' words.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from motcua.agencies.models import Unit
from motcua.agencies.selectors import memberships_of
from motcua.api.base import Api
from motcua.api.dossiers import DossierBaseSerializer
from motcua.api.report_parameters import (
    BAD_PARAMETER,
    NOT_AN_OFFICER,
    RECEIVED_MEASURES,
    DrillParameters,
    FlagParameter,
    IndexParameters,
    ReportParameters,
    ScopeParameters,
    parameters_parse,
)
from motcua.api.serializers import (
    PAGE_PARAMETERS,
    UnitSerializer,
    page_of,
    paginate,
    problems,
)
from motcua.core.errors import PermissionDenied, ValidationFailed
from motcua.core.replica import reading_from_replica
from motcua.reports.index766 import index766_report, index_access_require, index_unit_require
from motcua.reports.index766 import index_units as index_unit_choices
from motcua.reports.operational import COUNTED, MEASURE_LABELS, Measure
from motcua.reports.periods import PeriodKind
from motcua.reports.selectors import (
    dashboard,
    measure_dossiers,
    operational_report,
    report_viewer_require,
)
from motcua.supervision.models import Audience, Trigger
from motcua.supervision.selectors import alerts_for

# ---------------------------------------------------------------------------------------------
# Figures


@extend_schema_serializer(component_name="ReportPeriod")
class PeriodSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PeriodKind.choices)
    year = serializers.IntegerField()
    number = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]
    first_day = serializers.DateField()
    last_day = serializers.DateField()


@extend_schema_serializer(component_name="ReportSector")
class SectorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="ReportProcedure")
class ProcedureSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    national_code = serializers.CharField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="ReportUnit")
class ReportUnitSerializer(UnitSerializer):
    id = serializers.IntegerField()


@extend_schema_serializer(component_name="ReportScope")
class ScopeSerializer(serializers.Serializer):
    unit = ReportUnitSerializer(allow_null=True)
    sector = SectorSerializer(allow_null=True)
    procedure = ProcedureSerializer(allow_null=True)


def _counts_serializer(name: str, measures: Any) -> type[serializers.Serializer]:
    fields = {str(m): serializers.IntegerField(help_text=str(MEASURE_LABELS[m])) for m in measures}
    return extend_schema_serializer(component_name=name)(
        type(name, (serializers.Serializer,), fields)
    )


MeasureCountsSerializer = _counts_serializer("MeasureCounts", COUNTED)
ReceivedCountsSerializer = _counts_serializer("ReceivedCounts", RECEIVED_MEASURES)


def _rate(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True, **kwargs)


@extend_schema_serializer(component_name="OperationalRow")
class RowSerializer(serializers.Serializer):
    key = serializers.IntegerField(
        allow_null=True, help_text="The agency's or the procedure's id; null on the total."
    )
    label = serializers.CharField()  # type: ignore[assignment]
    counts = MeasureCountsSerializer()
    late_rate = _rate(help_text="late / to_process in %, 2 decimals; null (N/A) when empty.")
    on_time_rate = _rate(help_text="100 − late_rate; null (N/A) when nothing is to process.")


@extend_schema_serializer(component_name="AgencyCount")
class AgencyCountSerializer(serializers.Serializer):
    agency_id = serializers.IntegerField()
    name = serializers.CharField()
    count = serializers.IntegerField()


class OperationalReportApi(Api):
    @extend_schema_serializer(component_name="OperationalReport")
    class OutputSerializer(serializers.Serializer):
        period = PeriodSerializer()
        scope = ScopeSerializer()
        as_of = serializers.DateTimeField(help_text="Open dossiers are judged at this instant.")
        closed_at = serializers.DateTimeField(
            allow_null=True,
            help_text=(
                "When the figures were counted and kept (close_periods); null: counted from "
                "the dossiers for this answer."
            ),
        )
        running = serializers.BooleanField(
            help_text="The period was still running when its figures were counted."
        )
        by_agency = RowSerializer(many=True)
        by_procedure = RowSerializer(many=True)
        total = RowSerializer()
        late_causes = AgencyCountSerializer(
            many=True, help_text="Late dossiers per agency whose step was late."
        )

    @extend_schema(
        operation_id="report_operational",
        tags=["reports"],
        summary="The operational report of a period",
        description=(
            "The figures of the back office's report (bao-cao): every measure per competent "
            "agency and per procedure, their total, the late and on-time rates, and the "
            "agencies whose steps made dossiers late. For center leaders, procedure "
            "controllers and agencies' heads; the dossiers received or decided within the "
            "caller's reach count."
        ),
        parameters=[ReportParameters],
        responses={200: OutputSerializer, **problems(400, 401, 403, 404)},
    )
    @reading_from_replica()
    def get(self, request: Request) -> Response:
        report_viewer_require(viewer=request.user)
        parameters = parameters_parse(ReportParameters, request)
        period = parameters.validated_data["period"]
        report = operational_report(
            viewer=request.user, period=period, scope=parameters.scope(request.user)
        )
        return Response(OperationalReportApi.OutputSerializer(report).data)


@extend_schema_serializer(component_name="ReportDossier")
class ReportDossierSerializer(DossierBaseSerializer):
    applicant_name = serializers.CharField()
    competent_unit = UnitSerializer()
    rescheduled_due_at = serializers.DateTimeField(
        allow_null=True, help_text="The new date an apology gave."
    )
    ended_at = serializers.SerializerMethodField(
        help_text="Resolved, else returned, else stopped; null while open."
    )

    def get_ended_at(self, dossier: Any) -> str | None:
        ended = dossier.resolved_at or dossier.returned_at or dossier.stopped_at
        return None if ended is None else serializers.DateTimeField().to_representation(ended)


class MeasureDossierListApi(Api):
    @extend_schema(
        operation_id="report_dossier_list",
        tags=["reports"],
        summary="The dossiers behind a number",
        description=(
            "The drill-down of the dashboard and the report: the dossiers a measure counts over "
            "a period (any kind, days and weeks too), in a scope, optionally for one competent "
            "agency (`agency`, a row) or held up by one agency (`cause`). The list has exactly "
            "as many dossiers as the number; a page costs the same queries whatever its size."
        ),
        parameters=[DrillParameters, *PAGE_PARAMETERS],
        responses={
            200: page_of(ReportDossierSerializer, "ReportDossierPage"),
            **problems(400, 401, 403, 404),
        },
    )
    @reading_from_replica()
    def get(self, request: Request) -> Response:
        report_viewer_require(viewer=request.user)
        parameters = parameters_parse(DrillParameters, request)
        data = parameters.validated_data
        found = measure_dossiers(
            viewer=request.user,
            measure=Measure(data["measure"]),
            period=data["period"],
            scope=parameters.scope(request.user),
            agency_id=data["agency"],
            cause_id=data["cause"],
        )
        return paginate(
            queryset=found, request=request, view=self, serializer=ReportDossierSerializer
        )


# ---------------------------------------------------------------------------------------------
# The dashboard


@extend_schema_serializer(component_name="ReceivedInPeriod")
class ReceivedSerializer(serializers.Serializer):
    period = PeriodSerializer()
    counts = ReceivedCountsSerializer()


@extend_schema_serializer(component_name="TrendMonth")
class TrendSerializer(serializers.Serializer):
    period = PeriodSerializer()
    received = serializers.IntegerField()
    finished = serializers.IntegerField()


@extend_schema_serializer(component_name="SlowStep")
class SlowStepSerializer(serializers.Serializer):
    dossier = serializers.CharField(source="step.dossier.code")
    procedure_name = serializers.CharField(source="step.dossier.procedure_version.name")
    step_name = serializers.CharField(source="step.name")
    agency = serializers.CharField()
    due_at = serializers.DateTimeField(source="step.due_at")
    finished_at = serializers.DateTimeField(source="step.finished_at", allow_null=True)
    overrun_days = serializers.DecimalField(
        max_digits=9, decimal_places=1, help_text="Working days past the step's due time."
    )


class DashboardApi(Api):
    @extend_schema_serializer(component_name="Dashboard")
    class OutputSerializer(serializers.Serializer):
        now = serializers.DateTimeField()
        counted_at = serializers.DateTimeField(
            allow_null=True,
            help_text=(
                "When this month's figures were counted (close_periods, every few minutes); "
                "null: counted from the dossiers for this answer."
            ),
        )
        scope = ScopeSerializer()
        received = ReceivedSerializer(many=True, help_text="Today, this week, this month.")
        month = PeriodSerializer()
        by_agency = RowSerializer(many=True)
        by_procedure = RowSerializer(many=True)
        total = RowSerializer()
        trend = serializers.SerializerMethodField()
        step_delays = AgencyCountSerializer(
            many=True, help_text="Dossiers with a step late this month, per agency of the step."
        )
        slowest_steps = SlowStepSerializer(many=True)

        @extend_schema_field(TrendSerializer(many=True))
        def get_trend(self, figures: Any) -> list[dict[str, Any]]:
            rows = [{"period": p, "received": r, "finished": f} for p, r, f in figures.trend]
            return list(TrendSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="report_dashboard",
        tags=["reports"],
        summary="The live supervision figures",
        description=(
            "The back office's dashboard (giam-sat): received today, this week and this month by "
            "channel; this month's figures per agency and procedure, open dossiers judged as of "
            "now; received and finished over twelve months; the agencies whose steps were late "
            "this month and the slowest steps."
        ),
        parameters=[ScopeParameters],
        responses={200: OutputSerializer, **problems(400, 401, 403, 404)},
    )
    @reading_from_replica()
    def get(self, request: Request) -> Response:
        report_viewer_require(viewer=request.user)
        parameters = parameters_parse(ScopeParameters, request)
        figures = dashboard(viewer=request.user, scope=parameters.scope(request.user))
        return Response(DashboardApi.OutputSerializer(figures).data)


# ---------------------------------------------------------------------------------------------
# The Decision 766 index


def _decimal(places: int = 2, **kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=9, decimal_places=places, **kwargs)


@extend_schema_serializer(component_name="IndicatorDetail")
class IndicatorDetailSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()


@extend_schema_serializer(component_name="IndicatorResult")
class IndicatorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The decision's number: 2.1, 3.3, …")
    group = serializers.CharField()
    name = serializers.CharField()
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField()
    rate = _rate(help_text="In %, 2 decimals; null (N/A) on an empty denominator.")
    target = _decimal(allow_null=True)
    maximum = _decimal()
    points = _decimal(allow_null=True)
    scored = serializers.BooleanField()
    not_applicable = serializers.BooleanField()
    detail = serializers.SerializerMethodField(help_text="What the numerator is made of.")

    @extend_schema_field(IndicatorDetailSerializer(many=True))
    def get_detail(self, indicator: Any) -> list[dict[str, Any]]:
        return [{"label": label, "count": count} for label, count in indicator.detail]


@extend_schema_serializer(component_name="IndicatorGroupResult")
class GroupSerializer(serializers.Serializer):
    group = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    maximum = _decimal(help_text="The decision's points for the group.")
    computed_maximum = _decimal(help_text="The part of them the system computes.")
    points = _decimal()
    indicators = IndicatorSerializer(many=True)


@extend_schema_serializer(component_name="ProcedureTime")
class ProcedureTimeSerializer(serializers.Serializer):
    national_code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField(help_text="The statutory unit of time.")
    unit_label = serializers.CharField(help_text="The unit `average` is in.")
    statutory_amount = _decimal(allow_null=True)
    statutory_label = serializers.CharField()
    count = serializers.IntegerField(help_text="Dossiers resolved in the period.")
    average = _decimal()


def _index_unit(viewer: Any, unit_id: int | None) -> Unit:
    """The unit asked for, refused as on the page: another's is forbidden, anything else that is
    not one of the viewer's choices is a bad parameter."""
    choices = index_unit_choices(viewer=viewer)
    unit = choices.first() if unit_id is None else choices.filter(pk=unit_id).first()
    if unit is not None:
        return unit
    other = Unit.objects.filter(pk=unit_id).first() if unit_id is not None else None
    if other is not None:
        index_unit_require(viewer=viewer, unit=other)
    raise ValidationFailed(BAD_PARAMETER % {"name": "unit"}, extra={"field": "unit"})


class Index766Api(Api):
    @extend_schema_serializer(component_name="Index766Report")
    class OutputSerializer(serializers.Serializer):
        unit = ReportUnitSerializer()
        period = PeriodSerializer()
        as_of = serializers.DateTimeField()
        settings_year = serializers.IntegerField(
            allow_null=True, help_text="The year of the points and targets used; null: defaults."
        )
        groups = GroupSerializer(many=True)
        total = _decimal()
        computed_maximum = _decimal()
        total_maximum = _decimal()
        procedure_times = ProcedureTimeSerializer(many=True, help_text="Indicator 2.2.")

    @extend_schema(
        operation_id="report_index_766",
        tags=["reports"],
        summary="The Decision 766 index of a unit for a period",
        description=(
            "The indicators the system computes (the back office's chi-so-766 page): each "
            "with its numerator, denominator, rate, target and points, by group, the total, "
            "and the average resolution time per procedure. Center leaders, procedure "
            "controllers and administrators see their province's units, an agency's head "
            "their agency."
        ),
        parameters=[IndexParameters],
        responses={200: OutputSerializer, **problems(400, 401, 403)},
    )
    @reading_from_replica()
    def get(self, request: Request) -> Response:
        index_access_require(viewer=request.user)
        data = parameters_parse(IndexParameters, request).validated_data
        unit = _index_unit(request.user, data["unit"])
        report = index766_report(viewer=request.user, unit=unit, period=data["period"])
        return Response(Index766Api.OutputSerializer(report).data)


# ---------------------------------------------------------------------------------------------
# Alerts


class AlertListApi(Api):
    class FilterSerializer(serializers.Serializer):
        unread = FlagParameter(
            required=False, default=False, help_text="Only the alerts not marked read."
        )

    @extend_schema_serializer(component_name="Alert")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="alert_id")
        trigger = serializers.ChoiceField(source="alert.trigger", choices=Trigger.choices)
        subject = serializers.CharField(source="alert.subject")
        body = serializers.CharField(source="alert.body")
        sent_at = serializers.DateTimeField(source="alert.sent_at")
        due_at = serializers.DateTimeField(source="alert.due_at")
        dossier = serializers.CharField(source="alert.dossier.code")
        step_name = serializers.CharField(source="alert.step.name", allow_null=True, default=None)
        unit = UnitSerializer(source="alert.unit", help_text="The unit whose work is late.")
        rule = serializers.CharField(source="alert.rule.name")
        audience = serializers.ChoiceField(
            choices=Audience.choices, help_text="Why the caller was told."
        )
        read_at = serializers.DateTimeField(allow_null=True)

    @extend_schema(
        operation_id="alert_list",
        tags=["supervision"],
        summary="The alerts the caller was told of, newest first",
        description=(
            "The back office's alerts (canh-bao): near-due and overdue steps and dossiers, sent "
            "along the escalation rules to the people they name."
        ),
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses={200: page_of(OutputSerializer, "AlertPage"), **problems(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        _officer_require(request.user)
        filters = parameters_parse(AlertListApi.FilterSerializer, request)
        rows = alerts_for(viewer=request.user, unread_only=filters.validated_data["unread"])
        return paginate(
            queryset=rows, request=request, view=self, serializer=AlertListApi.OutputSerializer
        )


def _officer_require(viewer: Any) -> None:
    # The back office's own door: an officer with a role in a unit.
    if getattr(viewer, "is_citizen", False) or not memberships_of(user=viewer):
        raise PermissionDenied(NOT_AN_OFFICER)
