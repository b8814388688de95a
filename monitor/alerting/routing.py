"""Where an alert goes and when a route may send it.

``Routes`` decides, when an alert is raised, which notifiers get a delivery: the
rule's own list (else every enabled notifier), plus every severity route the alert's
severity reaches, minus notifiers whose ``min_severity`` it does not reach.

The timing helpers answer the dispatcher's questions at send time: is this route in
quiet hours (and until when), when is its next digest, may it send another message
now (a token bucket per notifier).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import rules
from monitor.config import SEVERITY_RANK, DigestSettings, QuietHours, RateLimit, parse_clock


def at_least(severity: str, floor: str) -> bool:
    """True when ``severity`` ranks at or above ``floor`` (unknown ranks lowest)."""
    return SEVERITY_RANK.get(severity, -1) >= SEVERITY_RANK.get(floor, 0)


@dataclass(frozen=True)
class Routes:
    """Which notifiers an alert goes to, decided when it is raised."""

    enabled: tuple[str, ...]
    severity_routes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    min_severity: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, match: rules.Match) -> tuple[str, ...]:
        return self.for_alert(match.notifiers, match.severity)

    def for_alert(self, rule_notifiers: tuple[str, ...], severity: str) -> tuple[str, ...]:
        """The rule's notifiers (or all) plus severity routes, filtered by each minimum."""
        chosen = list(rule_notifiers or self.enabled)
        for floor, names in self.severity_routes.items():
            if at_least(severity, floor):
                chosen.extend(names)
        wanted = dict.fromkeys(name for name in chosen if name in self.enabled)
        return tuple(
            name for name in wanted if at_least(severity, self.min_severity.get(name, "low"))
        )


def _local(moment: datetime, clock: str, zone: DigestSettings | QuietHours) -> datetime:
    """The UTC instant of ``clock`` on ``moment``'s local date in ``zone``'s time zone."""
    local_day = moment.astimezone(zone.zone).date()
    return datetime.combine(local_day, parse_clock(clock), zone.zone).astimezone(UTC)


def quiet_until(quiet: QuietHours, now: datetime) -> datetime | None:
    """When the quiet hours ``now`` falls in end, or None if ``now`` is not quiet."""
    start, end = _local(now, quiet.start, quiet), _local(now, quiet.end, quiet)
    if start < end:  # e.g. 12:00-14:00 on one day
        return end if start <= now < end else None
    if now >= start:  # e.g. 22:00-07:00, after 22:00: ends tomorrow
        return _local(now + timedelta(days=1), quiet.end, quiet)
    return end if now < end else None


def next_digest(digest: DigestSettings, after: datetime) -> datetime:
    """The first digest time strictly after ``after``."""
    if digest.every == "daily":
        candidate = _local(after, digest.at, digest)
        if candidate <= after:
            candidate = _local(after + timedelta(days=1), digest.at, digest)
        return candidate
    minute = parse_clock(digest.at).minute
    local = after.astimezone(digest.zone).replace(minute=minute, second=0, microsecond=0)
    candidate = local.astimezone(UTC)
    return candidate if candidate > after else candidate + timedelta(hours=1)


class RateLimiter:
    """A token bucket: ``messages`` tokens refilled evenly over ``per_seconds``.

    In memory: a restart starts with a full bucket, which at worst allows one extra
    burst; the limit protects receivers from floods, it is not an accounting record.
    """

    def __init__(self, limit: RateLimit, now: datetime) -> None:
        self._capacity = float(limit.messages)
        self._refill = limit.messages / limit.per_seconds  # tokens per second
        self._tokens = self._capacity
        self._stamp = now

    def take(self, now: datetime) -> datetime | None:
        """Take a token and return None, or return when the next token is available."""
        elapsed = max((now - self._stamp).total_seconds(), 0.0)
        self._tokens = min(self._capacity, self._tokens + elapsed * self._refill)
        self._stamp = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        return now + timedelta(seconds=(1 - self._tokens) / self._refill)
