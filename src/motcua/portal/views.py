from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from motcua.catalog.selectors import (
    procedure_current_version,
    procedure_get,
    procedure_list,
    version_get,
)
from motcua.core.errors import DomainError
from motcua.core.proxy import client_address
from motcua.dossiers.lookup import dossier_lookup_check
from motcua.dossiers.selectors import dossier_milestones


class LookupForm(forms.Form):
    code = forms.CharField(label=_("Mã hồ sơ"), max_length=60)
    secret = forms.CharField(label=_("Mã tra cứu (in trên giấy tiếp nhận)"), max_length=20)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"form": LookupForm()})


def lookup(request: HttpRequest) -> HttpResponse:
    """Progress of a dossier for whoever holds its receipt: code + secret, nothing personal."""
    if request.method != "POST":
        form = LookupForm(initial={"code": request.GET.get("ma", "")})
        return render(request, "portal/lookup.html", {"form": form})
    form = LookupForm(request.POST)
    if not form.is_valid():
        return render(request, "portal/lookup.html", {"form": form}, status=400)
    try:
        dossier = dossier_lookup_check(
            code=form.cleaned_data["code"],
            secret=form.cleaned_data["secret"],
            client=client_address(request),
        )
    except DomainError as error:
        form.add_error(None, str(error.message))
        return render(request, "portal/lookup.html", {"form": form}, status=error.status)
    return render(
        request,
        "portal/lookup_result.html",
        {"dossier": dossier, "milestones": dossier_milestones(dossier=dossier)},
    )


def procedures(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")
    return render(
        request,
        "portal/procedures.html",
        {"procedures": procedure_list(search=search), "q": search},
    )


def procedure(request: HttpRequest, national_code: str) -> HttpResponse:
    try:
        found = procedure_get(national_code=national_code)
    except DomainError as error:
        return render(
            request, "portal/not_found.html", {"message": error.message}, status=error.status
        )
    version = version_get(pk=procedure_current_version(procedure=found).pk)
    return render(request, "portal/procedure.html", {"procedure": found, "version": version})
