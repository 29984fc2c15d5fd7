"""Rating the service on the portal: from the receipt's QR code (the dossier code and lookup
secret, as for the public lookup and throttled with it), or from a signed-in citizen's own
dossier."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from motcua.core.errors import DomainError
from motcua.core.proxy import client_address
from motcua.dossiers.citizen import citizen_dossier_get
from motcua.dossiers.lookup import dossier_lookup_check
from motcua.dossiers.models import Dossier
from motcua.portal.access import citizen_required
from motcua.portal.views import LookupForm
from motcua.ratings.models import CRITERIA, CRITERION_FIELDS, Overall, Rating, RatingChannel
from motcua.ratings.selectors import rating_closed_reason, rating_for, rating_open_until
from motcua.ratings.services import COMMENT_MAX_LENGTH, rating_submit


class RatingForm(forms.Form):
    overall = forms.ChoiceField(
        label=gettext_lazy("Bạn hài lòng với việc giải quyết hồ sơ ở mức nào?"),
        choices=Overall.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Hãy chọn mức độ hài lòng.")},
    )
    comment = forms.CharField(
        label=gettext_lazy("Ý kiến, góp ý của bạn (không bắt buộc)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for criterion in CRITERIA:
            answers = [(str(2 - i), answer) for i, answer in enumerate(criterion.answers)]
            self.fields[criterion.field] = forms.TypedChoiceField(
                label=criterion.question,
                choices=[*answers, ("", criterion.no_answer)],
                coerce=int,
                empty_value=None,
                required=False,
                initial="",
                widget=forms.RadioSelect,
            )
        self.order_fields(["overall", *CRITERION_FIELDS, "comment"])

    def criteria_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in CRITERION_FIELDS]

    def criteria(self) -> dict[str, int | None]:
        return {name: self.cleaned_data[name] for name in CRITERION_FIELDS}


def _initial(rating: Rating | None) -> dict[str, Any]:
    if rating is None:
        return {}
    answers = {
        name: "" if (v := getattr(rating, name)) is None else str(v) for name in CRITERION_FIELDS
    }
    return {"overall": rating.overall, "comment": rating.comment, **answers}


def _rating_page(
    request: HttpRequest,
    *,
    dossier: Dossier,
    form: RatingForm,
    receipt: LookupForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "portal/ratings/rate.html",
        {
            "dossier": dossier,
            "form": form,
            "receipt": receipt,
            "rating": rating_for(dossier=dossier),
            "open_until": rating_open_until(dossier=dossier),
            "closed_reason": rating_closed_reason(dossier=dossier),
        },
        status=status,
    )


def _rate(
    request: HttpRequest,
    *,
    dossier: Dossier,
    channel: RatingChannel,
    receipt: LookupForm | None = None,
) -> HttpResponse:
    form = RatingForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            rating = rating_submit(
                dossier=dossier,
                overall=form.cleaned_data["overall"],
                criteria=form.criteria(),
                comment=form.cleaned_data["comment"],
                channel=channel,
                user=request.user,
            )
        except DomainError as error:
            field = error.extra.get("field")
            form.add_error(field if field in form.fields else None, str(error.message))
            status = error.status
        else:
            messages.success(request, _thanks(rating))
            return redirect("portal:rating_thanks")
    return _rating_page(request, dossier=dossier, form=form, receipt=receipt, status=status)


def _thanks(rating: Rating) -> str:
    if rating.overall == Overall.DISSATISFIED:
        return _(
            "Đã ghi nhận đánh giá của bạn về hồ sơ %(code)s. Lãnh đạo Trung tâm sẽ xem xét "
            "ý kiến của bạn trong 5 ngày làm việc."
        ) % {"code": rating.dossier.code}
    return _("Đã ghi nhận đánh giá của bạn về hồ sơ %(code)s.") % {"code": rating.dossier.code}


@never_cache
def rating_by_receipt(request: HttpRequest) -> HttpResponse:
    """From the receipt's QR code: the code and lookup secret first, then the rating form (the
    pair travels with the form and is checked again when the rating is sent)."""
    if request.method != "POST":
        receipt = LookupForm(initial={"code": request.GET.get("ma", "")})
        return render(request, "portal/ratings/receipt.html", {"form": receipt})
    receipt = LookupForm(request.POST)
    if not receipt.is_valid():
        return render(request, "portal/ratings/receipt.html", {"form": receipt}, status=400)
    try:
        dossier = dossier_lookup_check(
            code=receipt.cleaned_data["code"],
            secret=receipt.cleaned_data["secret"],
            client=client_address(request),
        )
    except DomainError as error:
        receipt.add_error(None, str(error.message))
        return render(
            request, "portal/ratings/receipt.html", {"form": receipt}, status=error.status
        )
    if request.POST.get("step") != "rate":
        form = RatingForm(initial=_initial(rating_for(dossier=dossier)))
        return _rating_page(request, dossier=dossier, form=form, receipt=receipt)
    return _rate(request, dossier=dossier, channel=RatingChannel.RECEIPT_QR, receipt=receipt)


@citizen_required
def rating_own(request: HttpRequest, code: str) -> HttpResponse:
    """A signed-in citizen rates one of their own dossiers; anybody else's is not found."""
    dossier = citizen_dossier_get(user=request.user, code=code)
    if request.method != "POST":
        form = RatingForm(initial=_initial(rating_for(dossier=dossier)))
        return _rating_page(request, dossier=dossier, form=form)
    return _rate(request, dossier=dossier, channel=RatingChannel.PORTAL)


def rating_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/ratings/thanks.html")
