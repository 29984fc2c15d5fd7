"""Who may open the back office: officers with at least one role in a unit."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from motcua.agencies.selectors import memberships_of


def officer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not memberships_of(user=request.user):
            return render(
                request,
                "backoffice/refused.html",
                {"message": _("Tài khoản của bạn chưa được phân công vào đơn vị nào.")},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapper
