"""Repeating a sweep from a management command (`make run` and `make worker` start them)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections


def repeat(sweep: Callable[[], Any], *, every: int | None) -> None:
    """Run `sweep` once, or every `every` seconds until Ctrl-C."""
    # Ctrl-C is how a developer stops `make worker`; work in flight is left to the next round.
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            sweep()
            if not every:
                return
            # A loop that lives for days must not keep a connection the database has dropped.
            close_old_connections()
            time.sleep(every)
