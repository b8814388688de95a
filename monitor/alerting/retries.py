"""When a failed delivery is tried again, and when it is given up: the retry budget.

A delivery that fails for a transient reason is retried for a *span of time*, the
budget, measured from its first attempt: ``[daemon] retry_for`` seconds, or by default
the time the backoff below takes over ``[daemon] max_attempts`` attempts (8: 63.5 min).
How many attempts fit in the budget does not matter: a receiver answering 429 with a
short ``Retry-After`` gets more attempts, never a shorter budget.

The wait before the next attempt doubles from 30 s up to an hour, with jitter (50-100 %
of the nominal delay), and is never shorter than the receiver's ``Retry-After`` (capped at
an hour) nor than one second: ``Retry-After: 0`` cannot make the attempts burst. The last
wait is cut to end where the budget ends, unless ``Retry-After`` asks for longer, so a
delivery is tried once more at the end of its budget before it is dead.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
# The shortest wait between two attempts, whatever a receiver's Retry-After says.
RETRY_FLOOR = timedelta(seconds=1)


class DeadReason(StrEnum):
    """Why a delivery was given up (the ``reason`` of its ``delivery_dead`` log line)."""

    BUDGET_SPENT = "retry_budget_spent"
    NOT_RETRYABLE = "not_retryable"
    PLUGIN_ERROR = "plugin_error"
    NOT_CONFIGURED = "notifier_not_configured"


def nominal_backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt, before jitter: 30 s doubling to 1 h."""
    exponent = min(max(attempts - 1, 0), 16)  # 2^16 x 30 s is far beyond the cap already
    delay: timedelta = min(BASE_BACKOFF * 2**exponent, MAX_BACKOFF)
    return delay


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt, with jitter."""
    return nominal_backoff(attempts) * random.uniform(0.5, 1.0)


def budget_for_attempts(max_attempts: int) -> timedelta:
    """The span the backoff covers over ``max_attempts`` attempts (the waits between them)."""
    return sum((nominal_backoff(n) for n in range(1, max_attempts)), timedelta(0))


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long a failing delivery is retried, from its first attempt."""

    budget: timedelta

    @classmethod
    def of(cls, max_attempts: int, retry_for: float | None = None) -> RetryPolicy:
        """``retry_for`` seconds when set, else the span of ``max_attempts`` attempts."""
        if retry_for is not None:
            return cls(timedelta(seconds=retry_for))
        return cls(budget_for_attempts(max_attempts))

    def next_try(
        self, attempts: int, first: datetime, now: datetime, retry_after: float | None
    ) -> datetime | None:
        """When to try again after the ``attempts``-th failure at ``now`` of a delivery first
        tried at ``first``; None when its budget is spent."""
        deadline = first + self.budget
        if now >= deadline:
            return None
        wait = min(backoff(attempts), deadline - now)
        return now + max(wait, _asked(retry_after), RETRY_FLOOR)


def _asked(retry_after: float | None) -> timedelta:
    """A receiver's Retry-After as a wait of 0 to 1 h (a plugin may hand over anything)."""
    if retry_after is None or math.isnan(retry_after):
        return timedelta(0)
    return timedelta(seconds=min(max(retry_after, 0.0), MAX_BACKOFF.total_seconds()))
