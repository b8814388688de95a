"""The polling tests' harness (tests.support.polling), as a fixture."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import rules
from monitor.alerting import Routes
from monitor.config.settings import DedupSettings
from monitor.feeds.fetcher import Fetcher
from monitor.feeds.health import FeedEvent
from monitor.ingest.pipeline import Pipeline
from monitor.ingest.runtime import Runtime, RuntimeHolder
from monitor.store.sqlite.store import SqliteStore
from monitor.stories.dedup import Deduplicator
from tests.support.feedserver import FeedServer
from tests.support.polling import DAEMON, CountingExecutor, Harness


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
