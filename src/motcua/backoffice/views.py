from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from motcua.agencies.models import Role
from motcua.agencies.selectors import has_role, memberships_of, units_where
from motcua.backoffice.access import officer_required
from motcua.backoffice.forms import ApplicantForm, guidance_items, received_components
from motcua.catalog.selectors import procedure_list, version_get
from motcua.core.errors import DomainError, PermissionDenied
from motcua.dossiers import printing
from motcua.dossiers.models import DossierState
from motcua.dossiers.selectors import (
    dossier_count_by_state,
    dossier_get,
    dossier_list,
    dossier_milestones,
    notice_get,
    notice_list,
)
from motcua.dossiers.services import (
    dossier_receive,
    reception_guidance_issue,
    reception_refusal_issue,
)
from motcua.notifications.selectors import messages_for


class LoginView(auth_views.LoginView):
    template_name = "backoffice/login.html"
    redirect_authenticated_user = True


def _pdf(content: bytes, filename: str) -> HttpResponse:
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
def dossier(request: HttpRequest, code: str) -> HttpResponse:
    found = dossier_get(viewer=request.user, code=code)
    return render(
        request,
        "backoffice/dossier.html",
        {
            "dossier": found,
            "milestones": dossier_milestones(dossier=found),
            "outbox": messages_for(target_type="dossier", target_id=found.code),
            "lookup_url": printing.lookup_url(code=found.code),
        },
    )


@officer_required
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    found = dossier_get(viewer=request.user, code=code)
    return _pdf(printing.receipt_pdf(dossier=found), f"{found.code}-mau-01.pdf")


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
    return _pdf(printing.notice_pdf(notice=found), f"{found.number}.pdf")
