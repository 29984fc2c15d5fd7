"""Officer sign-in (back office and admin): the password, then the authenticator app's code,
with a lockout after too many wrong answers; enrolling and resetting the second factor.

Wrong passwords and wrong codes are counted in the cache (core.throttle) per account and per
client address. When a counter reaches its limit within the lockout period, a lock is put in the
cache until the period has passed from then; while it holds, every attempt is refused before
the password is even checked, the right one too.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from motcua.accounts import second_factor as totp
from motcua.accounts.models import RecoveryCode, SecondFactor, User
from motcua.audit.services import event_append
from motcua.core import throttle
from motcua.core.errors import Conflict, Throttled, ValidationFailed

logger = logging.getLogger(__name__)

RECOVERY_CODES = 10
# No 0/o, 1/l/i: the codes are copied by hand from paper.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10


# ---------------------------------------------------------------------------------------------
# Lockout


@dataclass(frozen=True)
class Counter:
    """One failure counter: the account (by the username as typed) or the client address."""

    scope: str  # "account" or "client"
    value: str
    limit: int

    @property
    def key(self) -> str:
        # Hashed: a username may hold anything, and cache keys must stay plain and short.
        digest = hashlib.sha256(self.value.encode()).hexdigest()[:32]
        return f"officer-login:{self.scope}:{digest}"


def _counters(*, username: str, client: str) -> list[Counter]:
    # "Alice" and "alice" share a counter, so changing the case buys no extra guesses.
    account = unicodedata.normalize("NFKC", username).casefold()
    return [
        Counter("account", account, settings.MOTCUA_OFFICER_LOGIN_FAILURES_PER_ACCOUNT),
        Counter("client", client, settings.MOTCUA_OFFICER_LOGIN_FAILURES_PER_CLIENT),
    ]


def _period() -> int:
    return settings.MOTCUA_OFFICER_LOGIN_LOCKOUT_SECONDS


def _now() -> float:
    return timezone.now().timestamp()


def lockout_remaining(*, username: str, client: str) -> int:
    """Seconds until sign-in is allowed again for this account and address (0: it is)."""
    counters = _counters(username=username, client=client)
    # The lock's end is kept in its value and compared with Django's clock, as core.throttle
    # does, so it ends on time whatever clock the cache keeps.
    ends = cache.get_many([f"{counter.key}:locked" for counter in counters]).values()
    return max([math.ceil(end - _now()) for end in ends] + [0])


def _refuse_while_locked(*, username: str, client: str) -> None:
    remaining = lockout_remaining(username=username, client=client)
    if remaining > 0:
        raise Throttled(
            _(
                "Đăng nhập sai quá nhiều lần nên việc đăng nhập tạm thời bị khóa. "
                "Vui lòng thử lại sau %(minutes)s phút."
            )
            % {"minutes": math.ceil(remaining / 60)},
            code="login_locked",
            extra={"retry_after": remaining},
        )


def _failure_record(*, username: str, client: str) -> None:
    """Count one wrong password or code; lock what has now reached its limit."""
    counters = _counters(username=username, client=client)
    throttle.count([counter.key for counter in counters], window=_period())
    for counter in counters:
        if throttle.over_limit({counter.key: counter.limit}, window=_period()):
            _lock(counter, username=username, client=client)


def _lock(counter: Counter, *, username: str, client: str) -> None:
    end = _now() + _period()
    key = f"{counter.key}:locked"
    # cache.add is atomic: of two failures at once, one locks and records the event.
    if not cache.add(key, end, timeout=_period() + 60):
        held = cache.get(key)
        if held is not None and held > _now():
            return
        cache.set(key, end, timeout=_period() + 60)
    _lock_record(counter, username=username, client=client, end=end)


def _lock_record(counter: Counter, *, username: str, client: str, end: float) -> None:
    target_type, target_id = "client", client[:60]
    if counter.scope == "account":
        user = User.objects.filter(username__iexact=username).first()
        # What was typed may be a password typed in the wrong field, and the log keeps
        # everything forever: a name that is no account's only as a keyed hash, enough to see
        # the same name come back.
        unknown = salted_hmac(
            "motcua.accounts.login_name", counter.value, algorithm="sha256"
        ).hexdigest()[:32]
        target_type, target_id = ("user", str(user.pk)) if user else ("login_name", unknown)
    with transaction.atomic():
        event_append(
            actor=None,
            kind="account.login_locked",
            target_type=target_type,
            target_id=target_id,
            data={
                "scope": counter.scope,
                "client": client,
                "failures": counter.limit,
                "until": datetime.fromtimestamp(end, tz=UTC).isoformat(),
            },
        )


# ---------------------------------------------------------------------------------------------
# Sign-in


def _may_sign_in_here(user: Any) -> bool:
    # Citizens sign in on the portal; system clients use API tokens.
    return not (user.is_citizen or user.is_system)


def officer_password_check(*, username: str, password: str, client: str) -> User:
    """The officer or staff member with this username and password, unless locked out."""
    _refuse_while_locked(username=username, client=client)
    # ModelBackend hashes the password for an unknown username too, so that a missing account
    # takes as long as a wrong password.
    user = authenticate(username=username, password=password)
    if user is None or not _may_sign_in_here(user):
        _failure_record(username=username, client=client)
        raise ValidationFailed(_("Tên đăng nhập hoặc mật khẩu không đúng."), code="login_failed")
    assert isinstance(user, User)
    return user


def officer_code_check(*, user: User, code: str, client: str) -> None:
    """Accept the authenticator app's current code (once) or an unused recovery code."""
    _refuse_while_locked(username=user.username, client=client)
    with transaction.atomic():
        factor = SecondFactor.objects.select_for_update().filter(user=user).first()
        accepted = factor is not None and (
            _totp_accept(factor, code) or _recovery_accept(factor, code)
        )
    if not accepted:
        _failure_record(username=user.username, client=client)
        raise ValidationFailed(
            _("Mã xác thực không đúng, đã hết hạn hoặc đã được dùng."),
            code="code_invalid",
            extra={"field": "code"},
        )


def _totp_accept(factor: SecondFactor, code: str) -> bool:
    digits = "".join(code.split())
    if len(digits) != totp.DIGITS or not digits.isdigit():
        return False
    try:
        secret = totp.secret_open(factor.secret_sealed)
    except ValueError:
        # SECRET_KEY changed without the old one among SECRET_KEY_FALLBACKS: only a
        # recovery code or a reset by an administrator gets this officer in now.
        logger.warning("second factor of user %s cannot be opened", factor.user_id)
        return False
    now = timezone.now()
    step = totp.code_step(secret, digits, at=now.timestamp(), after=factor.last_step)
    if step is None:
        return False
    factor.last_step, factor.last_used_at = step, now
    factor.save(update_fields=["last_step", "last_used_at"])
    return True


def _recovery_accept(factor: SecondFactor, code: str) -> bool:
    wanted = _recovery_hash(user_id=factor.user_id, code=code)
    for row in factor.recovery_codes.filter(used_at__isnull=True):
        if constant_time_compare(row.code_hash, wanted):
            row.used_at = timezone.now()
            row.save(update_fields=["used_at"])
            event_append(
                actor=factor.user,
                kind="account.recovery_code_used",
                target_type="user",
                target_id=factor.user_id,
                data={"left": factor.recovery_codes.filter(used_at__isnull=True).count()},
            )
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Enrolment and reset


def _recovery_normal(code: str) -> str:
    return "".join(char for char in code.lower() if char.isalnum())


def _recovery_hash(*, user_id: int, code: str) -> str:
    # Keyed with SECRET_KEY and tied to the account, like the one-time codes.
    value = f"{user_id}:{_recovery_normal(code)}"
    return salted_hmac("motcua.accounts.recovery", value, algorithm="sha256").hexdigest()


def _recovery_code_new() -> str:
    text = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    half = RECOVERY_LENGTH // 2
    return f"{text[:half]}-{text[half:]}"


def second_factor_enrol(*, user: User, secret: str, code: str) -> list[str]:
    """Put the authenticator app on the account once it shows a current code for the secret;
    the new recovery codes, which are shown once and kept only as hashes."""
    now = timezone.now()
    digits = "".join(code.split())
    step = totp.code_step(secret, digits, at=now.timestamp()) if digits.isdigit() else None
    if step is None:
        raise ValidationFailed(
            _(
                "Mã xác thực không đúng. Hãy kiểm tra giờ trên điện thoại và nhập mã "
                "đang hiển thị trong ứng dụng."
            ),
            code="code_invalid",
            extra={"field": "code"},
        )
    codes = [_recovery_code_new() for _ in range(RECOVERY_CODES)]
    try:
        with transaction.atomic():
            _enrol_save(user=user, secret=secret, step=step, codes=codes)
    except IntegrityError:
        raise _already_enrolled() from None
    return codes


def _already_enrolled() -> Conflict:
    return Conflict(_("Tài khoản này đã đăng ký xác thực hai lớp."), code="second_factor_exists")


def _enrol_save(*, user: User, secret: str, step: int, codes: list[str]) -> None:
    if SecondFactor.objects.filter(user=user).exists():
        raise _already_enrolled()
    factor = SecondFactor.objects.create(
        user=user, secret_sealed=totp.secret_seal(secret), last_step=step, last_used_at=None
    )
    RecoveryCode.objects.bulk_create(
        RecoveryCode(second_factor=factor, code_hash=_recovery_hash(user_id=user.pk, code=code))
        for code in codes
    )
    event_append(
        actor=user, kind="account.second_factor_enrolled", target_type="user", target_id=user.pk
    )


def second_factor_reset(*, actor: Any, user: User) -> None:
    """Take the authenticator app off an account (a lost phone); the officer enrols again."""
    with transaction.atomic():
        deleted, _kinds = SecondFactor.objects.filter(user=user).delete()
        if not deleted:
            raise Conflict(
                _("Tài khoản %(user)s chưa đăng ký xác thực hai lớp.") % {"user": user.username},
                code="second_factor_missing",
            )
        event_append(
            actor=actor, kind="account.second_factor_reset", target_type="user", target_id=user.pk
        )


def second_factor_require(*, actor: Any, user: User, required: bool) -> None:
    """Require (or stop requiring) this officer to sign in with an authenticator app."""
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk).exclude(second_factor_required=required)
        if not changed.update(second_factor_required=required):
            return
        user.second_factor_required = required
        event_append(
            actor=actor,
            kind="account.second_factor_required",
            target_type="user",
            target_id=user.pk,
            data={"required": required},
        )
