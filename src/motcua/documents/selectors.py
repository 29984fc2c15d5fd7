"""Reads on documents, scoped by whose they are."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from motcua.documents.models import Document, Provenance

# What may be reused without being submitted again: checked against the original at a counter,
# or issued by an agency as a result. An applicant's own upload proves nothing by itself.
_VERIFIED = Q(provenance=Provenance.SCANNED_AT_COUNTER, verified_by__isnull=False) | Q(
    provenance=Provenance.ISSUED_RESULT
)


def citizen_openable_documents(*, user: Any) -> QuerySet[Document]:
    """Every document the citizen may open: held under their account, or under their ID number
    once an identity provider has vouched for it."""
    if not getattr(user, "is_authenticated", False) or not user.is_citizen:
        return Document.objects.none()
    own = Q(owner=user)
    if user.id_number_verified and user.id_number:
        own |= Q(owner_id_number=user.id_number)
    return Document.objects.filter(own)


def citizen_documents(*, user: Any) -> QuerySet[Document]:
    """The citizen's document store: their verified documents, newest first."""
    return citizen_openable_documents(user=user).filter(_VERIFIED).order_by("-created_at", "-pk")


def citizen_document_get(*, user: Any, document_id: int) -> Document | None:
    """A document the citizen may open: one in their store, or one they uploaded themselves."""
    return citizen_openable_documents(user=user).filter(pk=document_id).first()
