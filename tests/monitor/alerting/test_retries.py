"""The retry policy: a budget of time from the first attempt; Retry-After only lengthens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.alerting.retries import (
    MAX_BACKOFF,
    RETRY_FLOOR,
    RetryPolicy,
    budget_for_attempts,
    nominal_backoff,
)
from tests.support.stories import NOW

HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("max_attempts", "budget"),
    [
        (1, timedelta(0)),  # one attempt: no retry
        (2, timedelta(seconds=30)),
        (3, timedelta(seconds=90)),
        (8, timedelta(seconds=3810)),  # the default: 30 s + 60 s + ... + 1920 s
        (12, timedelta(seconds=3810 + 3600 + 3 * 3600)),  # capped at an hour each
    ],
)
def test_max_attempts_sets_the_span_its_backoff_covers(
    max_attempts: int, budget: timedelta
) -> None:
    assert budget_for_attempts(max_attempts) == budget
    assert RetryPolicy.of(max_attempts).budget == budget


def test_retry_for_sets_the_budget_whatever_max_attempts_says() -> None:
    assert RetryPolicy.of(8, retry_for=600).budget == timedelta(seconds=600)
    assert RetryPolicy.of(1, retry_for=7200).budget == timedelta(hours=2)


@pytest.mark.parametrize(
    ("attempts", "retry_after", "earliest", "latest"),
    [
        (1, None, timedelta(seconds=15), timedelta(seconds=30)),  # backoff, jittered 50-100 %
        (1, 0.0, timedelta(seconds=15), timedelta(seconds=30)),  # 0 never makes a burst
        (1, 2.0, timedelta(seconds=15), timedelta(seconds=30)),  # shorter than the backoff
        (1, 120.0, timedelta(seconds=120), timedelta(seconds=120)),  # longer: it wins
        (3, 5.0, timedelta(seconds=60), timedelta(seconds=120)),
        (1, 86_400.0, MAX_BACKOFF, MAX_BACKOFF),  # capped at an hour
        (1, float("inf"), MAX_BACKOFF, MAX_BACKOFF),  # whatever a plugin hands over
        (1, float("nan"), timedelta(seconds=15), timedelta(seconds=30)),
        (1, -5.0, timedelta(seconds=15), timedelta(seconds=30)),
    ],
)
def test_retry_after_only_lengthens_the_wait(
    attempts: int, retry_after: float | None, earliest: timedelta, latest: timedelta
) -> None:
    policy = RetryPolicy(timedelta(days=1))
    retry_at = policy.next_try(attempts, NOW, NOW, retry_after)
    assert retry_at is not None
    assert earliest <= retry_at - NOW <= latest


@pytest.mark.parametrize(
    ("left", "retry_after", "wait"),
    [
        (timedelta(seconds=5), None, timedelta(seconds=5)),  # last try where the budget ends
        (timedelta(seconds=5), 60.0, timedelta(seconds=60)),  # never shortened by it
        (timedelta(milliseconds=200), None, RETRY_FLOOR),
    ],
)
def test_the_last_wait_ends_with_the_budget(
    left: timedelta, retry_after: float | None, wait: timedelta
) -> None:
    policy = RetryPolicy(HOUR)
    now = NOW + HOUR - left
    assert policy.next_try(5, NOW, now, retry_after) == now + wait


@pytest.mark.parametrize("spent", [HOUR, HOUR + timedelta(seconds=1), 10 * HOUR])
def test_a_failure_once_the_budget_is_spent_is_final(spent: timedelta) -> None:
    assert RetryPolicy(HOUR).next_try(3, NOW, NOW + spent, 1.0) is None


@pytest.mark.parametrize("attempts", [1, 2, 7, 8, 100, 10**9])
def test_nominal_backoff_doubles_up_to_the_hour(attempts: int) -> None:
    expected = min(timedelta(seconds=30) * 2 ** min(attempts - 1, 20), MAX_BACKOFF)
    assert nominal_backoff(attempts) == expected
