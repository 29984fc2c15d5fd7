from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
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
    seq, prev_hash = _advance_head()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = Event(
        seq=seq,
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
        prev_hash=prev_hash,
    )
    event.hash = _event_digest(
        prev_hash=prev_hash,
        seq=event.seq,
        occurred_at=event.occurred_at,
        fields=_hashed_fields(event),
    )
    event.save(force_insert=True)
    ChainHead.objects.filter(id=1).update(hash=event.hash)
    return event


def _advance_head() -> tuple[int, str]:
    """Take the next sequence number and the previous hash, locking the head row until commit.

    One UPDATE … RETURNING, so concurrent writers queue on the row and the chain stays linear.
    """
    table = ChainHead._meta.db_table
    advance = f"UPDATE {table} SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash"
    with connection.cursor() as cursor:
        cursor.execute(advance)
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                f"INSERT INTO {table} (id, seq, hash) VALUES (1, 0, %s) ON CONFLICT DO NOTHING",
                [GENESIS_HASH],
            )
            cursor.execute(advance)
            row = cursor.fetchone()
    return int(row[0]), str(row[1])


@dataclass(frozen=True)
class ChainLink:
    """One link of the chain: event #seq and its hash (#0 and the genesis hash: no event)."""

    seq: int
    hash: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None
    problem: str = ""
    # The last link verified: kept outside the database, it anchors the next verification.
    head: ChainLink = ChainLink(0, GENESIS_HASH)

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def event_chain_verify(*, batch_size: int = 5000, anchor: ChainLink | None = None) -> ChainReport:
    """Recompute every link; report the first event whose hash or link does not match.

    Whoever can write to the database can also rewrite the chain head, so removing the last
    events and moving the head back leaves a chain that verifies. `anchor`, a link recorded
    outside the database by an earlier verification, must still be in the chain unchanged.
    """
    prev_hash = GENESIS_HASH
    expected_seq = 1
    for event in Event.objects.order_by("seq").iterator(chunk_size=batch_size):
        problem = _link_problem(event, prev_hash=prev_hash, expected_seq=expected_seq)
        if not problem and anchor is not None and anchor.seq == event.seq != 0:
            problem = "" if anchor.hash == event.hash else _ANCHOR_REWRITTEN
        if problem:
            return ChainReport(expected_seq - 1, event.seq, problem)
        prev_hash, expected_seq = event.hash, expected_seq + 1
    last = ChainLink(expected_seq - 1, prev_hash)
    broken_at, problem = _end_problem(last, anchor)
    if problem:
        return ChainReport(last.seq, broken_at, problem)
    return ChainReport(last.seq, None, head=last)


_ANCHOR_REWRITTEN = (
    "differs from the checkpoint kept outside the database (the chain was rewritten)"
)


def _link_problem(event: Event, *, prev_hash: str, expected_seq: int) -> str:
    if event.seq != expected_seq:
        return f"sequence gap: expected #{expected_seq}"
    if event.prev_hash != prev_hash:
        # The break lies between this event and the one before: either may be the forged one.
        return (
            f"link to the previous event does not match (#{expected_seq - 1} or this one was "
            "inserted, removed, moved or rewritten)"
        )
    digest = _event_digest(
        prev_hash=prev_hash,
        seq=event.seq,
        occurred_at=event.occurred_at,
        fields=_hashed_fields(event),
    )
    return "" if digest == event.hash else "content was changed after it was written"


def _end_problem(last: ChainLink, anchor: ChainLink | None) -> tuple[int | None, str]:
    """Whether the chain ends where the head row and the checkpoint say it does."""
    head = ChainHead.objects.filter(id=1).first()
    if head is None and last.seq:
        return last.seq + 1, "the chain head row is missing (events may have been removed)"
    if head is not None and head.seq > last.seq:
        return last.seq + 1, "events were removed from the end of the chain"
    if head is not None and head.seq < last.seq:
        return head.seq + 1, f"events were added after the chain head (#{head.seq})"
    if head is not None and head.hash != last.hash:
        return last.seq, "the chain head does not match the last event"
    if anchor is not None and anchor.seq > last.seq:
        return last.seq + 1, (
            f"events were removed from the end of the chain (the checkpoint kept outside the "
            f"database recorded #{anchor.seq})"
        )
    return None, ""
