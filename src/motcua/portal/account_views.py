"""Citizen account pages: sign-up with a one-time code, sign-in (password, code or an OpenID
Connect provider), sign-out, and the citizen's own profile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.core.validators import RegexValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from motcua.accounts import oidc
from motcua.accounts.models import CodePurpose
from motcua.accounts.selectors import external_identities_of, is_citizen, pending_code_destination
from motcua.accounts.services import (
    PASSWORD_BACKEND,
    citizen_contact_change_confirm,
    citizen_contact_change_start,
    citizen_login_code_confirm,
    citizen_login_code_start,
    citizen_login_password,
    citizen_signup_confirm,
    citizen_signup_start,
    oidc_login_complete,
    one_time_code_resend,
)
from motcua.core.errors import DomainError
from motcua.core.proxy import client_address
from motcua.portal.access import citizen_required

NEXT_SESSION_KEY = "account_next"


# ---------------------------------------------------------------------------------------------
# Forms: shapes only; the services decide what is acceptable.


class SignupForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("Họ và tên"), max_length=200)
    id_number = forms.CharField(
        label=gettext_lazy("Số định danh cá nhân"),
        max_length=20,
        help_text=gettext_lazy("12 chữ số, in trên thẻ căn cước."),
    )
    contact = forms.CharField(
        label=gettext_lazy("Thư điện tử hoặc số điện thoại di động"),
        max_length=254,
        help_text=gettext_lazy("Mã xác nhận sẽ được gửi đến đây; dùng để đăng nhập sau này."),
    )
    password = forms.CharField(
        label=gettext_lazy("Mật khẩu"),
        strip=False,
        widget=forms.PasswordInput,
        help_text=gettext_lazy("Ít nhất 8 ký tự, không quá dễ đoán."),
    )
    password_confirm = forms.CharField(
        label=gettext_lazy("Nhập lại mật khẩu"), strip=False, widget=forms.PasswordInput
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password") != cleaned.get("password_confirm"):
            self.add_error("password_confirm", _("Hai mật khẩu đã nhập không giống nhau."))
        return cleaned


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Mã xác nhận (6 chữ số)"),
        min_length=6,
        max_length=6,
        validators=[RegexValidator(r"^\d{6}$", gettext_lazy("Mã xác nhận gồm 6 chữ số."))],
    )


class LoginForm(forms.Form):
    identifier = forms.CharField(
        label=gettext_lazy("Thư điện tử hoặc số điện thoại"), max_length=254
    )
    password = forms.CharField(
        label=gettext_lazy("Mật khẩu"), strip=False, widget=forms.PasswordInput
    )


class ContactForm(forms.Form):
    contact = forms.CharField(
        label=gettext_lazy("Thư điện tử hoặc số điện thoại di động"), max_length=254
    )


# ---------------------------------------------------------------------------------------------
# Helpers


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _landing(next_url: str) -> str:
    return next_url or reverse("portal:my_dossiers")


def _sign_in(request: HttpRequest, user: Any, *, next_url: str) -> HttpResponse:
    request.session.pop(NEXT_SESSION_KEY, None)
    login(request, user, backend=PASSWORD_BACKEND)
    return redirect(_landing(next_url))


def _show_error(form: forms.Form, error: DomainError) -> None:
    field = error.extra.get("field")
    form.add_error(field if field in form.fields else None, str(error.message))


def _code_key(purpose: str) -> str:
    return f"account_code:{purpose}"


def _code_id(request: HttpRequest, purpose: str) -> int | None:
    value = request.session.get(_code_key(purpose))
    return value if isinstance(value, int) else None


def _oidc_context() -> dict[str, Any]:
    found = oidc.provider()
    return {"oidc_name": found.name if found else ""}


def _already_signed_in(request: HttpRequest) -> bool:
    return is_citizen(viewer=request.user)


# ---------------------------------------------------------------------------------------------
# Sign-up


def signup(request: HttpRequest) -> HttpResponse:
    if _already_signed_in(request):
        return redirect(_landing(""))
    form = SignupForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            row = citizen_signup_start(
                full_name=form.cleaned_data["full_name"],
                id_number=form.cleaned_data["id_number"],
                contact=form.cleaned_data["contact"],
                password=form.cleaned_data["password"],
                client=client_address(request),
            )
        except DomainError as error:
            _show_error(form, error)
            status = error.status
        else:
            request.session[_code_key(CodePurpose.SIGNUP)] = row.pk
            request.session[NEXT_SESSION_KEY] = _safe_next(request, request.GET.get("next"))
            return redirect("portal:signup_confirm")
    elif request.method == "POST":
        status = 400
    context = {"form": form, **_oidc_context()}
    return render(request, "portal/account/signup.html", context, status=status)


def signup_confirm(request: HttpRequest) -> HttpResponse:
    return _confirm_page(
        request,
        purpose=CodePurpose.SIGNUP,
        title=_("Xác nhận đăng ký"),
        confirm=lambda code_id, code: citizen_signup_confirm(code_id=code_id, code=code),
        done=_("Tài khoản của bạn đã được tạo."),
    )


def _confirm_page(
    request: HttpRequest,
    *,
    purpose: str,
    title: str,
    confirm: Callable[[int | None, str], Any],
    done: str,
) -> HttpResponse:
    code_id = _code_id(request, purpose)
    if code_id is None:
        return redirect(_START_PAGES[purpose])
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = confirm(code_id, form.cleaned_data["code"])
        except DomainError as error:
            _show_error(form, error)
            status = error.status
        else:
            request.session.pop(_code_key(purpose), None)
            messages.success(request, done)
            if purpose == CodePurpose.CONTACT:
                return redirect("portal:profile")
            return _sign_in(request, user, next_url=request.session.get(NEXT_SESSION_KEY, ""))
    elif request.method == "POST":
        status = 400
    context = {
        "form": form,
        "title": title,
        "destination": pending_code_destination(code_id=code_id, purpose=purpose),
        "minutes": settings.MOTCUA_OTP_TTL_SECONDS // 60,
        "resend_url": reverse(_RESEND_NAMES[purpose]),
    }
    return render(request, "portal/account/confirm.html", context, status=status)


_START_PAGES: dict[str, str] = {
    CodePurpose.SIGNUP: "portal:signup",
    CodePurpose.LOGIN: "portal:login_code",
    CodePurpose.CONTACT: "portal:profile",
}
_CONFIRM_PAGES: dict[str, str] = {
    CodePurpose.SIGNUP: "portal:signup_confirm",
    CodePurpose.LOGIN: "portal:login_code_confirm",
    CodePurpose.CONTACT: "portal:contact_confirm",
}
_RESEND_NAMES: dict[str, str] = {
    CodePurpose.SIGNUP: "portal:signup_resend",
    CodePurpose.LOGIN: "portal:login_code_resend",
    CodePurpose.CONTACT: "portal:contact_resend",
}


@require_POST
def resend(request: HttpRequest, purpose: str) -> HttpResponse:
    """Send a new code for the step under way in this session (throttled)."""
    if purpose == CodePurpose.CONTACT and not is_citizen(viewer=request.user):
        if request.user.is_authenticated:
            # An officer's account has no contact to confirm here: refused as citizen_required
            # refuses it, not sent to a sign-in page they are already past.
            message = _("Trang này dành cho tài khoản công dân.")
            return render(request, "portal/not_found.html", {"message": message}, status=403)
        return redirect_to_login(reverse("portal:profile"), login_url="portal:login")
    try:
        row = one_time_code_resend(
            code_id=_code_id(request, purpose), purpose=purpose, client=client_address(request)
        )
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        request.session[_code_key(purpose)] = row.pk
        messages.success(request, _("Đã gửi mã xác nhận mới."))
    return redirect(_CONFIRM_PAGES[purpose])


# ---------------------------------------------------------------------------------------------
# Sign-in and sign-out


def login_page(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if _already_signed_in(request):
        return redirect(_landing(next_url))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = citizen_login_password(
                identifier=form.cleaned_data["identifier"],
                password=form.cleaned_data["password"],
                client=client_address(request),
            )
        except DomainError as error:
            _show_error(form, error)
            status = error.status
        else:
            return _sign_in(request, user, next_url=next_url)
    elif request.method == "POST":
        status = 400
    return _login_render(request, form=form, next_url=next_url, status=status)


def _login_render(
    request: HttpRequest, *, form: LoginForm, next_url: str, status: int, error: str = ""
) -> HttpResponse:
    context = {"form": form, "next": next_url, "error": error, **_oidc_context()}
    return render(request, "portal/account/login.html", context, status=status)


def login_code(request: HttpRequest) -> HttpResponse:
    """Sign in with a code sent to the account's email or phone instead of the password."""
    form = ContactForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            row = citizen_login_code_start(
                identifier=form.cleaned_data["contact"], client=client_address(request)
            )
        except DomainError as error:
            _show_error(form, error)
            status = error.status
        else:
            request.session[_code_key(CodePurpose.LOGIN)] = row.pk
            request.session[NEXT_SESSION_KEY] = _safe_next(request, request.GET.get("next"))
            return redirect("portal:login_code_confirm")
    elif request.method == "POST":
        status = 400
    return render(request, "portal/account/login_code.html", {"form": form}, status=status)


def login_code_confirm(request: HttpRequest) -> HttpResponse:
    return _confirm_page(
        request,
        purpose=CodePurpose.LOGIN,
        title=_("Đăng nhập bằng mã xác nhận"),
        confirm=lambda code_id, code: citizen_login_code_confirm(code_id=code_id, code=code),
        done=_("Bạn đã đăng nhập."),
    )


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("portal:home")


def oidc_login(request: HttpRequest) -> HttpResponse:
    """Off to the identity provider, with state, nonce and PKCE kept in the session."""
    if oidc.provider() is None:
        message = _("Chưa cấu hình đăng nhập bằng nhà cung cấp định danh.")
        return render(request, "portal/not_found.html", {"message": message}, status=404)
    next_url = _safe_next(request, request.GET.get("next"))
    try:
        url = oidc.authorization_start(
            session=request.session, redirect_uri=_oidc_redirect_uri(), next_url=next_url
        )
    except DomainError as error:
        return _login_failed(request, error, next_url=next_url)
    return redirect(url)


def oidc_callback(request: HttpRequest) -> HttpResponse:
    try:
        outcome = oidc.authorization_finish(session=request.session, params=request.GET.dict())
        user = oidc_login_complete(issuer=outcome.issuer, claims=outcome.claims)
    except DomainError as error:
        return _login_failed(request, error, next_url="")
    return _sign_in(request, user, next_url=_safe_next(request, outcome.next_url))


def _oidc_redirect_uri() -> str:
    # From SITE_URL, never from the Host header: the provider only knows the registered one.
    return settings.SITE_URL.rstrip("/") + reverse("portal:oidc_callback")


def _login_failed(request: HttpRequest, error: DomainError, *, next_url: str) -> HttpResponse:
    return _login_render(
        request, form=LoginForm(), next_url=next_url, status=error.status, error=str(error.message)
    )


# ---------------------------------------------------------------------------------------------
# The citizen's own account


@citizen_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            row = citizen_contact_change_start(
                actor=request.user,
                contact=form.cleaned_data["contact"],
                client=client_address(request),
            )
        except DomainError as error:
            _show_error(form, error)
            status = error.status
        else:
            request.session[_code_key(CodePurpose.CONTACT)] = row.pk
            return redirect("portal:contact_confirm")
    elif request.method == "POST":
        status = 400
    context = {
        "form": form,
        "identities": external_identities_of(viewer=request.user),
        **_oidc_context(),
    }
    return render(request, "portal/account/profile.html", context, status=status)


@citizen_required
def contact_confirm(request: HttpRequest) -> HttpResponse:
    user = request.user
    return _confirm_page(
        request,
        purpose=CodePurpose.CONTACT,
        title=_("Xác nhận thông tin liên hệ mới"),
        confirm=lambda code_id, code: citizen_contact_change_confirm(
            actor=user, code_id=code_id, code=code
        ),
        done=_("Thông tin liên hệ đã được cập nhật."),
    )
