"""The ``[alerting]`` settings: story updates per rule, routes, noise control.

    [alerting.updates]                 # when a story that already alerted alerts again
    outlets = [3, 10]                  # ... as its distinct outlets cross each (default: [])
    escalation = ["escalation"]        # ... on a new hit from these lists or terms
    severity = true                    # ... when a match carries a higher severity

    [alerting.rules.iran-in-syria]     # per-rule override of any of the three
    outlets = [2, 5]

    [alerting.severity_routes]         # alerts at or above a severity also go here
    critical = ["pager"]

    [alerting.routes.slack]            # per notifier: what reaches it, and when
    min_severity = "medium"
    group_window = 60                  # alerts within 60 s of the first go as one message
    quiet_hours = { start = "22:00", end = "07:00", timezone = "Europe/Berlin" }
    digest = { every = "daily", at = "08:00", timezone = "Europe/Berlin" }
    rate_limit = { messages = 20, per_seconds = 60 }

Kept out of the rule language on purpose (docs/decisions/0009-alert-lifecycle-and-outbox.md):
how often to re-alert and where to send are operations concerns, not what a rule means.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator

from monitor.config.base import Section
from rules import Severity

# Unknown severities (a row written by a newer version) rank below "low".
SEVERITY_RANK: dict[str, int] = {severity.value: severity.rank for severity in Severity}
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_ZONE = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+){0,2}")


def parse_clock(value: str) -> time:
    """``"HH:MM"`` (24-hour) as a time; ValueError otherwise."""
    found = _CLOCK.fullmatch(value)
    if found is None:
        raise ValueError('time of day must be "HH:MM" (24-hour)')
    return time(int(found[1]), int(found[2]))


def check_zone(value: str) -> str:
    """An IANA time zone name that exists on this system; ValueError otherwise."""
    if not _ZONE.fullmatch(value):
        raise ValueError("time zone must be an IANA name such as Europe/Berlin")
    try:
        ZoneInfo(value)
    except Exception:  # ZoneInfoNotFoundError, or a name zoneinfo refuses
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


class _Clocked(Section):
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class UpdateSettings(Section):
    """When a story that already alerted for a rule alerts again, as an update."""

    # Off by default: one alert per story and rule, as before, unless asked for.
    outlets: tuple[int, ...] = ()
    escalation: tuple[str, ...] = ()
    severity: bool = True

    @field_validator("outlets")
    @classmethod
    def _thresholds(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(count < 2 for count in value):
            raise ValueError("outlet thresholds must be 2 or more")
        return tuple(sorted(set(value)))


class RuleUpdates(Section):
    """A rule's override of ``[alerting.updates]``; unset keys inherit it."""

    outlets: tuple[int, ...] | None = None
    escalation: tuple[str, ...] | None = None
    severity: bool | None = None

    @field_validator("outlets")
    @classmethod
    def _thresholds(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        return None if value is None else UpdateSettings(outlets=value).outlets

    def over(self, base: UpdateSettings) -> UpdateSettings:
        """These settings on top of ``base``."""
        given = self.model_dump(exclude_none=True)
        return base.model_copy(update=given)


class DigestSettings(_Clocked):
    """Collect a route's alerts and send them as one message every hour or day.

    ``at`` is the local time of a daily digest; an hourly one uses only its minutes.
    """

    every: Literal["hourly", "daily"] = "daily"
    at: str = "08:00"

    @field_validator("at")
    @classmethod
    def _clock(cls, value: str) -> str:
        parse_clock(value)
        return value


class QuietHours(_Clocked):
    """Deliveries due in ``[start, end)`` local time wait until ``end`` (never dropped),
    except alerts at or above ``unless_severity``. ``start`` after ``end`` spans midnight."""

    start: str
    end: str
    unless_severity: Severity | None = Severity.CRITICAL

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        parse_clock(value)
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("quiet hours need different start and end times")
        return self


class RateLimit(Section):
    """At most ``messages`` messages per ``per_seconds`` on one notifier; more wait."""

    messages: int = Field(ge=1, le=100_000)
    per_seconds: float = Field(gt=0, le=86_400)


DEFAULT_CONCURRENCY = 16  # chosen by bench.delivery (docs/BENCHMARKS.md)
MAX_CONCURRENCY = 256  # a route's sends in flight at most


class RouteSettings(Section):
    """How one notifier receives alerts."""

    min_severity: Severity = Severity.LOW
    group_window: float = Field(0.0, ge=0, le=86_400)
    digest: DigestSettings | None = None
    quiet_hours: QuietHours | None = None
    rate_limit: RateLimit | None = None
    # Sends in flight at once (docs/decisions/0052); 1 sends one at a time.
    concurrency: int = Field(DEFAULT_CONCURRENCY, ge=1, le=MAX_CONCURRENCY)


class AlertingSettings(Section):
    """The whole ``[alerting]`` table."""

    updates: UpdateSettings = UpdateSettings()
    rules: dict[str, RuleUpdates] = Field(default_factory=dict)
    severity_routes: dict[Severity, tuple[str, ...]] = Field(default_factory=dict)
    routes: dict[str, RouteSettings] = Field(default_factory=dict)

    def updates_for(self, rule: str) -> UpdateSettings:
        """The update settings of ``rule``: its override on top of the defaults."""
        override = self.rules.get(rule)
        return override.over(self.updates) if override else self.updates

    def route(self, notifier: str) -> RouteSettings:
        return self.routes.get(notifier) or RouteSettings()

    def notifier_names(self) -> set[str]:
        """Every notifier these settings mention (to check they exist)."""
        named = set(self.routes)
        return named.union(*self.severity_routes.values())
