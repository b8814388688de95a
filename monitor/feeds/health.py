"""A feed's state after each poll, and the operator events its health changes raise.

Pure functions: the pipeline passes the state before, what the poll got and ``now``; what
comes back is stored as is. The next poll time is decided here (:mod:`monitor.feeds.intervals`),
so a restart keeps honouring a ``Retry-After`` or a backoff.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from monitor.config import DaemonSettings, FeedSettings, ListenerSettings
from monitor.feeds.errors import FetchError
from monitor.feeds.intervals import (
    IntervalPolicy,
    NextPoll,
    PollSignals,
    next_poll,
    publishing_rate,
)
from monitor.observability import redact_url
from monitor.records import FeedState, FetchResult, ParsedFeed

_MAX_ERROR_CHARS = 500


class FeedEventKind(StrEnum):
    """What an operator alert about one feed says happened."""

    GONE = "gone"  # 410: never polled again
    FAILING = "failing"  # failing for longer than the configured grace
    RECOVERED = "recovered"  # polled fine again after a failure was alerted


class FeedHealth(StrEnum):
    """A feed's health as ``wirewatch feeds`` and the status page name it."""

    OK = "ok"
    FAILING = "failing"
    GONE = "gone"
    DISABLED = "disabled"
    NEVER_POLLED = "never polled"
    NOT_CONFIGURED = "not configured"  # stored, but no longer in the config (status page)


def feed_health(feed: FeedSettings, state: FeedState | None) -> FeedHealth:
    """Disabled in the config, never polled, gone (410), failing, or ok."""
    if not feed.enabled:
        return FeedHealth.DISABLED
    if state is None or state.last_polled is None:
        return FeedHealth.NEVER_POLLED
    if state.disabled:
        return FeedHealth.GONE
    return FeedHealth.FAILING if state.error_count else FeedHealth.OK


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """Something the operator must hear about one feed (sent as an operator alert)."""

    kind: FeedEventKind
    feed_url: str
    feed_name: str
    detail: str
    at: datetime
    since: datetime | None = None  # when the failure streak began


def interval_policy(
    feed: FeedSettings, daemon: DaemonSettings, listener: ListenerSettings | None = None
) -> IntervalPolicy:
    """The feed's own limits within the daemon's: the tighter of each pair wins."""
    minimum = max(daemon.min_interval, feed.min_interval or 0.0)
    maximum = max(minimum, min(daemon.max_interval, feed.max_interval or daemon.max_interval))
    return IntervalPolicy(
        default=feed.interval or daemon.default_interval,
        adaptive=feed.interval is None,
        minimum=minimum,
        maximum=maximum,
        backoff_base=daemon.backoff_base,
        backoff_max=max(daemon.backoff_max, daemon.backoff_base),
        jitter=daemon.jitter,
        push_fallback=listener.poll_fallback if listener else 3600.0,
    )


def _scheduled(state: FeedState, decision: NextPoll, now: datetime) -> FeedState:
    return replace(
        state, interval=decision.delay, next_poll=now + timedelta(seconds=decision.delay)
    )


def after_success(
    state: FeedState,
    fetched: FetchResult,
    parsed: ParsedFeed | None,
    *,
    body_hash: str | None,
    now: datetime,
    policy: IntervalPolicy,
    pushed: bool = False,
    rng: Callable[[], float] = random.random,
) -> FeedState:
    """After a 200 (``parsed`` given), a 304 or an unchanged body (``parsed`` None)."""
    rate, ttl = state.items_per_day, state.feed_ttl
    if parsed is not None:
        rate = publishing_rate((entry.published for entry in parsed.entries), now)
        ttl = parsed.ttl
    signals = PollSignals(
        cache_lifetime=fetched.cache_lifetime, feed_ttl=ttl, items_per_day=rate, pushed=pushed
    )
    decision = next_poll(signals, policy, rng)
    return replace(  # one copy of the state a poll (each costs a read of its 22 fields)
        state,
        last_polled=now,
        last_success=now,
        last_status=fetched.status,
        etag=fetched.etag or state.etag,
        last_modified=fetched.last_modified or state.last_modified,
        body_hash=body_hash or state.body_hash,
        error_count=0,
        last_error=None,
        failing_since=None,
        items_per_day=rate,
        feed_ttl=ttl,
        moved_to=_new_home(state, fetched),
        slow=fetched.slow,
        interval=decision.delay,
        next_poll=now + timedelta(seconds=decision.delay),
    )


def _new_home(state: FeedState, fetched: FetchResult) -> str | None:
    """Where to fetch from now on: a permanent redirect's target; back home drops it."""
    if fetched.moved_to is None:
        return state.moved_to
    return None if fetched.moved_to == state.url else fetched.moved_to


def after_failure(
    state: FeedState,
    error: str,
    *,
    status: int | None,
    retry_after: float | None,
    now: datetime,
    policy: IntervalPolicy,
    slow: bool = False,
    rng: Callable[[], float] = random.random,
) -> FeedState:
    """After a failed poll; ``slow``: the request was slow (:attr:`FetchError.slow`)."""
    failures = state.error_count + 1
    failed = replace(
        state,
        last_polled=now,
        last_status=status,
        error_count=failures,
        last_error=redact_url(error)[:_MAX_ERROR_CHARS],  # shown by pages, commands, alerts
        failing_since=state.failing_since or now,
        slow=slow,
    )
    signals = PollSignals(failures=failures, retry_after=retry_after)
    return _scheduled(failed, next_poll(signals, policy, rng), now)


def after_gone(state: FeedState, err: FetchError, now: datetime) -> FeedState:
    """410 Gone: the publisher retired the feed; it is never polled again."""
    return replace(
        state,
        last_polled=now,
        last_status=err.status,
        error_count=state.error_count + 1,
        last_error=f"gone: {err.message}"[:_MAX_ERROR_CHARS],
        failing_since=state.failing_since or now,
        disabled=f"410 Gone at {now.isoformat(timespec='seconds')}",
        interval=None,
        next_poll=None,
    )


def settle_health(
    before: FeedState, after: FeedState, feed: FeedSettings, now: datetime, alert_after: float
) -> tuple[FeedState, FeedEvent | None]:
    """The state to store and the operator event, if this poll changed the feed's health:
    gone, failing for ``alert_after`` seconds (once per streak), or recovered after that."""

    def event(kind: FeedEventKind, detail: str) -> FeedEvent:
        return FeedEvent(kind, feed.url, feed.display_name, detail, now, before.failing_since)

    if after.disabled and not before.disabled:
        return after, event(FeedEventKind.GONE, after.last_error or "410 Gone")
    if after.error_count == 0:
        if before.failure_alerted:
            return replace(after, failure_alerted=False), event(
                FeedEventKind.RECOVERED, "polling again"
            )
        return after, None
    streak = now - (after.failing_since or now)
    if alert_after > 0 and not after.failure_alerted and streak.total_seconds() >= alert_after:
        return replace(after, failure_alerted=True), event(
            FeedEventKind.FAILING, after.last_error or ""
        )
    return after, None
