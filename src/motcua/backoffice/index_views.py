"""Back-office pages of the Decision 766 index (per unit and period, with its Excel workbook) and
of the province's online-service targets (per center and year)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.agencies.models import Unit
from motcua.backoffice.access import officer_required
from motcua.core.errors import DomainError, PermissionDenied, ValidationFailed
from motcua.core.replica import reading_from_replica
from motcua.reports.index766 import index766_report, index_units
from motcua.reports.index766_export import index766_xlsx
from motcua.reports.periods import REPORT_KINDS, Period, PeriodKind, period_numbers
from motcua.reports.targets import online_targets_report, targets_centers

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIRST_YEAR, LAST_YEAR = 2000, 2100


_ROMAN = ("I", "II", "III", "IV")


def _period_label(kind: str, number: int) -> str:
    if kind == PeriodKind.MONTH:
        return _("Tháng %(m)s") % {"m": f"{number:02d}"}
    if kind == PeriodKind.QUARTER:
        return _("Quý %(q)s") % {"q": _ROMAN[number - 1]}
    if kind == PeriodKind.HALF:
        return _("6 tháng đầu năm") if number == 1 else _("6 tháng cuối năm")
    if kind == PeriodKind.NINE_MONTHS:
        return _("9 tháng đầu năm")
    return _("Cả năm")


def _period_choices() -> list[tuple[str, str]]:
    # The kind and number of a period ("month:3", "quarter:1"); the year is its own field.
    return [
        (f"{kind}:{number}", _period_label(kind, number))
        for kind in REPORT_KINDS
        for number in period_numbers(kind)
    ]


class IndexForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Đơn vị"), queryset=Unit.objects.none(), empty_label=None
    )
    period = forms.ChoiceField(label=gettext_lazy("Kỳ"), choices=())
    year = forms.IntegerField(label=gettext_lazy("Năm"), min_value=FIRST_YEAR, max_value=LAST_YEAR)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["period"].choices = _period_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "period" in data and "year" in data:
            kind, number = data["period"].split(":")
            try:
                data["report_period"] = Period.of(kind, data["year"], int(number))
            except ValidationFailed as error:
                raise forms.ValidationError(str(error.message)) from error
        return data


def _refuse_other_units(request: HttpRequest, field: str, allowed: QuerySet[Unit]) -> None:
    """A unit that exists but is not the viewer's is refused (403), not "not a choice" (400)."""
    raw = request.GET.get(field, "")
    if (
        raw.isdigit()
        and not allowed.filter(pk=raw).exists()
        and Unit.objects.filter(pk=raw).exists()
    ):
        raise PermissionDenied(_("Bạn không được xem số liệu của đơn vị này."))


def _index_form(request: HttpRequest) -> IndexForm:
    units = index_units(viewer=request.user)
    _refuse_other_units(request, "unit", units)
    if "unit" in request.GET:
        return IndexForm(request.GET, units=units)
    today = timezone.localdate()
    first = units.first()
    defaults = {
        "unit": first.pk if first else "",
        "period": f"{PeriodKind.MONTH}:{today.month}",
        "year": today.year,
    }
    return IndexForm(defaults, units=units)


def _form_errors(form: forms.Form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@officer_required
@reading_from_replica()
def index766(request: HttpRequest) -> HttpResponse:
    form = _index_form(request)
    if not form.is_valid():
        return render(request, "backoffice/index766/index.html", {"form": form}, status=400)
    unit, period = form.cleaned_data["unit"], form.cleaned_data["report_period"]
    report = index766_report(viewer=request.user, unit=unit, period=period)
    query = urlencode({"unit": unit.pk, "period": form.cleaned_data["period"], "year": period.year})
    return render(
        request, "backoffice/index766/index.html", {"form": form, "report": report, "query": query}
    )


@officer_required
@reading_from_replica()
def index766_workbook(request: HttpRequest) -> HttpResponse:
    form = _index_form(request)
    if not form.is_valid():
        raise ValidationFailed(_form_errors(form))
    unit, period = form.cleaned_data["unit"], form.cleaned_data["report_period"]
    report = index766_report(viewer=request.user, unit=unit, period=period)
    response = HttpResponse(index766_xlsx(report), content_type=XLSX)
    filename = f"chi-so-766-{unit.code}-{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class TargetsForm(forms.Form):
    center = forms.ModelChoiceField(
        label=gettext_lazy("Trung tâm"), queryset=Unit.objects.none(), empty_label=None
    )
    year = forms.IntegerField(label=gettext_lazy("Năm"), min_value=FIRST_YEAR, max_value=LAST_YEAR)

    def __init__(self, *args: Any, centers: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["center"].queryset = centers  # type: ignore[attr-defined]


@officer_required
@reading_from_replica()
def online_targets(request: HttpRequest) -> HttpResponse:
    centers = targets_centers(viewer=request.user)
    _refuse_other_units(request, "center", centers)
    if "center" in request.GET:
        form = TargetsForm(request.GET, centers=centers)
    else:
        first = centers.first()
        defaults = {"center": first.pk if first else "", "year": timezone.localdate().year}
        form = TargetsForm(defaults, centers=centers)
    if not form.is_valid():
        if not centers.exists():
            raise DomainError(_("Không có Trung tâm nào tiếp nhận hồ sơ của đơn vị bạn."))
        return render(request, "backoffice/index766/targets.html", {"form": form}, status=400)
    report = online_targets_report(
        viewer=request.user, center=form.cleaned_data["center"], year=form.cleaned_data["year"]
    )
    return render(request, "backoffice/index766/targets.html", {"form": form, "report": report})
