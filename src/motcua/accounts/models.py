from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person (officer or citizen) or a system client that authenticates with a token."""

    full_name = models.CharField(_("họ và tên"), max_length=200, blank=True)
    is_system = models.BooleanField(
        _("tài khoản hệ thống"),
        default=False,
        help_text=_("Tài khoản của hệ thống khác, dùng token."),
    )

    # Citizens (online applicants): the Vietnamese personal ID number (12 digits), verified
    # when it came from an identity provider (VNeID), self-declared
    # otherwise; a phone for one-time codes.
    is_citizen = models.BooleanField(_("công dân"), default=False)
    id_number = models.CharField(
        _("số định danh cá nhân"), max_length=12, blank=True, db_index=True
    )
    id_number_verified = models.BooleanField(_("số định danh đã xác thực"), default=False)
    phone = models.CharField(_("số điện thoại"), max_length=20, blank=True, db_index=True)
    # Officers: whether this one must sign in with an authenticator app, whatever
    # MOTCUA_OFFICER_TOTP_REQUIRED says for everybody.
    second_factor_required = models.BooleanField(
        _("bắt buộc xác thực hai lớp"),
        default=False,
        help_text=_("Cán bộ phải đăng nhập bằng mã từ ứng dụng xác thực trên điện thoại."),
    )

    class Meta(AbstractUser.Meta):
        constraints = [
            # A citizen signs in with an email or a phone: each leads to one account. Officers'
            # addresses are not identifiers and may be shared (a unit's mailbox).
            models.UniqueConstraint(
                fields=["email"],
                condition=Q(is_citizen=True) & ~Q(email=""),
                name="accounts_citizen_email_unique",
            ),
            models.UniqueConstraint(
                fields=["phone"],
                condition=Q(is_citizen=True) & ~Q(phone=""),
                name="accounts_citizen_phone_unique",
            ),
            # An identity provider vouches for one person per ID number.
            models.UniqueConstraint(
                fields=["id_number"],
                condition=Q(is_citizen=True, id_number_verified=True),
                name="accounts_verified_id_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(id_number_verified=False) | ~Q(id_number=""),
                name="accounts_verified_id_number_present",
            ),
        ]

    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username


class CodePurpose(models.TextChoices):
    SIGNUP = "signup", _("Đăng ký tài khoản")
    LOGIN = "login", _("Đăng nhập")
    RESET = "reset", _("Đặt lại mật khẩu")
    CONTACT = "contact", _("Thay đổi thông tin liên hệ")


class OneTimeCode(models.Model):
    """A 6-digit code sent to an email or a phone; only its keyed hash is kept.

    A sign-up has no account yet: what the citizen entered waits in `pending`, and the account
    is created when the code comes back. Every other purpose belongs to an account.
    """

    purpose = models.CharField(max_length=10, choices=CodePurpose.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="one_time_codes",
    )
    # An email address or a phone number in the form sign-in uses (see services.contact_parse).
    destination = models.CharField(max_length=254)
    code_hash = models.CharField(max_length=64)
    pending = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set when the code was accepted, or when a newer code for the same purpose replaced it.
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose="signup") | Q(user__isnull=False),
                name="accounts_code_has_user_unless_signup",
            ),
        ]
        indexes = [models.Index(fields=["destination", "purpose"], name="code_destination_idx")]
        verbose_name = _("mã xác nhận")
        verbose_name_plural = _("mã xác nhận")

    def __str__(self) -> str:
        return f"{self.purpose} → {self.destination}"


class ExternalIdentity(models.Model):
    """An account at an OpenID Connect provider (issuer + subject) that signs in as a user."""

    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="accounts_external_identity_unique"
            ),
        ]
        verbose_name = _("danh tính liên kết")
        verbose_name_plural = _("danh tính liên kết")

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject}"


class SecondFactor(models.Model):
    """An officer's authenticator app (TOTP, RFC 6238): the shared secret, sealed at rest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="second_factor"
    )
    # Encrypted with a key derived from SECRET_KEY (second_factor.secret_seal); never shown
    # again once the officer has confirmed the enrolment.
    secret_sealed = models.TextField()
    enrolled_at = models.DateTimeField(default=timezone.now)
    # The time step of the last code accepted: that code and older ones are refused, so a code
    # seen over a shoulder cannot be used again.
    last_step = models.BigIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("xác thực hai lớp")
        verbose_name_plural = _("xác thực hai lớp")

    def __str__(self) -> str:
        return f"TOTP {self.user_id}"


class RecoveryCode(models.Model):
    """A one-time code that stands in for the authenticator app; only its keyed hash is kept."""

    second_factor = models.ForeignKey(
        SecondFactor, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["second_factor", "code_hash"], name="accounts_recovery_code_unique"
            ),
        ]
        verbose_name = _("mã khôi phục")
        verbose_name_plural = _("mã khôi phục")

    def __str__(self) -> str:
        return f"{self.second_factor_id} {'used' if self.used_at else 'unused'}"
