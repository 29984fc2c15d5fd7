"""Back-office pages of supervision: an officer's alerts and, for the center's leadership, the
board of near-due and overdue dossiers with a batch urge; the urge of one dossier; the urges
sent and received."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from motcua.agencies.models import Unit
from motcua.backoffice.access import officer_required
from motcua.core.errors import Conflict, ValidationFailed
from motcua.supervision.selectors import (
    BOARD_PAGE_SIZE,
    Urgency,
    alert_unread_count,
    alerts_for,
    board_dossiers,
    board_rows,
    may_urge,
    open_steps_of,
    responsible_units,
    urge_dossier_get,
    urger_role,
    urges_of_dossier,
    urges_received,
    urges_sent,
)
from motcua.supervision.services import (
    URGE_MESSAGE_MAX_LENGTH,
    alerts_mark_read,
    alerts_mark_seen,
    urge_send,
    urges_send,
)

if TYPE_CHECKING:
    from motcua.accounts.models import User

ALERTS_PAGE_SIZE = 20
URGES_PAGE_SIZE = 20
DEFAULT_URGE_MESSAGE = gettext_lazy(
    "Đề nghị quý cơ quan khẩn trương giải quyết, bảo đảm trả kết quả đúng hẹn cho người dân, "
    "tổ chức."
)
URGENCY_CHOICES = [
    ("", gettext_lazy("Sắp đến hạn và quá hạn")),
    (Urgency.NEAR.value, gettext_lazy("Sắp đến hạn")),
    (Urgency.OVERDUE.value, gettext_lazy("Quá hạn")),
]


class UrgeForm(forms.Form):
    message = forms.CharField(
        label=gettext_lazy("Nội dung đôn đốc"),
        max_length=URGE_MESSAGE_MAX_LENGTH,
        initial=DEFAULT_URGE_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Hãy nhập nội dung đôn đốc.")},
    )


class DossierUrgeForm(UrgeForm):
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Cơ quan được đôn đốc"), queryset=Unit.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Unit.objects.filter(pk__in=[unit.pk for unit in units])
        # The agency holding the most urgent open step comes first and is the default.
        field.choices = [(unit.pk, unit.name) for unit in units]
        field.initial = units[0].pk if units else None
        self.order_fields(["unit", "message"])


# ---------------------------------------------------------------------------------------------
# Alerts and the center's board


@officer_required
def alerts(request: HttpRequest) -> HttpResponse:
    # What this page lists is no longer new: the navigation shows no badge on it.
    alerts_mark_seen(actor=cast("User", request.user))
    mine = Paginator(alerts_for(viewer=request.user), ALERTS_PAGE_SIZE)
    context: dict[str, Any] = {
        "mine": mine.get_page(request.GET.get("trang")),
        "unread": alert_unread_count(viewer=request.user),
        "alerts_badge": None,
        "board": None,
    }
    if may_urge(viewer=request.user):
        urgency = request.GET.get("urgency", "")
        urgency = urgency if urgency in Urgency else ""
        dossiers = board_dossiers(viewer=request.user, urgency=urgency)
        page = Paginator(dossiers, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
        context.update(
            board=page,
            rows=board_rows(dossiers=page.object_list),
            urgency=urgency,
            urgencies=URGENCY_CHOICES,
            urge_form=UrgeForm(),
        )
    return render(request, "backoffice/supervision/alerts.html", context)


@officer_required
@require_POST
def alerts_read(request: HttpRequest) -> HttpResponse:
    ids = [int(value) for value in request.POST.getlist("alert") if value.isdigit()]
    alerts_mark_read(actor=request.user, alert_ids=None if "all" in request.POST else ids)
    return redirect("backoffice:alerts")


# ---------------------------------------------------------------------------------------------
# Urges


@officer_required
def urges(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _urge_batch(request)
    sent = Paginator(urges_sent(viewer=request.user), URGES_PAGE_SIZE)
    received = Paginator(urges_received(viewer=request.user), URGES_PAGE_SIZE)
    return render(
        request,
        "backoffice/supervision/urges.html",
        {
            "sent": sent.get_page(request.GET.get("gui")),
            "received": received.get_page(request.GET.get("nhan")),
        },
    )


def _urge_batch(request: HttpRequest) -> HttpResponse:
    # Refuse anyone who may not urge before looking at what they sent.
    urger_role(viewer=request.user)
    form = UrgeForm(request.POST)
    codes = request.POST.getlist("dossier")
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("backoffice:alerts")
    try:
        sent = urges_send(actor=request.user, dossiers=codes, message=form.cleaned_data["message"])
    except (ValidationFailed, Conflict) as error:
        messages.error(request, str(error.message))
        return redirect("backoffice:alerts")
    count = sum(urge.dossiers.count() for urge in sent)
    units = ", ".join(urge.unit.name for urge in sent)
    text = ngettext(
        "Đã đôn đốc %(units)s về %(n)s hồ sơ.", "Đã đôn đốc %(units)s về %(n)s hồ sơ.", count
    )
    messages.success(request, text % {"units": units, "n": count})
    return redirect("backoffice:urges")


@officer_required
def dossier_urge(request: HttpRequest, code: str) -> HttpResponse:
    dossier = urge_dossier_get(viewer=request.user, code=code)
    steps = open_steps_of([dossier])[dossier.pk]
    form = DossierUrgeForm(
        request.POST or None, units=responsible_units(dossier=dossier, steps=steps)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                urge = urge_send(
                    actor=request.user,
                    unit=form.cleaned_data["unit"],
                    dossiers=[dossier],
                    message=form.cleaned_data["message"],
                )
            except (ValidationFailed, Conflict) as error:
                field = error.extra.get("field")
                form.add_error(field if field in form.fields else None, str(error.message))
                status = error.status
            else:
                messages.success(
                    request,
                    _("Đã đôn đốc %(unit)s về hồ sơ %(code)s.")
                    % {"unit": urge.unit.name, "code": dossier.code},
                )
                return redirect("backoffice:dossier", code=dossier.code)
    return render(
        request,
        "backoffice/supervision/dossier_urge.html",
        {
            "dossier": dossier,
            "steps": steps,
            "form": form,
            "previous": Paginator(
                urges_of_dossier(viewer=request.user, dossier=dossier), URGES_PAGE_SIZE
            ).get_page(request.GET.get("p")),
        },
        status=status,
    )
