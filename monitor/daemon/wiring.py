"""Small parts :meth:`monitor.daemon.daemon.Daemon.build` puts together."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import structlog

from monitor.alerting import raise_operator_alert, surge_alerts
from monitor.config import Config, Settings
from monitor.daemon.swap import config_of
from monitor.feeds import FeedEvent
from monitor.ingest import RuntimeHolder
from monitor.records import FeedState
from monitor.store import (
    FeedLeases,
    RetentionReport,
    Store,
    StoreNotWritableError,
    open_store,
    run_retention,
)
from monitor.surges import Surge
from monitor.web import Metrics, MetricsSource

log = structlog.get_logger("monitor.daemon.wiring")


async def open_daemon_store(config: Config, instance: str) -> Store:
    """The configured store, open, claiming in ``instance``'s name when shared."""
    store = open_store(config.settings.store)
    if isinstance(store, FeedLeases):  # outbox deliveries claimed in our name
        store.claim_as(instance, config.settings.store.lease_seconds)
    await store.open()
    return store


def metrics_source(
    runtime: RuntimeHolder,
    feed_states: Mapping[str, FeedState],
    instance: str,
    clock: Callable[[], datetime],
) -> MetricsSource:
    """What the metrics' gauges read: the running config's feeds and notifiers."""
    return MetricsSource(
        feeds=lambda: config_of(runtime.current).settings.feeds, feed_states=feed_states,
        notifiers=lambda: tuple(runtime.current.channels), instance=instance,
        named=bool(config_of(runtime.current).settings.daemon.instance), clock=clock,
    )  # fmt: skip


class OperatorAlerts:
    """A feed is gone, failing too long or back: an operator alert via the outbox."""

    def __init__(
        self, store: Store, runtime: RuntimeHolder, metrics: Metrics, wake: asyncio.Event
    ) -> None:
        self._store, self._runtime, self._metrics, self._wake = store, runtime, metrics, wake

    async def raised(self, event: FeedEvent) -> None:
        channels = self._runtime.current.channels
        configured = self._runtime.current.daemon.operator_notifiers
        names = tuple(name for name in configured or channels if name in channels)
        if await raise_operator_alert(self._store, event, names):
            self._metrics.operator_alert()
            self._wake.set()


class SurgeAlerts:
    """Surges that fired: one alert each through the outbox, routed by ``[surge]``
    (monitor.alerting.surge_alerts; the settings and routes of the running config)."""

    def __init__(
        self, store: Store, runtime: RuntimeHolder, metrics: Metrics, wake: asyncio.Event
    ) -> None:
        self._store, self._runtime, self._metrics, self._wake = store, runtime, metrics, wake

    async def raised(self, fired: Sequence[Surge]) -> None:
        runtime = self._runtime.current
        settings = config_of(runtime).settings.surge
        planned = surge_alerts(fired, settings, runtime.routes)
        cooldown = timedelta(hours=settings.cooldown_hours)  # once a key across daemons
        try:
            created = await self._store.record_surge_alerts(fired, planned, cooldown)
        except StoreNotWritableError as err:  # the surges were logged as they fired
            log.warning("surge_alerts_not_queued", error=str(err), surges=len(fired))
            return
        if created:
            self._metrics.raised(created)
            self._wake.set()


async def retain_once(
    store: Store, settings: Settings, now: datetime, metrics: Metrics
) -> RetentionReport | None:
    """One retention run; a failure is logged and the next run tries again."""
    window = timedelta(hours=settings.dedup.window_hours)
    try:
        return await run_retention(
            store,
            settings.retention,
            now,
            window=window,
            on_pruned=metrics.pruned,  # wirewatch_retention_pruned_total{table}
        )
    except StoreNotWritableError:  # said by the store; the next run tries again
        return None
    except Exception:
        log.exception("retention_failed")
        return None
