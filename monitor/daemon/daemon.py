"""The daemon: builds every stage from a :class:`~monitor.config.settings.Config` and runs them.

:meth:`Daemon.build` builds every part in order and returns a daemon ready to run;
``run_forever`` drives the scheduler until SIGINT/SIGTERM; ``run_once`` polls
every feed once, drains the outbox, and returns (``wirewatch run --once``).
Pending deliveries left by a crash are picked up by the first sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

import notifiers
from monitor.alerting import DispatchSummary
from monitor.api import ApiSource, install_api
from monitor.config import Config, FeedSettings
from monitor.daemon.collector import freeze_long_lived, refreeze_long_lived, unfreeze_long_lived
from monitor.daemon.event_loop import running_loop_kind
from monitor.daemon.leases import ClaimLoop, run_exclusively
from monitor.daemon.parts import Parts, build_parts
from monitor.daemon.polling import poll_all
from monitor.daemon.reload import Reloader, install_reload_route, log_secrets
from monitor.daemon.scheduler import add_periodic_job, make_scheduler, watch_poll_jobs
from monitor.daemon.shutdown import Deadline, finish_in_flight, stop_dispatching, within
from monitor.daemon.summary import RoundSummary, summarise
from monitor.daemon.supervision import supervised, unless_stopped
from monitor.daemon.swap import Jobs, RuntimeSwap, config_of
from monitor.daemon.wiring import (
    retain_once,
)
from monitor.ingest import (
    PollOutcome,
    poll_feed,
)
from monitor.listener import StartingResponder
from monitor.observability import set_log_secrets
from monitor.records import FeedState, PollStatus
from monitor.store import (
    FeedLeases,
    RetentionReport,
    StoreNotWritableError,
)
from monitor.web import (
    Health,
    Readiness,
    StatusSource,
    install_daemon_routes,
    install_feedback_page,
    install_status_page,
    listener_for,
    scheduler_check,
    start_listener,
)

log = structlog.get_logger("monitor.daemon.daemon")

PRUNE_SECONDS = 3600.0
WEBSUB_RENEW_SECONDS = 300.0
STORE_CHECK_SECONDS = 5.0  # while writes fail: how often a write check looks for recovery


class Daemon:
    """All long-lived parts, built by :meth:`build` and closed by :meth:`close`."""

    @classmethod
    async def build(
        cls,
        config: Config,
        *,
        clock: Callable[[], datetime] | None = None,
        warm: bool = True,
        starting: StartingResponder | None = None,
    ) -> Daemon:
        """Every part, in order: the store, the story index, the notifiers and the runtime,
        metrics, polling, the pipeline, the dispatcher, the listener and the scheduler.
        ``warm``: the story index is warmed before it returns (else by the first round or
        ``run_forever``, with the listener already answering: ``wirewatch run``).
        ``starting``: what answered on the listener's socket meanwhile (decision 0057)."""
        parts = await build_parts(config, clock or (lambda: datetime.now(UTC)))
        daemon = cls(parts, scheduler=make_scheduler(), starting=starting)
        set_log_secrets(log_secrets(config))  # out of every log line, libraries' too
        log.info(
            "daemon_started", feeds=len(config.feeds), rules=len(config.ruleset.enabled_rules),
            notifiers=sorted(daemon.channels), instance=parts.instance,
            event_loop=running_loop_kind(),
        )  # fmt: skip
        if warm:
            await parts.warmup.warm()
            daemon.freeze_once()
        return daemon

    def __init__(
        self,
        parts: Parts,
        *,
        scheduler: AsyncIOScheduler,
        starting: StartingResponder | None = None,
    ) -> None:
        """Built parts in, listener routes out: use :meth:`build`."""
        self.instance, self.clock, self.store = parts.instance, parts.clock, parts.store
        self.runtime, self._http, self.metrics = parts.runtime, parts.http, parts.metrics
        self.polling, self.pipeline = parts.polling, parts.pipeline
        self.dispatcher, self._wake, self.warmup = parts.dispatcher, parts.wake, parts.warmup
        self.scheduler = scheduler  # run_forever's
        metrics, store, clock, warmup = parts.metrics, parts.store, parts.clock, parts.warmup
        self._inflight: set[asyncio.Task[object]] = set()
        self._cancelled = 0  # polls cut off by the shutdown deadline
        # Whether this daemon holds a freeze of the collector's (frozen once warm): gc's
        # own count cannot tell, as other daemons of this process, or a library, freeze
        # too; the daemon re-freezes and gives back only a hold it took, once.
        self._frozen = False
        settings = self.config.settings
        self.health = Health(settings.listener.readiness_timeout)
        self.listener = listener_for(settings.listener, starting)  # others add routes to it
        # Built in one step: a daemon that exists runs from its config.
        pool = parts.polling.parse_executor  # a check of its own only when there is a pool
        readiness = Readiness(
            lambda: self.store, lambda: True, lambda: warmup.ready,
            None if pool is None else (lambda: self.polling.workers_started),
        )  # fmt: skip
        install_daemon_routes(self.listener, self.health, metrics, readiness)  # /healthz, ...
        swap = RuntimeSwap(
            parts.runtime, parts.pipeline, parts.dispatcher, parts.polling,
            new_channel=self.new_channel,
            jobs=Jobs(poll=self.poll, dispatch=parts.dispatcher.kick, retain=self.retain),
        )  # fmt: skip
        self.reloader = Reloader(swap, on_outcome=metrics.reloaded)  # SIGHUP, /-/reload
        install_reload_route(self.listener, self.reloader)
        self.status_source = StatusSource(
            store=store, feeds=lambda: self.config.settings.feeds,
            matcher=lambda: self.runtime.current.matcher, clock=clock,
        )  # fmt: skip
        install_status_page(self.listener, self.status_source)  # GET /status, / → /status
        install_feedback_page(self.listener, store, parts.dispatcher.feedback_links, clock)
        self.api = install_api(self.listener, ApiSource(store, lambda: self.config, clock))

    @property
    def config(self) -> Config:
        """The configuration running now (a reload swaps it with the rest of the runtime)."""
        return config_of(self.runtime.current)

    @property
    def channels(self) -> Mapping[str, notifiers.Notifier]:
        """The enabled notifiers, by name."""
        return self.runtime.current.channels

    def new_channel(self, name: str, conf: notifiers.NotifierConfig) -> notifiers.Notifier:
        return notifiers.build_notifier(name, conf, http=self._http)

    async def close(self) -> None:
        """Every part closed, each step given up on (logged) when the closing deadline
        (``shutdown_timeout`` again) has passed: a stuck part never holds the exit."""
        deadline = Deadline(self.config.settings.daemon.shutdown_timeout)
        await within("listener", self.listener.stop(), deadline)
        await within("dispatcher", self.dispatcher.aclose(), deadline)
        for name, channel in sorted(self.channels.items()):
            await within(f"notifier:{name}", channel.aclose(), deadline)
        # Pages still to come are not waited for; what follow-ups queued is written first.
        await within("late_pages", self.pipeline.late_pages.aclose(), deadline)
        await within("article_writes", self.pipeline.writer.flushed(), deadline)
        await within("surge_state", self.save_surges(), deadline)  # run --once stops here
        await within("polling", self.polling.aclose(), deadline)
        await within("http_pools", self._http.aclose(), deadline)
        await within("store", self.store.close(), deadline)
        if self._frozen:
            self._frozen = False
            unfreeze_long_lived()

    def freeze_once(self) -> None:
        """Once warm, the start-up objects frozen out of the cyclic collector's scans."""
        if not self._frozen:
            self._frozen = True
            freeze_long_lived()

    async def save_stories(self) -> None:
        """The story index saved (when warm): the next start loads it (decision 0051)."""
        await self.warmup.save(self.pipeline.ingest_lock, self.pipeline.writer)

    async def save_surges(self) -> None:
        """What the surge detector learned, saved: a restart goes on from it."""
        if self.pipeline.surges is not None:
            await self.pipeline.surges.save()

    async def poll(self, feed: FeedSettings) -> PollOutcome:
        """One poll; anything unexpected is logged as that feed's error, never raised."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            outcome = await poll_feed(feed, self.pipeline)
        except StoreNotWritableError as err:  # said once by the store, not once per feed
            error = f"store not writable ({err.cause})"  # nothing stored: polled again later
            outcome = PollOutcome(feed.url, PollStatus.ERROR, error=error)
        except Exception as err:
            log.exception("feed_poll_crashed", feed_url=feed.url)
            outcome = PollOutcome(feed.url, PollStatus.ERROR, error=f"{type(err).__name__}: {err}")
        self.metrics.polled(outcome)
        try:
            self.polling.after_poll(feed, outcome)  # the next poll, from the new state
            return outcome
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def _remember_feed_states(self) -> list[FeedState]:
        """Every feed's state in one query, so polls need not each read theirs; feeds stored
        as slow wait for a slow place at their host from their first poll (decision 0025)."""
        states = await self.store.feed_states()
        self.pipeline.feed_states.update((state.url, state) for state in states)
        configured = {feed.url for feed in self.config.feeds}  # lanes only for hosts polled
        self.polling.fetcher.remember_slow(state for state in states if state.url in configured)
        return states

    async def dispatch(self) -> DispatchSummary:
        """Send what is due now and wait for every notifier's drain (``run --once``, and
        the last sends at shutdown)."""
        try:
            return await self.dispatcher.finish()
        except StoreNotWritableError:  # said by the store; outcomes wait to be recorded
            return DispatchSummary()

    async def run_once(self) -> list[PollOutcome]:
        """Poll every enabled feed once (concurrently, bounded by the fetcher), then dispatch."""
        return list((await self.poll_round()).outcomes)

    async def poll_round(self) -> RoundSummary:
        """:meth:`run_once`, and what it did: polls by outcome, articles, alerts, sends."""
        # Bounded workers, not one task per feed; the fetcher's semaphores still decide.
        workers = 4 * self.config.settings.daemon.concurrency
        if self.config.settings.listener.serve_once:
            await start_listener(self.listener, self.config.settings.listener)
        await asyncio.gather(self.warmup.warm(), self.polling.start_workers())
        self.freeze_once()
        await self._remember_feed_states()
        feeds = self.config.feeds
        outcomes = await poll_all(feeds, self.poll, workers)
        summary = summarise(feeds, outcomes, (await self.dispatch()).outcomes)
        await self.save_stories()
        log.info("poll_round_finished", **summary.counts())
        return summary

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Poll on schedule and dispatch as alerts arrive, until ``stop`` is set."""
        scheduler = self.scheduler
        self.health.add_check("scheduler", scheduler_check(lambda: self.scheduler))
        await start_listener(self.listener, self.config.settings.listener)  # /healthz at once
        if not await self._warm_unless(stop):  # /readyz once warm, or never: stopped first
            return
        self.freeze_once()
        watch_poll_jobs(scheduler, on_lag=self.metrics.scheduler_lag.observe,
                        on_skipped=self.metrics.poll_skipped)  # fmt: skip
        states = await self._remember_feed_states()
        claims = self._schedule_polls(scheduler, states)
        await self.polling.start_push(self.store, self.pipeline, self.config.feeds, self.listener)
        self._add_upkeep_jobs(scheduler)
        scheduler.start()
        if claims is not None:
            claims.claim_soon()  # due feeds at once, not one claim interval later
        dispatcher = asyncio.create_task(
            supervised("dispatch_on_wake", lambda: self._dispatch_on_wake(stop), stop)
        )
        try:
            await stop.wait()
        finally:
            await self._shut_down(scheduler, claims, dispatcher)

    async def _warm_unless(self, stop: asyncio.Event) -> bool:
        """The story index and the parse processes warmed side by side (both cost CPU
        seconds the first poll would otherwise wait for), unless ``stop`` comes first."""
        if stop.is_set():  # stopped before start-up: start no processes only to end them
            return False
        workers = asyncio.ensure_future(self.polling.start_workers())
        try:
            return await self.warmup.warm_unless(stop) and await unless_stopped(workers, stop)
        finally:
            workers.cancel()  # a no-op once they are up
            with contextlib.suppress(asyncio.CancelledError):
                await workers

    def _add_upkeep_jobs(self, scheduler: AsyncIOScheduler) -> None:
        """Everything the scheduler runs besides the polls."""
        if (websub := self.polling.websub) is not None:  # renewed before they lapse
            add_periodic_job(scheduler, "websub_renew", WEBSUB_RENEW_SECONDS,
                             lambda: run_exclusively(self.store, "websub_renew",
                                                     websub.renew_due))  # fmt: skip
        add_periodic_job(  # a safety net: the drains wake themselves for retries and holds
            scheduler, "dispatch", self.config.settings.daemon.dispatch_interval,
            self.dispatcher.kick,
        )  # fmt: skip
        add_periodic_job(scheduler, "prune", PRUNE_SECONDS, self._prune)
        add_periodic_job(scheduler, "story_snapshot", self.config.settings.dedup.snapshot_interval,
                         self.save_stories)  # fmt: skip
        add_periodic_job(scheduler, "store_check", STORE_CHECK_SECONDS, self.store.write_check)
        retention = self.config.settings.retention
        if retention.enabled:  # old rows out of the store, in small batches (decision 0015)
            add_periodic_job(scheduler, "retention", retention.interval, self.retain)

    async def _shut_down(
        self, scheduler: AsyncIOScheduler, claims: ClaimLoop | None, dispatcher: asyncio.Task[None]
    ) -> None:
        """Finish the current work within ``shutdown_timeout``; what is left stays pending."""
        # One deadline for the whole drain: each stage gets what the last one left.
        deadline = Deadline(self.config.settings.daemon.shutdown_timeout)
        log.info("daemon_stopping", polls_in_flight=len(self._inflight))
        scheduler.pause()  # no new runs; shutdown() would cancel the running polls
        if claims is not None:
            claims.stop()
        await within("reload", self.reloader.close(), deadline)  # one in progress ends first
        self._wake.set()  # a loop waiting for work starts the drains once more, sees ``stop``
        await stop_dispatching(dispatcher, deadline)
        self._cancelled = await finish_in_flight(self._inflight, self.dispatch, deadline)
        if unrecorded := len(self.dispatcher.unrecorded):  # pending in the store: resent
            log.warning("delivery_outcomes_unrecorded_at_shutdown", outcomes=unrecorded)
        # The drain's deadline may be spent: the close's is a fresh one from here on.
        closing = Deadline(self.config.settings.daemon.shutdown_timeout)
        # No drain wakes after the last sends; what was sent is recorded (else resent).
        await within("dispatcher", self.dispatcher.aclose(), closing)
        if claims is not None:  # leases given back, so other daemons poll those feeds
            await within("lease_release", claims.wait_idle(), deadline)
        scheduler.shutdown(wait=False)
        await within("websub_client", self.polling.stop_push(), closing)
        await within("story_snapshot", self.save_stories(), closing)
        await within("surge_state", self.save_surges(), closing)
        log.info("daemon_stopped", polls_cancelled=self._cancelled)

    def _schedule_polls(
        self, scheduler: AsyncIOScheduler, states: list[FeedState]
    ) -> ClaimLoop | None:
        """A job per feed on a store of its own; on a shared one, the claim loop (0017)."""
        if not isinstance(self.store, FeedLeases):
            self.polling.schedule(scheduler, self.config.feeds, self.poll, states)
            return None
        claims = self.claim_loop(self.store)
        self.polling.scheduler, self.polling.claims = scheduler, claims
        add_periodic_job(
            scheduler, "claim", self.config.settings.store.claim_interval, claims.claim_now
        )
        return claims

    def claim_loop(self, leases: FeedLeases) -> ClaimLoop:
        """This daemon's claim loop over the configured feeds (ticked by the scheduler)."""
        store = self.config.settings.store
        claims = ClaimLoop(
            leases, self.instance, self.poll, self.polling.next_poll_for,
            lease_seconds=store.lease_seconds, batch=store.claim_batch,
            on_claimed=self._claimed,
        )  # fmt: skip
        claims.update(self.config.feeds)
        return claims

    def _claimed(self, state: FeedState, claimed_at: datetime) -> None:
        """A feed leased to this daemon: its stored state (another daemon may have polled
        it last), and how late the claim came by the database's clock."""
        self.pipeline.feed_states[state.url] = state
        if state.next_poll is not None:
            late = (claimed_at - state.next_poll).total_seconds()
            self.metrics.scheduler_lag.observe(max(late, 0.0))

    async def _dispatch_on_wake(self, stop: asyncio.Event) -> None:
        """Start the notifiers' drains when alerts are queued, never waiting for a send:
        each drain sends on its own and wakes itself when a retry or hold of its is due."""
        self._wake.set()  # deliveries left pending by a crash go out at once
        while not stop.is_set():
            await self._wake.wait()
            self._wake.clear()
            await self.dispatcher.kick()

    async def _prune(self) -> None:
        pruned = self.pipeline.dedup.index.prune(self.clock())
        log.debug("story_index_pruned", stories=pruned)
        configured = {feed.url for feed in self.config.feeds}  # removed feeds' addresses go
        self.polling.fetcher.addresses.retain(configured)
        if self._frozen:  # what the prune dropped in cycles was frozen: freed only now
            refreeze_long_lived()

    async def retain(self) -> RetentionReport | None:
        """One retention run, unless another daemon sharing the store is running one
        (None then); a failure is logged and the next run tries again."""
        return await run_exclusively(self.store, "retention", self._retain)

    async def _retain(self) -> RetentionReport | None:
        return await retain_once(self.store, self.config.settings, self.clock(), self.metrics)
