"""One pass of a notifier's drain: what it runs under, what it learns, how it went.

A pass reads one notifier's due deliveries and handles them unit by unit under one
:class:`DispatchConfig` (channels, routes, redactor, retry policy), the one current when
it started; a reload swaps the dispatcher's config whole, and a pass that sees it changed
stops before its next send so that the rest is sent under the new one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import notifiers
from monitor.alerting.delivery_metrics import Outcome
from monitor.alerting.retries import RetryPolicy
from monitor.config import RouteSettings
from monitor.observability import Redactor
from monitor.records import Silence
from monitor.store import DeliveryContext


@dataclass(slots=True)
class DispatchSummary:
    """How sending went, by delivery outcome (each drain wakes itself for its retries and
    holds, from the store: no wake-up time is carried here)."""

    outcomes: dict[Outcome, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def sent(self) -> int:
        return self.outcomes[Outcome.SENT]

    @classmethod
    def merged(cls, parts: Iterable[DispatchSummary]) -> DispatchSummary:
        """One summary of several (the drains of one sweep)."""
        whole = cls()
        for part in parts:
            for outcome, count in part.outcomes.items():
                whole.outcomes[outcome] += count
        return whole


@dataclass(frozen=True, slots=True)
class DispatchConfig:
    """Everything a reload changes in dispatch, swapped as one."""

    channels: Mapping[str, notifiers.Notifier]
    routes: Mapping[str, RouteSettings]
    redact: Redactor
    retry: RetryPolicy

    def route(self, name: str) -> RouteSettings:
        return self.routes.get(name) or RouteSettings()


Key = tuple[str, str]  # (story, rule): a thread of alerts


def thread_key(context: DeliveryContext) -> Key:
    return context.alert.story_id, context.alert.rule


@dataclass(slots=True)
class Pass:
    """One notifier's pass: its config and clock reading, and what it learnt on the way."""

    name: str
    config: DispatchConfig
    now: datetime
    silences: list[Silence]
    summary: DispatchSummary
    threads: dict[Key, str] = field(default_factory=dict)  # first messages sent in this pass
    failed: dict[Key, datetime] = field(default_factory=dict)  # first messages now retrying
    paused_until: datetime | None = None  # the receiver asked us to wait (Retry-After)
    reloaded: bool = False  # units left for the next pass, under the new config

    @property
    def route(self) -> RouteSettings:
        return self.config.route(self.name)
