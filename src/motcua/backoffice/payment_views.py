"""Back-office pages of online payments: the list of the officer's units, one payment with
everything the gateway sent and its refunds, and the daily reconciliation with the gateway."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from motcua.backoffice.access import officer_required
from motcua.core.errors import DomainError, NotFound, PermissionDenied
from motcua.payments.models import MismatchKind, Payment, PaymentStatus
from motcua.payments.receipts import receipt_pdf
from motcua.payments.reconciliation import reconciliation_run
from motcua.payments.refunds import refund_record
from motcua.payments.selectors import (
    may_reconcile,
    may_refund,
    payment_get,
    payment_list,
    payment_status_choices,
    reconciliation_get,
)

PAGE_SIZE = 25


class PaymentFilterForm(forms.Form):
    day = forms.DateField(
        label=gettext_lazy("Ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(label=gettext_lazy("Trạng thái"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("Tất cả")), *payment_status_choices()]
        self.fields["status"].choices = choices  # type: ignore[attr-defined]


class RefundForm(forms.Form):
    amount = forms.IntegerField(label=gettext_lazy("Số tiền hoàn (đồng)"), min_value=1)
    reason = forms.CharField(label=gettext_lazy("Lý do"), widget=forms.Textarea(attrs={"rows": 2}))
    gateway_reference = forms.CharField(
        label=gettext_lazy("Mã hoàn tiền tại cổng thanh toán (nếu có)"),
        max_length=60,
        required=False,
    )


class DayForm(forms.Form):
    day = forms.DateField(
        label=gettext_lazy("Ngày đối soát"), widget=forms.DateInput(attrs={"type": "date"})
    )


@officer_required
def payments(request: HttpRequest) -> HttpResponse:
    form = PaymentFilterForm(request.GET)
    chosen = form.cleaned_data if form.is_valid() else {}
    day, status = chosen.get("day"), chosen.get("status", "")
    page = Paginator(payment_list(viewer=request.user, day=day, status=status), PAGE_SIZE)
    query = urlencode({k: v for k, v in {"day": day or "", "status": status}.items() if v})
    return render(
        request,
        "backoffice/payments/list.html",
        {
            "form": form,
            "page": page.get_page(request.GET.get("page")),
            "query": query,
            "may_reconcile": may_reconcile(viewer=request.user),
        },
        status=200 if form.is_valid() else 400,
    )


def _detail(
    request: HttpRequest, found: Payment, *, form: RefundForm | None = None, status: int = 200
) -> HttpResponse:
    refundable = may_refund(viewer=request.user, payment=found)
    return render(
        request,
        "backoffice/payments/detail.html",
        {
            "payment": found,
            "callbacks": found.callbacks.all(),
            "refunds": found.refunds.select_related("recorded_by"),
            "may_refund": refundable,
            "form": form or RefundForm(initial={"amount": found.refundable_amount or None}),
        },
        status=status,
    )


@officer_required
def payment(request: HttpRequest, txn_ref: str) -> HttpResponse:
    return _detail(request, payment_get(viewer=request.user, txn_ref=txn_ref))


@officer_required
@require_POST
def payment_refund(request: HttpRequest, txn_ref: str) -> HttpResponse:
    found = payment_get(viewer=request.user, txn_ref=txn_ref)
    form = RefundForm(request.POST)
    if not form.is_valid():
        return _detail(request, found, form=form, status=400)
    try:
        refund_record(actor=request.user, payment=found, **form.cleaned_data)
    except DomainError as error:
        form.add_error(None, str(error.message))
        return _detail(request, found, form=form, status=error.status)
    messages.success(request, _("Đã ghi nhận hoàn tiền cho giao dịch %(ref)s.") % {"ref": txn_ref})
    return redirect("backoffice:payment", txn_ref=txn_ref)


@officer_required
def payment_receipt(request: HttpRequest, txn_ref: str) -> HttpResponse:
    found = payment_get(viewer=request.user, txn_ref=txn_ref)
    if found.status != PaymentStatus.PAID or not found.receipt_number:
        raise NotFound(_("Giao dịch %(ref)s chưa có biên lai.") % {"ref": txn_ref})
    response = HttpResponse(receipt_pdf(payment=found), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bien-lai-{found.txn_ref}.pdf"'
    return response


def _chosen_day(request: HttpRequest) -> tuple[DayForm, dt.date]:
    data = request.POST if request.method == "POST" else request.GET
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    form = DayForm(data if "day" in data else {"day": yesterday.isoformat()})
    return form, form.cleaned_data["day"] if form.is_valid() else yesterday


@officer_required
def reconciliation(request: HttpRequest) -> HttpResponse:
    if not may_reconcile(viewer=request.user):
        raise PermissionDenied(_("Chỉ lãnh đạo Trung tâm được xem đối soát thanh toán."))
    form, day = _chosen_day(request)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            reconciliation_run(day=day, actor=request.user)
        except DomainError as failure:
            error = failure.message
        else:
            messages.success(request, _("Đã đối soát ngày %(day)s.") % {"day": f"{day:%d/%m/%Y}"})
            return redirect(f"{reverse('backoffice:payment_reconciliation')}?day={day}")
    report = reconciliation_get(viewer=request.user, day=day)
    labels = dict(MismatchKind.choices)
    rows = (
        [{**m, "label": labels.get(m["kind"], m["kind"])} for m in report.mismatches]
        if report
        else []
    )
    return render(
        request,
        "backoffice/payments/reconciliation.html",
        {
            "form": form,
            "day": day,
            "report": report,
            "rows": rows,
            "error": error,
        },
        status=400 if error or not form.is_valid() else 200,
    )
