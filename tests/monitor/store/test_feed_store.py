"""Feed state and WebSub rows on both backends (a SQLite file, a PostgreSQL schema): round
trips, group commit, lookups."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.records.models import (
    Article,
    DedupDecision,
    FeedState,
    SubscriptionState,
    Verdict,
    WebSubSubscription,
)
from monitor.store.interface import ArticleRecord, BatchIngestStore, Store
from tests.support.stores import STORE_BACKENDS, new_store, store_location

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


Where = tuple[str, str]  # (backend, location)


@pytest.fixture(name="where", params=STORE_BACKENDS)
async def _where(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Where]:
    async with store_location(request.param, tmp_path) as location:
        yield request.param, location


@pytest.fixture
async def store(where: Where) -> AsyncIterator[Store]:
    opened = new_store(*where)
    await opened.open()
    yield opened
    await opened.close()


async def test_every_feed_state_field_survives_a_round_trip(store: Store) -> None:
    state = FeedState(
        url="https://a.example/feed", etag='"e"', last_modified="Tue, 24 Nov 2026 10:00:00 GMT",
        body_hash="h", last_polled=NOW, last_status=503, error_count=3, last_error="boom",
        last_success=NOW, failing_since=NOW, failure_alerted=True, items_per_day=12.5,
        feed_ttl=1800.0, interval=900.0, next_poll=NOW, moved_to="https://b.example/feed",
        disabled="410 Gone", slow=True, pages_tried=15, pages_read=12,
        page_last_issue="robots_disallowed",
    )  # fmt: skip
    await store.save_feed_state(state)
    assert await store.feed_state(state.url) == state
    assert await store.feed_states() == [state]


async def test_concurrent_saves_are_all_committed_when_they_return(
    store: Store, where: Where
) -> None:
    """Saves that arrive together share transactions; each is durable once it returns."""
    states = [FeedState(url=f"https://f{i}.example/", error_count=i) for i in range(200)]
    await asyncio.gather(*(store.save_feed_state(state) for state in states))
    other = new_store(*where)  # another connection sees them all
    await other.open()
    seen = await other.feed_states()
    await other.close()
    assert (len(seen), sum(state.error_count for state in seen)) == (200, sum(range(200)))


async def test_a_later_save_of_the_same_feed_wins(store: Store) -> None:
    url = "https://a.example/feed"
    await asyncio.gather(
        *(store.save_feed_state(FeedState(url=url, error_count=n)) for n in (1, 2))
    )
    state = await store.feed_state(url)
    assert state is not None and state.error_count == 2


async def test_websub_subscription_round_trip(store: Store) -> None:
    subscription = WebSubSubscription(
        feed_url="https://a.example/feed", hub="https://hub.example/", topic="https://a/t",
        callback_id="cb", secret="s" * 64, state=SubscriptionState.ACTIVE, requested_at=NOW,
        lease_seconds=3600, expires_at=NOW, last_error=None,
    )  # fmt: skip
    await store.save_websub_subscription(subscription)
    assert await store.websub_subscriptions() == [subscription]


def _article(feed: str, guid: str) -> Article:
    return Article(
        f"{feed}-{guid}", feed, "n", guid, "t", "", "", "", published=None, fetched_at=NOW
    )


def _verdict(number: int) -> Verdict:
    return Verdict.FOLDED if number else Verdict.NEW_STORY


async def test_known_guids_asks_in_chunks_and_only_for_the_feed(store: Store) -> None:
    rows = [(f"https://{feed}.example/", f"g{i}") for feed in "ab" for i in range(0, 1200, 3)]
    assert isinstance(store, BatchIngestStore)  # one transaction: the set-up is not the test
    await store.record_articles([
        ArticleRecord(_article(feed, guid), DedupDecision(_verdict(number), "s"), [])
        for number, (feed, guid) in enumerate(rows)
    ])  # fmt: skip
    asked = [f"g{i}" for i in range(1200)]  # more than one chunk of 500
    known = await store.known_guids("https://a.example/", asked)
    assert known == {f"g{i}" for i in range(0, 1200, 3)}


async def test_latest_guids_are_the_feeds_newest_stored_first(store: Store) -> None:
    rows = [(f"https://{feed}.example/", f"g{i}") for i in range(6) for feed in "ab"]
    for number, (feed, guid) in enumerate(rows):
        verdict = Verdict.FOLDED if number else Verdict.NEW_STORY
        await store.record_article(_article(feed, guid), DedupDecision(verdict, "s"), [])
    assert await store.latest_guids("https://a.example/", 4) == ["g5", "g4", "g3", "g2"]
    assert await store.latest_guids("https://c.example/", 4) == []
