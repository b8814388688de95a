"""The next-poll rules as pure functions: exact delays for each signal and its precedence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.config.feeds import FeedSettings
from monitor.config.settings import DaemonSettings
from monitor.feeds.health import interval_policy
from monitor.feeds.intervals import (
    IntervalPolicy,
    PollSignals,
    backoff_delay,
    next_poll,
    publishing_rate,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POLICY = IntervalPolicy(
    default=300.0,
    adaptive=True,
    minimum=60.0,
    maximum=3600.0,
    backoff_base=60.0,
    backoff_max=21_600.0,
    jitter=0.0,
    push_fallback=1800.0,
)


def no_jitter() -> float:
    return 0.0


def full_jitter() -> float:
    return 1.0


@pytest.mark.parametrize(
    ("signals", "delay", "reason"),
    [
        # Nothing known: the configured interval.
        (PollSignals(), 300.0, "default"),
        # Observed rate: 48 entries a day → one every 30 min → polled every 15 min.
        (PollSignals(items_per_day=48), 900.0, "rate"),
        # A busy feed is polled as often as the minimum allows, a quiet one at the maximum.
        (PollSignals(items_per_day=5000), 60.0, "rate"),
        (PollSignals(items_per_day=1), 3600.0, "rate"),
        (PollSignals(items_per_day=0), 3600.0, "rate"),
        # The feed's <ttl> / sy:* is a floor above the rate...
        (PollSignals(items_per_day=48, feed_ttl=1200), 1200.0, "feed_ttl"),
        # ...but not when the rate asks for less often anyway.
        (PollSignals(items_per_day=48, feed_ttl=600), 900.0, "rate"),
        # Cache lifetime outranks the feed's ttl.
        (PollSignals(items_per_day=48, cache_lifetime=1000, feed_ttl=3000), 1000.0, "cache"),
        (PollSignals(cache_lifetime=0, feed_ttl=3000), 300.0, "default"),
        # Publisher floors are clamped to the maximum: a week-long max-age is not obeyed.
        (PollSignals(cache_lifetime=7 * 86_400), 3600.0, "cache"),
        # While WebSub pushes, polling is a slower fallback.
        (PollSignals(items_per_day=48, pushed=True), 1800.0, "push_fallback"),
        # A failure with Retry-After: exactly what the server asked.
        (PollSignals(failures=1, retry_after=120), 120.0, "retry_after"),
        # Retry-After below the minimum is raised to it, a hostile one capped.
        (PollSignals(failures=1, retry_after=1), 60.0, "retry_after"),
        (PollSignals(failures=1, retry_after=10**9), 21_600.0, "retry_after"),
        # Retry-After wins over every success-side signal (they do not apply to failures).
        (PollSignals(failures=3, retry_after=500, cache_lifetime=9000), 500.0, "retry_after"),
    ],
)
def test_next_poll_follows_the_signal_that_takes_precedence(
    signals: PollSignals, delay: float, reason: str
) -> None:
    decision = next_poll(signals, POLICY, no_jitter)
    assert (decision.delay, decision.reason) == (delay, reason)


@pytest.mark.parametrize(
    ("failures", "low", "high"),
    [(1, 60.0, 60.0), (2, 60.0, 120.0), (3, 120.0, 240.0), (5, 480.0, 960.0)],
)
def test_backoff_doubles_per_failure_with_jitter_in_the_upper_half(
    failures: int, low: float, high: float
) -> None:
    assert backoff_delay(failures, POLICY, no_jitter) == low
    assert backoff_delay(failures, POLICY, full_jitter) == high
    decision = next_poll(PollSignals(failures=failures), POLICY, no_jitter)
    assert (decision.delay, decision.reason) == (low, "backoff")


@pytest.mark.parametrize("failures", [10, 20, 10_000])
def test_backoff_is_capped(failures: int) -> None:
    assert backoff_delay(failures, POLICY, full_jitter) == POLICY.backoff_max


def test_success_jitter_is_bounded_by_setting_and_share_of_the_delay() -> None:
    policy = IntervalPolicy(300, True, 60, 3600, 60, 3600, jitter=30.0)
    assert next_poll(PollSignals(), policy, full_jitter).delay == 330.0
    assert next_poll(PollSignals(items_per_day=5000), policy, full_jitter).delay == 66.0


def test_a_fixed_interval_ignores_the_publishing_rate() -> None:
    policy = interval_policy(FeedSettings(url="http://x/f", interval=600), DaemonSettings())
    decision = next_poll(PollSignals(items_per_day=5000), policy, no_jitter)
    assert (decision.delay, decision.reason) == (600.0, "default")


@pytest.mark.parametrize(
    ("feed", "minimum", "maximum"),
    [
        (FeedSettings(url="http://x/f"), 60.0, 3600.0),
        (FeedSettings(url="http://x/f", min_interval=300, max_interval=900), 300.0, 900.0),
        # A feed may not go below the daemon's minimum nor above its maximum.
        (FeedSettings(url="http://x/f", min_interval=5, max_interval=86_400), 60.0, 3600.0),
        # A feed minimum above the daemon maximum wins: maximum never below minimum.
        (FeedSettings(url="http://x/f", min_interval=7200), 7200.0, 7200.0),
    ],
)
def test_feed_limits_are_clamped_within_the_daemon_limits(
    feed: FeedSettings, minimum: float, maximum: float
) -> None:
    policy = interval_policy(feed, DaemonSettings())
    assert (policy.minimum, policy.maximum) == (minimum, maximum)


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


@pytest.mark.parametrize(
    ("dates", "per_day"),
    [
        ([], None),
        ([ago(hours=1)], None),
        ([None, None, ago(hours=2)], None),
        # 12 entries over the last 12 hours: 24 a day.
        ([ago(hours=h) for h in range(12, 0, -1)], 24.0),
        # The span runs to now: 2 entries 3 and 2 days ago is 2 per 3 days, not 2 per day.
        ([ago(days=3), ago(days=2)], 2 / 3),
        # Entries older than a week only say the week holds what is newer.
        ([ago(days=30), ago(days=20), ago(days=6), ago(days=1)], 2 / 7),
        ([ago(days=30), ago(days=20)], 0.0),
        # Future dates count as now; two entries a second apart count over an hour.
        ([NOW + timedelta(days=1), ago(seconds=1)], 48.0),
    ],
)
def test_publishing_rate_from_entry_dates(
    dates: list[datetime | None], per_day: float | None
) -> None:
    rate = publishing_rate(dates, NOW)
    if per_day is None:
        assert rate is None
    else:
        assert rate == pytest.approx(per_day)
