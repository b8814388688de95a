"""The daemon's polling side: the fetcher, the page fetcher, the parse pool and each
feed's schedule.

Built once by :class:`monitor.daemon.daemon.Daemon`. After every poll :meth:`Polling.after_poll`
moves the feed's job to the next poll time its new state holds (or drops the job of a
feed that is gone), so adaptive intervals, backoff and ``Retry-After`` all act through
one stored value that also survives restarts.
"""

from __future__ import annotations

import asyncio
import functools
import os
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TypeVar
from urllib.parse import urlsplit

import httpx
import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.config import Config, DaemonSettings, FeedSettings
from monitor.daemon.leases import ClaimLoop
from monitor.daemon.scheduler import add_feed_job, remove_feed_job, reschedule_feed
from monitor.feeds import (
    Fetcher,
    HostGate,
    IntervalPolicy,
    ParsePool,
    WebSub,
    backoff_delay,
    daemon_user_agent,
    http_client,
    interval_policy,
)
from monitor.ingest import Pipeline, PollOutcome, ingest_pushed, load_identifier
from monitor.listener import HttpListener
from monitor.pages import PageFetcher
from monitor.records import FeedState
from monitor.store import Store
from monitor.stories import embedding as vectors
from monitor.web import MeteredFetcher, Metrics

log = structlog.get_logger("monitor.daemon.polling")

# Modules the parse processes' fork server imports: each loads a warmer's model there once.
_PRELOAD_IDENTIFIER = ("monitor.ingest.preload_identifier",)
_PRELOAD_MODEL = (*_PRELOAD_IDENTIFIER, "monitor.ingest.preload_model")

Poll = Callable[[FeedSettings], Awaitable[object]]
T = TypeVar("T")


def build_fetcher(daemon: DaemonSettings, metrics: Metrics | None = None) -> Fetcher:
    """The shared fetcher; with ``metrics``, one that times requests and counts bytes."""
    make = Fetcher if metrics is None else functools.partial(MeteredFetcher, metrics)
    return make(
        user_agent=daemon_user_agent(daemon),
        connect_timeout=daemon.connect_timeout,
        read_timeout=daemon.read_timeout,
        total_timeout=daemon.total_timeout,
        max_body_bytes=daemon.max_body_bytes,
        max_redirects=daemon.max_redirects,
        concurrency=daemon.concurrency,
        host_gate=HostGate(
            concurrency=daemon.host_concurrency,
            spacing=daemon.host_spacing,
            slow_after=daemon.host_slow_after,
            slow_limit=daemon.host_slow_limit,
        ),
        private_networks=daemon.page_private_networks,
    )


def parse_pool(workers: int, *, semantic: bool = False) -> ParsePool | None:
    """A process pool for :func:`monitor.feeds.parser.parse_feed` (``-1``: one per core but the
    one the event loop needs, at least one), or None (``0``) to parse in a thread.
    Forkserver workers: forking a threaded process is unsafe. Each worker loads the
    language identifier as it starts (it identifies new articles' languages), and with
    ``semantic`` the headline-embedding model (it embeds headlines too): both are loaded
    once in the fork server, before any worker is forked (decision 0080)."""
    count = max((os.cpu_count() or 1) - 1, 1) if workers < 0 else workers
    warmers = (load_identifier, vectors.load_model) if semantic else (load_identifier,)
    preload = _PRELOAD_MODEL if semantic else _PRELOAD_IDENTIFIER
    return ParsePool(count, warmers, preload=preload) if count else None


def interleave_hosts(feeds: Iterable[FeedSettings]) -> list[FeedSettings]:
    """Feeds ordered round-robin over their hosts: one site's hundred feeds do not fill
    every worker while its politeness lane lets them through one or two at a time."""
    by_host: dict[str, list[FeedSettings]] = {}
    for feed in feeds:
        by_host.setdefault(urlsplit(feed.url).hostname or "", []).append(feed)
    lanes = list(by_host.values())
    return [
        lane[i] for i in range(max(map(len, lanes), default=0)) for lane in lanes if i < len(lane)
    ]


async def poll_all(
    feeds: Iterable[FeedSettings], poll: Callable[[FeedSettings], Awaitable[T]], workers: int
) -> list[T]:
    """Poll every feed once with at most ``workers`` polls started at a time (outcomes in
    the order of ``feeds``). Thousands of waiting tasks would cost memory, and every
    asyncio.Semaphore acquire scans its waiters."""
    ordered = list(feeds)
    outcomes: dict[int, T] = {}
    queue = iter(sorted(range(len(ordered)), key=_host_rank(ordered)))

    async def worker() -> None:
        for index in queue:
            outcomes[index] = await poll(ordered[index])

    await asyncio.gather(*(worker() for _ in range(max(1, min(workers, len(ordered))))))
    return [outcomes[index] for index in range(len(ordered))]


def _host_rank(feeds: list[FeedSettings]) -> Callable[[int], int]:
    position = {id(feed): rank for rank, feed in enumerate(interleave_hosts(feeds))}
    return lambda index: position[id(feeds[index])]


def next_poll_within(
    state: FeedState | None, policy: IntervalPolicy, now: datetime
) -> datetime | None:
    """The feed's stored next poll, no later than one (new) longest interval after its
    last poll, and not in the past. None when it was never scheduled."""
    if state is None or state.next_poll is None:
        return None
    if state.error_count:  # a backoff or Retry-After is not shortened by a new interval
        return state.next_poll
    longest = policy.maximum if policy.adaptive else policy.default
    bound = (state.last_polled or now) + timedelta(seconds=longest)
    return max(now, min(state.next_poll, bound))


def page_slots(daemon: DaemonSettings) -> int:
    """Article pages in flight at once: half the fetcher's ``concurrency`` (at least one),
    so feeds always keep the other half however slow the article sites are."""
    return max(1, daemon.concurrency // 2)


class Polling:
    """Fetcher, page fetcher, parse pool and per-feed schedule; closed by :meth:`aclose`."""

    def __init__(
        self,
        config: Config,
        clock: Callable[[], datetime],
        metrics: Metrics | None = None,
        *,
        settings: Callable[[], DaemonSettings] | None = None,
    ) -> None:
        self._settings = settings or (lambda: config.settings.daemon)  # a reload's, if any
        self.listener_settings = config.settings.listener
        self.clock = clock
        self.metrics = metrics
        # The fetcher and the parse pool are built once: their keys need a restart.
        self.fetcher = build_fetcher(config.settings.daemon, metrics)
        # Teasers' article pages, with the feeds' politeness, in at most half the slots.
        self.pages = PageFetcher(self.fetcher, concurrency=page_slots(config.settings.daemon))
        if metrics is not None:
            metrics.watch_pages(self.pages.stats)
        self.parse_executor = parse_pool(
            config.settings.daemon.parse_workers, semantic=config.settings.dedup.semantic
        )
        if metrics is not None and self.parse_executor is not None:
            metrics.watch_parse_workers(self.parse_executor.worker_pids)
        self.scheduler: AsyncIOScheduler | None = None
        self.claims: ClaimLoop | None = None  # a shared store: feeds claimed, not scheduled
        self.websub: WebSub | None = None
        self._hub_client: httpx.AsyncClient | None = None
        self._push_feeds: dict[str, FeedSettings] = {}  # WebSub's view, updated by reloads

    @property
    def daemon(self) -> DaemonSettings:
        """The ``[daemon]`` settings the schedule follows now (a reload swaps them)."""
        return self._settings()

    async def start_push(
        self,
        store: Store,
        pipeline: Pipeline,
        feeds: Iterable[FeedSettings],
        listener: HttpListener,
    ) -> None:
        """Subscribe to the hubs feeds advertise (WebSub), with callbacks on the daemon's
        ``listener``, when ``[listener] public_url`` is set or ``websub = true`` (not merely
        because the listener serves health and metrics). Polls then discover hubs and
        slow down while pushed."""
        settings = self.listener_settings
        if not settings.websub_enabled:
            return
        if not listener.serving:
            log.error("websub_not_started", reason="the listener is disabled or could not bind")
            return
        self._hub_client = http_client(self._settings())

        async def pushed(feed: FeedSettings, body: bytes, content_type: str | None) -> None:
            outcome = await ingest_pushed(feed, body, content_type, pipeline)
            if self.metrics is not None:
                self.metrics.polled(outcome)

        self.set_push_feeds(feeds)
        self.websub = WebSub(
            store=store, http=self._hub_client, feeds=self._push_feeds,
            public_url=settings.public_url, lease_seconds=settings.lease_seconds,
            on_content=pushed, clock=self.clock,
        )  # fmt: skip
        await self.websub.load()
        self.websub.install(listener)
        if not settings.public_url:
            self.websub.public_url = listener.url
            log.warning("listener_public_url_unset", url=listener.url)
        pipeline.on_hub = self.websub.discovered
        pipeline.pushed = self.websub.is_active

    async def stop_push(self) -> None:
        if self._hub_client is not None:
            await self._hub_client.aclose()

    def schedule(
        self,
        scheduler: AsyncIOScheduler,
        feeds: Iterable[FeedSettings],
        poll: Poll,
        states: Iterable[FeedState],
    ) -> None:
        """One job per feed that is not gone, first run no earlier than its stored state
        asks (a Retry-After or backoff outlives a restart)."""
        self.scheduler = scheduler
        by_url = {state.url: state for state in states}
        feeds = list(feeds)
        for feed in feeds:
            state = by_url.get(feed.url)
            if state is not None and state.disabled:
                log.warning("feed_disabled", feed_url=feed.url, reason=state.disabled)
                continue
            add_feed_job(
                scheduler,
                feed,
                self.daemon,
                poll,
                feeds_total=len(feeds),
                now=self.clock(),
                not_before=state.next_poll if state else None,
            )

    def replace_jobs(
        self,
        feeds: Iterable[FeedSettings],
        poll: Poll,
        states: Mapping[str, FeedState],
        *,
        feeds_total: int,
    ) -> None:
        """After a reload: a job for each added or changed feed, replacing its old one (a
        job carries the feed's settings). The next poll is the stored one, pulled in when
        the feed's new interval is shorter; a failing feed keeps its backoff. A feed stored
        as slow waits for a slow place at its host from its first poll here."""
        assert self.scheduler is not None, "replace_jobs needs a running schedule"
        self.fetcher.remember_slow(states.values())  # an added feed known slow before
        if self.claims is not None:  # each poll reads the state and settings afresh
            self.claims.update(feeds)
            return
        now = self.clock()
        for feed in feeds:
            state = states.get(feed.url)
            if state is not None and state.disabled:
                remove_feed_job(self.scheduler, feed.url)
                continue
            policy = interval_policy(feed, self.daemon, self.listener_settings)
            add_feed_job(
                self.scheduler, feed, self.daemon, poll, feeds_total=feeds_total, now=now,
                not_before=next_poll_within(state, policy, now),
            )  # fmt: skip

    def unschedule(self, feed_urls: Iterable[str]) -> None:
        """Drop the poll jobs of feeds no longer configured; their stored state stays."""
        if self.claims is not None:
            self.claims.forget(feed_urls)
        elif self.scheduler is not None:
            for url in feed_urls:
                remove_feed_job(self.scheduler, url)

    def set_push_feeds(self, feeds: Iterable[FeedSettings]) -> None:
        """The feeds WebSub accepts content for (the same dict, updated in place)."""
        fresh = {feed.url: feed for feed in feeds}
        self._push_feeds.clear()
        self._push_feeds.update(fresh)

    def after_poll(self, feed: FeedSettings, outcome: PollOutcome) -> datetime | None:
        """Move the feed's next poll to what its new state says; returns that time."""
        if self.scheduler is None or self.claims is not None:  # claims: released with it
            return None
        when = self.next_poll_for(feed, outcome)
        if when is None:
            remove_feed_job(self.scheduler, feed.url)
        else:
            reschedule_feed(self.scheduler, feed.url, when)
        return when

    def next_poll_for(self, feed: FeedSettings, outcome: object) -> datetime | None:
        """When the feed is next due after ``outcome`` (a PollOutcome); None once gone."""
        state = outcome.state if isinstance(outcome, PollOutcome) else None
        if state is not None and state.disabled:
            return None
        when = state.next_poll if state is not None else None
        if when is None:  # the poll crashed before deciding: retry as after one failure
            policy = interval_policy(feed, self.daemon, self.listener_settings)
            delay = backoff_delay(1, policy, random.random)
            when = self.clock() + timedelta(seconds=delay)
        return when

    async def start_workers(self) -> None:
        """The parse processes started and warm (none to start when parsing in a thread)."""
        if self.parse_executor is not None and not self.parse_executor.started:
            await self.parse_executor.start_workers()

    @property
    def workers_started(self) -> bool:
        """/readyz: the parse processes are up, so a poll will not wait for them."""
        return self.parse_executor is None or self.parse_executor.started

    async def aclose(self) -> None:
        await self.pages.aclose()  # late pages still in flight: their fetches end first
        await self.fetcher.aclose()
        if self.parse_executor is not None:  # off the loop: it may wait out a stuck parse
            await asyncio.to_thread(self.parse_executor.shutdown, wait=True, cancel_futures=True)
