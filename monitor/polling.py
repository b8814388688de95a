"""The daemon's polling side: the fetcher, the parse pool and each feed's schedule.

Built once by :class:`monitor.daemon.Daemon`. After every poll :meth:`Polling.after_poll`
moves the feed's job to the next poll time its new state holds (or drops the job of a
feed that is gone), so adaptive intervals, backoff and ``Retry-After`` all act through
one stored value that also survives restarts.
"""

from __future__ import annotations

import multiprocessing
import os
import random
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import datetime, timedelta

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.config import Config, DaemonSettings
from monitor.feed_health import interval_policy
from monitor.fetcher import Fetcher
from monitor.intervals import backoff_delay
from monitor.models import FeedState
from monitor.pipeline import PollOutcome
from monitor.politeness import HostGate
from monitor.poll_config import FeedSettings
from monitor.request_options import user_agent_for
from monitor.scheduler import add_feed_job, remove_feed_job, reschedule_feed

log = structlog.get_logger("monitor.polling")

Poll = Callable[[FeedSettings], Awaitable[object]]


def build_fetcher(daemon: DaemonSettings) -> Fetcher:
    return Fetcher(
        user_agent=user_agent_for(daemon.contact_url, daemon.user_agent),
        connect_timeout=daemon.connect_timeout,
        read_timeout=daemon.read_timeout,
        total_timeout=daemon.total_timeout,
        max_body_bytes=daemon.max_body_bytes,
        max_redirects=daemon.max_redirects,
        concurrency=daemon.concurrency,
        host_gate=HostGate(concurrency=daemon.host_concurrency, spacing=daemon.host_spacing),
    )


def parse_pool(workers: int) -> Executor | None:
    """A process pool for :func:`monitor.parser.parse_feed` (``-1``: one per core), or None
    (``0``) to parse in a thread. Forkserver workers: forking a threaded process is unsafe."""
    count = (os.cpu_count() or 1) if workers < 0 else workers
    if count == 0:
        return None
    context = multiprocessing.get_context("forkserver")
    # The fork server imports the parser once; every worker forked from it starts warm.
    context.set_forkserver_preload(["monitor.parser"])
    return ProcessPoolExecutor(max_workers=count, mp_context=context)


class Polling:
    """Fetcher, parse pool and per-feed schedule; closed by :meth:`aclose`."""

    def __init__(self, config: Config, clock: Callable[[], datetime]) -> None:
        self.daemon = config.settings.daemon
        self.listener = config.settings.listener
        self.clock = clock
        self.fetcher = build_fetcher(self.daemon)
        self.parse_executor = parse_pool(self.daemon.parse_workers)
        self.scheduler: AsyncIOScheduler | None = None

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

    def after_poll(self, feed: FeedSettings, outcome: PollOutcome) -> datetime | None:
        """Move the feed's next poll to what its new state says; returns that time."""
        if self.scheduler is None:
            return None
        state = outcome.state
        if state is not None and state.disabled:
            remove_feed_job(self.scheduler, feed.url)
            return None
        when = state.next_poll if state is not None else None
        if when is None:  # the poll crashed before deciding: retry as after one failure
            policy = interval_policy(feed, self.daemon, self.listener)
            delay = backoff_delay(1, policy, random.random)
            when = self.clock() + timedelta(seconds=delay)
        reschedule_feed(self.scheduler, feed.url, when)
        return when

    async def aclose(self) -> None:
        await self.fetcher.aclose()
        if self.parse_executor is not None:
            self.parse_executor.shutdown(wait=True, cancel_futures=True)
