"""Without a replica every read stays on "default"; the replica is never written or migrated.

Reads that really reach a streaming replica are tested in tests/production/test_replica.py.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session

from motcua.core.replica import REPLICA, ReplicaRouter, reading_from_replica


def test_it_reads_default_inside_a_replica_block_when_no_replica_is_configured(settings):
    assert REPLICA not in settings.DATABASES

    with reading_from_replica() as on_replica:
        inside = ContentType.objects.all().db

    assert on_replica is False
    assert inside == ContentType.objects.all().db == "default"


def test_it_sends_every_write_and_migration_to_default_only():
    router = ReplicaRouter()

    assert router.db_for_write(ContentType) == "default"
    assert router.db_for_read(Session) == "default"
    assert router.allow_migrate(REPLICA, "dossiers") is False
    assert router.allow_migrate("default", "dossiers") is None
