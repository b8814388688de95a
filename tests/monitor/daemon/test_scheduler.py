"""Scheduling: one job per feed with the safety settings a months-long run needs."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from structlog.testing import capture_logs

from monitor.config.feeds import FeedSettings
from monitor.config.settings import DaemonSettings, load_config
from monitor.daemon.polling import Polling
from monitor.daemon.scheduler import (
    add_feed_job,
    add_periodic_job,
    feed_job_id,
    make_scheduler,
    remove_feed_job,
    reschedule_feed,
)
from monitor.ingest.pipeline import PollOutcome
from monitor.records.models import FeedState, PollStatus
from tests.support.processes import HANG_GUARD

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


async def _poll(feed: FeedSettings) -> None:
    return None


def test_feed_job_trigger_is_only_a_safety_net_beyond_every_rule() -> None:
    scheduler = make_scheduler()
    feed = FeedSettings(url="http://127.0.0.1/feed", interval=60)
    daemon = DaemonSettings(max_interval=3600, backoff_max=7200)
    add_feed_job(scheduler, feed, daemon, _poll, now=NOW)
    (job,) = scheduler.get_jobs()
    assert job.trigger.interval == timedelta(seconds=7200)
    assert job.args == (feed,)


def test_feed_jobs_are_named_without_credentials_and_kept_apart() -> None:
    """APScheduler logs job names and ids: neither may carry a password or a token, yet two
    feeds that differ only in their credentials are two jobs."""
    scheduler = make_scheduler()
    for url in ("http://ann:pw-one@127.0.0.1/f?token=t-one", "http://bob:pw-two@127.0.0.1/f"):
        add_feed_job(scheduler, FeedSettings(url=url), DaemonSettings(), _poll, now=NOW)
    jobs = scheduler.get_jobs()
    assert len({job.id for job in jobs}) == 2
    assert sorted(job.name for job in jobs) == [
        "poll http://127.0.0.1/f",
        "poll http://127.0.0.1/f?token=[redacted]",
    ]
    assert not [job for job in jobs for secret in ("pw-", "t-one") if secret in job.id]


def test_feed_job_never_overlaps_coalesces_and_has_grace() -> None:
    scheduler = make_scheduler()
    daemon = DaemonSettings(jitter=30, misfire_grace=90)
    add_feed_job(scheduler, FeedSettings(url="http://127.0.0.1/f"), daemon, _poll, now=NOW)
    (job,) = scheduler.get_jobs()
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, 90)


@pytest.mark.parametrize(
    ("not_before", "expected"),
    [
        (NOW + timedelta(seconds=900), NOW + timedelta(seconds=900)),  # stored Retry-After
        (NOW - timedelta(days=1), NOW),  # overdue: right away (spread of one feed is 0.05 s)
        (NOW + timedelta(days=30), NOW + timedelta(seconds=6 * 3600)),  # capped
    ],
)
def test_first_poll_waits_for_the_stored_next_poll(
    not_before: datetime, expected: datetime
) -> None:
    scheduler = make_scheduler()
    feed = FeedSettings(url="http://127.0.0.1/f")
    add_feed_job(scheduler, feed, DaemonSettings(), _poll, now=NOW, not_before=not_before)
    first = scheduler.get_jobs()[0].next_run_time
    assert expected <= first <= expected + timedelta(seconds=0.05)


def test_reschedule_moves_the_next_run_and_remove_drops_the_job() -> None:
    scheduler = make_scheduler()
    feed = FeedSettings(url="http://127.0.0.1/f")
    add_feed_job(scheduler, feed, DaemonSettings(), _poll, now=NOW)
    assert reschedule_feed(scheduler, feed.url, NOW + timedelta(seconds=1234))
    assert scheduler.get_jobs()[0].next_run_time == NOW + timedelta(seconds=1234)
    remove_feed_job(scheduler, feed.url)
    assert scheduler.get_jobs() == []
    assert not reschedule_feed(scheduler, feed.url, NOW)


def test_first_polls_are_spread_but_start_within_the_spread() -> None:
    scheduler = make_scheduler()
    daemon = DaemonSettings(default_interval=600)
    for index in range(200):
        feed = FeedSettings(url=f"http://127.0.0.1/{index}")
        add_feed_job(scheduler, feed, daemon, _poll, feeds_total=200, now=NOW)
    starts = [job.next_run_time for job in scheduler.get_jobs()]
    assert all(NOW <= start <= NOW + timedelta(seconds=10) for start in starts)
    assert len(set(starts)) > 1


def test_periodic_job_is_single_instance() -> None:
    scheduler = make_scheduler()
    add_periodic_job(scheduler, "dispatch", 15, lambda: _poll(FeedSettings(url="http://x")))
    (job,) = scheduler.get_jobs()
    assert (job.id, job.max_instances, job.coalesce) == ("dispatch", 1, True)


async def _noop(feed: FeedSettings) -> None:
    return None


async def test_a_periodic_job_cancelled_while_the_scheduler_runs_is_a_job_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A cancel that is no shutdown (the scheduler still running) is a fault of the job:
    APScheduler reports and logs it as the job's error, not a quiet ``job_cancelled``."""

    async def cancelled() -> None:
        raise asyncio.CancelledError

    scheduler, ended = make_scheduler(), asyncio.Event()
    events: list[JobExecutionEvent] = []

    def ran(event: JobExecutionEvent) -> None:
        events.append(event)
        ended.set()

    scheduler.add_listener(ran, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    add_periodic_job(scheduler, "store_check", 3600, cancelled)
    with capture_logs() as logs, caplog.at_level(logging.ERROR, logger="apscheduler"):
        scheduler.start()
        try:
            scheduler.modify_job("store_check", next_run_time=datetime.now(UTC))
            await asyncio.wait_for(ended.wait(), HANG_GUARD)
        finally:
            scheduler.shutdown(wait=False)
    assert [event.code for event in events] == [EVENT_JOB_ERROR]
    assert isinstance(events[0].exception, asyncio.CancelledError)
    # Warnings and up only: APScheduler's INFO lines reach caplog too when an earlier test
    # left the logging level at INFO.
    raised = [record.levelno for record in caplog.records if record.levelno >= logging.WARNING]
    assert raised == [logging.ERROR]
    assert not [entry for entry in logs if entry["event"] == "job_cancelled"]


async def test_polling_moves_each_job_to_the_next_poll_its_state_holds(tmp_path: Path) -> None:
    """The daemon's side of adaptive intervals: after a poll the job runs when the feed's
    new state says; a gone feed has no job; a crashed poll retries after one backoff."""
    path = tmp_path / "wirewatch.toml"
    path.write_text(
        "[daemon]\nparse_workers = 0\nbackoff_base = 60\n"
        '[[feeds]]\nurl = "http://127.0.0.1/a"\n[[feeds]]\nurl = "http://127.0.0.1/gone"\n',
        encoding="utf-8",
    )
    config = load_config(path)
    polling = Polling(config, lambda: NOW)
    try:
        scheduler = make_scheduler()
        feed, gone = config.feeds
        states = [FeedState(url=gone.url, disabled="410 Gone")]
        polling.schedule(scheduler, config.feeds, _noop, states)
        assert [job.id for job in scheduler.get_jobs()] == [feed_job_id(feed.url)]
        later = NOW + timedelta(seconds=1234)
        polling.after_poll(
            feed, PollOutcome(feed.url, PollStatus.OK, state=FeedState(feed.url, next_poll=later))
        )
        assert scheduler.get_jobs()[0].next_run_time == later
        retry = polling.after_poll(
            feed, PollOutcome(feed.url, PollStatus.ERROR)
        )  # crashed: no state
        assert retry == NOW + timedelta(seconds=60)  # one backoff: the base (and min_interval)
        polling.after_poll(
            feed, PollOutcome(feed.url, PollStatus.GONE, state=FeedState(feed.url, disabled="410"))
        )
        assert scheduler.get_jobs() == []
    finally:
        await polling.aclose()
