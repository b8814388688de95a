"""Scheduling: one job per feed with the safety settings a months-long run needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.config import DaemonSettings
from monitor.poll_config import FeedSettings
from monitor.scheduler import add_feed_job, add_periodic_job, make_scheduler

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


async def _poll(feed: FeedSettings) -> None:
    return None


@pytest.mark.parametrize(
    ("feed_interval", "default", "expected"),
    [(None, 300.0, 300.0), (60.0, 300.0, 60.0), (3600.0, 30.0, 3600.0)],
)
def test_feed_job_uses_its_interval_or_the_default(
    feed_interval: float | None, default: float, expected: float
) -> None:
    scheduler = make_scheduler()
    feed = FeedSettings(url="http://127.0.0.1/feed", interval=feed_interval)
    add_feed_job(scheduler, feed, DaemonSettings(default_interval=default), _poll, now=NOW)
    (job,) = scheduler.get_jobs()
    assert job.trigger.interval == timedelta(seconds=expected)
    assert job.args == (feed,)


def test_feed_job_never_overlaps_coalesces_and_has_grace() -> None:
    scheduler = make_scheduler()
    daemon = DaemonSettings(jitter=30, misfire_grace=90)
    add_feed_job(scheduler, FeedSettings(url="http://127.0.0.1/f"), daemon, _poll, now=NOW)
    (job,) = scheduler.get_jobs()
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, 90)
    assert job.trigger.jitter == 30


def test_first_polls_are_spread_but_start_within_the_spread() -> None:
    scheduler = make_scheduler()
    daemon = DaemonSettings(default_interval=600)
    for index in range(200):
        feed = FeedSettings(url=f"http://127.0.0.1/{index}")
        add_feed_job(scheduler, feed, daemon, _poll, feeds_total=200, now=NOW)
    starts = [job.next_run_time for job in scheduler.get_jobs()]
    assert all(NOW <= start <= NOW + timedelta(seconds=10) for start in starts)
    assert len(set(starts)) > 1


def test_jitter_never_exceeds_half_the_interval() -> None:
    scheduler = make_scheduler()
    feed = FeedSettings(url="http://127.0.0.1/f", interval=10)
    add_feed_job(scheduler, feed, DaemonSettings(jitter=60), _poll, now=NOW)
    assert scheduler.get_jobs()[0].trigger.jitter == 5


def test_periodic_job_is_single_instance() -> None:
    scheduler = make_scheduler()
    add_periodic_job(scheduler, "dispatch", 15, lambda: _poll(FeedSettings(url="http://x")))
    (job,) = scheduler.get_jobs()
    assert (job.id, job.max_instances, job.coalesce) == ("dispatch", 1, True)
