"""The SQLite store: migrations, feed state, one alert per (story, rule), the outbox."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.models import AlertRecord, Article, DedupDecision, FeedState, Verdict
from monitor.sqlite_store import SqliteStore

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
MIGRATIONS = Path(__file__).resolve().parents[2] / "monitor" / "migrations"
LATEST_SCHEMA = max(int(path.name[:4]) for path in MIGRATIONS.glob("*.sql"))


@pytest.fixture(name="store")
async def _store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(str(tmp_path / "store.db"))
    await store.open()
    yield store
    await store.close()


def _article(article_id: str = "a1", feed: str = "http://one/feed", guid: str = "g1") -> Article:
    return Article(
        article_id=article_id,
        feed_url=feed,
        feed_name="One",
        guid=guid,
        title="Iranian troops arrive in Latakia",
        link=f"http://one/{guid}",
        summary="Summary",
        content="",
        published=NOW,
        fetched_at=NOW,
    )


def _alert(
    rule: str = "iran", story: str = "s1", notifiers: tuple[str, ...] = ("hook",)
) -> AlertRecord:
    return AlertRecord(
        alert_id=f"al-{story}-{rule}",
        story_id=story,
        article_id="a1",
        rule=rule,
        severity="high",
        terms=("Iranian", "Latakia"),
        notifiers=notifiers,
        created_at=NOW,
    )


async def test_open_applies_migrations_and_wal(store: SqliteStore, tmp_path: Path) -> None:
    assert await store.schema_version() == LATEST_SCHEMA
    with sqlite3.connect(tmp_path / "store.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_reopening_keeps_data_and_schema(tmp_path: Path) -> None:
    path = str(tmp_path / "again.db")
    for _ in range(2):
        store = SqliteStore(path)
        await store.open()
        await store.save_feed_state(FeedState(url="http://one/feed", etag='"v1"'))
        await store.close()
    store = SqliteStore(path)
    await store.open()
    assert await store.schema_version() == LATEST_SCHEMA
    assert (await store.feed_state("http://one/feed")) == FeedState(
        url="http://one/feed", etag='"v1"'
    )
    await store.close()


async def test_feed_state_round_trips(store: SqliteStore) -> None:
    state = FeedState(
        url="http://one/feed",
        etag='"abc"',
        last_modified="Tue, 24 Nov 2026",
        body_hash="h",
        last_polled=NOW,
        last_status=200,
        error_count=2,
        last_error="timeout: slow",
    )
    await store.save_feed_state(state)
    assert await store.feed_state("http://one/feed") == state
    assert await store.feed_state("http://other/feed") is None


async def test_an_alert_is_created_once_per_story_and_rule(store: SqliteStore) -> None:
    new = DedupDecision(Verdict.NEW_STORY, "s1")
    created = await store.record_article(_article(), new, [_alert()])
    assert [a.rule for a in created] == ["iran"]
    folded = DedupDecision(Verdict.FOLDED, "s1", "a1")
    again = await store.record_article(
        _article("a2", "http://two/feed", "g2"), folded, [_alert(), _alert("other")]
    )
    assert [a.rule for a in again] == ["other"]
    assert await store.delivery_counts() == {"pending": 2}


async def test_find_article_by_guid_then_by_link(store: SqliteStore) -> None:
    await store.record_article(_article(), DedupDecision(Verdict.NEW_STORY, "s1"), [])
    by_guid = await store.find_article("http://one/feed", "g1", "")
    by_link = await store.find_article("http://two/feed", "zzz", "http://one/g1")
    assert by_guid is not None and by_guid.story_id == "s1"
    assert by_link is not None and by_link.first_article_id == "a1"
    assert await store.find_article("http://two/feed", "zzz", "http://elsewhere") is None


async def test_due_deliveries_carry_the_story_context(store: SqliteStore) -> None:
    await store.record_article(
        _article(), DedupDecision(Verdict.NEW_STORY, "s1"), [_alert(notifiers=("hook", "mail"))]
    )
    await store.record_article(
        _article("a2", "http://two/feed", "g2"), DedupDecision(Verdict.FOLDED, "s1", "a1"), []
    )
    due = await store.due_deliveries(NOW, 10)
    assert sorted(item.delivery.notifier for item in due) == ["hook", "mail"]
    first = due[0]
    assert (first.title, first.outlets, first.alert.terms) == (
        "Iranian troops arrive in Latakia",
        2,
        ("Iranian", "Latakia"),
    )


async def test_updated_delivery_leaves_the_due_list(store: SqliteStore) -> None:
    await store.record_article(_article(), DedupDecision(Verdict.NEW_STORY, "s1"), [_alert()])
    (due,) = await store.due_deliveries(NOW, 10)
    later = NOW + timedelta(minutes=5)
    await store.update_delivery(
        due.delivery.delivery_id, state="pending", attempts=1, next_attempt_at=later, error="boom"
    )
    assert await store.due_deliveries(NOW, 10) == []
    (retry,) = await store.due_deliveries(later, 10)
    assert (retry.delivery.attempts, retry.delivery.last_error) == (1, "boom")
    await store.update_delivery(
        due.delivery.delivery_id, state="sent", attempts=2, next_attempt_at=later, error=None
    )
    assert await store.due_deliveries(later, 10) == []
    assert await store.delivery_counts() == {"sent": 1}


async def test_recent_stories_respects_the_window(store: SqliteStore) -> None:
    await store.record_article(_article(), DedupDecision(Verdict.NEW_STORY, "s1"), [])
    assert [s.story_id for s in await store.recent_stories(NOW - timedelta(hours=1))] == ["s1"]
    assert await store.recent_stories(NOW + timedelta(hours=1)) == []


async def test_story_outlets_counts_each_feed_once(store: SqliteStore) -> None:
    await store.record_article(_article(), DedupDecision(Verdict.NEW_STORY, "s1"), [])
    folded = DedupDecision(Verdict.FOLDED, "s1", "a1")
    await store.record_article(_article("a2", "http://two/feed", "g2"), folded, [])
    await store.record_article(_article("a3", "http://two/feed", "g3"), folded, [])
    assert await store.story_outlets("s1") == {"http://one/feed", "http://two/feed"}
    assert await store.story_outlets("nope") == frozenset()
