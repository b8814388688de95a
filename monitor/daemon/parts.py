"""Every long-lived part of a daemon, built in order from its configuration: the store,
the story index, the notifiers and the runtime, metrics, polling, the pipeline and the
dispatcher (:meth:`~monitor.daemon.daemon.Daemon.build` adds the listener and the
scheduler)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

import notifiers
import rules
from monitor.alerting import Dispatcher, FeedbackLinks
from monitor.config import Config
from monitor.daemon.leases import instance_name
from monitor.daemon.polling import Polling
from monitor.daemon.swap import runtime_for
from monitor.daemon.wiring import OperatorAlerts, SurgeAlerts, metrics_source, open_daemon_store
from monitor.feeds import http_client
from monitor.ingest import EmbeddingStage, LatePages, Pipeline, RuntimeHolder, SurgeStage
from monitor.records import FeedState
from monitor.store import Store
from monitor.stories import Deduplicator, SharedStories, StoryWarmup, WatchedStories, snapshot_path
from monitor.web import Metrics, daemon_metrics


@dataclass(frozen=True, slots=True)
class Parts:
    """What :func:`build_parts` built, for the daemon to hold."""

    instance: str
    clock: Callable[[], datetime]
    store: Store
    runtime: RuntimeHolder
    http: httpx.AsyncClient
    metrics: Metrics
    polling: Polling
    pipeline: Pipeline
    dispatcher: Dispatcher
    wake: asyncio.Event  # alerts were queued: the dispatcher sweeps
    warmup: StoryWarmup


async def build_parts(config: Config, clock: Callable[[], datetime]) -> Parts:
    """Every part, in order, the store opened (and migrated) first."""
    instance = instance_name(config.settings.daemon.instance)  # in feed leases
    store = await open_daemon_store(config, instance)
    dedup = Deduplicator(store, config.settings.dedup)
    if isinstance(store, WatchedStories):  # stories other daemons open (0017)
        store.watch_stories(SharedStories(dedup))
    warmup = StoryWarmup(store, dedup, snapshot_path(config.settings), clock,
                         child=config.settings.store)  # fmt: skip
    http = http_client(config.settings.daemon)  # with the daemon's User-Agent
    channels = {
        name: notifiers.build_notifier(name, conf, http=http)
        for name, conf in config.enabled_notifiers.items()
    }
    runtime = RuntimeHolder(runtime_for(config, rules.compile_rules(config.ruleset), channels))
    feed_states: dict[str, FeedState] = {}  # as this process's polls left them
    metrics = daemon_metrics(metrics_source(runtime, feed_states, instance, clock))
    polling = Polling(config, clock, metrics, settings=lambda: runtime.current.daemon)
    wake = asyncio.Event()  # alerts were queued: the dispatcher sweeps
    pipeline = Pipeline(
        store=store, dedup=dedup, runtime=runtime, fetcher=polling.fetcher, clock=clock,
        on_alerts=wake.set, listener=config.settings.listener,
        parse_executor=polling.parse_executor, pages=polling.pages, feed_states=feed_states,
        on_feed_event=OperatorAlerts(store, runtime, metrics, wake).raised,
        late_pages=LatePages(on_raised=metrics.raised),
        embedding=EmbeddingStage(config.settings.dedup.semantic),
        surges=await SurgeStage.start(  # restored; each surge an alert via the outbox
            config.settings.surge, store, SurgeAlerts(store, runtime, metrics, wake).raised,
            config.settings.daemon.instance,  # daemons sharing a store: a state each
        ),
    )  # fmt: skip
    dispatcher = Dispatcher(
        store, channels, max_attempts=config.settings.daemon.max_attempts,
        retry_for=config.settings.daemon.retry_for, redact=runtime.current.redactor,
        routes=config.settings.alerting.routes, metrics=metrics.deliveries, clock=clock,
        feedback_links=FeedbackLinks.of(config.settings.listener),  # restart to change
    )  # fmt: skip

    return Parts(
        instance=instance, clock=clock, store=store, runtime=runtime, http=http,
        metrics=metrics, polling=polling, pipeline=pipeline, dispatcher=dispatcher,
        wake=wake, warmup=warmup,
    )  # fmt: skip
