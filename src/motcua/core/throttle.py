"""Counting attempts in the cache (wrong lookup secrets, one-time codes sent, failed sign-ins).

A window opens with the first attempt and lasts `window` seconds by Django's clock, not by the
cache's own expiry: the window's start is kept in the cache and each counter's key carries it,
so a window ends at the right time even where the cache (Redis) keeps time of its own. The
cache's timeouts only clear old keys away.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.cache import cache
from django.utils import timezone


def _now() -> float:
    return timezone.now().timestamp()


def _open(start: float | None, window: int) -> float | None:
    return start if start is not None and _now() - start < window else None


def _open_window(key: str, window: int) -> float | None:
    """When the window of this counter opened, if it is still open."""
    return _open(cache.get(f"{key}:start"), window)


def over_limit(limits: Mapping[str, int], *, window: int) -> bool:
    """Whether any counter has reached its limit in its current window (two cache reads,
    whatever the number of counters: it is on the public lookup's path)."""
    starts = cache.get_many([f"{key}:start" for key in limits])
    keys = {}
    for key, limit in limits.items():
        start = _open(starts.get(f"{key}:start"), window)
        if start is not None:
            keys[f"{key}:{start}"] = limit
    if not keys:
        return False
    counts = cache.get_many(list(keys))
    return any(counts.get(key, 0) >= limit for key, limit in keys.items())


def count(keys: Iterable[str], *, window: int) -> None:
    """One more attempt on each counter; the first one opens its window."""
    for key in keys:
        start = _open_window(key, window)
        if start is None:
            start = _now()
            cache.set(f"{key}:start", start, timeout=2 * window)
        windowed = f"{key}:{start}"
        if not cache.add(windowed, 1, timeout=2 * window):
            try:
                cache.incr(windowed)
            except ValueError:  # expired between add and incr
                cache.set(windowed, 1, timeout=2 * window)


def hold(key: str, *, seconds: int) -> bool:
    """Take a hold for `seconds` (a minimum gap between two sends); False while one is held.

    cache.add is atomic, so of two requests at once only one gets the hold. The hold's end is
    kept in the value and compared with Django's clock; an expired hold still in the cache is
    taken over."""
    now = timezone.now().timestamp()
    if cache.add(key, now + seconds, timeout=seconds):
        return True
    held_until = cache.get(key)
    if held_until is not None and held_until > now:
        return False
    cache.set(key, now + seconds, timeout=seconds)
    return True
