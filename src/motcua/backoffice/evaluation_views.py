"""Back-office pages of the evaluation of procedure handling: the summary of a period per agency
and per procedure (on screen and as Excel), the evaluated dossiers with their nine points, and
one dossier's evaluation with the form where a reviewer enters the points a person must give.

The figures come from `evaluation.selectors`, the entries go through `evaluation.services`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from motcua.backoffice.access import officer_required
from motcua.backoffice.report_params import int_param, period_param, scope_param
from motcua.backoffice.report_views import PeriodForm
from motcua.core.errors import ValidationFailed
from motcua.core.replica import reading_from_replica
from motcua.evaluation.exports import summary_xlsx
from motcua.evaluation.models import MANUAL_INDICATORS, Grade
from motcua.evaluation.rules import INDICATORS, field_of, grade_of
from motcua.evaluation.selectors import (
    NOT_EVALUATED,
    EvaluationSummary,
    dossier_evaluation,
    evaluated_dossiers,
    evaluation_summary,
)
from motcua.evaluation.services import (
    NOTE_MAX_LENGTH,
    evaluation_entry_clear,
    evaluation_entry_set,
    evaluator_require,
    may_evaluate,
)
from motcua.reports.selectors import report_choices

PAGE_SIZE = 25
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _summary(request: HttpRequest) -> EvaluationSummary:
    return evaluation_summary(
        viewer=request.user, period=period_param(request), scope=scope_param(request)
    )


def _list_url(summary: EvaluationSummary, **extra: Any) -> str:
    query = {"p": summary.period.token, **summary.scope.query()}
    query.update({name: value for name, value in extra.items() if value is not None})
    return f"{reverse('backoffice:evaluation_dossiers')}?{urlencode(query)}"


@officer_required
@reading_from_replica()
def evaluation_summary_view(request: HttpRequest) -> HttpResponse:
    summary = _summary(request)
    period = summary.period
    query = {"kind": period.kind, "number": period.number, "year": period.year}
    query |= summary.scope.query()
    grade_links = [
        (grade, summary.total.grades[grade], _list_url(summary, grade=grade)) for grade in Grade
    ]
    return render(
        request,
        "backoffice/evaluation/summary.html",
        {
            "form": PeriodForm(initial=query, choices=report_choices(viewer=request.user)),
            "summary": summary,
            "indicators": INDICATORS,
            "by_agency": [(row, _list_url(summary, agency=row.key)) for row in summary.by_agency],
            "by_procedure": [
                (row, _list_url(summary, procedure=row.key)) for row in summary.by_procedure
            ],
            "grade_links": grade_links,
            "all_url": _list_url(summary),
            "not_evaluated_url": _list_url(summary, grade=NOT_EVALUATED),
            "query": urlencode(query),
        },
    )


@officer_required
@reading_from_replica()
def evaluation_summary_xlsx(request: HttpRequest) -> HttpResponse:
    summary = _summary(request)
    response = HttpResponse(summary_xlsx(summary=summary), content_type=XLSX)
    period = summary.period
    name = f"danh-gia-giai-quyet-{period.kind}-{period.year}-{period.number:02d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@officer_required
@reading_from_replica()
def evaluation_dossiers_view(request: HttpRequest) -> HttpResponse:
    period, scope = period_param(request), scope_param(request)
    grade = request.GET.get("grade", "")
    dossiers = evaluated_dossiers(
        viewer=request.user,
        period=period,
        scope=scope,
        grade=grade,
        agency_id=int_param(request, "agency"),
    )
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        (d, [getattr(d, f"{field_of(i)}_value") for i in INDICATORS], grade_of(d.total_value))  # type: ignore[attr-defined]
        for d in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "backoffice/evaluation/dossiers.html",
        {
            "page": page,
            "rows": rows,
            "period": period,
            "scope": scope,
            "grade": Grade(grade).label if grade in Grade.values else "",
            "not_evaluated": grade == NOT_EVALUATED,
            "indicators": INDICATORS,
            "query": query.urlencode(),
        },
    )


class EntryForm(forms.Form):
    indicator = forms.ChoiceField(
        label=gettext_lazy("Chỉ số"),
        choices=[(str(i), f"{INDICATORS.index(i) + 1}. {i.label}") for i in MANUAL_INDICATORS],
        error_messages={"invalid_choice": gettext_lazy("Hãy chọn một chỉ số trong danh sách.")},
    )
    points = forms.TypedChoiceField(
        label=gettext_lazy("Điểm"),
        choices=[(2, "2"), (1, "1"), (0, "0")],
        coerce=int,
        error_messages={"invalid_choice": gettext_lazy("Điểm của mỗi chỉ số là 0, 1 hoặc 2.")},
    )
    note = forms.CharField(
        label=gettext_lazy("Ghi chú, căn cứ (không bắt buộc)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _dossier_page(
    request: HttpRequest, code: str, *, form: EntryForm | None = None, status: int = 200
) -> HttpResponse:
    evaluation = dossier_evaluation(viewer=request.user, code=code)
    return render(
        request,
        "backoffice/evaluation/dossier.html",
        {
            "evaluation": evaluation,
            "dossier": evaluation.dossier,
            "manual": [str(i) for i in MANUAL_INDICATORS],
            "may_enter": may_evaluate(actor=request.user),
            "form": form or EntryForm(),
        },
        status=status,
    )


@officer_required
def evaluation_dossier_view(request: HttpRequest, code: str) -> HttpResponse:
    if request.method != "POST":
        return _dossier_page(request, code)
    # Refused before the form is read: someone without the role learns nothing from its errors.
    evaluator_require(actor=request.user)
    form = EntryForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            evaluation_entry_set(actor=request.user, code=code, **form.cleaned_data)
        except ValidationFailed as error:
            field = error.extra.get("field")
            form.add_error(field if field in form.fields else None, str(error.message))
            status = error.status
        else:
            messages.success(request, _("Đã lưu điểm đánh giá."))
            return redirect("backoffice:evaluation_dossier", code=code)
    return _dossier_page(request, code, form=form, status=status)


@officer_required
@require_POST
def evaluation_entry_clear_view(request: HttpRequest, code: str) -> HttpResponse:
    evaluation_entry_clear(
        actor=request.user, code=code, indicator=request.POST.get("indicator", "")
    )
    messages.success(request, _("Đã bỏ điểm chấm tay; chỉ số lấy lại điểm tính từ dữ liệu."))
    return redirect("backoffice:evaluation_dossier", code=code)
