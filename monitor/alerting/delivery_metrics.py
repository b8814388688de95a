"""In-process delivery counters and gauges, updated by the dispatcher.

Deliberately plain (no Prometheus client, no HTTP): :mod:`monitor.web.metrics` reads them
when ``/metrics`` is scraped. Counter keys are tuples of label values, documented per
attribute, so an exporter can turn each into a labelled metric without knowing the
dispatcher.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Outcome(StrEnum):
    """What became of a delivery in one pass (counter label ``outcome``, summary key)."""

    SENT = "sent"
    RETRY = "retry"  # failed for now; tried again within its retry budget
    DEAD = "dead"  # given up (a dead letter)
    SILENCED = "silenced"  # ended by a silence, never attempted
    DEFERRED = "deferred"  # held (quiet hours, digest, group, rate limit, thread)


@dataclass
class DeliveryMetrics:
    """What dispatch has done since start, and the outbox as of the last sweep."""

    # (notifier, outcome) -> deliveries; outcome is sent, retry, dead or silenced.
    deliveries: Counter[tuple[str, str]] = field(default_factory=Counter)
    # (notifier, kind) -> messages sent; kind is alert, group or digest.
    messages: Counter[tuple[str, str]] = field(default_factory=Counter)
    # (notifier, reason) -> deferrals; reason is quiet_hours, digest, group, rate_limit, thread.
    deferrals: Counter[tuple[str, str]] = field(default_factory=Counter)
    # notifier -> deliveries dead-lettered (also counted in ``deliveries``).
    dead_letters: Counter[str] = field(default_factory=Counter)
    # state -> deliveries in the outbox (pending, sent, dead, silenced), after the last sweep.
    outbox: dict[str, int] = field(default_factory=dict)
    # When the oldest alert still pending was raised, after the last sweep (None: none,
    # or a store that cannot say).
    oldest_pending: datetime | None = None
    sweeps: int = 0

    def delivered(self, notifier: str, outcome: Outcome, count: int = 1) -> None:
        self.deliveries[notifier, outcome] += count
        if outcome is Outcome.DEAD:
            self.dead_letters[notifier] += count

    def snapshot(self) -> dict[str, object]:
        """Everything as plain data (for logs, a status command, or an exporter)."""
        return {
            "deliveries": dict(self.deliveries),
            "messages": dict(self.messages),
            "deferrals": dict(self.deferrals),
            "dead_letters": dict(self.dead_letters),
            "outbox": dict(self.outbox),
            "oldest_pending": self.oldest_pending,
            "sweeps": self.sweeps,
        }
