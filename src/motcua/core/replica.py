"""Reads that a streaming replica of the database may serve, and the router that sends them there.

Every write goes to "default". A read goes to the "replica" alias only inside
`reading_from_replica()` (the reports, the dashboard, the 766 index, the evaluation lists and the
public lookup enter it), and only while the replica is fit: in recovery, receiving WAL from the
primary, and no further behind than MOTCUA_REPLICA_MAX_LAG_SECONDS. Inside a transaction on
"default" reads stay on "default", so a service always sees its own writes. Without a "replica"
alias (no MOTCUA_REPLICA_DATABASE_URL) every read goes to "default", as on a single machine.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Model

REPLICA = "replica"

# Sign-in state is read where it was written: a session or a token created a moment ago on the
# primary must not look missing because the replica has not replayed it yet.
PRIMARY_ONLY_APPS = frozenset({"sessions", "authtoken"})

logger = logging.getLogger("motcua.replica")
_reading: ContextVar[bool] = ContextVar("motcua_reading_from_replica", default=False)

# In recovery; a WAL receiver running (a standby cut off from its primary would look caught up
# forever); everything received replayed, or else how long ago the last replayed commit was.
_FITNESS_SQL = """
SELECT pg_is_in_recovery(),
       EXISTS (SELECT 1 FROM pg_stat_wal_receiver),
       coalesce(pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn(), false),
       extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
"""


@dataclass
class _Fitness:
    fit: bool | None = None
    checked_at: float = float("-inf")


_fitness = _Fitness()


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def _assess() -> str:
    """Why the replica must not serve reads now, or "" when it may."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(_FITNESS_SQL)
            in_recovery, receiving, caught_up, behind = cursor.fetchone()
    except DatabaseError as error:
        # A broken connection is dropped here, so the next check connects afresh.
        with contextlib.suppress(DatabaseError):
            connections[REPLICA].close()
        return f"unreachable ({error.__class__.__name__})"
    if not in_recovery:
        return "not in recovery (promoted, or not a standby)"
    if not receiving:
        return "not receiving WAL from the primary"
    if caught_up:
        return ""
    limit = settings.MOTCUA_REPLICA_MAX_LAG_SECONDS
    if behind is None or behind > limit:
        return f"replay is behind the primary by more than {limit} s"
    return ""


def replica_fit() -> bool:
    """Whether reads may go to the replica now; checked at most every
    MOTCUA_REPLICA_CHECK_SECONDS per process, so the hot lookup pays for it once in a while."""
    now = time.monotonic()
    if now - _fitness.checked_at < settings.MOTCUA_REPLICA_CHECK_SECONDS:
        return bool(_fitness.fit)
    reason = _assess()
    fit = not reason
    if fit != _fitness.fit:
        if fit:
            logger.info("replica_in_use")
        else:
            logger.warning("replica_not_used reason=%s", reason)
    _fitness.fit, _fitness.checked_at = fit, now
    return fit


@contextmanager
def reading_from_replica() -> Iterator[bool]:
    """Send this block's reads to the replica when a fit one is configured; yields whether it
    does. Also a decorator for read-only views (put it under the access check)."""
    if _reading.get():
        yield True
        return
    if (
        not replica_configured()
        or connections[DEFAULT_DB_ALIAS].in_atomic_block
        or not replica_fit()
    ):
        yield False
        return
    token = _reading.set(True)
    try:
        yield True
    finally:
        _reading.reset(token)


class ReplicaRouter:
    """Reads inside `reading_from_replica()` go to the replica; all else goes to "default"."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        if (
            _reading.get()
            and model._meta.app_label not in PRIMARY_ONLY_APPS
            # Checked at each query: a transaction opened inside the block reads its own writes.
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        # Not None: an object read on the replica must not pull its relations from there later.
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # Both aliases hold the same rows, so an object read on one may point at one from the other.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The replica is read-only; it gets the schema by streaming from the primary.
        return False if db == REPLICA else None
