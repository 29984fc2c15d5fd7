"""Citizen accounts: sign-up with a one-time code, sign-in, contact changes, OIDC sign-in."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from motcua.accounts.models import CodePurpose, ExternalIdentity, OneTimeCode, User
from motcua.audit.services import event_append
from motcua.core import throttle
from motcua.core.errors import Conflict, NotFound, PermissionDenied, Throttled, ValidationFailed
from motcua.lib.identity import is_valid_citizen_id
from motcua.notifications.services import message_enqueue
from motcua.notifications.sms import normalize_phone

# Sending codes: one per destination per minute, a few per hour, so nobody can flood a phone.
RESEND_INTERVAL_SECONDS = 60
SEND_WINDOW_SECONDS = 3600
SENDS_PER_DESTINATION = 5
SENDS_PER_CLIENT = 20
# Password sign-in: failures per account and per client address before a pause.
LOGIN_WINDOW_SECONDS = 900
LOGIN_FAILURES_PER_ACCOUNT = 5
LOGIN_FAILURES_PER_CLIENT = 20

CODE_LENGTH = 6
PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"


# ---------------------------------------------------------------------------------------------
# Contacts: an email address or a Vietnamese mobile number


@dataclass(frozen=True)
class Contact:
    kind: str  # "email" or "phone"
    value: str

    @property
    def email(self) -> str:
        return self.value if self.kind == "email" else ""

    @property
    def phone(self) -> str:
        return self.value if self.kind == "phone" else ""


def contact_parse(raw: str) -> Contact:
    """An email (lower-cased) or a mobile number as 0 and nine digits; anything else is refused."""
    text = raw.strip()
    if "@" in text:
        try:
            validate_email(text)
        except ValidationError:
            raise _invalid_contact() from None
        return Contact("email", text.lower())
    digits = normalize_phone(text)
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if len(digits) != 10 or not digits.isdigit() or not digits.startswith("0"):
        raise _invalid_contact()
    return Contact("phone", digits)


def _invalid_contact() -> ValidationFailed:
    return ValidationFailed(
        _("Hãy nhập một địa chỉ thư điện tử hoặc một số điện thoại di động (10 chữ số)."),
        code="contact_invalid",
        extra={"field": "contact"},
    )


def _citizens_with(contact: Contact) -> Any:
    return User.objects.filter(is_citizen=True, **{contact.kind: contact.value})


def _refuse_taken_contact(contact: Contact, *, field: str = "contact") -> None:
    if _citizens_with(contact).exists():
        message = (
            _("Địa chỉ thư điện tử này đã được dùng cho một tài khoản khác.")
            if contact.kind == "email"
            else _("Số điện thoại này đã được dùng cho một tài khoản khác.")
        )
        raise Conflict(message, code=f"{contact.kind}_taken", extra={"field": field})


def _refuse_taken_id_number(id_number: str) -> None:
    if User.objects.filter(is_citizen=True, id_number=id_number).exists():
        raise Conflict(
            _(
                "Số định danh cá nhân này đã được dùng cho một tài khoản khác. "
                "Nếu đó là tài khoản của bạn, hãy đăng nhập."
            ),
            code="id_number_taken",
            extra={"field": "id_number"},
        )


# ---------------------------------------------------------------------------------------------
# One-time codes


def _code_hash(*, purpose: str, destination: str, code: str) -> str:
    # Keyed with SECRET_KEY: six digits are quick to try, so a copy of the table alone must not
    # be enough to find them.
    value = f"{purpose}:{destination}:{code}"
    return salted_hmac("motcua.accounts.code", value, algorithm="sha256").hexdigest()


def _throttle_keys(*, destination: str, client: str) -> dict[str, int]:
    return {
        f"otp-send:destination:{destination}": SENDS_PER_DESTINATION,
        f"otp-send:client:{client}": SENDS_PER_CLIENT,
    }


def _refuse_too_many_sends(*, destination: str, client: str) -> None:
    limits = _throttle_keys(destination=destination, client=client)
    if throttle.over_limit(limits, window=SEND_WINDOW_SECONDS):
        raise Throttled(
            _("Bạn đã yêu cầu quá nhiều mã xác nhận. Vui lòng thử lại sau %(minutes)s phút.")
            % {"minutes": SEND_WINDOW_SECONDS // 60},
            extra={"retry_after": SEND_WINDOW_SECONDS},
        )
    # Of two requests in the same second, only one gets to send.
    if not throttle.hold(f"otp-send:gap:{destination}", seconds=RESEND_INTERVAL_SECONDS):
        raise Throttled(
            _("Mã xác nhận vừa được gửi. Vui lòng chờ %(seconds)s giây trước khi yêu cầu mã mới.")
            % {"seconds": RESEND_INTERVAL_SECONDS},
            code="resend_too_soon",
            extra={"retry_after": RESEND_INTERVAL_SECONDS},
        )
    throttle.count(limits, window=SEND_WINDOW_SECONDS)


def _code_issue(
    *,
    purpose: str,
    destination: Contact,
    client: str,
    user: User | None = None,
    pending: Mapping[str, Any] | None = None,
) -> OneTimeCode:
    """Replace any earlier code for the same purpose and destination, and send a new one."""
    _refuse_too_many_sends(destination=destination.value, client=client)
    code = f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"
    now = timezone.now()
    with transaction.atomic():
        OneTimeCode.objects.filter(
            purpose=purpose, destination=destination.value, used_at__isnull=True
        ).update(used_at=now)
        row = OneTimeCode.objects.create(
            purpose=purpose,
            user=user,
            destination=destination.value,
            code_hash=_code_hash(purpose=purpose, destination=destination.value, code=code),
            pending=dict(pending or {}),
            expires_at=now + timedelta(seconds=settings.MOTCUA_OTP_TTL_SECONDS),
        )
        _send_code(row=row, code=code, destination=destination)
    return row


def _send_code(*, row: OneTimeCode, code: str, destination: Contact) -> None:
    # Messages to citizens are in Vietnamese whatever language the page was in.
    with translation.override("vi"):
        body = _(
            "Mã xác nhận %(purpose)s của bạn là %(code)s, có hiệu lực trong %(minutes)s phút. "
            "Không cung cấp mã này cho bất kỳ ai."
        ) % {
            "purpose": str(CodePurpose(row.purpose).label).lower(),
            "code": code,
            "minutes": settings.MOTCUA_OTP_TTL_SECONDS // 60,
        }
        subject = _("Mã xác nhận: %(code)s") % {"code": code}
    message_enqueue(
        topic=f"account.code.{row.purpose}",
        target_type="one_time_code",
        target_id=row.pk,
        body=body,
        subject=subject,
        email=destination.email,
        phone=destination.phone,
    )


def _code_row(*, code_id: int | None, purpose: str) -> OneTimeCode | None:
    if code_id is None:
        return None
    return OneTimeCode.objects.filter(pk=code_id, purpose=purpose).first()


def _code_check(*, code_id: int | None, purpose: str, code: str) -> OneTimeCode:
    """The code row if `code` is right; every try is counted, and committed, before comparing."""
    now = timezone.now()
    row = _code_row(code_id=code_id, purpose=purpose)
    if row is None or row.used_at is not None:
        raise ValidationFailed(
            _("Mã xác nhận không còn hiệu lực. Hãy yêu cầu gửi mã mới."),
            code="code_invalid",
            extra={"field": "code"},
        )
    if row.expires_at <= now:
        raise ValidationFailed(
            _("Mã xác nhận đã hết hạn. Hãy yêu cầu gửi mã mới."),
            code="code_expired",
            extra={"field": "code"},
        )
    maximum = settings.MOTCUA_OTP_MAX_ATTEMPTS
    # A conditional UPDATE: two requests at once cannot both take the last try.
    counted = OneTimeCode.objects.filter(
        pk=row.pk, attempts__lt=maximum, used_at__isnull=True
    ).update(attempts=F("attempts") + 1)
    if not counted:
        raise Throttled(
            _("Bạn đã nhập sai mã quá nhiều lần. Hãy yêu cầu gửi mã mới."),
            code="code_attempts",
            extra={"field": "code"},
        )
    expected = _code_hash(purpose=purpose, destination=row.destination, code=code.strip())
    if not constant_time_compare(row.code_hash, expected):
        left = maximum - row.attempts - 1
        raise ValidationFailed(
            _("Mã xác nhận không đúng. Bạn còn %(left)s lần thử.") % {"left": left}
            if left
            else _("Mã xác nhận không đúng. Hãy yêu cầu gửi mã mới."),
            code="code_wrong",
            extra={"field": "code"},
        )
    return row


def _code_consume(row: OneTimeCode) -> None:
    used = OneTimeCode.objects.filter(pk=row.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not used:
        raise ValidationFailed(
            _("Mã xác nhận không còn hiệu lực. Hãy yêu cầu gửi mã mới."), code="code_invalid"
        )


def one_time_code_resend(*, code_id: int | None, purpose: str, client: str) -> OneTimeCode:
    """A fresh code to the same destination for the same pending step; the old one stops working."""
    row = _code_row(code_id=code_id, purpose=purpose)
    if row is None or row.used_at is not None:
        raise NotFound(
            _("Không tìm thấy yêu cầu cần gửi lại mã. Vui lòng bắt đầu lại."), code="code_unknown"
        )
    return _code_issue(
        purpose=purpose,
        destination=contact_parse(row.destination),
        client=client,
        user=row.user,
        pending=row.pending,
    )


def one_time_codes_purge(*, before: Any = None) -> int:
    """Delete codes that expired more than a day ago; return how many went."""
    cutoff = before or timezone.now() - timedelta(days=1)
    deleted, _by_model = OneTimeCode.objects.filter(expires_at__lt=cutoff).delete()
    return deleted


# ---------------------------------------------------------------------------------------------
# Sign-up


def _new_username() -> str:
    # Citizens sign in with their email or phone; the username only has to be unique.
    return f"cd-{uuid.uuid4().hex[:20]}"


def _clean_full_name(full_name: str) -> str:
    name = " ".join(full_name.split())
    if not name:
        raise ValidationFailed(
            _("Hãy nhập họ và tên."), code="name_missing", extra={"field": "full_name"}
        )
    return name[:200]


def _clean_id_number(id_number: str) -> str:
    value = "".join(id_number.split())
    if not is_valid_citizen_id(value):
        raise ValidationFailed(
            _(
                "Số định danh cá nhân gồm 12 chữ số, ba chữ số đầu là mã tỉnh nơi đăng ký "
                "khai sinh (001–096)."
            ),
            code="id_number_invalid",
            extra={"field": "id_number"},
        )
    return value


def _checked_password(password: str, *, full_name: str, contact: Contact) -> str:
    probe = User(full_name=full_name, email=contact.email, phone=contact.phone)
    try:
        validate_password(password, user=probe)
    except ValidationError as error:
        raise ValidationFailed(
            " ".join(error.messages), code="password_weak", extra={"field": "password"}
        ) from None
    return make_password(password)


def citizen_signup_start(
    *, full_name: str, id_number: str, contact: str, password: str, client: str
) -> OneTimeCode:
    """Check what the citizen entered and send a code to their email or phone; no account yet."""
    name = _clean_full_name(full_name)
    number = _clean_id_number(id_number)
    destination = contact_parse(contact)
    _refuse_taken_contact(destination)
    _refuse_taken_id_number(number)
    password_hash = _checked_password(password, full_name=name, contact=destination)
    pending = {"full_name": name, "id_number": number, "password_hash": password_hash}
    return _code_issue(
        purpose=CodePurpose.SIGNUP, destination=destination, client=client, pending=pending
    )


def citizen_signup_confirm(*, code_id: int | None, code: str) -> User:
    """The code came back: create the citizen's account, active, with the contact it reached."""
    row = _code_check(code_id=code_id, purpose=CodePurpose.SIGNUP, code=code)
    destination = contact_parse(row.destination)
    try:
        with transaction.atomic():
            _code_consume(row)
            # Someone may have taken the contact or the number while the code was on its way.
            _refuse_taken_contact(destination)
            _refuse_taken_id_number(row.pending["id_number"])
            user = User(
                username=_new_username(),
                is_citizen=True,
                full_name=row.pending["full_name"],
                id_number=row.pending["id_number"],
                email=destination.email,
                phone=destination.phone,
                password=row.pending["password_hash"],
            )
            user.save()
            event_append(
                actor=user,
                kind="account.signed_up",
                target_type="user",
                target_id=user.pk,
                data={"via": destination.kind},
            )
    except IntegrityError:
        raise Conflict(
            _("Thông tin này vừa được dùng cho một tài khoản khác. Vui lòng kiểm tra lại."),
            code="signup_conflict",
        ) from None
    return user


# ---------------------------------------------------------------------------------------------
# Sign-in


def _login_limits(*, identifier: str, client: str) -> dict[str, int]:
    return {
        f"login-fail:account:{identifier}": LOGIN_FAILURES_PER_ACCOUNT,
        f"login-fail:client:{client}": LOGIN_FAILURES_PER_CLIENT,
    }


def _refuse_too_many_failures(limits: Mapping[str, int]) -> None:
    if throttle.over_limit(limits, window=LOGIN_WINDOW_SECONDS):
        raise Throttled(
            _("Bạn đã đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(minutes)s phút.")
            % {"minutes": LOGIN_WINDOW_SECONDS // 60},
            extra={"retry_after": LOGIN_WINDOW_SECONDS},
        )


def citizen_login_password(*, identifier: str, password: str, client: str) -> User:
    """The citizen account with this email or phone, if the password matches."""
    refused = ValidationFailed(
        _("Thông tin đăng nhập hoặc mật khẩu không đúng."), code="login_failed"
    )
    try:
        contact = contact_parse(identifier)
    except ValidationFailed:
        raise refused from None
    limits = _login_limits(identifier=contact.value, client=client)
    _refuse_too_many_failures(limits)
    user = _citizens_with(contact).first()
    if user is None:
        # Hash anyway, so that a missing account takes as long as a wrong password.
        check_password(password, "")
    elif user.check_password(password) and user.is_active:
        return user
    throttle.count(limits, window=LOGIN_WINDOW_SECONDS)
    raise refused


def citizen_login_code_start(*, identifier: str, client: str) -> OneTimeCode:
    """Send a sign-in code to the email or phone of an existing citizen account."""
    contact = contact_parse(identifier)
    user = _citizens_with(contact).filter(is_active=True).first()
    if user is None:
        raise NotFound(
            _("Chưa có tài khoản nào với địa chỉ thư điện tử hoặc số điện thoại này."),
            code="account_unknown",
            extra={"field": "contact"},
        )
    return _code_issue(purpose=CodePurpose.LOGIN, destination=contact, client=client, user=user)


def citizen_login_code_confirm(*, code_id: int | None, code: str) -> User:
    """The account a sign-in code was sent for, once the code comes back right."""
    row = _code_check(code_id=code_id, purpose=CodePurpose.LOGIN, code=code)
    with transaction.atomic():
        _code_consume(row)
        user = User.objects.get(one_time_codes=row)
    if not user.is_active:
        raise PermissionDenied(_("Tài khoản này đã bị khóa."), code="account_inactive")
    return user


# ---------------------------------------------------------------------------------------------
# Contact changes: the new email or phone gets a code first


def citizen_contact_change_start(*, actor: Any, contact: str, client: str) -> OneTimeCode:
    """Send a code to the new email or phone; nothing changes until it comes back."""
    _refuse_non_citizen(actor)
    destination = contact_parse(contact)
    if getattr(actor, destination.kind) == destination.value:
        raise ValidationFailed(
            _("Đây đã là thông tin liên hệ của tài khoản."),
            code="contact_unchanged",
            extra={"field": "contact"},
        )
    _refuse_taken_contact(destination)
    return _code_issue(
        purpose=CodePurpose.CONTACT, destination=destination, client=client, user=actor
    )


def citizen_contact_change_confirm(*, actor: Any, code_id: int | None, code: str) -> User:
    """Put the confirmed email or phone on the account."""
    _refuse_non_citizen(actor)
    row = _code_check(code_id=code_id, purpose=CodePurpose.CONTACT, code=code)
    if row.user_id != actor.pk:
        raise PermissionDenied(_("Mã xác nhận này không thuộc tài khoản của bạn."))
    destination = contact_parse(row.destination)
    try:
        with transaction.atomic():
            _code_consume(row)
            _refuse_taken_contact(destination)
            user = User.objects.select_for_update().get(pk=actor.pk)
            setattr(user, destination.kind, destination.value)
            user.save(update_fields=[destination.kind])
            event_append(
                actor=user,
                kind="account.contact_changed",
                target_type="user",
                target_id=user.pk,
                data={"kind": destination.kind},
            )
    except IntegrityError:
        raise Conflict(
            _("Thông tin này vừa được dùng cho một tài khoản khác. Vui lòng kiểm tra lại."),
            code="contact_conflict",
        ) from None
    return user


def _refuse_non_citizen(actor: Any) -> None:
    if not getattr(actor, "is_citizen", False):
        raise PermissionDenied(_("Chức năng này dành cho tài khoản công dân."))


# ---------------------------------------------------------------------------------------------
# OpenID Connect sign-in


def _claims_name(claims: Mapping[str, Any]) -> str:
    name = str(claims.get("name") or "").strip()
    if name:
        return " ".join(name.split())[:200]
    # Vietnamese order: family name, middle name, given name.
    parts = [str(claims.get(key) or "") for key in ("family_name", "middle_name", "given_name")]
    return " ".join(" ".join(parts).split())[:200]


def _claims_contacts(claims: Mapping[str, Any]) -> list[Contact]:
    """The email and phone the provider sent, unless it says it has not verified them."""
    found = []
    for claim, verified in (("email", "email_verified"), ("phone_number", "phone_number_verified")):
        value = claims.get(claim)
        if not value or claims.get(verified) is False:
            continue
        try:
            found.append(contact_parse(str(value)))
        except ValidationFailed:
            continue
    return found


def _oidc_id_number(claims: Mapping[str, Any]) -> str:
    value = str(claims.get(settings.MOTCUA_OIDC_ID_NUMBER_CLAIM) or "").strip()
    if not is_valid_citizen_id(value):
        raise ValidationFailed(
            _(
                "%(provider)s không cung cấp số định danh cá nhân hợp lệ, nên không thể đăng "
                "nhập. Vui lòng liên hệ Trung tâm."
            )
            % {"provider": settings.MOTCUA_OIDC_PROVIDER_NAME},
            code="oidc_id_number_missing",
        )
    return value


def _oidc_account_for(*, issuer: str, id_number: str, contacts: list[Contact]) -> User | None:
    """An existing account the provider's person owns: the one verified under this ID number,
    or a self-declared one whose email or phone the provider also vouches for. A self-declared
    number alone proves nothing: anybody may have typed it."""
    verified = User.objects.filter(is_citizen=True, id_number=id_number, id_number_verified=True)
    user = verified.first()
    if user is not None:
        if user.external_identities.filter(issuer=issuer).exists():
            raise Conflict(
                _(
                    "Số định danh cá nhân này đã gắn với một tài khoản %(provider)s khác. "
                    "Vui lòng liên hệ Trung tâm."
                )
                % {"provider": settings.MOTCUA_OIDC_PROVIDER_NAME},
                code="oidc_id_number_linked",
            )
        return user
    same_contact = Q()
    for contact in contacts:
        same_contact |= Q(**{contact.kind: contact.value})
    if not same_contact:
        return None
    return User.objects.filter(same_contact, is_citizen=True, id_number=id_number).first()


def _oidc_new_account(*, name: str, id_number: str) -> User:
    user = User(username=_new_username(), is_citizen=True, full_name=name, id_number=id_number)
    user.set_unusable_password()
    return user


def _oidc_fill(user: User, *, name: str, id_number: str, contacts: list[Contact]) -> None:
    user.id_number = id_number
    user.id_number_verified = True
    if name:
        user.full_name = name
    for contact in contacts:
        # Fill in what the account lacks, never take another account's email or phone.
        if not getattr(user, contact.kind) and not _citizens_with(contact).exists():
            setattr(user, contact.kind, contact.value)


def oidc_login_complete(*, issuer: str, claims: Mapping[str, Any]) -> User:
    """The citizen account for verified OIDC claims: found by (issuer, sub), linked, or created."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise ValidationFailed(_("Thông tin đăng nhập không có định danh người dùng."))
    id_number = _oidc_id_number(claims)
    name = _claims_name(claims)
    contacts = _claims_contacts(claims)
    try:
        with transaction.atomic():
            user = _oidc_link(
                issuer=issuer, subject=subject, id_number=id_number, name=name, contacts=contacts
            )
    except IntegrityError:
        raise Conflict(
            _("Không thể đăng nhập lúc này do xung đột dữ liệu tài khoản. Vui lòng thử lại."),
            code="oidc_conflict",
        ) from None
    if not user.is_active:
        raise PermissionDenied(_("Tài khoản này đã bị khóa."), code="account_inactive")
    return user


def _oidc_link(
    *, issuer: str, subject: str, id_number: str, name: str, contacts: list[Contact]
) -> User:
    identity = (
        ExternalIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    created = False
    if identity is not None:
        user = identity.user
        if (
            user.id_number != id_number
            and User.objects.filter(is_citizen=True, id_number=id_number, id_number_verified=True)
            .exclude(pk=user.pk)
            .exists()
        ):
            raise Conflict(
                _("Số định danh cá nhân này đã gắn với một tài khoản khác."),
                code="oidc_id_number_linked",
            )
    else:
        found = _oidc_account_for(issuer=issuer, id_number=id_number, contacts=contacts)
        user = found or _oidc_new_account(name=name, id_number=id_number)
        created = found is None
    _oidc_fill(user, name=name, id_number=id_number, contacts=contacts)
    user.save()
    now = timezone.now()
    if identity is None:
        ExternalIdentity.objects.create(
            issuer=issuer, subject=subject, user=user, last_login_at=now
        )
        event_append(
            actor=user,
            kind="account.signed_up" if created else "account.identity_linked",
            target_type="user",
            target_id=user.pk,
            data={"via": "oidc", "issuer": issuer},
        )
    else:
        ExternalIdentity.objects.filter(pk=identity.pk).update(last_login_at=now)
    return user
