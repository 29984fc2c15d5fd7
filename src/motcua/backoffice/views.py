"""Back-office pages: home, intake at the counter, dossiers and their printed forms, the
worklist and the logbook (form 07). The action pages are in `processing_views`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import formats, timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from motcua.agencies.models import Role, Unit
from motcua.agencies.selectors import has_role, memberships_of, scope_paths_of, units_where
from motcua.backoffice import security_views
from motcua.backoffice.access import officer_required
from motcua.backoffice.forms import (
    ApplicantForm,
    LogbookForm,
    WorklistFilterForm,
    guidance_items,
    received_components,
)
from motcua.backoffice.processing_views import ACTIONS_BY_NAME, available_actions
from motcua.catalog.selectors import procedure_list, version_get
from motcua.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from motcua.core.responses import stored_file_response
from motcua.dossiers import printing
from motcua.dossiers.logbook import logbook_rows, logbook_xlsx
from motcua.dossiers.models import Dossier, DossierState, PaymentNotice
from motcua.dossiers.processing import roles_in
from motcua.dossiers.selectors import (
    dossier_count_by_state,
    dossier_get,
    dossier_list,
    dossier_milestones,
    dossier_trace_get,
    notice_get,
    notice_list,
)
from motcua.dossiers.services import (
    dossier_receive,
    reception_guidance_issue,
    reception_refusal_issue,
)
from motcua.dossiers.worklists import (
    TAB_LABELS,
    URGENCY_LABELS,
    Tab,
    Urgency,
    WorkItem,
    online_submissions,
    supplements_awaiting_approval,
    waiting_for_applicant,
    work_items,
    worklist,
    worklist_counts,
)
from motcua.lib import jsonform
from motcua.notifications.selectors import messages_for
from motcua.supervision.selectors import may_urge


class LoginView(auth_views.LoginView):
    template_name = "backoffice/login.html"
    authentication_form = security_views.OfficerLoginForm
    redirect_authenticated_user = True
    # Without a page to go back to, an officer lands on their worklist.
    next_page = reverse_lazy("backoffice:worklist")  # type: ignore[assignment]

    def form_valid(self, form: Any) -> HttpResponse:
        # The session is logged in only once the second factor, where there is one, is checked.
        return security_views.sign_in_continue(
            self.request, user=form.get_user(), next_url=self.get_success_url()
        )

    def form_invalid(self, form: Any) -> HttpResponse:
        # 400 for a wrong password, 429 while sign-in is locked.
        response = self.render_to_response(self.get_context_data(form=form), status=form.status)
        if form.retry_after:
            response["Retry-After"] = str(form.retry_after)
        return response


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@officer_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "backoffice/home.html",
        {
            "memberships": memberships_of(user=request.user),
            "counts": dossier_count_by_state(viewer=request.user),
            "states": DossierState,
            "recent": dossier_list(viewer=request.user)[:10],
            "can_receive": has_role(user=request.user, roles=[Role.RECEPTION_OFFICER]),
        },
    )


@officer_required
def intake_select(request: HttpRequest) -> HttpResponse:
    centers = list(units_where(user=request.user, roles=[Role.RECEPTION_OFFICER]))
    if not centers:
        raise PermissionDenied(_("Bạn không có quyền tiếp nhận hồ sơ."))
    search = request.GET.get("q", "")
    procedures = procedure_list(search=search, receiving_units=centers)
    return render(request, "backoffice/intake_select.html", {"procedures": procedures, "q": search})


@officer_required
def intake(request: HttpRequest, version_id: int) -> HttpResponse:
    version = version_get(pk=version_id)
    # Only the desk that receives the procedure opens its intake form: another officer would
    # type everything in only to be refused by the service.
    if Role.RECEPTION_OFFICER not in roles_in(request.user, version.receiving_unit):
        raise PermissionDenied(_("Bạn không có quyền tiếp nhận hồ sơ."))
    requirements = list(version.components.all())
    form = ApplicantForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            return _intake_decide(request, version=version, form=form, requirements=requirements)
        except DomainError as error:
            form.add_error(None, str(error.message))
            status = error.status
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "backoffice/intake.html",
        {
            "version": version,
            "form": form,
            "requirements": requirements,
            "ticked": _ticked(request),
        },
        status=status,
    )


def _ticked(request: HttpRequest) -> set[int]:
    return {int(key[2:]) for key in request.POST if key.startswith("c_") and key[2:].isdigit()}


def _intake_decide(
    request: HttpRequest, *, version, form: ApplicantForm, requirements: list
) -> HttpResponse:  # type: ignore[no-untyped-def]
    action = request.POST.get("action")
    data = form.cleaned_data
    if action == "guidance":
        items = guidance_items(
            post=request.POST, requirements=requirements, other_items=data["other_items"]
        )
        notice = reception_guidance_issue(
            actor=request.user,
            version=version,
            applicant=form.applicant(),
            items=items,
            legal_basis=data["legal_basis"],
            note=data["note"],
        )
        messages.success(request, _("Đã lập phiếu hướng dẫn bổ sung %(n)s.") % {"n": notice.number})
        return redirect("backoffice:notice", number=notice.number)
    if action == "refuse":
        notice = reception_refusal_issue(
            actor=request.user,
            version=version,
            applicant=form.applicant(),
            reason=data["refusal_reason"],
            legal_basis=data["legal_basis"],
        )
        messages.success(request, _("Đã lập phiếu từ chối %(n)s.") % {"n": notice.number})
        return redirect("backoffice:notice", number=notice.number)
    dossier, _replayed = dossier_receive(
        actor=request.user,
        version=version,
        applicant=form.applicant(),
        components=received_components(
            post=request.POST, files=request.FILES, requirements=requirements
        ),
        result_channel=data["result_channel"],
        note=data["note"],
    )
    messages.success(request, _("Đã tiếp nhận hồ sơ %(code)s.") % {"code": dossier.code})
    return redirect("backoffice:dossier", code=dossier.code)


@officer_required
def dossiers(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")
    state = request.GET.get("state", "")
    page = Paginator(dossier_list(viewer=request.user, search=search, state=state), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "backoffice/dossiers.html",
        {"page": page, "q": search, "state": state, "states": DossierState.choices},
    )


@officer_required
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    found = dossier_get(viewer=request.user, code=code)
    return pdf_response(printing.receipt_pdf(dossier=found), f"{found.code}-mau-01.pdf")


@officer_required
def notices(request: HttpRequest) -> HttpResponse:
    page = Paginator(notice_list(viewer=request.user).order_by("-issued_at"), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "backoffice/notices.html", {"page": page})


@officer_required
def notice(request: HttpRequest, number: str) -> HttpResponse:
    found = notice_get(viewer=request.user, number=number)
    return render(request, "backoffice/notice.html", {"notice": found})


@officer_required
def notice_print(request: HttpRequest, number: str) -> HttpResponse:
    found = notice_get(viewer=request.user, number=number)
    return pdf_response(printing.notice_pdf(notice=found), f"{found.number}.pdf")


# ---------------------------------------------------------------------------------------------
# The dossier page


@dataclass(frozen=True)
class Clock:
    original_due_at: datetime | None
    due_at: datetime | None
    rescheduled_due_at: datetime | None
    status: str


_PAUSED_STATES = {DossierState.SUPPLEMENT_REQUESTED, DossierState.AWAITING_PAYMENT}


def _clock(dossier: Dossier) -> Clock:
    if dossier.timeliness:
        status = dossier.get_timeliness_display()
    elif not dossier.is_open or dossier.due_at is None:
        status = ""
    elif dossier.state in _PAUSED_STATES:
        status = str(URGENCY_LABELS[Urgency.PAUSED])
    else:
        overdue = dossier.due_at < timezone.now()
        status = str(URGENCY_LABELS[Urgency.OVERDUE if overdue else Urgency.WITHIN])
    return Clock(dossier.original_due_at, dossier.due_at, dossier.rescheduled_due_at, status)


@officer_required
def dossier(request: HttpRequest, code: str) -> HttpResponse:
    found = dossier_trace_get(viewer=request.user, code=code)
    actions = [
        (spec, reverse(f"backoffice:{spec.url_name}", args=[code]))
        for spec in (ACTIONS_BY_NAME[name] for name in available_actions(request.user, found))
    ]
    return render(
        request,
        "backoffice/dossier.html",
        {
            "dossier": found,
            "actions": actions,
            "clock": _clock(found),
            "steps": found.steps.all(),
            "pauses": found.pauses.all(),
            "notices": found.notices.all(),
            "supplements": found.supplements.all(),
            "payment": getattr(found, "payment", None),
            "milestones": dossier_milestones(dossier=found),
            "outbox": messages_for(target_type="dossier", target_id=found.code),
            "lookup_url": printing.lookup_url(code=found.code),
            "declaration": jsonform.form_display(
                found.procedure_version.form_schema, found.form_data
            ),
            "may_urge": found.is_open and may_urge(viewer=request.user),
        },
    )


@officer_required
def dossier_document(request: HttpRequest, code: str, component_id: int) -> HttpResponseBase:
    """A component's file, for officers who may see the dossier (to check an online upload)."""
    found = dossier_get(viewer=request.user, code=code)
    component = next((c for c in found.components.all() if c.pk == component_id), None)
    if component is None or component.document is None:
        raise NotFound(_("Không tìm thấy tệp của thành phần hồ sơ."))
    return stored_file_response(component.document)


@officer_required
def control_slip(request: HttpRequest, code: str) -> HttpResponse:
    found = dossier_get(viewer=request.user, code=code)
    return pdf_response(printing.control_slip_pdf(dossier=found), f"{found.code}-mau-06.pdf")


@officer_required
def dossier_notice_print(request: HttpRequest, code: str, number: str) -> HttpResponse:
    found = dossier_get(viewer=request.user, code=code)
    notice = found.notices.select_related("issuing_unit__parent").filter(number=number).first()
    if notice is None:
        raise NotFound(_("Không tìm thấy phiếu %(number)s.") % {"number": number})
    notice.dossier = found
    return pdf_response(printing.dossier_notice_pdf(notice=notice), f"{notice.number}.pdf")


@officer_required
def payment_notice_print(request: HttpRequest, code: str) -> HttpResponse:
    found = dossier_get(viewer=request.user, code=code)
    payment = PaymentNotice.objects.filter(dossier=found).first()
    if payment is None:
        raise NotFound(_("Hồ sơ %(code)s chưa có thông báo nộp tiền.") % {"code": code})
    payment.dossier = found
    return pdf_response(printing.payment_notice_pdf(payment=payment), f"{payment.number}.pdf")


@officer_required
def result_document(request: HttpRequest, code: str) -> HttpResponse:
    found = dossier_get(viewer=request.user, code=code)
    document = found.result_document
    if document is None:
        raise NotFound(_("Hồ sơ %(code)s chưa có văn bản kết quả.") % {"code": code})
    with document.file.open("rb") as content:
        response = HttpResponse(content.read(), content_type=document.content_type)
    disposition = content_disposition_header(as_attachment=False, filename=document.original_name)
    response["Content-Disposition"] = disposition or "inline"
    return response


# ---------------------------------------------------------------------------------------------
# The worklist


def left_text(item: WorkItem) -> str:
    """Working time left, as officers say it: "2 ngày 3,5 giờ", or "quá 1 ngày 2 giờ"."""
    days, hours = item.left_days_hours
    parts = [_("%(n)s ngày") % {"n": days}] if days else []
    if hours or not days:
        shown = formats.number_format(hours if hours % 1 else int(hours))
        parts.append(_("%(n)s giờ") % {"n": shown})
    text = " ".join(parts)
    return _("quá %(left)s") % {"left": text} if item.left.total_seconds() < 0 else text


@dataclass(frozen=True)
class WorkRow:
    item: WorkItem
    left: str


WORKLIST_PAGE_SIZE = 25


@officer_required
def my_work(request: HttpRequest) -> HttpResponse:
    filters = WorklistFilterForm(request.GET)
    # The form only accepts the tabs' values.
    tab = Tab(filters.value("tab") or Tab.MINE)
    chosen = {"procedure": filters.value("procedure"), "state": filters.value("state")}
    counts = worklist_counts(viewer=request.user, **chosen)
    tabs = [(t.value, TAB_LABELS[t], counts[t]) for t in Tab]
    page = Paginator(worklist(viewer=request.user, tab=tab, **chosen), WORKLIST_PAGE_SIZE)
    # The tab's count is known already: spare the paginator its own COUNT over the open steps.
    page.count = counts[tab]
    current = page.get_page(request.GET.get("page"))
    rows = [WorkRow(item, left_text(item)) for item in work_items(steps=current.object_list)]
    heads = has_role(user=request.user, roles=[Role.DEPARTMENT_HEAD])
    at_desk = has_role(user=request.user, roles=[Role.RECEPTION_OFFICER])
    return render(
        request,
        "backoffice/worklist.html",
        {
            "filters": filters,
            "tab": tab,
            "tabs": tabs,
            "page": current,
            "rows": rows,
            "query": urlencode({k: v for k, v in chosen.items() if v}),
            "supplements": list(supplements_awaiting_approval(viewer=request.user))
            if heads
            else None,
            "waiting": list(waiting_for_applicant(viewer=request.user)) if at_desk else None,
            "online": list(online_submissions(viewer=request.user)) if at_desk else None,
        },
    )


# ---------------------------------------------------------------------------------------------
# The logbook (form 07)


def _logbook_units(viewer: Any) -> QuerySet[Unit]:
    """The viewer's own units and the agencies or centers they work in."""
    own = [m.unit_id for m in memberships_of(user=viewer)]
    return Unit.objects.filter(Q(pk__in=own) | Q(path__in=scope_paths_of(user=viewer)))


def _logbook_form(request: HttpRequest) -> LogbookForm:
    units = _logbook_units(request.user)
    if "unit" in request.GET:
        return LogbookForm(request.GET, units=units)
    today = timezone.localdate()
    first = units.first()
    defaults = {"unit": first.pk if first else "", "start": today.replace(day=1), "end": today}
    return LogbookForm(defaults, units=units)


def _logbook_query(request: HttpRequest) -> tuple[Unit, dt.date, dt.date]:
    form = _logbook_form(request)
    if not form.is_valid():
        raise ValidationFailed(" ".join(str(e) for errors in form.errors.values() for e in errors))
    data = form.cleaned_data
    return data["unit"], data["start"], data["end"]


@officer_required
def logbook(request: HttpRequest) -> HttpResponse:
    form = _logbook_form(request)
    if not form.is_valid():
        return render(request, "backoffice/logbook.html", {"form": form}, status=400)
    unit, start, end = (form.cleaned_data[name] for name in ("unit", "start", "end"))
    rows = logbook_rows(units=[unit], start=start, end=end)
    query = urlencode({"unit": unit.pk, "start": start.isoformat(), "end": end.isoformat()})
    return render(
        request,
        "backoffice/logbook.html",
        {
            "form": form,
            "page": Paginator(rows, 50).get_page(request.GET.get("page")),
            "query": query,
        },
    )


def _logbook_filename(unit: Unit, start: dt.date, end: dt.date, extension: str) -> str:
    return f"so-theo-doi-{unit.code}-{start:%Y%m%d}-{end:%Y%m%d}.{extension}"


@officer_required
def logbook_pdf(request: HttpRequest) -> HttpResponse:
    unit, start, end = _logbook_query(request)
    rows = logbook_rows(units=[unit], start=start, end=end)
    content = printing.logbook_pdf(rows=rows, unit=unit, start=start, end=end)
    return pdf_response(content, _logbook_filename(unit, start, end, "pdf"))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@officer_required
def logbook_workbook(request: HttpRequest) -> HttpResponse:
    unit, start, end = _logbook_query(request)
    rows = logbook_rows(units=[unit], start=start, end=end)
    response = HttpResponse(
        logbook_xlsx(rows=rows, unit=unit, start=start, end=end), content_type=XLSX
    )
    filename = _logbook_filename(unit, start, end, "xlsx")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
