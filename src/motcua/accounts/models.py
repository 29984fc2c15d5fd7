from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
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

    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username
