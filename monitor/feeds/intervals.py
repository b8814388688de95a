"""When to poll a feed next: pure functions of what the last poll learned.

The delay after a poll honours, in this order of precedence:

1. after a failure, the server's ``Retry-After`` (429/503), else exponential backoff with
   jitter, capped; the first success resets it;
2. after a success, the publisher's wishes as a floor: the response's cache lifetime
   (``Cache-Control: max-age`` / ``Expires``), else the feed's ``<ttl>`` or
   ``sy:updatePeriod``/``sy:updateFrequency``;
3. above that floor, the feed's observed publishing rate (busy feeds sooner, quiet ones
   later), unless the feed has a fixed ``interval`` of its own;
4. while a WebSub hub pushes the feed, polling is only a slower fallback.

Everything is clamped to the feed's and the daemon's minimum and maximum. No clock and no
I/O here: callers pass ``now`` and a random source, tests assert exact delays.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

DAY: Final = 86_400.0
RATE_WINDOW: Final = timedelta(days=7)  # entries older than this say nothing about today
MIN_RATE_SPAN: Final = timedelta(hours=1)  # two entries a second apart are not 172,800 a day
# Polls per expected new entry: twice as often as the feed publishes finds an entry within
# half its publishing interval on average, without polling a quiet feed every minute.
POLLS_PER_ENTRY: Final = 2.0
JITTER_SHARE: Final = 0.1  # success jitter is at most this share of the delay


@dataclass(frozen=True, slots=True)
class IntervalPolicy:
    """One feed's limits, merged from its own settings and the daemon's."""

    default: float  # the feed's fixed interval, else the daemon's default
    adaptive: bool  # follow the publishing rate (the feed has no fixed interval)
    minimum: float
    maximum: float
    backoff_base: float
    backoff_max: float
    jitter: float = 0.0  # seconds, at most; never more than JITTER_SHARE of the delay
    push_fallback: float = 3600.0  # poll at most this often while WebSub pushes


@dataclass(frozen=True, slots=True)
class PollSignals:
    """What the last poll (and the feed's history) says about the next one."""

    failures: int = 0  # consecutive, this poll included
    retry_after: float | None = None
    cache_lifetime: float | None = None
    feed_ttl: float | None = None
    items_per_day: float | None = None
    pushed: bool = False  # an active WebSub subscription delivers new entries


@dataclass(frozen=True, slots=True)
class NextPoll:
    delay: float  # seconds from now
    reason: str  # retry_after, backoff, cache, feed_ttl, rate, default, push_fallback


def next_poll(
    signals: PollSignals, policy: IntervalPolicy, rng: Callable[[], float] = random.random
) -> NextPoll:
    """The delay before the next poll and the signal that decided it."""
    if signals.failures > 0:
        return _after_failure(signals, policy, rng)
    base, reason = _base_interval(signals, policy)
    floor, floor_reason = _publisher_floor(signals)
    if floor is not None and floor > base:
        base, reason = floor, floor_reason
    if signals.pushed and policy.push_fallback > base:
        base, reason = policy.push_fallback, "push_fallback"
    delay = _clamp(base, policy.minimum, policy.maximum)
    return NextPoll(delay + rng() * min(policy.jitter, delay * JITTER_SHARE), reason)


def backoff_delay(failures: int, policy: IntervalPolicy, rng: Callable[[], float]) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random, capped."""
    exponent = min(failures - 1, 32)  # beyond this the cap has long been reached
    ceiling = min(policy.backoff_max, policy.backoff_base * 2.0**exponent)
    return max(policy.minimum, ceiling / 2 + rng() * ceiling / 2)


def _after_failure(
    signals: PollSignals, policy: IntervalPolicy, rng: Callable[[], float]
) -> NextPoll:
    if signals.retry_after is not None:
        # The server said when; a hostile "come back in ten years" still ends at the cap.
        cap = max(policy.backoff_max, policy.maximum)
        return NextPoll(_clamp(signals.retry_after, policy.minimum, cap), "retry_after")
    return NextPoll(backoff_delay(signals.failures, policy, rng), "backoff")


def _base_interval(signals: PollSignals, policy: IntervalPolicy) -> tuple[float, str]:
    if policy.adaptive and signals.items_per_day is not None:
        if signals.items_per_day <= 0:
            return policy.maximum, "rate"
        return DAY / (signals.items_per_day * POLLS_PER_ENTRY), "rate"
    return policy.default, "default"


def _publisher_floor(signals: PollSignals) -> tuple[float | None, str]:
    if signals.cache_lifetime is not None:
        return signals.cache_lifetime, "cache"
    return signals.feed_ttl, "feed_ttl"


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def publishing_rate(published: Iterable[datetime | None], now: datetime) -> float | None:
    """Entries per day, from the dates of the entries a feed currently lists.

    Counts the entries of the last week over the time they span up to ``now``: a feed
    listing its last 20 entries of two hours counts as busy, one whose newest entry is a
    week old as silent (0.0). None when fewer than two entries carry a date.
    """
    dates = sorted(min(date, now) for date in published if date is not None)
    if len(dates) < 2:
        return None
    since = max(dates[0], now - RATE_WINDOW)
    recent = sum(1 for date in dates if date >= since)
    span = max(now - since, MIN_RATE_SPAN)
    return recent * DAY / span.total_seconds()
