"""Start-up: ``/healthz`` answers while the story index warms, ``/readyz`` says ``stories:
warming`` until the index holds the window, no feed is polled before, and a stop during
the warm-up ends the daemon without waiting for it; a restart loads the index's snapshot."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from monitor.config import load_config
from monitor.daemon import wiring
from monitor.daemon.daemon import Daemon
from monitor.daemon.run import run_daemon
from monitor.store import WindowArticle
from monitor.store.sqlite.store import SqliteStore
from tests.support.configs import one_feed_config
from tests.support.feedserver import FeedServer
from tests.support.first_poll import one_feed_daemon
from tests.support.processes import HANG_GUARD


class _SlowWindowStore(SqliteStore):
    """A real SQLite store whose window read waits for the test: a long warm-up."""

    entered = asyncio.Event()
    release = asyncio.Event()

    async def recent_articles(self, since: datetime) -> list[WindowArticle]:
        type(self).entered.set()
        await type(self).release.wait()
        return await super().recent_articles(since)


@pytest.fixture
async def slow_warm_up(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[type[_SlowWindowStore]]:
    _SlowWindowStore.entered, _SlowWindowStore.release = asyncio.Event(), asyncio.Event()
    monkeypatch.setattr(wiring, "open_store", lambda settings: _SlowWindowStore(settings.path))
    yield _SlowWindowStore
    _SlowWindowStore.release.set()


async def _get(daemon: Daemon, route: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=daemon.listener.url) as client:
        return await client.get(route)


async def test_healthz_answers_during_the_warm_up_and_readyz_waits_for_the_index(
    tmp_path: Path, slow_warm_up: type[_SlowWindowStore]
) -> None:
    async with one_feed_daemon(tmp_path, None) as (daemon, feeds):
        stop = asyncio.Event()
        running = asyncio.create_task(daemon.run_forever(stop))
        await asyncio.wait_for(slow_warm_up.entered.wait(), HANG_GUARD)

        assert (await _get(daemon, "/healthz")).status_code == 200
        warming = await _get(daemon, "/readyz")
        assert warming.status_code == 503
        assert warming.json()["checks"]["stories"] == "warming"
        assert feeds.requests_to("/feed.xml") == []  # nothing decided against half a window

        slow_warm_up.release.set()
        await asyncio.wait_for(daemon.warmup.warm(), HANG_GUARD)
        assert (await _get(daemon, "/readyz")).json()["checks"]["stories"] == "ok"
        stop.set()
        await asyncio.wait_for(running, HANG_GUARD)
        await daemon.close()


async def test_a_stop_during_the_warm_up_ends_the_daemon_without_waiting_for_it(
    tmp_path: Path, slow_warm_up: type[_SlowWindowStore]
) -> None:
    async with one_feed_daemon(tmp_path, None) as (daemon, feeds):
        stop = asyncio.Event()
        running = asyncio.create_task(daemon.run_forever(stop))
        await asyncio.wait_for(slow_warm_up.entered.wait(), HANG_GUARD)
        with capture_logs() as logs:
            stop.set()  # SIGTERM; the window read never returns
            await asyncio.wait_for(running, HANG_GUARD)
            await daemon.close()
        assert "story_index_warm_up_abandoned" in [line["event"] for line in logs]
        assert not daemon.warmup.ready
        assert not (tmp_path / "ww.db.stories").exists()  # a partial index is never saved
        assert feeds.requests_to("/feed.xml") == []


def _rss(guid: str, title: str) -> bytes:
    return f"""<?xml version="1.0"?><rss version="2.0"><channel><title>W</title>
<link>https://wire.example/</link><description>d</description>
<item><title>{title}</title><guid>{guid}</guid><link>https://wire.example/{guid}</link>
</item></channel></rss>""".encode()


async def test_a_restart_loads_the_snapshot_and_folds_a_new_copy_into_the_stored_story(
    tmp_path: Path,
) -> None:
    with FeedServer() as feeds:
        feeds.add_feed("/a.xml", _rss("a-1", "Iranian troops reach Latakia airbase"))
        second = f'[[feeds]]\nname = "Gazette"\nurl = "{feeds.url("/b.xml")}"\n'
        config = load_config(one_feed_config(tmp_path, feeds.url("/a.xml"), tables=second))
        with capture_logs() as first:
            await run_daemon(config, once=True)
        assert _events(first, "story_index_warmed")[0]["source"] == "store"
        assert _events(first, "story_snapshot_written")[0]["articles"] == 1

        feeds.add_feed("/b.xml", _rss("b-1", "Iranian troops reach Latakia airbase - AFP"))
        with capture_logs() as restart:
            await run_daemon(config, once=True)
        warmed = _events(restart, "story_index_warmed")[0]
        assert (warmed["source"], warmed["articles"], warmed["replayed"]) == ("snapshot", 1, 0)
    with sqlite3.connect(tmp_path / "ww.db") as db:
        stories = db.execute("SELECT count(*), count(DISTINCT story_id) FROM articles").fetchone()
    assert stories == (2, 1)  # the copy joined the story the snapshot held


def _events(logs: Sequence[Mapping[str, Any]], name: str) -> list[Mapping[str, Any]]:
    return [line for line in logs if line["event"] == name]
