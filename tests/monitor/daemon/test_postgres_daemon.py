"""The whole daemon on PostgreSQL: one poll cycle over local feeds raises the same alerts,
and sends the same webhook calls, as on SQLite; a second cycle sends nothing more; a rules
backtest over what was stored counts the same."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.cli.backtest import run_backtest
from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from monitor.store.interface import Store
from tests.support.feedserver import FeedServer
from tests.support.receiver import HttpReceiver
from tests.support.stores import POSTGRES_URL, postgres_schema

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
WIRE = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Levant Wire</title><link>https://lw.example/</link>
<item><title>Iranian troops land in Latakia as army prepares Homs offensive</title>
<link>https://lw.example/a/1</link><guid>lw-1</guid>
<pubDate>Tue, 24 Nov 2026 08:00:00 GMT</pubDate></item>
<item><title>Hamas delegation arrives in Cairo for talks</title>
<link>https://lw.example/a/2</link><guid>lw-2</guid>
<pubDate>Tue, 24 Nov 2026 07:00:00 GMT</pubDate></item>
</channel></rss>"""
GULF = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Gulf Dispatch</title>
<id>tag:gd.example,2026:feed</id><updated>2026-11-24T09:00:00Z</updated>
<entry><title>UPDATE 1-Iranian troops land in Latakia as army prepares Homs offensive</title>
<id>tag:gd.example,2026:77</id><link href="https://gd.example/world/77"/>
<updated>2026-11-24T08:20:00Z</updated><summary>Monitors saw transport planes.</summary></entry>
<entry><title>Russian jets strike near Hama</title><id>tag:gd.example,2026:78</id>
<link href="https://gd.example/world/78"/><updated>2026-11-24T08:10:00Z</updated></entry>
</feed>"""
CONFIG = """
[daemon]
host_spacing = 0
parse_workers = 0
jitter = 0
[store]
{store}
[notifiers.hook]
type = "webhook"
url = "{hook}"
# Teasers' article pages off: the feeds serve no article pages.
[[feeds]]
name = "Levant Wire"
url = "{wire}"
full_text = "never"
[[feeds]]
name = "Gulf Dispatch"
url = "{gulf}"
full_text = "never"
[entities.iran]
kind = "actor"
entries = [{{ name = "Iran", aliases = ["Iranian"] }}]
[entities.russia]
kind = "actor"
entries = [{{ name = "Russia", aliases = ["Russian"] }}]
[entities.syria]
kind = "place"
entries = ["Latakia", "Homs", "Hama"]
[[rules]]
name = "iran-in-syria"
severity = "high"
all_of = ["iran", "syria"]
notifiers = ["hook"]
[[rules]]
name = "russia-in-syria"
all_of = ["russia", "syria"]
notifiers = ["hook"]
"""


@pytest.fixture(name="feeds")
def _feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.add_feed("/wire.xml", WIRE.encode(), etag='"w1"')
        server.add_feed("/gulf.xml", GULF.encode(), content_type="application/atom+xml")
        yield server


async def _run_twice(store_line: str, feeds: FeedServer, tmp_path: Path) -> dict[str, Any]:
    """Two poll cycles against a fresh receiver; what was sent and what the store holds."""
    with HttpReceiver() as receiver:
        path = tmp_path / "wirewatch.toml"
        urls = {"hook": receiver.url("/hook"), "wire": feeds.url("/wire.xml"),
                "gulf": feeds.url("/gulf.xml")}  # fmt: skip
        path.write_text(CONFIG.format(store=store_line, **urls), encoding="utf-8")
        daemon = await Daemon.build(load_config(path))
        try:
            await _poll_in_order(daemon)
            await _poll_in_order(daemon)
            alerts = await _alerts(daemon.store)
        finally:
            await daemon.close()
        posts = [request.json() for request in receiver.requests]
        backtest = await asyncio.to_thread(run_backtest, load_config(path), EPOCH)
    sent = sorted(
        (post["alert_id"], post["rule"], post["outlets"], post["title"]) for post in posts
    )
    tallies = {rule: (t.articles, len(t.stories)) for rule, t in backtest.tallies.items()}
    return {"alerts": alerts, "sent": sent, "backtest": (backtest.articles, tallies)}


async def _poll_in_order(daemon: Daemon) -> None:
    """One cycle, the feeds one after another: which outlet opens a story must be the same
    on both stores, and a round's workers would race after their fetches."""
    for feed in daemon.config.feeds:
        await daemon.poll(feed)
    await daemon.dispatch()


async def _alerts(store: Store) -> list[tuple[Any, ...]]:
    listings = await store.list_alerts(EPOCH)
    return sorted(
        (item.alert.alert_id, item.alert.story_id, item.alert.rule, item.alert.event,
         item.alert.outlets, item.alert.terms, item.title,
         tuple((d.notifier, d.state, d.attempts) for d in item.deliveries))
        for item in listings
    )  # fmt: skip


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset")
async def test_a_poll_cycle_on_postgresql_alerts_as_on_sqlite(
    feeds: FeedServer, tmp_path: Path
) -> None:
    on_sqlite = await _run_twice(f'path = "{tmp_path / "ww.db"}"', feeds, tmp_path)
    async with postgres_schema() as url:
        on_postgres = await _run_twice(f'url = "{url}"', feeds, tmp_path)
    assert {rule for _, rule, *_ in on_sqlite["sent"]} == {"iran-in-syria", "russia-in-syria"}
    assert len(on_sqlite["sent"]) == 2  # one per story and rule; the second cycle sent none
    assert on_sqlite["backtest"][0] == 4  # every stored article replayed
    assert on_postgres == on_sqlite
