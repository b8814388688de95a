"""Fixtures of the daemon tests: the polling harness (tests.support.polling), the reload
tests' daemon on a rewritable config (tests.support.reload_world), and the lease tests' two
stores on a fresh PostgreSQL schema (tests.support.leases)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import rules
from monitor.alerting import Routes
from monitor.config.settings import DedupSettings, load_config
from monitor.daemon.daemon import Daemon
from monitor.feeds.fetcher import Fetcher
from monitor.feeds.health import FeedEvent
from monitor.ingest.pipeline import Pipeline
from monitor.ingest.runtime import Runtime, RuntimeHolder
from monitor.store.postgres.store import PostgresStore
from monitor.store.sqlite.store import SqliteStore
from monitor.stories.dedup import Deduplicator
from tests.support.feedserver import FeedServer
from tests.support.leases import URLS
from tests.support.polling import DAEMON, CountingExecutor, Harness
from tests.support.receiver import HttpReceiver
from tests.support.reload_world import HARBOUR, RIVER, Start, World
from tests.support.stores import postgres_schema


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    ruleset = rules.load_ruleset([rules.RuleSource(name="empty.toml", text="")])
    with FeedServer() as server:
        store = SqliteStore(str(tmp_path / "ww.db"))
        await store.open()
        executor = CountingExecutor()
        async with Fetcher(read_timeout=10, total_timeout=30) as fetcher:
            pipe = Pipeline(
                store=store,
                dedup=Deduplicator(store, DedupSettings()),
                runtime=RuntimeHolder(
                    Runtime(rules.compile_rules(ruleset), Routes(()), daemon=DAEMON)
                ),
                fetcher=fetcher,
                parse_executor=executor,
                rng=lambda: 1.0,  # backoff at the top of its jitter range: exact figures
            )
            world = Harness(server, store, pipe, executor)
            pipe.clock = lambda: world.now

            async def record(event: FeedEvent) -> None:
                world.events.append(event)

            pipe.on_feed_event = record
            yield world
        executor.shutdown()
        await store.close()


@pytest.fixture(name="reload_world")
def _reload_world(tmp_path: Path) -> Iterator[World]:
    with FeedServer() as feeds, HttpReceiver() as receiver:
        feeds.add_feed("/a.xml", HARBOUR, etag='"a1"')
        feeds.add_feed("/b.xml", RIVER, etag='"b1"')
        yield World(tmp_path / "ww.toml", feeds, receiver)


@pytest.fixture(name="start_reload_daemon")
async def _start_reload_daemon(reload_world: World) -> AsyncIterator[Start]:
    """Starts a daemon on the config the test wrote, running its schedule in this loop."""
    running: list[tuple[Daemon, asyncio.Event, asyncio.Task[None]]] = []

    async def start() -> Daemon:
        daemon = await Daemon.build(load_config(reload_world.path))
        stop = asyncio.Event()
        running.append((daemon, stop, asyncio.create_task(daemon.run_forever(stop))))
        return daemon

    yield start
    for daemon, stop, task in running:
        stop.set()
        await task
        await daemon.close()


@pytest.fixture
async def lease_schema_url() -> AsyncIterator[str]:
    async with postgres_schema() as location:
        yield location


@pytest.fixture
async def lease_stores(lease_schema_url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """Two daemons' stores: separate pools on one schema."""
    first, second = (
        PostgresStore(lease_schema_url, max_size=4),
        PostgresStore(lease_schema_url, max_size=4),
    )
    await first.open()
    await second.open()
    await first.publish_feeds(URLS)
    yield first, second
    await first.close()
    await second.close()
