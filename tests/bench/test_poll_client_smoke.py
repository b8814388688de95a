"""Smoke test of ``bench.poll``'s measured side: one real ``run --once`` cycle is measured
and reported, so the benchmark keeps working as the daemon's API changes. No timing is
asserted."""

from __future__ import annotations

from pathlib import Path

from bench.poll_client import measure_cycle
from monitor.config import load_config
from tests.support.configs import one_feed_config
from tests.support.feedserver import FeedServer

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><guid>1</guid><title>Iranian drones strike a depot</title><link>https://example.org/1</link></item>
<item><guid>2</guid><title>Markets close higher</title><link>https://example.org/2</link></item>
</channel></rss>"""


async def test_a_measured_cycle_reports_outcomes_and_new_articles(tmp_path: Path) -> None:
    with FeedServer() as feeds:
        feeds.add_feed("/feed.xml", FEED)
        config = load_config(one_feed_config(tmp_path, feeds.url("/feed.xml")))
        measured = await measure_cycle(config)
    assert measured["outcomes"] == {"ok": 1}
    assert measured["articles"] == 2
    assert {"wall", "cpu", "workers", "worker_cpu", "worker_rss_mb", "rss_mb"} <= set(measured)
