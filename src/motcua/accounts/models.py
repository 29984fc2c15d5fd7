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

    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username
