from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from motcua.audit.models import ChainHead, Event

GENESIS_HASH = "0" * 64


def _event_digest(
    *, prev_hash: str, seq: int, occurred_at: datetime, fields: dict[str, Any]
) -> str:
    payload = {"prev": prev_hash, "seq": seq, "at": occurred_at.isoformat(), **fields}
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _hashed_fields(event: Event) -> dict[str, Any]:
    return {
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "actor_role": event.actor_role,
        "kind": event.kind,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "reason": event.reason,
        "data": event.data,
    }


def event_append(
    *,
    actor: Any,
    kind: str,
    target_type: str,
    target_id: str | int,
    reason: str = "",
    data: dict[str, Any] | None = None,
    actor_role: str = "",
) -> Event:
    """Append one event to the hash chain; must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_append must run inside the transaction of the change it records")
    head, _ = ChainHead.objects.select_for_update().get_or_create(id=1)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = Event(
        seq=head.seq + 1,
        occurred_at=timezone.now(),
        actor=actor if authenticated else None,
        actor_label=actor.display_name() if authenticated else "",
        actor_role=actor_role,
        kind=kind,
        target_type=target_type,
        target_id=str(target_id),
        reason=reason,
        # Round-trip through JSON so the stored value hashes exactly as it will be read back.
        data=json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder)),
        prev_hash=head.hash,
    )
    event.hash = _event_digest(
        prev_hash=head.hash,
        seq=event.seq,
        occurred_at=event.occurred_at,
        fields=_hashed_fields(event),
    )
    event.save(force_insert=True)
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def event_chain_verify(*, batch_size: int = 5000) -> ChainReport:
    """Recompute every link; report the first event whose hash or link does not match."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in Event.objects.order_by("seq").iterator(chunk_size=batch_size):
        if event.seq != expected_seq:
            return ChainReport(checked, event.seq, f"sequence gap: expected #{expected_seq}")
        if event.prev_hash != prev_hash:
            return ChainReport(checked, event.seq, "link to the previous event does not match")
        digest = _event_digest(
            prev_hash=prev_hash,
            seq=event.seq,
            occurred_at=event.occurred_at,
            fields=_hashed_fields(event),
        )
        if digest != event.hash:
            return ChainReport(checked, event.seq, "content was changed after it was written")
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    head = ChainHead.objects.filter(id=1).first()
    if head and head.seq != checked:
        return ChainReport(checked, checked + 1, "events were removed from the end of the chain")
    return ChainReport(checked, None)
