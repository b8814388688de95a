"""Two whole daemons on one PostgreSQL schema, each with its own pool and name: their
claim loops poll every feed once between them, four outlets carrying one story make ONE
story and ONE alert per rule, each sent once; retention runs on one daemon at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from monitor.store import FeedLeases
from tests.support.feedserver import FeedServer
from tests.support.receiver import HttpReceiver
from tests.support.stores import POSTGRES_URL, postgres_schema

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]

HEADLINES = [
    "Iranian troops land in Latakia as army prepares Homs offensive",
    "UPDATE 1-Iranian troops land in Latakia as army prepares Homs offensive",
    "Iranian troops land in Latakia as army prepares Homs offensive - sources",
    "EXCLUSIVE-Iranian troops land in Latakia as army prepares Homs offensive",
]
RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Outlet {n}</title><link>https://o{n}.example/</link>
<item><title>{title}</title><link>https://o{n}.example/a/1</link><guid>o{n}-1</guid>
<pubDate>Tue, 24 Nov 2026 08:0{n}:00 GMT</pubDate></item>
</channel></rss>"""
CONFIG = """
[daemon]
instance = "{instance}"
host_spacing = 0
parse_workers = 0
jitter = 0
[store]
url = "{url}"
claim_batch = 2
[notifiers.hook]
type = "webhook"
url = "{hook}"
[entities.iran]
kind = "actor"
entries = [{{ name = "Iran", aliases = ["Iranian"] }}]
[entities.syria]
kind = "place"
entries = ["Latakia", "Homs", "Hama"]
[[rules]]
name = "iran-in-syria"
severity = "high"
all_of = ["iran", "syria"]
notifiers = ["hook"]
[[rules]]
name = "latakia"
all_of = ["syria"]
notifiers = ["hook"]
"""


@pytest.fixture(name="feeds")
def _feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        for n, title in enumerate(HEADLINES):
            server.add_feed(f"/o{n}.xml", RSS.format(n=n, title=title).encode(), etag=f'"{n}"')
        yield server


@pytest.fixture(name="url")
async def _url() -> AsyncIterator[str]:
    async with postgres_schema() as location:
        yield location


def _config(tmp_path: Path, instance: str, url: str, hook: str, feeds: FeedServer) -> Path:
    path = tmp_path / f"{instance}.toml"
    listed = "".join(
        f'[[feeds]]\nname = "Outlet {n}"\nurl = "{feeds.url(f"/o{n}.xml")}"\n'
        for n in range(len(HEADLINES))
    )
    text = CONFIG.format(instance=instance, url=url, hook=hook) + listed
    path.write_text(text, encoding="utf-8")
    return path


async def _sql(url: str, statement: str) -> list[tuple[Any, ...]]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cursor = await conn.execute(statement)
        return await cursor.fetchall() if cursor.description else []


async def _daemons(tmp_path: Path, url: str, hook: str, feeds: FeedServer) -> list[Daemon]:
    return [
        await Daemon.build(load_config(_config(tmp_path, name, url, hook, feeds))) for name in "ab"
    ]


async def _poll_round(daemons: list[Daemon]) -> None:
    """Both daemons claim at once and poll what they got, to the end."""
    loops = []
    for daemon in daemons:
        assert isinstance(daemon.store, FeedLeases)
        loops.append(daemon.claim_loop(daemon.store))
    await asyncio.gather(*(loop.tick() for loop in loops))
    await asyncio.gather(*(loop.wait_idle() for loop in loops))


async def test_two_daemons_make_one_story_and_one_alert_per_rule(
    tmp_path: Path, url: str, feeds: FeedServer
) -> None:
    with HttpReceiver() as receiver:
        daemons = await _daemons(tmp_path, url, receiver.url("/hook"), feeds)
        try:
            await _poll_round(daemons)
            # Every feed fetched once, by one daemon, in the claiming round.
            assert [len(feeds.requests_to(f"/o{n}.xml")) for n in range(4)] == [1] * 4
            # A write refused because the other daemon opened the story is polled again.
            await _sql(url, "UPDATE feeds SET next_poll = now() - interval '1 second'")
            await _poll_round(daemons)
            await asyncio.gather(*(daemon.dispatch() for daemon in daemons))
            await asyncio.gather(*(daemon.dispatch() for daemon in daemons))
        finally:
            for daemon in daemons:
                await daemon.close()
        posts = [request.json() for request in receiver.requests]
    assert await _sql(url, "SELECT count(*) FROM stories") == [(1,)]
    alerts = await _sql(url, "SELECT rule, count(*) FROM alerts WHERE event = 'new' GROUP BY rule")
    assert sorted(alerts) == [("iran-in-syria", 1), ("latakia", 1)]
    sent = [post["alert_id"] for post in posts]
    assert len(sent) == len(set(sent))  # each alert sent once
    new = {post["rule"] for post in posts if post["event"] == "new"}
    assert new == {"iran-in-syria", "latakia"}
    owners = await _sql(url, "SELECT count(*) FROM feeds WHERE lease_owner IS NOT NULL")
    assert owners == [(0,)]  # every lease given back


async def test_retention_runs_on_one_daemon_at_a_time(
    tmp_path: Path, url: str, feeds: FeedServer
) -> None:
    with HttpReceiver() as receiver:
        daemons = await _daemons(tmp_path, url, receiver.url("/hook"), feeds)
        first, second = daemons
        try:
            assert isinstance(first.store, FeedLeases)
            async with first.store.exclusive("retention") as ours:  # a run under way
                assert ours
                assert await second.retain() is None  # skipped, not waiting
            assert await second.retain() is not None  # and runs once it is free
        finally:
            for daemon in daemons:
                await daemon.close()
