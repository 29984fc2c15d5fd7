"""Counting attempts in the cache (wrong lookup secrets, one-time codes sent, failed sign-ins).

Windows follow Django's clock rather than the cache's own expiry: each counter's key carries its
window's number, so a new window starts a new counter at the right time even where the cache
(Redis) keeps time of its own. The cache's timeout only clears old keys away.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.cache import cache
from django.utils import timezone


def _windowed(key: str, window: int) -> str:
    return f"{key}:{int(timezone.now().timestamp()) // window}"


def over_limit(limits: Mapping[str, int], *, window: int) -> bool:
    """Whether any counter has reached its limit in the current window."""
    keys = {_windowed(key, window): limit for key, limit in limits.items()}
    counts = cache.get_many(list(keys))
    return any(counts.get(key, 0) >= limit for key, limit in keys.items())


def count(keys: Iterable[str], *, window: int) -> None:
    """One more attempt on each counter, in the current window."""
    for key in keys:
        windowed = _windowed(key, window)
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
