"""Scheduling: one APScheduler (3.x, asyncio) interval job per feed, plus housekeeping.

Each poll job has ``max_instances=1`` (a slow feed never overlaps itself),
``coalesce`` (polls missed while the process was busy or asleep run once, not
in a burst) and a misfire grace; first runs are spread over the first
interval so a thousand feeds do not all fire at start-up.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor.config import DaemonSettings
from monitor.poll_config import FeedSettings

# First polls are spread over this many seconds per feed (capped by the interval): a
# thousand feeds start over ~50 s instead of in one burst, a handful start at once.
STARTUP_SPREAD_PER_FEED = 0.05


def make_scheduler() -> AsyncIOScheduler:
    return AsyncIOScheduler(timezone=UTC)


def feed_interval(feed: FeedSettings, daemon: DaemonSettings) -> float:
    return feed.interval or daemon.default_interval


def add_feed_job(
    scheduler: AsyncIOScheduler,
    feed: FeedSettings,
    daemon: DaemonSettings,
    poll: Callable[[FeedSettings], Awaitable[object]],
    *,
    feeds_total: int = 1,
    now: datetime | None = None,
) -> None:
    """Schedule ``poll(feed)`` every interval (with jitter); the first run soon, staggered."""
    interval = feed_interval(feed, daemon)
    spread = min(interval, STARTUP_SPREAD_PER_FEED * feeds_total)
    first = (now or datetime.now(UTC)) + timedelta(seconds=random.uniform(0, spread))
    scheduler.add_job(
        poll,
        IntervalTrigger(seconds=interval, jitter=min(daemon.jitter, interval / 2) or None),
        args=(feed,),
        id=f"poll:{feed.url}",
        name=f"poll {feed.display_name}",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=int(daemon.misfire_grace),
        next_run_time=first,
        replace_existing=True,
    )


def add_periodic_job(
    scheduler: AsyncIOScheduler, job_id: str, seconds: float, work: Callable[[], Awaitable[object]]
) -> None:
    scheduler.add_job(
        work,
        IntervalTrigger(seconds=seconds),
        id=job_id,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=max(int(seconds), 1),
        replace_existing=True,
    )
