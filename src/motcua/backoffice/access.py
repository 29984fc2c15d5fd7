"""Who may open the back office: officers with at least one role in a unit."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from motcua.agencies.selectors import memberships_of
from motcua.core.errors import DomainError


def officer_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Officers only; and a refusal from a service or selector becomes a page, not a 500."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url="backoffice:login")
        if getattr(request.user, "is_citizen", False) or not memberships_of(user=request.user):
            return render(
                request,
                "backoffice/refused.html",
                {"message": _("Tài khoản của bạn chưa được phân công vào đơn vị nào.")},
                status=403,
            )
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            return render(
                request, "backoffice/refused.html", {"message": error.message}, status=error.status
            )

    return wrapper
