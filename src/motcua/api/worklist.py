"""An officer's worklist: the open steps waiting for them, most urgent first."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from motcua.api.base import Api
from motcua.api.serializers import (
    PAGE_PARAMETERS,
    NamedChoiceField,
    Pagination,
    StringField,
    page_of,
    problems,
    query_of,
)
from motcua.catalog.models import StepKind
from motcua.dossiers.models import DossierState
from motcua.dossiers.worklists import TAB_LABELS, Tab, Urgency, WorkItem, work_items, worklist


@extend_schema_serializer(component_name="WorkItemDossier")
class WorkItemDossierSerializer(serializers.Serializer):
    code = serializers.CharField()
    state = serializers.ChoiceField(choices=DossierState.choices)
    state_label = serializers.CharField(source="get_state_display")
    applicant_name = serializers.CharField()
    procedure_code = serializers.CharField(source="procedure_version.procedure.national_code")
    procedure_name = serializers.CharField(source="procedure_version.name")
    due_at = serializers.DateTimeField(allow_null=True)
    appointment_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="WorkItemAssignee")
class AssigneeSerializer(serializers.Serializer):
    username = serializers.CharField()
    # Not display_name(): its fallback reads columns the worklist query does not load.
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return str(user.full_name or user.username)


class WorklistApi(Api):
    class FilterSerializer(serializers.Serializer):
        tab = serializers.ChoiceField(
            choices=[(tab.value, TAB_LABELS[tab]) for tab in Tab],
            required=False,
            default=Tab.MINE.value,
            help_text="mine: assigned to me; unit: open in my units; signature: awaiting my "
            "signature.",
        )
        procedure = StringField(
            required=False,
            default="",
            allow_blank=True,
            max_length=40,
            help_text="A procedure's national code.",
        )
        state = serializers.ChoiceField(
            choices=DossierState.choices, required=False, default="", allow_blank=True
        )

    @extend_schema_serializer(component_name="WorkItem")
    class OutputSerializer(serializers.Serializer):
        step = serializers.IntegerField(source="step.id", help_text="The step's id.")
        step_name = serializers.CharField(source="step.name")
        step_kind = NamedChoiceField(
            source="step.kind", choices=StepKind.choices, enum_name="StepKindEnum"
        )
        stage = serializers.IntegerField(source="step.stage")
        unit_name = serializers.CharField(source="step.unit.name")
        assignee = AssigneeSerializer(source="step.assignee", allow_null=True)
        started_at = serializers.DateTimeField(source="step.started_at")
        due_at = serializers.DateTimeField(source="step.due_at", help_text="The step's due time.")
        dossier = WorkItemDossierSerializer(source="step.dossier")
        urgency = serializers.ChoiceField(
            choices=[(u.value, u.value) for u in Urgency],
            help_text="overdue, near (due soon), within, or paused (waiting for the applicant).",
        )
        urgency_label = serializers.CharField()
        working_seconds_left = serializers.SerializerMethodField(
            help_text="Working time until the step's due time, in seconds; negative when overdue."
        )

        @extend_schema_field(int)
        def get_working_seconds_left(self, item: WorkItem) -> int:
            return int(item.left.total_seconds())

    @extend_schema(
        operation_id="worklist",
        tags=["dossiers"],
        summary="The caller's worklist, most urgent first",
        description=(
            "Open steps: assigned to the caller (`mine`), open in the caller's units (`unit`), "
            "or awaiting the caller's signature (`signature`), each with its urgency and the "
            "working time left. A page costs the same number of queries whatever its size."
        ),
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses={200: page_of(OutputSerializer, "WorkItemPage"), **problems(400, 401)},
    )
    def get(self, request: Request) -> Response:
        filters = WorklistApi.FilterSerializer(data=query_of(request))
        filters.is_valid(raise_exception=True)
        steps = worklist(viewer=request.user, **filters.validated_data)
        paginator = Pagination()
        page = paginator.paginate_queryset(steps, request, view=self) or []
        items = work_items(steps=page)
        output = WorklistApi.OutputSerializer(items, many=True)
        return paginator.get_paginated_response(output.data)
