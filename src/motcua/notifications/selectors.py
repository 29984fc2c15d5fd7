from __future__ import annotations

from django.db.models import QuerySet

from motcua.notifications.models import Message


def messages_for(*, target_type: str, target_id: str | int) -> QuerySet[Message]:
    return Message.objects.filter(target_type=target_type, target_id=str(target_id)).order_by(
        "created_at"
    )
