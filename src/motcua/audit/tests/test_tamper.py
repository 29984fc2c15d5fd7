"""Tampering with the event log directly in the database, as someone with SQL access would:
`verify_event_chain` must fail (exit status 1) and name the first row it cannot trust.

The chain's hash has no secret: whoever writes to the database can recompute it. What the chain
alone cannot show (the last events removed with the head moved back, or the whole tail
rewritten) is caught against a checkpoint kept outside the database (`--checkpoint`).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from motcua.audit.models import ChainHead, Event
from motcua.audit.services import (
    _event_digest,  # what an attacker would use: the algorithm is public
    _hashed_fields,
    event_append,
)

EVENTS = 6


def quoted(name: str) -> str:
    return connection.ops.quote_name(name)


EVENT_TABLE = quoted(Event._meta.db_table)
HEAD_TABLE = quoted(ChainHead._meta.db_table)


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def sql_update(seq: int, **values: Any) -> None:
    """UPDATE one event's columns, each value adapted as its model field would store it."""
    fields = [Event._meta.get_field(name) for name in values]
    sets = ", ".join(f"{quoted(field.column)} = %s" for field in fields)  # type: ignore[union-attr]
    params = [
        field.get_db_prep_value(value, connection)  # type: ignore[union-attr]
        for field, value in zip(fields, values.values(), strict=True)
    ]
    sql(f"UPDATE {EVENT_TABLE} SET {sets} WHERE {quoted('seq')} = %s", [*params, seq])


def sql_insert(event: Event) -> None:
    names = [
        "seq",
        "occurred_at",
        "actor",
        "actor_label",
        "actor_role",
        "kind",
        "target_type",
        "target_id",
        "reason",
        "data",
        "prev_hash",
        "hash",
    ]
    fields = [Event._meta.get_field(name) for name in names]
    columns = ", ".join(quoted(field.column) for field in fields)  # type: ignore[union-attr]
    params = [
        field.get_db_prep_value(getattr(event, field.attname), connection)  # type: ignore[union-attr]
        for field in fields
    ]
    marks = ", ".join(["%s"] * len(params))
    sql(f"INSERT INTO {EVENT_TABLE} ({columns}) VALUES ({marks})", params)


def head_move(seq: int, hash_: str) -> None:
    sql(f"UPDATE {HEAD_TABLE} SET {quoted('seq')} = %s, {quoted('hash')} = %s", [seq, hash_])


def renumber(*, from_seq: int, by: int) -> None:
    """Shift the sequence numbers from `from_seq` on, through negative numbers so that the
    unique constraint holds at every row on every database."""
    seq = quoted("seq")
    sql(f"UPDATE {EVENT_TABLE} SET {seq} = -({seq} + %s) WHERE {seq} >= %s", [by, from_seq])
    sql(f"UPDATE {EVENT_TABLE} SET {seq} = -{seq} WHERE {seq} < 0")


def event(seq: int) -> Event:
    return Event.objects.get(seq=seq)


def forged(*, seq: int, prev_hash: str, like: Event, **changes: Any) -> Event:
    """A row made to look genuine: linked to `prev_hash` and hashed as the service hashes."""
    fake = Event(
        seq=seq,
        occurred_at=like.occurred_at + timedelta(seconds=1),
        actor_id=like.actor_id,
        actor_label=like.actor_label,
        actor_role=like.actor_role,
        kind=changes.get("kind", "payment.refunded"),
        target_type=like.target_type,
        target_id=like.target_id,
        reason=changes.get("reason", ""),
        data=changes.get("data", {"amount": 5_000_000}),
        prev_hash=prev_hash,
    )
    fake.hash = _event_digest(
        prev_hash=prev_hash, seq=seq, occurred_at=fake.occurred_at, fields=_hashed_fields(fake)
    )
    return fake


def rehash_from(seq: int) -> None:
    """Recompute the hashes from `seq` to the end and move the head: a full rewrite."""
    prev_hash = event(seq - 1).hash if seq > 1 else "0" * 64
    for row in Event.objects.filter(seq__gte=seq).order_by("seq"):
        digest = _event_digest(
            prev_hash=prev_hash,
            seq=row.seq,
            occurred_at=row.occurred_at,
            fields=_hashed_fields(row),
        )
        sql_update(row.seq, prev_hash=prev_hash, hash=digest)
        prev_hash = digest
    head_move(Event.objects.count(), prev_hash)


def verify(*args: str) -> str:
    """The command's message when it refuses the chain; fails the test when it accepts it."""
    with pytest.raises(CommandError) as refused:
        call_command("verify_event_chain", *args)
    assert refused.value.returncode == 1
    return str(refused.value)


@pytest.fixture
def people(db: Any) -> tuple[Any, Any]:
    users = get_user_model().objects
    return (
        users.create_user(username="tiepnhan", full_name="Trần Thị Thu Hà"),
        users.create_user(username="lanhdao", full_name="Hoàng Quốc Việt"),
    )


@pytest.fixture
def chain(people: tuple[Any, Any]) -> list[Event]:
    """Six decisions on two dossiers, by two officers, as the services append them."""
    desk, director = people
    with transaction.atomic():
        return [
            event_append(
                actor=desk if n % 2 else director,
                actor_role="reception_officer" if n % 2 else "signing_authority",
                kind=f"dossier.step_{n}",
                target_type="dossier",
                target_id=f"000.00.01.H57-260421-000{n % 2 + 1}",
                reason=f"Lý do {n}",
                data={"amount": 1_000_000 * n, "note": "Hồ sơ hợp lệ"},
            )
            for n in range(1, EVENTS + 1)
        ]


@pytest.mark.django_db
class TestUntouched:
    def test_it_passes_and_prints_the_last_link(self, chain, capsys):
        call_command("verify_event_chain")
        out = capsys.readouterr().out
        assert f"{EVENTS} events verified" in out
        assert f"#{EVENTS} {chain[-1].hash}" in out

    def test_it_passes_an_empty_log(self, db, capsys):
        call_command("verify_event_chain")
        assert "0 events verified" in capsys.readouterr().out


# Each column of the third event, changed to a value of its type.
EDITS = {
    "data": lambda chain, people: {"amount": 1, "note": "Hồ sơ hợp lệ"},
    "kind": lambda chain, people: "dossier.step_4",
    "actor": lambda chain, people: people[1].pk,
    "actor_label": lambda chain, people: "Người khác",
    "actor_role": lambda chain, people: "center_leader",
    "occurred_at": lambda chain, people: chain[2].occurred_at - timedelta(days=3),
    "target_type": lambda chain, people: "payment",
    "target_id": lambda chain, people: "000.00.01.H57-260421-0009",
    "reason": lambda chain, people: "",
    "prev_hash": lambda chain, people: chain[0].hash,
    "hash": lambda chain, people: "f" * 64,
}


@pytest.mark.django_db
class TestEditedRow:
    @pytest.mark.parametrize("column", sorted(EDITS))
    def test_it_names_the_edited_event(self, chain, people, column):
        value = EDITS[column](chain, people)
        sql_update(3, **{"actor_id" if column == "actor" else column: value})
        message = verify()
        assert message.startswith("Event chain broken at #3:"), message

    def test_it_names_an_event_whose_data_was_edited_and_rehashed(self, chain):
        # Recomputing the edited row's own hash breaks the link of the next one.
        sql_update(3, data={"amount": 1})
        row = event(3)
        sql_update(
            3,
            hash=_event_digest(
                prev_hash=row.prev_hash,
                seq=3,
                occurred_at=row.occurred_at,
                fields=_hashed_fields(row),
            ),
        )
        message = verify()
        assert message.startswith("Event chain broken at #4: link to the previous event")
        assert "#3 or this one" in message


@pytest.mark.django_db
class TestRemovedRow:
    def test_it_names_the_missing_event_in_the_middle(self, chain):
        sql(f"DELETE FROM {EVENT_TABLE} WHERE {quoted('seq')} = 3")
        assert "sequence gap: expected #3" in verify()

    def test_it_finds_the_gap_even_when_the_later_events_are_renumbered(self, chain):
        sql(f"DELETE FROM {EVENT_TABLE} WHERE {quoted('seq')} = 3")
        renumber(from_seq=4, by=-1)
        head_move(EVENTS - 1, chain[-1].hash)
        message = verify()
        assert message.startswith("Event chain broken at #3: link to the previous event")

    def test_it_finds_the_last_event_removed(self, chain):
        sql(f"DELETE FROM {EVENT_TABLE} WHERE {quoted('seq')} = %s", [EVENTS])
        message = verify()
        assert message.startswith(f"Event chain broken at #{EVENTS}: events were removed")

    def test_it_finds_the_chain_head_removed(self, chain):
        sql(f"DELETE FROM {HEAD_TABLE}")
        assert verify().startswith(f"Event chain broken at #{EVENTS + 1}: the chain head row")

    def test_the_chain_alone_misses_the_tail_removed_with_the_head_moved_back(self, chain):
        # The limit of a chain without a secret: this is why the checkpoint exists.
        sql(f"DELETE FROM {EVENT_TABLE} WHERE {quoted('seq')} = %s", [EVENTS])
        head_move(EVENTS - 1, chain[-2].hash)
        call_command("verify_event_chain")

    def test_the_checkpoint_finds_the_tail_removed_with_the_head_moved_back(self, chain, tmp_path):
        checkpoint = tmp_path / "chain-checkpoint.json"
        call_command("verify_event_chain", f"--checkpoint={checkpoint}")
        sql(f"DELETE FROM {EVENT_TABLE} WHERE {quoted('seq')} = %s", [EVENTS])
        head_move(EVENTS - 1, chain[-2].hash)
        message = verify(f"--checkpoint={checkpoint}")
        assert message.startswith(f"Event chain broken at #{EVENTS}: events were removed")
        assert f"recorded #{EVENTS}" in message


@pytest.mark.django_db
class TestForgedRow:
    def test_it_names_a_forged_event_with_a_made_up_hash(self, chain):
        fake = forged(seq=EVENTS + 1, prev_hash=chain[-1].hash, like=chain[-1])
        fake.hash = "a" * 64
        sql_insert(fake)
        head_move(EVENTS + 1, fake.hash)
        assert verify().startswith(f"Event chain broken at #{EVENTS + 1}: content was changed")

    def test_it_names_a_well_forged_event_appended_behind_the_head(self, chain):
        sql_insert(forged(seq=EVENTS + 1, prev_hash=chain[-1].hash, like=chain[-1]))
        message = verify()
        assert message.startswith(f"Event chain broken at #{EVENTS + 1}: events were added")

    def test_it_names_a_well_forged_event_slipped_into_the_middle(self, chain):
        renumber(from_seq=4, by=1)
        sql_insert(forged(seq=4, prev_hash=chain[2].hash, like=chain[2]))
        head_move(EVENTS + 1, chain[-1].hash)
        message = verify()
        # The forged #4 links and hashes well; the genuine event after it no longer links.
        assert message.startswith("Event chain broken at #5: link to the previous event")
        assert "#4 or this one" in message

    def test_the_checkpoint_finds_a_rewritten_chain(self, chain, tmp_path):
        checkpoint = tmp_path / "chain-checkpoint.json"
        call_command("verify_event_chain", f"--checkpoint={checkpoint}")
        sql_update(3, data={"amount": 1})
        rehash_from(3)
        # Rewritten from #3 on with every hash recomputed: only the checkpoint can tell.
        call_command("verify_event_chain")
        message = verify(f"--checkpoint={checkpoint}")
        assert message.startswith(f"Event chain broken at #{EVENTS}: differs from the checkpoint")


@pytest.mark.django_db
class TestSwappedRows:
    def test_it_names_the_first_of_two_swapped_events(self, chain):
        seq = quoted("seq")
        sql(f"UPDATE {EVENT_TABLE} SET {seq} = -1 WHERE {seq} = 2")
        sql(f"UPDATE {EVENT_TABLE} SET {seq} = 2 WHERE {seq} = 4")
        sql(f"UPDATE {EVENT_TABLE} SET {seq} = 4 WHERE {seq} = -1")
        assert verify().startswith("Event chain broken at #2: link to the previous event")

    def test_it_names_the_first_of_two_events_whose_contents_were_swapped(self, chain):
        second, fourth = chain[1], chain[3]
        columns = ("occurred_at", "actor_id", "kind", "target_id", "reason", "data")
        sql_update(2, **{c: getattr(fourth, c) for c in columns})
        sql_update(4, **{c: getattr(second, c) for c in columns})
        assert verify().startswith("Event chain broken at #2:")


@pytest.mark.django_db
class TestCheckpoint:
    def test_it_moves_on_with_the_chain(self, chain, people, tmp_path):
        checkpoint = tmp_path / "chain-checkpoint.json"
        call_command("verify_event_chain", f"--checkpoint={checkpoint}")
        assert f'"seq": {EVENTS}' in checkpoint.read_text()
        with transaction.atomic():
            last = event_append(
                actor=people[0], kind="dossier.returned", target_type="dossier", target_id="x"
            )
        call_command("verify_event_chain", f"--checkpoint={checkpoint}")
        assert last.hash in checkpoint.read_text()

    def test_it_refuses_a_checkpoint_it_cannot_read(self, chain, tmp_path):
        checkpoint = tmp_path / "chain-checkpoint.json"
        checkpoint.write_text("not json")
        assert "cannot be read" in verify(f"--checkpoint={checkpoint}")
        assert checkpoint.read_text() == "not json"

    def test_a_refused_chain_leaves_the_checkpoint_as_it_was(self, chain, tmp_path):
        checkpoint = Path(tmp_path / "chain-checkpoint.json")
        call_command("verify_event_chain", f"--checkpoint={checkpoint}")
        before = checkpoint.read_text()
        sql_update(5, reason="Đã sửa")
        verify(f"--checkpoint={checkpoint}")
        assert checkpoint.read_text() == before
