"""The store contract on both backends (SQLite, PostgreSQL): migrations, feed state, one
alert per (story, rule), the outbox."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from monitor.alerting.dispatch import PendingAge
from monitor.alerting.outbox import to_alert
from monitor.records import MatchKind
from monitor.records.models import (
    AlertRecord,
    Article,
    DedupDecision,
    DeliveryState,
    FeedState,
    StoryFacts,
    Verdict,
)
from monitor.store import DeliveryUpdate, StoryFilter
from monitor.store.interface import ArticleRecord, BatchIngestStore, Store
from monitor.store.sqlite.store import SqliteStore
from rules import Severity
from tests.support.stores import STORE_BACKENDS, new_store, opened_store, store_location

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
MIGRATIONS = Path(__file__).resolve().parents[3] / "monitor" / "store" / "migrations"
LATEST_SCHEMA = max(int(path.name[:4]) for path in MIGRATIONS.glob("*.sql"))


@pytest.fixture(name="store", params=STORE_BACKENDS)
async def _store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with opened_store(request.param, tmp_path) as store:
        yield store


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
        severity=Severity.HIGH,
        terms=("Iranian", "Latakia"),
        notifiers=notifiers,
        created_at=NOW,
    )


async def test_open_applies_migrations(store: Store) -> None:
    assert await store.schema_version() == LATEST_SCHEMA


async def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    async with opened_store("sqlite", tmp_path):
        with sqlite3.connect(tmp_path / "store.db") as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("backend", STORE_BACKENDS)
async def test_reopening_keeps_data_and_schema(backend: str, tmp_path: Path) -> None:
    async with store_location(backend, tmp_path) as location:
        for _ in range(2):
            store = new_store(backend, location)
            await store.open()
            await store.save_feed_state(FeedState(url="http://one/feed", etag='"v1"'))
            await store.close()
        store = new_store(backend, location)
        await store.open()
        assert await store.schema_version() == LATEST_SCHEMA
        assert (await store.feed_state("http://one/feed")) == FeedState(
            url="http://one/feed", etag='"v1"'
        )
        await store.close()


async def test_feed_state_round_trips(store: Store) -> None:
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


async def test_an_alert_is_created_once_per_story_and_rule(store: Store) -> None:
    new = DedupDecision(Verdict.NEW_STORY, "s1")
    created = await store.record_article(_article(), new, [_alert()])
    assert [a.rule for a in created] == ["iran"]
    folded = DedupDecision(Verdict.FOLDED, "s1", "a1")
    again = await store.record_article(
        _article("a2", "http://two/feed", "g2"), folded, [_alert(), _alert("other")]
    )
    assert [a.rule for a in again] == ["other"]
    assert await store.delivery_counts() == {"pending": 2}


async def test_find_article_by_guid_then_by_link(store: Store) -> None:
    await store.record_article(_article(), DedupDecision(Verdict.NEW_STORY, "s1"), [])
    by_guid = await store.find_article("http://one/feed", "g1", "")
    by_link = await store.find_article("http://two/feed", "zzz", "http://one/g1")
    assert by_guid is not None and by_guid.story_id == "s1"
    assert by_link is not None and by_link.first_article_id == "a1"
    assert await store.find_article("http://two/feed", "zzz", "http://elsewhere") is None


async def test_due_deliveries_carry_the_story_context(store: Store) -> None:
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


async def test_updated_delivery_leaves_the_due_list(store: Store) -> None:
    await store.record_article(_article(), DedupDecision(Verdict.NEW_STORY, "s1"), [_alert()])
    (due,) = await store.due_deliveries(NOW, 10)
    later = NOW + timedelta(minutes=5)
    await store.update_deliveries(
        [due.delivery.delivery_id],
        state=DeliveryState.PENDING,
        attempts=1,
        next_attempt_at=later,
        error="boom",
    )
    assert await store.due_deliveries(NOW, 10) == []
    (retry,) = await store.due_deliveries(later, 10)
    assert (retry.delivery.attempts, retry.delivery.last_error) == (1, "boom")
    await store.update_deliveries(
        [due.delivery.delivery_id],
        state=DeliveryState.SENT,
        attempts=2,
        next_attempt_at=later,
        error=None,
    )
    assert await store.due_deliveries(later, 10) == []
    assert await store.delivery_counts() == {"sent": 1}


async def test_outcomes_written_together_end_as_written_in_order(store: Store) -> None:
    """[Y sent, X deferred, X sent] in one write: X ends sent although its deferral's
    values came first (each outcome's deliveries are written by one statement)."""
    await store.record_article(
        _article(), DedupDecision(Verdict.NEW_STORY, "s1"), [_alert(notifiers=("hook", "mail"))]
    )
    x, y = (context.delivery.delivery_id for context in await store.due_deliveries(NOW, 10))
    later = NOW + timedelta(minutes=5)
    sent = DeliveryUpdate((), DeliveryState.SENT, 1, NOW, None, first_attempt_at=NOW)
    deferred = DeliveryUpdate((x,), DeliveryState.PENDING, 0, later, None, hold="quiet_hours")
    await store.record_outcomes([replace(sent, delivery_ids=(y,)), deferred,
                                 replace(sent, delivery_ids=(x,))])  # fmt: skip
    assert await store.delivery_counts() == {"sent": 2}
    assert await store.due_deliveries(later, 10) == []


async def test_oldest_pending_is_when_the_oldest_waiting_alert_was_raised(store: Store) -> None:
    assert isinstance(store, PendingAge)  # both backends feed the outbox age gauge
    assert await store.oldest_pending() is None
    await store.record_article(_article(), DedupDecision(Verdict.NEW_STORY, "s1"), [_alert()])
    assert await store.oldest_pending() == NOW


async def test_story_outlets_counts_each_feed_once(store: Store) -> None:
    await store.record_article(_article(), DedupDecision(Verdict.NEW_STORY, "s1"), [])
    folded = DedupDecision(Verdict.FOLDED, "s1", "a1")
    await store.record_article(_article("a2", "http://two/feed", "g2"), folded, [])
    await store.record_article(_article("a3", "http://two/feed", "g3"), folded, [])
    assert await store.story_outlets("s1") == {"http://one/feed", "http://two/feed"}
    assert await store.story_outlets("nope") == frozenset()


def _decision(verdict: Verdict, facts: StoryFacts, evidence: str = "") -> DedupDecision:
    return DedupDecision(verdict, "s1", None if verdict is Verdict.NEW_STORY else "a1",
                         MatchKind(evidence), facts)  # fmt: skip


LEAD_HASH = "f" * 20


@pytest.mark.parametrize(
    ("copies", "outlets"),
    [
        pytest.param(
            [("http://two/feed", StoryFacts(outlet="wire:Reuters")),
             ("http://three/feed", StoryFacts(outlet="wire:Reuters"))],
            {"http://one/feed", "wire:Reuters"},
            id="two-papers-carry-one-agency",
        ),
        pytest.param(
            [("http://two/feed", StoryFacts(lead_fingerprint=LEAD_HASH)),
             ("http://three/feed", StoryFacts(lead_fingerprint=LEAD_HASH))],
            {"http://one/feed"},
            id="verbatim-leads-count-as-the-first-outlet",
        ),
        pytest.param(
            [("http://two/feed", StoryFacts()), ("http://three/feed", StoryFacts())],
            {"http://one/feed", "http://two/feed", "http://three/feed"},
            id="own-reports-count-each",
        ),
    ],
)  # fmt: skip
async def test_story_outlets_count_syndicated_copies_once(
    store: Store, copies: list[tuple[str, StoryFacts]], outlets: set[str]
) -> None:
    first = StoryFacts(lead_fingerprint=LEAD_HASH)
    await store.record_article(_article(), _decision(Verdict.NEW_STORY, first), [])
    for number, (feed, facts) in enumerate(copies, start=2):
        article = _article(f"a{number}", feed, f"g{number}")
        await store.record_article(article, _decision(Verdict.FOLDED, facts), [])
    assert await store.story_outlets("s1") == outlets
    record = await store.story("s1")
    assert record is not None and record.outlets == outlets


async def test_story_keeps_counts_times_updates_places_and_actors(store: Store) -> None:
    first = StoryFacts(places=("Latakia",), actors=("Iranian",))
    await store.record_article(_article(), _decision(Verdict.NEW_STORY, first), [])
    later = replace(_article("a2", "http://two/feed", "g2"), fetched_at=NOW + timedelta(hours=3))
    grew = StoryFacts(places=("Hama", "Latakia"), actors=("Quds Force",))
    await store.record_article(later, _decision(Verdict.FOLDED, grew, "update"), [])
    record = await store.story("s1")
    assert record is not None
    assert (record.first_article_id, record.article_count, record.updates) == ("a1", 2, 1)
    assert (record.first_seen, record.last_seen) == (NOW, NOW + timedelta(hours=3))
    assert record.places == ("Latakia", "Hama")  # most mentioned first
    assert set(record.actors) == {"Iranian", "Quds Force"}
    assert await store.story("nope") is None


async def test_a_failed_write_leaves_no_story_bookkeeping(store: Store) -> None:
    """Story, outlets, names and article are one transaction: a duplicate story id aborts all."""
    facts = StoryFacts(places=("Latakia",))
    await store.record_article(_article(), _decision(Verdict.NEW_STORY, facts), [])
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
        await store.record_article(
            _article("a2", "http://two/feed", "g2"), _decision(Verdict.NEW_STORY, facts), []
        )
    record = await store.story("s1")
    assert record is not None
    assert (record.article_count, record.outlets) == (1, frozenset({"http://one/feed"}))


async def test_recent_articles_hold_every_article_of_the_window(store: Store) -> None:
    await store.record_article(_article(), _decision(Verdict.NEW_STORY, StoryFacts()), [])
    await store.record_article(
        _article("a2", "http://two/feed", "g2"), _decision(Verdict.FOLDED, StoryFacts()), []
    )
    recent = await store.recent_articles(NOW - timedelta(hours=1))
    assert [(item.story_id, item.first_article_id) for item in recent] == [("s1", "a1")] * 2
    assert await store.recent_articles(NOW + timedelta(hours=1)) == []


async def test_a_version_1_database_is_migrated_with_its_outlets_kept(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript((MIGRATIONS / "0001_initial.sql").read_text(encoding="utf-8"))
        db.execute("INSERT INTO stories VALUES ('s1', 'a1', 'Old', '2026-01-01', '2026-01-01', 1)")
        db.execute("INSERT INTO story_outlets VALUES ('s1', 'http://one/feed')")
        db.execute("PRAGMA user_version = 1")
    store = SqliteStore(str(path))
    await store.open()
    assert await store.schema_version() == LATEST_SCHEMA
    assert await store.story_outlets("s1") == {"http://one/feed"}
    await store.close()


async def test_a_batch_lookup_answers_as_one_lookup_each(store: Store) -> None:
    """find_articles gives, in order, what find_article gives for each article: by GUID
    first, else link, else fingerprint, else nothing."""
    stored = replace(_article(), fingerprint="fp1")
    await store.record_article(stored, DedupDecision(Verdict.NEW_STORY, "s1"), [])
    asked = [
        _article("b1", "http://one/feed", "g1"),  # same feed and GUID
        replace(_article("b2", "http://two/feed", "zz"), link="http://one/g1"),  # same link
        replace(_article("b3", "http://two/feed", "yy"), link="", fingerprint="fp1"),
        replace(_article("b4", "http://two/feed", "xx"), link="http://new"),  # unknown
    ]
    singly = [await store.find_article(a.feed_url, a.guid, a.link, a.fingerprint) for a in asked]
    assert isinstance(store, BatchIngestStore)
    assert await store.find_articles(asked) == singly
    assert [k.matched_by if k else None for k in singly] == ["guid", "link", "fingerprint", None]


async def test_a_batch_is_stored_in_order_in_one_transaction(store: Store) -> None:
    assert isinstance(store, BatchIngestStore)
    first = ArticleRecord(_article(), DedupDecision(Verdict.NEW_STORY, "s1"), [_alert()])
    folded = DedupDecision(Verdict.FOLDED, "s1", "a1")
    second = ArticleRecord(_article("a2", "http://two/feed", "g2"), folded, [_alert()])
    created = await store.record_articles([first, second])
    assert [[a.rule for a in alerts] for alerts in created] == [["iran"], []]
    duplicate = ArticleRecord(_article("a3", "http://three/feed", "g3"), first.decision, [])
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):  # story s1 exists
        await store.record_articles([ArticleRecord(_article("a4"), folded, []), duplicate])
    record = await store.story("s1")
    assert record is not None and record.article_count == 2  # a4 went back with a3


@pytest.mark.parametrize("language", ["ar", ""])
async def test_the_articles_language_reaches_deliveries_and_the_story_list(
    store: Store, language: str
) -> None:
    """Stored with the article; read back for notifiers and for the status page."""
    article = replace(_article(), language=language)
    await store.record_article(article, DedupDecision(Verdict.NEW_STORY, "s1"), [_alert()])
    (due,) = await store.due_deliveries(NOW, 10)
    assert due.language == language
    assert to_alert(due).language == language
    (story,) = await store.find_stories(StoryFilter(), limit=5)
    assert story.language == language
