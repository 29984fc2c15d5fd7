from __future__ import annotations

from django.db.models import QuerySet

from motcua.audit.models import Event


def events_for(*, target_type: str, target_id: str | int) -> QuerySet[Event]:
    return Event.objects.filter(target_type=target_type, target_id=str(target_id)).order_by("seq")
