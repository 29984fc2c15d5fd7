"""Windows of attempts follow Django's clock (frozen here), whatever cache backend holds them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from motcua.core import throttle

LIMITS = {"otp:0905123456": 3}
HOUR = 3600
T0 = datetime(2026, 11, 28, 9, 59, tzinfo=UTC)  # the window crosses a clock hour


def test_a_window_opens_at_the_first_attempt_and_lasts_its_length():
    for minutes in (0, 10, 20):
        with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
            assert not throttle.over_limit(LIMITS, window=HOUR)
            throttle.count(LIMITS, window=HOUR)
    with time_machine.travel(T0 + timedelta(minutes=59), tick=False):
        assert throttle.over_limit(LIMITS, window=HOUR)
    with time_machine.travel(T0 + timedelta(minutes=60), tick=False):
        assert not throttle.over_limit(LIMITS, window=HOUR)


def test_a_hold_blocks_for_its_length_then_is_taken_over():
    with time_machine.travel(T0, tick=False):
        assert throttle.hold("gap:0905123456", seconds=60)
        assert not throttle.hold("gap:0905123456", seconds=60)
    with time_machine.travel(T0 + timedelta(seconds=59), tick=False):
        assert not throttle.hold("gap:0905123456", seconds=60)
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        assert throttle.hold("gap:0905123456", seconds=60)
