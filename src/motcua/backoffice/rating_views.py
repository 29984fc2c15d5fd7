"""Back-office pages on ratings, for the center's leadership: the follow-ups of dissatisfied
ratings (take, close with a resolution) and a summary per procedure and receiving officer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from motcua.backoffice.access import officer_required
from motcua.core.errors import ValidationFailed
from motcua.ratings.models import FollowUpStatus
from motcua.ratings.selectors import (
    followup_get,
    followup_may_manage,
    followups_list,
    leadership_require,
    rating_summary,
)
from motcua.ratings.services import RESOLUTION_MAX_LENGTH, followup_close, followup_take

FOLLOWUPS_PAGE_SIZE = 25
SUMMARY_MAX_DAYS = 366


class TakeForm(forms.Form):
    notes = forms.CharField(
        label=gettext_lazy("Ghi chú (không bắt buộc)"),
        required=False,
        max_length=RESOLUTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CloseForm(forms.Form):
    resolution = forms.CharField(
        label=gettext_lazy("Kết quả xử lý"),
        max_length=RESOLUTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Đã làm gì với ý kiến của người dân, đã liên hệ lại ra sao."),
        error_messages={"required": gettext_lazy("Hãy ghi kết quả xử lý.")},
    )


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("Từ ngày"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=gettext_lazy("Đến ngày"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("Ngày kết thúc phải sau ngày bắt đầu."))
        if start and end and (end - start).days >= SUMMARY_MAX_DAYS:
            raise forms.ValidationError(_("Mỗi lần xem tổng hợp tối đa một năm."))
        return data


@officer_required
def followups(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in FollowUpStatus.values else ""
    page = Paginator(followups_list(viewer=request.user, status=status), FOLLOWUPS_PAGE_SIZE)
    return render(
        request,
        "backoffice/ratings/followups.html",
        {
            "page": page.get_page(request.GET.get("page")),
            "status": status,
            "statuses": FollowUpStatus.choices,
        },
    )


def _followup_page(
    request: HttpRequest,
    pk: int,
    *,
    take_form: TakeForm | None = None,
    close_form: CloseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    found = followup_get(viewer=request.user, pk=pk)
    return render(
        request,
        "backoffice/ratings/followup.html",
        {
            "followup": found,
            "rating": found.rating,
            "dossier": found.rating.dossier,
            "may_manage": followup_may_manage(viewer=request.user, followup=found),
            "take_form": take_form or TakeForm(),
            "close_form": close_form or CloseForm(),
        },
        status=status,
    )


@officer_required
def followup(request: HttpRequest, pk: int) -> HttpResponse:
    return _followup_page(request, pk)


@officer_required
@require_POST
def followup_take_view(request: HttpRequest, pk: int) -> HttpResponse:
    found = followup_get(viewer=request.user, pk=pk)
    form = TakeForm(request.POST)
    if not form.is_valid():
        return _followup_page(request, pk, take_form=form, status=400)
    followup_take(actor=request.user, followup_id=found.pk, notes=form.cleaned_data["notes"])
    messages.success(request, _("Bạn đã nhận xử lý đánh giá này."))
    return redirect("backoffice:followup", pk=found.pk)


@officer_required
@require_POST
def followup_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    found = followup_get(viewer=request.user, pk=pk)
    form = CloseForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            followup_close(
                actor=request.user,
                followup_id=found.pk,
                resolution=form.cleaned_data["resolution"],
            )
        except ValidationFailed as error:
            field = error.extra.get("field")
            form.add_error(field if field in form.fields else None, str(error.message))
            status = error.status
        else:
            messages.success(request, _("Đã đóng việc theo dõi đánh giá."))
            return redirect("backoffice:followup", pk=found.pk)
    return _followup_page(request, pk, close_form=form, status=status)


def _period_form(request: HttpRequest) -> PeriodForm:
    if "start" in request.GET:
        return PeriodForm(request.GET)
    today = timezone.localdate()
    return PeriodForm({"start": today.replace(day=1), "end": today})


@officer_required
def summary(request: HttpRequest) -> HttpResponse:
    leadership_require(viewer=request.user)
    form = _period_form(request)
    if not form.is_valid():
        return render(request, "backoffice/ratings/summary.html", {"form": form}, status=400)
    start: dt.date = form.cleaned_data["start"]
    end: dt.date = form.cleaned_data["end"]
    return render(
        request,
        "backoffice/ratings/summary.html",
        {"form": form, "summary": rating_summary(viewer=request.user, start=start, end=end)},
    )
