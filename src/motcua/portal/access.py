"""Who may open a citizen's pages: a signed-in citizen, and only for what is theirs (the
selectors decide that; this only turns their refusals into pages)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from motcua.core.errors import DomainError


def citizen_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        if not getattr(user, "is_citizen", False):
            return render(
                request,
                "portal/not_found.html",
                {"message": _("Trang này dành cho tài khoản công dân.")},
                status=403,
            )
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            return render(
                request, "portal/not_found.html", {"message": error.message}, status=error.status
            )

    return wrapper
