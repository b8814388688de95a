"""LogThrottle: the first line at once, then one per period with the count in between."""

from __future__ import annotations

from monitor.observability import LogThrottle


def test_lines_are_throttled_per_key_and_count_what_went_unlogged() -> None:
    now = [0.0]
    throttle = LogThrottle(60, clock=lambda: now[0])
    assert throttle.due("disk") == 0  # the first occurrence: a line at once
    assert [throttle.due("disk") for _ in range(3)] == [None, None, None]
    assert throttle.due("page") == 0  # another key has its own period
    now[0] = 60.0
    assert throttle.due("disk") == 3  # due again, saying three went unlogged
    assert throttle.due("disk") is None


def test_a_forgotten_key_is_logged_at_once_next_time() -> None:
    throttle = LogThrottle(60, clock=lambda: 0.0)
    assert throttle.due("disk") == 0
    assert throttle.due("disk") is None
    throttle.forget("disk")
    assert throttle.due("disk") == 0
