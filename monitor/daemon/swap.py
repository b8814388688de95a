"""A reloaded configuration, swapped into the running daemon as one new runtime.

Everything a reload changes lives in one frozen :class:`~monitor.ingest.Runtime`: the
pipeline, the scheduler's jobs and the status page read it through one
:class:`~monitor.ingest.RuntimeHolder`, so applying a reload is one assignment. The
assignment happens while the pipeline is between articles, with the dispatcher's
channels, routes, redactor and retry budget: an alert is planned under one
configuration, and each notifier's drain takes the new one up before its next send,
without the reload waiting for a send in flight (docs/decisions/0014-reload.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

import notifiers
import rules
from monitor.alerting import Dispatcher
from monitor.config import Config, FeedSettings
from monitor.daemon.polling import Poll, Polling
from monitor.daemon.reload import (
    Changes,
    alert_policy_for,
    log_secrets,
    notifier_secrets,
    routes_for,
)
from monitor.daemon.scheduler import add_periodic_job
from monitor.ingest import Pipeline, Runtime, RuntimeHolder
from monitor.observability import Redactor, set_log_secrets
from monitor.records import FeedState

ChannelFactory = Callable[[str, notifiers.NotifierConfig], notifiers.Notifier]


def runtime_for(
    config: Config, matcher: rules.Matcher, channels: Mapping[str, notifiers.Notifier]
) -> Runtime:
    """Everything a reload changes, built from ``config`` with its compiled rules."""
    enabled = tuple(channels)
    return Runtime(
        matcher=matcher,
        routes=routes_for(config.settings.alerting, enabled),
        alert_policy=alert_policy_for(config, enabled),
        feed_tags={feed.url: feed.tags for feed in config.settings.feeds},
        daemon=config.settings.daemon,
        channels=channels,
        redactor=Redactor(notifier_secrets(config)),
        config=config,
    )


def config_of(runtime: Runtime) -> Config:
    """The configuration a daemon's runtime was built from (a daemon's always has one)."""
    assert runtime.config is not None, "a daemon's runtime is built from its config"
    return runtime.config


@dataclass(frozen=True, slots=True)
class Jobs:
    """What the daemon's scheduled jobs call; a reload places them anew."""

    poll: Poll
    dispatch: Callable[[], Awaitable[object]]
    retain: Callable[[], Awaitable[object]]


class RuntimeSwap:
    """Applies a reloaded configuration: a new runtime, notifiers and poll jobs."""

    def __init__(
        self,
        runtime: RuntimeHolder,
        pipeline: Pipeline,
        dispatcher: Dispatcher,
        polling: Polling,
        *,
        new_channel: ChannelFactory,
        jobs: Jobs,
    ) -> None:
        self._runtime = runtime
        self._pipeline = pipeline
        self._dispatcher = dispatcher
        self._polling = polling
        self._new_channel = new_channel
        self._jobs = jobs

    @property
    def config(self) -> Config:
        return config_of(self._runtime.current)

    async def apply(self, new: Config, matcher: rules.Matcher, changes: Changes) -> None:
        """Swap ``new`` in (see the module docstring for what and how)."""
        old = self._runtime.current
        # Everything that can fail happens before the swap: all or nothing.
        wanted = set(changes.feeds_added + changes.feeds_rescheduled)
        feeds = [feed for feed in new.feeds if feed.url in wanted]
        states = await self.known_feed_states([feed.url for feed in feeds])
        runtime = runtime_for(new, matcher, self._channels(new, changes))  # last to fail
        daemon = new.settings.daemon
        async with self._pipeline.ingest_lock:  # never waits for a send: drains take it up
            self._dispatcher.reconfigure(
                runtime.channels, max_attempts=daemon.max_attempts, retry_for=daemon.retry_for,
                redact=runtime.redactor, routes=new.settings.alerting.routes,
            )  # fmt: skip
            # Log lines keep the old secrets out too: a replaced channel may still be sending.
            set_log_secrets(log_secrets(new) + log_secrets(config_of(old)))
            self._runtime.current = runtime  # the one swap
            self._pipeline.forget_feeds(changes.feeds_removed, (f.url for f in new.feeds))
            self._reschedule(new, changes, feeds, states)
        # Closed once their send in flight, if any, is recorded.
        await self._dispatcher.retire(old.channels[name] for name in changes.notifiers_replaced)

    async def known_feed_states(self, urls: list[str]) -> dict[str, FeedState]:
        """These feeds' states: as this process left them, else as stored."""
        known = self._pipeline.feed_states
        stored = {state.url: state for state in await self._pipeline.store.feed_states()}
        return {url: state for url in urls if (state := known.get(url) or stored.get(url))}

    def _channels(self, new: Config, changes: Changes) -> dict[str, notifiers.Notifier]:
        """Unchanged notifiers kept (their connections, rate state), the others built anew."""
        kept = set(new.enabled_notifiers) - set(changes.notifiers_added + changes.notifiers_changed)
        running = self._runtime.current.channels
        return {
            name: running[name] if name in kept else self._new_channel(name, conf)
            for name, conf in new.enabled_notifiers.items()
        }

    def _reschedule(
        self,
        new: Config,
        changes: Changes,
        feeds: list[FeedSettings],
        states: Mapping[str, FeedState],
    ) -> None:
        """Poll jobs of removed feeds dropped, of added and changed ``feeds`` (re)placed."""
        polling, jobs = self._polling, self._jobs
        if polling.scheduler is None:  # ``run --once``: nothing scheduled
            return
        polling.unschedule(changes.feeds_removed)
        polling.replace_jobs(feeds, jobs.poll, states, feeds_total=len(new.feeds))
        polling.set_push_feeds(new.feeds)
        if "daemon.dispatch_interval" in changes.settings_changed:
            add_periodic_job(polling.scheduler, "dispatch",
                             new.settings.daemon.dispatch_interval, jobs.dispatch)  # fmt: skip
        if "retention" in changes.settings_changed:  # each run reads the rest of [retention]
            _retention_job(polling.scheduler, new, jobs.retain)


def _retention_job(
    scheduler: AsyncIOScheduler, new: Config, retain: Callable[[], Awaitable[object]]
) -> None:
    retention = new.settings.retention
    if retention.enabled:
        add_periodic_job(scheduler, "retention", retention.interval, retain)
    else:
        with contextlib.suppress(JobLookupError):
            scheduler.remove_job("retention")
