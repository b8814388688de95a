"""Feed state and WebSub rows in a real SQLite file: round trips, group commit, lookups."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.models import FeedState, WebSubSubscription
from monitor.sqlite_store import SqliteStore

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(str(tmp_path / "ww.db"))
    await opened.open()
    yield opened
    await opened.close()


async def test_every_feed_state_field_survives_a_round_trip(store: SqliteStore) -> None:
    state = FeedState(
        url="https://a.example/feed", etag='"e"', last_modified="Tue, 24 Nov 2026 10:00:00 GMT",
        body_hash="h", last_polled=NOW, last_status=503, error_count=3, last_error="boom",
        last_success=NOW, failing_since=NOW, failure_alerted=True, items_per_day=12.5,
        feed_ttl=1800.0, interval=900.0, next_poll=NOW, moved_to="https://b.example/feed",
        disabled="410 Gone",
    )  # fmt: skip
    await store.save_feed_state(state)
    assert await store.feed_state(state.url) == state
    assert await store.feed_states() == [state]


async def test_concurrent_saves_are_all_committed_when_they_return(
    store: SqliteStore, tmp_path: Path
) -> None:
    """Saves that arrive together share transactions; each is durable once it returns."""
    states = [FeedState(url=f"https://f{i}.example/", error_count=i) for i in range(200)]
    await asyncio.gather(*(store.save_feed_state(state) for state in states))
    with sqlite3.connect(tmp_path / "ww.db") as other:  # another connection sees them all
        assert other.execute("SELECT count(*), sum(error_count) FROM feeds").fetchone() == (
            200,
            sum(range(200)),
        )


async def test_a_later_save_of_the_same_feed_wins(store: SqliteStore) -> None:
    url = "https://a.example/feed"
    await asyncio.gather(
        *(store.save_feed_state(FeedState(url=url, error_count=n)) for n in (1, 2))
    )
    state = await store.feed_state(url)
    assert state is not None and state.error_count == 2


async def test_websub_subscription_round_trip(store: SqliteStore) -> None:
    subscription = WebSubSubscription(
        feed_url="https://a.example/feed", hub="https://hub.example/", topic="https://a/t",
        callback_id="cb", secret="s" * 64, state="active", requested_at=NOW,
        lease_seconds=3600, expires_at=NOW, last_error=None,
    )  # fmt: skip
    await store.save_websub_subscription(subscription)
    assert await store.websub_subscriptions() == [subscription]


async def test_known_guids_asks_in_chunks_and_only_for_the_feed(
    store: SqliteStore, tmp_path: Path
) -> None:
    rows = [(f"https://{feed}.example/", f"g{i}") for feed in "ab" for i in range(0, 1200, 3)]
    with sqlite3.connect(tmp_path / "ww.db") as db:
        db.execute("INSERT INTO stories VALUES ('s', 'a0', 't', 'x', 'x', 1, 0)")
        db.executemany(
            "INSERT INTO articles (article_id, story_id, feed_url, feed_name, guid, link, title,"
            " summary, fetched_at) VALUES (?, 's', ?, 'n', ?, '', 't', '', 'x')",
            [(f"{feed}-{guid}", feed, guid) for feed, guid in rows],
        )
    asked = [f"g{i}" for i in range(1200)]  # more than one chunk of 500
    known = await store.known_guids("https://a.example/", asked)
    assert known == {f"g{i}" for i in range(0, 1200, 3)}
