"""The parse processes start with the daemon: ``/readyz`` says ``parse_workers: starting``
until every worker has run its initialiser (the embedding model loaded), the first poll
finds them up and starts none, and a stop during start-up ends the daemon at once."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from structlog.testing import capture_logs

from monitor.daemon import polling
from monitor.daemon.daemon import Daemon
from monitor.feeds import ParsePool
from monitor.records import PollStatus
from monitor.stories.embedding import encode_headlines
from monitor.web import start_listener
from tests.support.feedserver import FeedServer
from tests.support.first_poll import one_feed_daemon, run_until_first_poll
from tests.support.loading_workers import loading_pool, workers_loading
from tests.support.preloaded_workers import HEADLINE
from tests.support.processes import COLD_START_GUARD, HANG_GUARD, sigkill_self

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<link>https://wire.example/</link><description>d</description>
<item><title>Iranian troops reach Latakia airbase</title><guid>w-1</guid>
<link>https://wire.example/1</link></item></channel></rss>"""


async def _readyz(daemon: Daemon) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=daemon.listener.url) as client:
        checks: dict[str, str] = (await client.get("/readyz")).json()["checks"]
        return checks


@asynccontextmanager
async def _daemon(
    tmp_path: Path, feed: bytes | None = FEED
) -> AsyncIterator[tuple[Daemon, ParsePool, FeedServer]]:
    """A one-feed daemon (``feed`` served, or None: nothing) parsing in two processes."""
    async with one_feed_daemon(tmp_path, feed, parse_workers=2) as (daemon, feeds):
        pool = daemon.polling.parse_executor
        assert isinstance(pool, ParsePool)
        yield daemon, pool, feeds


async def test_workers_are_up_and_warm_before_the_first_poll_which_starts_none(
    tmp_path: Path,
) -> None:
    async with _daemon(tmp_path) as (daemon, pool, _):
        assert await start_listener(daemon.listener, daemon.config.settings.listener)
        assert (await _readyz(daemon))["parse_workers"] == "starting"
        assert pool.worker_pids() == ()

        seen: list[tuple[tuple[int, ...], dict[str, str]]] = []

        async def before_poll() -> None:
            seen.append((pool.worker_pids(), await _readyz(daemon)))

        stop, running = await run_until_first_poll(daemon, before_poll)
        stop.set()
        await asyncio.wait_for(running, HANG_GUARD)
        after = pool.worker_pids()
        await daemon.close()

    pids_at_poll, checks_at_poll = seen[0]
    assert len(pids_at_poll) == 2
    assert set(pids_at_poll) == pool.ready_pids  # each ran its initialiser, model included
    assert checks_at_poll["parse_workers"] == "ok"
    assert after == pids_at_poll  # the poll parsed and embedded in them, and started none


async def test_a_stop_before_the_start_ends_the_daemon_without_starting_the_workers(
    tmp_path: Path,
) -> None:
    async with _daemon(tmp_path, None) as (daemon, pool, feeds):
        stop = asyncio.Event()
        stop.set()  # SIGTERM before start-up could finish
        await asyncio.wait_for(daemon.run_forever(stop), HANG_GUARD)
        await asyncio.wait_for(daemon.close(), HANG_GUARD)
        assert not pool.started
        assert feeds.requests_to("/feed.xml") == []


async def test_a_stop_while_the_workers_load_the_model_ends_the_daemon_without_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM while every worker is still loading the embedding model: the daemon stops,
    and its close ends those workers, before any of them has finished loading."""
    loading, said = loading_pool(2)
    monkeypatch.setattr(polling, "parse_pool", lambda workers, *, semantic=False: loading)
    async with _daemon(tmp_path, None) as (daemon, pool, feeds):
        assert pool is loading
        stop = asyncio.Event()
        running = asyncio.create_task(daemon.run_forever(stop))
        await workers_loading(said, 2)
        stop.set()  # SIGTERM while both are loading
        await asyncio.wait_for(running, HANG_GUARD)
        with capture_logs() as logs:
            await asyncio.wait_for(daemon.close(), HANG_GUARD)
        assert not said.poll()  # closed before any worker finished loading
        assert feeds.requests_to("/feed.xml") == []
    assert not pool.started
    assert [e["workers"] for e in logs if e["event"] == "parse_workers_ended_unready"] == [2]


@pytest.mark.asyncio(loop_factories=["uvloop", "asyncio"])  # the pipes' add_reader on either
async def test_run_once_polls_in_workers_started_beside_the_warm_up(tmp_path: Path) -> None:
    async with _daemon(tmp_path) as (daemon, pool, _):
        try:
            outcomes = await daemon.run_once()
        finally:
            await daemon.close()
    assert [outcome.status for outcome in outcomes] == [PollStatus.OK]
    assert pool.started
    assert len(pool.ready_pids) == 2


async def test_a_feed_parses_again_after_a_parse_worker_was_killed(tmp_path: Path) -> None:
    async with _daemon(tmp_path) as (daemon, pool, _):
        try:
            await daemon.polling.start_workers()
            with pytest.raises(BrokenProcessPool):  # its workers are gone with it
                await asyncio.wait_for(asyncio.wrap_future(pool.submit(sigkill_self)), HANG_GUARD)
            outcomes = await daemon.run_once()
        finally:
            await daemon.close()
    assert [outcome.status for outcome in outcomes] == [PollStatus.OK]
    assert pool.replacements == 1


@pytest.mark.parametrize("semantic", [True, False])
def test_the_fork_server_loads_the_models_once_for_every_worker(semantic: bool) -> None:
    """Each worker's warmers find the language identifier, and with ``semantic`` the
    embedding model, loaded already: the fork server loaded them before forking it, and
    the worker embeds with it as this process does. With ``semantic`` off nobody loads
    the model."""
    command = [sys.executable, "-m", "tests.support.preloaded_workers"]
    done = subprocess.run(
        [*command, "--semantic"] if semantic else command,
        capture_output=True, text=True, timeout=COLD_START_GUARD, check=True,
    )  # fmt: skip
    vector = encode_headlines([HEADLINE])[0].hex() if semantic else ""
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "identifier_preloaded": True,
        "model_preloaded": semantic,
        "model_loaded": semantic,
        "vector": vector,
    }
