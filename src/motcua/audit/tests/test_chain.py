from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from motcua.audit.models import Event
from motcua.audit.services import event_append, event_chain_verify


def append(n: int) -> list[Event]:
    with transaction.atomic():
        return [
            event_append(actor=None, kind="test.happened", target_type="thing", target_id=i)
            for i in range(n)
        ]


@pytest.mark.django_db
class TestChain:
    def test_it_links_each_event_to_the_previous_one(self):
        first, second, third = append(3)
        assert second.prev_hash == first.hash and third.prev_hash == second.hash
        assert event_chain_verify().checked == 3

    def test_it_names_the_first_edited_event(self, capsys):
        events = append(4)
        Event.objects.filter(pk=events[2].pk).update(data={"changed": True})
        with pytest.raises(CommandError, match="#3: content was changed"):
            call_command("verify_event_chain")

    def test_it_detects_a_deleted_event_in_the_middle(self):
        events = append(4)
        Event.objects.filter(pk=events[1].pk).delete()
        report = event_chain_verify()
        assert (report.ok, report.broken_at) == (False, 3)

    def test_it_detects_events_removed_from_the_end(self):
        events = append(3)
        Event.objects.filter(pk=events[2].pk).delete()
        report = event_chain_verify()
        assert not report.ok
        assert "removed from the end" in report.problem

    def test_it_reports_an_intact_chain(self, capsys):
        append(2)
        call_command("verify_event_chain")
        assert "2 events verified" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_append_outside_a_transaction():
    # An event must commit or roll back with the change it records.
    with pytest.raises(RuntimeError):
        event_append(actor=None, kind="x", target_type="thing", target_id=1)
    assert Event.objects.count() == 0
