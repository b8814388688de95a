"""What a reload replaces: one immutable :class:`Runtime`, read through a :class:`RuntimeHolder`.

Everything a config reload may change (compiled rules, routes, alert policy, feed tags,
notifiers, their redactor, the ``[daemon]`` settings a poll reads) lives in one frozen
object. A reload builds a new one and swaps it in with one assignment
(``holder.current = new``), so no reader can see half of one configuration and half of
another (docs/decisions/0014-reload.md). What does not change on reload (the store, the
story index, the fetcher, the locks) stays on :class:`monitor.ingest.pipeline.Pipeline`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import notifiers
import rules
from monitor.alerting import Routes
from monitor.config import Config, DaemonSettings
from monitor.ingest.story_alerts import AlertPolicy
from monitor.observability import Redactor
from monitor.store import Store
from monitor.stories import Deduplicator


@dataclass(frozen=True, slots=True)
class Runtime:
    """One configuration's reloadable parts, never changed once built."""

    matcher: rules.Matcher
    routes: Routes
    # Story-aware alert semantics (updates, severity routes); None: routes alone.
    alert_policy: AlertPolicy | None = None
    feed_tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # feed URL → tags
    daemon: DaemonSettings = field(default_factory=DaemonSettings)  # intervals, alert_after
    channels: Mapping[str, notifiers.Notifier] = field(default_factory=dict)  # enabled, by name
    redactor: Redactor = field(default_factory=lambda: Redactor(()))  # the notifiers' secrets
    config: Config | None = None  # the file these were built from (None: replay, tests)

    def policy(self) -> AlertPolicy:
        """The alert policy, else one with the routes alone."""
        return self.alert_policy or AlertPolicy(self.routes)


class RuntimeHolder:
    """The current :class:`Runtime`; a reload replaces it whole (``current = new``)."""

    def __init__(self, runtime: Runtime) -> None:
        self.current = runtime


class PipelineParts(Protocol):
    """What every ingest stage reads of the pipeline (:class:`monitor.ingest.pipeline.Pipeline`);
    each stage's own protocol adds what only it needs."""

    @property
    def store(self) -> Store: ...
    @property
    def dedup(self) -> Deduplicator: ...
    @property
    def runtime(self) -> RuntimeHolder: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
