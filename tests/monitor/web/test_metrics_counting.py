"""The Metrics object's counting without a daemon's scrape: poll outcomes onto the contract's
labels, feeds by state, skipped polls, page fetches, instance labels, and two daemons in one
process keeping their own counts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.config.feeds import FeedSettings
from monitor.daemon.scheduler import feed_job_id, watch_poll_jobs
from monitor.feeds import Fetcher
from monitor.ingest.pipeline import Ingested, PollOutcome
from monitor.pages import PageFetcher
from monitor.records import PollStatus
from monitor.records.models import AlertRecord, Article, DedupDecision, FeedState, Verdict
from monitor.web.metrics import Metrics, count_feeds
from rules import Match, Severity
from tests.support.feedserver import FeedServer
from tests.support.metrics_scrape import WAIT
from tests.support.metrics_scrape import parse as _parse
from tests.support.pages import html_route


async def test_two_daemons_in_one_process_keep_their_own_counts() -> None:
    first, second = Metrics(version="1"), Metrics(version="1")
    first.poll_skipped()
    assert 'skipped"} 1.0' in first.render().decode()
    assert 'skipped"} 0.0' in second.render().decode()


@pytest.mark.parametrize(
    ("label_every_series", "expected"),
    [(True, {"poller-a"}), (False, {None})],
    ids=["configured name: every series", "generated name: the info series only"],
)
def test_a_configured_instance_name_labels_every_series(
    label_every_series: bool, expected: set[str | None]
) -> None:
    metrics = Metrics(version="1", instance="poller-a", label_every_series=label_every_series)
    metrics.poll_skipped()
    series = _parse(metrics.render().decode()).samples
    assert len(series) > 20
    assert {dict(labels).get("wirewatch_instance") for _, labels in series} == expected
    info = [dict(labels) for name, labels in series if name == "wirewatch_instance_info"]
    assert [labels["instance"] for labels in info] == ["poller-a"]


def _ingested(verdict: Verdict, rules: tuple[str, ...], events: tuple[str, ...]) -> Ingested:
    now = datetime.now(UTC)
    article = Article("a", "http://x/", "x", "g", "t", "http://x/1", "", "", None, now)
    alerts = tuple(
        AlertRecord(event, "s", "a", "r", Severity.LOW, (), (), now, event=event)
        for event in events
    )
    matches = tuple(
        Match(rule=rule, severity=Severity.LOW, notifiers=(), terms=(), hits=()) for rule in rules
    )
    return Ingested(article, DedupDecision(verdict, "s"), matches, alerts)


FOLDED_WITH_UPDATES = (Verdict.FOLDED, ("r", "q"), ("outlets>=3", "severity:high"))


@pytest.mark.parametrize(
    ("status", "ingested", "name", "labels", "value"),
    [
        ("disabled", (), "wirewatch_polls_total", {"outcome": "skipped"}, 1),
        ("pushed", (), "wirewatch_polls_total", {"outcome": "ok"}, 0),  # pushed: not a poll
        ("ok", ((Verdict.SEEN, ("r",), ()),), "wirewatch_articles_stored_total", {}, 0),
        ("ok", (FOLDED_WITH_UPDATES,), "wirewatch_articles_folded_total", {}, 1),
        ("ok", (FOLDED_WITH_UPDATES,), "wirewatch_stories_created_total", {}, 0),
        ("ok", (FOLDED_WITH_UPDATES,), "wirewatch_rule_hits_total", {"rule": "q"}, 1),
        ("ok", (FOLDED_WITH_UPDATES,), "wirewatch_alerts_created_total", {"event": "update"}, 2),
    ],
)
def test_poll_outcomes_map_onto_the_contract_labels(
    status: str,
    ingested: tuple[tuple[Verdict, tuple[str, ...], tuple[str, ...]], ...],
    name: str,
    labels: dict[str, str],
    value: float,
) -> None:
    metrics = Metrics(version="1")
    items = tuple(_ingested(*item) for item in ingested)
    metrics.polled(PollOutcome("http://x/", PollStatus(status), items))
    assert _parse(metrics.render().decode()).value(name, **labels) == value


def test_feeds_are_counted_by_state() -> None:
    configured = [
        FeedSettings(url="http://a/"), FeedSettings(url="http://b/"),
        FeedSettings(url="http://c/"), FeedSettings(url="http://d/", enabled=False),
        FeedSettings(url="http://e/"),
    ]  # fmt: skip
    states = {
        "http://b/": FeedState(url="http://b/", error_count=2),
        "http://c/": FeedState(url="http://c/", disabled="410 Gone"),
        "http://e/": FeedState(url="http://e/"),
    }
    assert count_feeds(configured, states) == {"healthy": 2, "failing": 1, "disabled": 2}


async def test_a_poll_that_cannot_start_while_the_last_runs_is_skipped() -> None:
    scheduler = AsyncIOScheduler(timezone=UTC)
    started, release, skipped = asyncio.Event(), asyncio.Event(), asyncio.Event()
    lags: list[float] = []

    async def slow_poll() -> None:
        started.set()
        await release.wait()

    watch_poll_jobs(scheduler, on_lag=lags.append, on_skipped=skipped.set)
    job_id = feed_job_id("http://x/")
    now = datetime.now(UTC)
    scheduler.add_job(slow_poll, "interval", hours=1, id=job_id, max_instances=1,
                      next_run_time=now)  # fmt: skip
    scheduler.start()
    try:
        await asyncio.wait_for(started.wait(), WAIT)
        scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))
        await asyncio.wait_for(skipped.wait(), WAIT)
        assert len(lags) == 1 and lags[0] >= 0
    finally:
        release.set()
        scheduler.shutdown(wait=False)


async def test_page_fetches_are_counted_by_outcome() -> None:
    """A page read and a page that 404s, fetched from a loopback site by a real fetcher."""
    metrics = Metrics(version="1")
    with FeedServer() as site:
        site.add_route("/news/read", html_route())
        site.add_status("/news/gone", 404)
        feed = FeedSettings(url=site.url("/feed.xml"), robots=False)
        async with Fetcher(user_agent="wirewatch/test (+https://example.invalid)") as fetcher:
            pages = PageFetcher(fetcher)
            metrics.watch_pages(pages.stats)
            for path in ("/news/read", "/news/gone"):
                await pages.fetch(site.url(path), feed)
    scraped = _parse(metrics.render().decode())
    counts = {
        outcome: scraped.value("wirewatch_page_fetches_total", outcome=outcome)
        for outcome in ("ok", "http_status", "timeout")
    }
    assert counts == {"ok": 1, "http_status": 1, "timeout": 0}
