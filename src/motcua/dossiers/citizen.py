"""Reads for citizens on the portal: a citizen sees their own dossiers and nothing else."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from motcua.core.errors import NotFound
from motcua.dossiers.models import Dossier


def citizen_dossiers(*, user: Any) -> QuerySet[Dossier]:
    """The dossiers the citizen filed online, and, once an identity provider has vouched for
    their ID number, those filed at the counter under it. A self-declared ID number proves
    nothing, so it opens nothing."""
    if not getattr(user, "is_authenticated", False) or not user.is_citizen:
        return Dossier.objects.none()
    own = Q(applicant_user=user)
    if user.id_number_verified and user.id_number:
        own |= Q(applicant_id_number=user.id_number)
    return Dossier.objects.filter(own)


def citizen_dossier_get(*, user: Any, code: str) -> Dossier:
    """One of the citizen's dossiers; anybody else's is reported as not found."""
    dossier = (
        citizen_dossiers(user=user)
        .select_related("procedure_version__procedure", "receiving_unit", "competent_unit")
        .filter(code=code)
        .first()
    )
    if dossier is None:
        raise NotFound(_("Không tìm thấy hồ sơ %(code)s.") % {"code": code})
    return dossier
