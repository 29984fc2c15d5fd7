"""Officer sign-in past the password: the authenticator app's code, enrolling the app (at
sign-in when it is required, or from the security page), and the admin's sign-in page, which
sends people here so that the lockout and the second factor apply to it too.

Between the password and the code the session is not logged in: it holds a half-finished
sign-in (whose account, where to go next, until when) that only the code completes.
"""

from __future__ import annotations

from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from motcua.accounts import second_factor as totp
from motcua.accounts.officer_signin import (
    officer_code_check,
    officer_password_check,
    second_factor_enrol,
)
from motcua.accounts.selectors import second_factor_status, sign_in_candidate
from motcua.backoffice.access import officer_required
from motcua.core.errors import DomainError
from motcua.core.proxy import client_address

PENDING_KEY = "officer_sign_in"
ENROL_SECRET_KEY = "officer_totp_secret"
# Time to type a code, or to install an authenticator app and scan the QR code.
PENDING_SECONDS = 600


class OfficerLoginForm(AuthenticationForm):
    """Username and password, checked by the service that counts failures and locks out."""

    status = 400
    retry_after = 0

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        try:
            self.user_cache = officer_password_check(
                username=username, password=password, client=client_address(self.request)
            )
        except DomainError as error:
            self.status = error.status
            self.retry_after = error.extra.get("retry_after", 0)
            raise ValidationError(str(error.message), code=error.code) from None
        return self.cleaned_data


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Mã xác thực"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


# ---------------------------------------------------------------------------------------------
# The half-finished sign-in


def sign_in_continue(request: HttpRequest, *, user: Any, next_url: str) -> HttpResponse:
    """After the right password: log in, or first ask for the code, or first enrol the app."""
    status = second_factor_status(viewer=user)
    if not status.enrolled and not status.required:
        login(request, user)
        return redirect(next_url)
    # A new session key, so that a session planted before sign-in cannot be finished by another.
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": user.backend,
        "next": next_url,
        "stage": "code" if status.enrolled else "enrol",
        "until": timezone.now().timestamp() + PENDING_SECONDS,
        # A password changed meanwhile ends the half-finished sign-in, as it ends sessions.
        "auth": user.get_session_auth_hash(),
    }
    if status.enrolled:
        return redirect("backoffice:login_second_factor")
    return redirect("backoffice:second_factor_enrol")


def _pending(request: HttpRequest, *, stage: str) -> tuple[Any, dict[str, Any]] | None:
    state = request.session.get(PENDING_KEY)
    if not isinstance(state, dict) or state.get("stage") != stage:
        return None
    user = sign_in_candidate(user_id=state.get("user"))
    if (
        user is None
        or state.get("until", 0) <= timezone.now().timestamp()
        or not constant_time_compare(user.get_session_auth_hash(), state.get("auth", ""))
    ):
        request.session.pop(PENDING_KEY, None)
        return None
    return user, state


def _pending_finish(request: HttpRequest, user: Any, state: dict[str, Any]) -> str:
    """Log the session in now that the second factor is checked; where to go next."""
    request.session.pop(PENDING_KEY, None)
    request.session.pop(ENROL_SECRET_KEY, None)
    login(request, user, backend=state["backend"])
    return str(state["next"])


def _start_over(request: HttpRequest) -> HttpResponse:
    messages.info(request, _("Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại."))
    return redirect("backoffice:login")


def _refusal(error: DomainError, form: forms.Form) -> int:
    form.add_error("code" if error.extra.get("field") == "code" else None, str(error.message))
    return error.status


# ---------------------------------------------------------------------------------------------
# Pages


@never_cache
@sensitive_post_parameters("code")
def login_second_factor(request: HttpRequest) -> HttpResponse:
    found = _pending(request, stage="code")
    if found is None:
        return _start_over(request)
    user, state = found
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            officer_code_check(
                user=user, code=form.cleaned_data["code"], client=client_address(request)
            )
        except DomainError as error:
            status = _refusal(error, form)
        else:
            return redirect(_pending_finish(request, user, state))
    elif request.method == "POST":
        status = 400
    return render(request, "backoffice/security/second_factor.html", {"form": form}, status=status)


@never_cache
@sensitive_post_parameters("code")
def second_factor_enrol_page(request: HttpRequest) -> HttpResponseBase:
    if request.user.is_authenticated:
        return _enrol_signed_in(request)
    found = _pending(request, stage="enrol")
    if found is None:
        if PENDING_KEY in request.session:
            return _start_over(request)
        return redirect_to_login(request.get_full_path(), login_url="backoffice:login")
    user, state = found
    return _enrol(request, user=user, state=state)


@officer_required
def _enrol_signed_in(request: HttpRequest) -> HttpResponse:
    return _enrol(request, user=request.user, state=None)


def _enrol(request: HttpRequest, *, user: Any, state: dict[str, Any] | None) -> HttpResponse:
    """Show the secret (QR code and text) until the app's code confirms it, then the recovery
    codes, once; at sign-in, the session is logged in at that moment."""
    if second_factor_status(viewer=user).enrolled:
        messages.info(request, _("Tài khoản của bạn đã đăng ký xác thực hai lớp."))
        return redirect("backoffice:security")
    secret = request.session.setdefault(ENROL_SECRET_KEY, totp.secret_new())
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            codes = second_factor_enrol(user=user, secret=secret, code=form.cleaned_data["code"])
        except DomainError as error:
            status = _refusal(error, form)
        else:
            request.session.pop(ENROL_SECRET_KEY, None)
            next_url = _pending_finish(request, user, state) if state else ""
            return _recovery_codes_page(request, codes=codes, next_url=next_url)
    elif request.method == "POST":
        status = 400
    context = _enrol_context(user=user, secret=secret, form=form, at_sign_in=state is not None)
    return render(request, "backoffice/security/enrol.html", context, status=status)


def _enrol_context(*, user: Any, secret: str, form: CodeForm, at_sign_in: bool) -> dict[str, Any]:
    uri = totp.otpauth_uri(
        secret=secret, account=user.username, issuer=settings.MOTCUA_OFFICER_TOTP_ISSUER
    )
    qr = segno.make(uri, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", title=_("Mã QR để thêm tài khoản vào ứng dụng")
    )
    return {
        "qr_svg": qr,
        # In groups of four, as authenticator apps show it, to type without losing one's place.
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "issuer": settings.MOTCUA_OFFICER_TOTP_ISSUER,
        "form": form,
        "at_sign_in": at_sign_in,
    }


def _recovery_codes_page(request: HttpRequest, *, codes: list[str], next_url: str) -> HttpResponse:
    return render(
        request,
        "backoffice/security/recovery_codes.html",
        {"codes": codes, "next_url": next_url or reverse("backoffice:worklist")},
    )


@never_cache
@officer_required
def security(request: HttpRequest) -> HttpResponse:
    status = second_factor_status(viewer=request.user)
    return render(request, "backoffice/security/overview.html", {"status": status})


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "backoffice/refused.html", {"message": message}, status=403)


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin's sign-in page: the back office's, where the lockout and second factor apply."""
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect("admin:index")
        return _refused(request, _("Tài khoản của bạn không có quyền vào trang quản trị."))
    next_url = request.GET.get("next") or reverse("admin:index")
    return redirect_to_login(next_url, login_url="backoffice:login")
