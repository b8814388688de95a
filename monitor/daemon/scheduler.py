"""Scheduling: one APScheduler (3.x, asyncio) job per feed, plus housekeeping.

Each poll job has ``max_instances=1`` (a slow feed never overlaps itself),
``coalesce`` (polls missed while the process was busy or asleep run once, not
in a burst) and a misfire grace; first runs are spread so a thousand feeds do
not all fire at start-up. When each poll ends, its next run time is set from
the feed's new state (:mod:`monitor.feeds.intervals` decides it).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import structlog
from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
    JobSubmissionEvent,
)
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.interval import IntervalTrigger

from monitor.config import DaemonSettings, FeedSettings
from monitor.observability import redact_url

log = structlog.get_logger("monitor.daemon.scheduler")

# First polls are spread over this many seconds per feed (capped by the interval): a
# thousand feeds start over ~50 s instead of in one burst, a handful start at once.
STARTUP_SPREAD_PER_FEED = 0.05
_POLL_PREFIX = "poll:"


def make_scheduler() -> AsyncIOScheduler:
    return AsyncIOScheduler(timezone=UTC)


def feed_job_id(feed_url: str) -> str:
    """The feed's job id: its URL without credentials, for whoever reads APScheduler's log,
    and a digest of the whole URL, as two feeds may differ only in their credentials."""
    digest = hashlib.sha256(feed_url.encode()).hexdigest()[:12]
    return f"{_POLL_PREFIX}{redact_url(feed_url)}#{digest}"


def add_feed_job(
    scheduler: AsyncIOScheduler,
    feed: FeedSettings,
    daemon: DaemonSettings,
    poll: Callable[[FeedSettings], Awaitable[object]],
    *,
    feeds_total: int = 1,
    now: datetime | None = None,
    not_before: datetime | None = None,
) -> None:
    """Schedule ``poll(feed)``: the first run soon (staggered), or at ``not_before`` (the
    next poll the feed's stored state asks for, e.g. after a Retry-After), whichever is
    later. After each poll the daemon moves the next run with :func:`reschedule_feed`;
    the interval trigger (the longest delay any rule can ask for) is only a safety net."""
    now = now or datetime.now(UTC)
    spread = min(daemon.default_interval, STARTUP_SPREAD_PER_FEED * feeds_total)
    first = now + timedelta(seconds=random.uniform(0, spread))
    if not_before is not None:
        first = max(first, min(not_before, now + timedelta(seconds=safety_interval(daemon))))
    scheduler.add_job(
        poll,
        IntervalTrigger(seconds=safety_interval(daemon)),
        args=(feed,),
        id=feed_job_id(feed.url),
        name=f"poll {feed.display_name}",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=int(daemon.misfire_grace),
        next_run_time=first,
        replace_existing=True,
    )


def safety_interval(daemon: DaemonSettings) -> float:
    return max(daemon.max_interval, daemon.backoff_max)


def reschedule_feed(scheduler: AsyncIOScheduler, feed_url: str, when: datetime) -> bool:
    """Move the feed's next poll to ``when``; False when the job is gone (shut down)."""
    try:
        scheduler.modify_job(feed_job_id(feed_url), next_run_time=when)
    except JobLookupError:
        return False
    return True


def remove_feed_job(scheduler: AsyncIOScheduler, feed_url: str) -> None:
    with contextlib.suppress(JobLookupError):
        scheduler.remove_job(feed_job_id(feed_url))


def watch_poll_jobs(
    scheduler: AsyncIOScheduler,
    *,
    on_lag: Callable[[float], None],
    on_skipped: Callable[[], None],
) -> None:
    """Report each poll job's lag (its start after its scheduled time; the earliest one
    when missed runs were coalesced) and each poll that did not run (still running, or
    missed its grace time). Submission is the start: the asyncio executor creates the
    job's task at once."""

    def observe(event: JobEvent) -> None:
        if not event.job_id.startswith(_POLL_PREFIX):
            return
        if event.code == EVENT_JOB_SUBMITTED and isinstance(event, JobSubmissionEvent):
            late = datetime.now(UTC) - min(event.scheduled_run_times)
            on_lag(max(late.total_seconds(), 0.0))
        else:
            on_skipped()

    scheduler.add_listener(
        observe, EVENT_JOB_SUBMITTED | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED
    )


def add_periodic_job(
    scheduler: AsyncIOScheduler, job_id: str, seconds: float, work: Callable[[], Awaitable[object]]
) -> None:
    scheduler.add_job(
        functools.partial(_cancel_is_no_error, scheduler, job_id, work),
        IntervalTrigger(seconds=seconds),
        id=job_id,
        name=job_id,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=max(int(seconds), 1),
        replace_existing=True,
    )


async def _cancel_is_no_error(
    scheduler: AsyncIOScheduler, job_id: str, work: Callable[[], Awaitable[object]]
) -> object:
    """``work()``; cancelled while the scheduler stops (a stopping daemon pauses it first,
    then its shutdown cancels the runs still going, a claim waiting on the database, say),
    logged quietly: the cancel unwinds ``work`` as any does and ends here. A cancel while
    the scheduler runs is no shutdown but a fault: raised on, so APScheduler 3 (which
    catches whatever a job raises, BaseException included) logs it as the job's error,
    with its traceback, and ends the run just the same."""
    try:
        return await work()
    except asyncio.CancelledError:
        if scheduler.state == STATE_RUNNING:
            raise
        log.debug("job_cancelled", job=job_id)
        return None
