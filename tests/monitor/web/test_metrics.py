"""/metrics: a real daemon polls loopback feeds, raises and delivers alerts; the scrape
over real HTTP names every contract metric with its labels and values (the Metrics object's
counting on its own: test_metrics_counting.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from monitor.config.feeds import FeedSettings
from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from monitor.ingest.pipeline import PollOutcome
from tests.support.configs import iran_watch
from tests.support.feedserver import FeedServer
from tests.support.metrics_scrape import WAIT, Scraped
from tests.support.metrics_scrape import parse as _parse
from tests.support.receiver import HttpReceiver

TOKEN = "metrics-token-123"

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _rss(outlet: str, link: str) -> bytes:
    return f"""<?xml version="1.0"?><rss version="2.0"><channel><title>{outlet}</title>
<link>https://{outlet}.example/</link><description>d</description>
<item><title>Iranian troops reach Latakia airbase after overnight convoy</title>
<guid>{outlet}-1</guid><link>{link}</link></item></channel></rss>""".encode()


def _config(tmp_path: Path, feeds: FeedServer, receiver: HttpReceiver) -> Path:
    path = tmp_path / "ww.toml"
    path.write_text(f"""
[daemon]
default_interval = 3600
jitter = 0
host_spacing = 0
parse_workers = 0
[store]
path = "{tmp_path / "ww.db"}"
[listener]
port = 0
token = "{TOKEN}"
# Their entries link off loopback: the pages are tried, refused, and not timed as feeds.
[[feeds]]
name = "Wire"
url = "{feeds.url("/wire.xml")}"
[[feeds]]
name = "Other"
url = "{feeds.url("/other.xml")}"
[[feeds]]
name = "Broken"
url = "{feeds.url("/missing.xml")}"
[[feeds]]
name = "Off"
url = "{feeds.url("/off.xml")}"
enabled = false
{iran_watch(receiver.url("/hook"), rule="iran-watch")}
""")
    return path


def _serve_feeds(feeds: FeedServer) -> None:
    feeds.add_feed("/wire.xml", _rss("wire", "https://wire.example/1"))
    feeds.add_feed("/other.xml", _rss("other", "https://other.example/story/9"))
    feeds.add_status("/missing.xml", 404)


@pytest.fixture(name="parts")
def _parts() -> Iterator[tuple[FeedServer, HttpReceiver]]:
    with FeedServer() as feeds, HttpReceiver() as receiver:
        _serve_feeds(feeds)
        yield feeds, receiver


@dataclass
class Run:
    daemon: Daemon
    ready_while_running: httpx.Response
    metrics: Scraped
    unauthorised: httpx.Response
    ready_after_stop: httpx.Response
    delivered: int


async def _run_until_polled(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> Run:
    """The daemon runs until every enabled feed's poll has finished and an alert arrived,
    then stops; the listener serves until ``close``, so the scrape sees the drained state."""
    finished = asyncio.Semaphore(0)
    poll = daemon.poll

    async def counted(feed: FeedSettings) -> PollOutcome:
        try:
            return await poll(feed)
        finally:
            finished.release()

    monkeypatch.setattr(daemon, "poll", counted)  # what the scheduler's jobs call
    stop = asyncio.Event()
    running = asyncio.create_task(daemon.run_forever(stop))
    try:
        for _ in range(3):
            await asyncio.wait_for(finished.acquire(), WAIT)
        async with httpx.AsyncClient(base_url=daemon.listener.url) as http:
            ready = await http.get("/readyz")
            stop.set()
            await running  # the last sweep sends what the polls queued
            scraped = await http.get("/metrics", headers=AUTH)
            refused = await http.get("/metrics")
            unready = await http.get("/readyz")
    finally:
        stop.set()
        await asyncio.gather(running, return_exceptions=True)
    assert scraped.status_code == 200, scraped.text
    assert scraped.headers["content-type"].startswith("text/plain")
    return Run(daemon, ready, _parse(scraped.text), refused, unready, 0)


@pytest.fixture(name="run", scope="module")
def _run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """One daemon run shared by the assertions below (each run takes a second)."""
    tmp_path = tmp_path_factory.mktemp("metrics")
    with pytest.MonkeyPatch.context() as monkeypatch, FeedServer() as feeds, \
            HttpReceiver() as receiver:  # fmt: skip
        _serve_feeds(feeds)
        config = load_config(_config(tmp_path, feeds, receiver))

        async def run() -> Run:
            daemon = await Daemon.build(config)
            try:
                return await _run_until_polled(daemon, monkeypatch)
            finally:
                await daemon.close()

        result = asyncio.run(run())
        result.delivered = len(receiver.requests)
        yield result


CONTRACT = {
    "wirewatch_polls_total", "wirewatch_fetch_duration_seconds_count",
    "wirewatch_fetch_bytes_total", "wirewatch_items_parsed_total",
    "wirewatch_articles_stored_total", "wirewatch_articles_folded_total",
    "wirewatch_stories_created_total", "wirewatch_rule_hits_total",
    "wirewatch_alerts_created_total", "wirewatch_deliveries_total", "wirewatch_outbox_pending",
    "wirewatch_outbox_oldest_pending_age_seconds", "wirewatch_feeds",
    "wirewatch_scheduler_lag_seconds_count", "wirewatch_config_reloads_total",
    "wirewatch_config_last_reload_success_timestamp_seconds", "wirewatch_build_info",
    "wirewatch_page_fetches_total",
}  # fmt: skip


def test_every_contract_metric_is_exposed(run: Run) -> None:
    assert run.metrics.names() >= CONTRACT


EXPECTED = [
    ("wirewatch_polls_total", {"outcome": "ok"}, 2),
    ("wirewatch_polls_total", {"outcome": "error"}, 1),
    ("wirewatch_polls_total", {"outcome": "not_modified"}, 0),
    ("wirewatch_polls_total", {"outcome": "skipped"}, 0),
    ("wirewatch_fetch_duration_seconds_count", {}, 3),  # the 404 too; pages and robots.txt not
    ("wirewatch_items_parsed_total", {}, 2),
    ("wirewatch_articles_stored_total", {}, 2),
    ("wirewatch_stories_created_total", {}, 1),
    ("wirewatch_articles_folded_total", {}, 1),  # the other outlet's copy
    ("wirewatch_rule_hits_total", {"rule": "iran-watch"}, 2),
    ("wirewatch_alerts_created_total", {"event": "new"}, 1),
    ("wirewatch_deliveries_total", {"notifier": "hook", "outcome": "dead"}, 0),
    ("wirewatch_deliveries_total", {"notifier": "hook", "outcome": "retry"}, 0),
    ("wirewatch_outbox_pending", {}, 0),
    ("wirewatch_outbox_oldest_pending_age_seconds", {}, 0),
    ("wirewatch_feeds", {"state": "healthy"}, 2),
    ("wirewatch_feeds", {"state": "failing"}, 1),
    ("wirewatch_feeds", {"state": "disabled"}, 1),  # enabled = false
    ("wirewatch_scheduler_lag_seconds_count", {}, 3),  # one start per polled feed
    ("wirewatch_config_reloads_total", {"outcome": "success"}, 0),
    ("wirewatch_config_reloads_total", {"outcome": "failure"}, 0),
    ("wirewatch_page_fetches_total", {"outcome": "ok"}, 0),  # their sites are unreachable
]


def test_scrape_counts_what_the_daemon_did(run: Run) -> None:
    def key(name: str, labels: dict[str, str]) -> str:
        return name + str(sorted(labels.items()))

    wanted = {key(name, labels): value for name, labels, value in EXPECTED}
    got = {key(name, labels): run.metrics.value(name, **labels) for name, labels, _ in EXPECTED}
    assert got == wanted


def test_every_delivery_received_is_counted_as_sent(run: Run) -> None:
    assert run.delivered >= 1
    sent = run.metrics.value("wirewatch_deliveries_total", notifier="hook", outcome="sent")
    assert sent == run.delivered


def test_bytes_build_and_config_time_are_real(run: Run) -> None:
    assert run.metrics.value("wirewatch_fetch_bytes_total") > 200
    (version,) = [
        dict(labels)["version"] for name, labels in run.metrics.samples
        if name == "wirewatch_build_info"
    ]  # fmt: skip
    assert run.metrics.value("wirewatch_build_info", version=version) == 1
    loaded = run.metrics.value("wirewatch_config_last_reload_success_timestamp_seconds")
    assert loaded > datetime(2020, 1, 1, tzinfo=UTC).timestamp()


def test_metrics_need_the_token_and_readiness_follows_the_scheduler(run: Run) -> None:
    assert run.unauthorised.status_code == 401
    assert run.unauthorised.headers["www-authenticate"].startswith("Bearer")
    assert run.ready_while_running.status_code == 200
    assert run.ready_while_running.json()["checks"] == {
        "config": "ok", "store": "ok", "stories": "ok", "scheduler": "ok"
    }  # fmt: skip
    assert run.ready_after_stop.status_code == 503
    assert run.ready_after_stop.json()["checks"]["scheduler"] == "not running"


async def test_run_once_serves_nothing_unless_configured(
    parts: tuple[FeedServer, HttpReceiver], tmp_path: Path
) -> None:
    feeds, receiver = parts
    config = load_config(_config(tmp_path, feeds, receiver))
    daemon = await Daemon.build(config)
    try:
        await daemon.run_once()
        assert not daemon.listener.serving
    finally:
        await daemon.close()


async def test_run_once_with_serve_once_is_scraped_before_close(
    parts: tuple[FeedServer, HttpReceiver], tmp_path: Path
) -> None:
    feeds, receiver = parts
    path = _config(tmp_path, feeds, receiver)
    path.write_text(path.read_text().replace("port = 0\n", "port = 0\nserve_once = true\n"))
    daemon = await Daemon.build(load_config(path))
    try:
        await daemon.run_once()
        async with httpx.AsyncClient(base_url=daemon.listener.url, headers=AUTH) as http:
            scraped = _parse((await http.get("/metrics")).text)
        assert scraped.value("wirewatch_polls_total", outcome="ok") == 2
        assert "wirewatch_scheduler_lag_seconds_count" in scraped.names()  # no runs: 0
    finally:
        await daemon.close()
    assert not daemon.listener.serving


def test_no_created_series_double_the_counters(run: Run) -> None:
    assert not [name for name in run.metrics.names() if name.endswith("_created")]


def test_the_daemons_page_fetcher_is_the_one_counted(run: Run) -> None:
    assert run.daemon.metrics.page_stats == run.daemon.polling.pages.stats
