"""An article's headline embedding (``Article.embedding``, migration 0014) on both backends:
stored with the article and read back into the dedup window (the restart warm-up, and on
PostgreSQL another daemon's catch-up), ``b""`` where none was computed, pruned with its
article; and a schema-13 database migrated with its articles read back without one."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from monitor.config import RetentionSettings
from monitor.records import article_id
from monitor.records.models import Article, DedupDecision, Verdict
from monitor.store.interface import Store
from monitor.store.postgres.store import PostgresStore
from monitor.store.records import OpenedElsewhere, WindowArticle
from monitor.store.retention import run_retention
from tests.support.stores import (
    POSTGRES_URL,
    STORE_BACKENDS,
    migrated_store,
    opened_store,
    postgres_schema,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FEED = "http://desk.test/feed"
# Any 1,024 bytes: the store keeps them as they are (NUL and high bytes included).
VECTOR = bytes(range(256)) * 4


@pytest.fixture(name="store", params=STORE_BACKENDS)
async def _store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with opened_store(request.param, tmp_path) as store:
        yield store


def _article(guid: str, embedding: bytes = b"", at: datetime = NOW) -> Article:
    return Article(
        article_id=article_id(FEED, guid), feed_url=FEED, feed_name="Desk", guid=guid,
        title=f"Harbour crane collapses {guid}", link=f"http://desk.test/{guid}",
        summary="A standfirst.", content="", published=at, fetched_at=at, embedding=embedding,
    )  # fmt: skip


async def _stored(store: Store, *articles: Article) -> None:
    for article in articles:
        decision = DedupDecision(Verdict.NEW_STORY, "s-" + article.guid)
        await store.record_article(article, decision, [])


def _embeddings(window: Sequence[WindowArticle]) -> dict[str, bytes]:
    return {item.title.rsplit(" ", 1)[-1]: item.embedding for item in window}


async def test_the_window_reads_back_each_articles_embedding(store: Store) -> None:
    await _stored(store, _article("with", VECTOR), _article("without"))
    window = await store.recent_articles(NOW - timedelta(hours=1))
    assert _embeddings(window) == {"with": VECTOR, "without": b""}


async def test_retention_prunes_an_article_with_its_embedding(store: Store) -> None:
    old = NOW - timedelta(days=40)
    await _stored(store, _article("old", VECTOR, at=old), _article("young", VECTOR))
    await run_retention(store, RetentionSettings(), NOW, window=timedelta(hours=48))
    window = await store.recent_articles(old - timedelta(hours=1))
    assert _embeddings(window) == {"young": VECTOR}


class _Learned:
    """A story index as the PostgreSQL store sees it: what it was taught, kept."""

    def __init__(self) -> None:
        self.articles: list[WindowArticle] = []

    def learn(self, articles: Sequence[WindowArticle]) -> None:
        self.articles.extend(articles)

    def opened_elsewhere(
        self, records: Sequence[tuple[Article, DedupDecision]]
    ) -> dict[str, OpenedElsewhere]:
        return {}


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset")
async def test_another_daemon_learns_the_embeddings_of_what_one_daemon_stored() -> None:
    async with postgres_schema() as url:
        first, second = PostgresStore(url, max_size=2), PostgresStore(url, max_size=2)
        learned = _Learned()
        second.watch_stories(learned)
        await first.open()
        await second.open()
        try:
            await second.recent_articles(NOW - timedelta(hours=1))  # the warm-up sets the mark
            await _stored(first, _article("with", VECTOR), _article("without"))
            await second.find_articles([_article("probe")])  # a lookup catches up
            assert _embeddings(learned.articles) == {"with": VECTOR, "without": b""}
        finally:
            await first.close()
            await second.close()


# --- a schema-13 database ---------------------------------------------------------------------

_OLD_STORY = "INSERT INTO stories (story_id, first_article_id, title, first_seen, last_seen) " + (
    "VALUES ('s-old', 'a-old', 'Old', '2026-12-01T08:00:00+00:00', '2026-12-01T08:00:00+00:00')"
)
_OLD_ARTICLE = (
    "INSERT INTO articles (article_id, story_id, feed_url, feed_name, guid, link, title, "
    "summary, fetched_at) VALUES ('a-old', 's-old', 'http://desk.test/feed', 'Desk', 'old', "
    "'http://desk.test/old', 'Harbour crane collapses old', 'Old', '2026-12-01T08:00:00+00:00')"
)


@pytest.mark.parametrize("backend", STORE_BACKENDS)
async def test_a_schema_13_database_migrates_with_its_articles_read_without_embedding(
    backend: str, tmp_path: Path
) -> None:
    async with migrated_store(backend, tmp_path, 13, (_OLD_STORY, _OLD_ARTICLE)) as store:
        await _stored(store, _article("new", VECTOR))
        window = await store.recent_articles(NOW - timedelta(hours=2))
        assert _embeddings(window) == {"old": b"", "new": VECTOR}


async def test_an_embedding_stored_as_something_else_is_read_as_none(tmp_path: Path) -> None:
    """SQLite keeps whatever a column is given: a text or a number where the vector should
    be is logged, naming the article, and the window is still read (the warm-up goes on)."""
    async with opened_store("sqlite", tmp_path) as store:
        await _stored(store, _article("text", VECTOR), _article("real", VECTOR))
        with sqlite3.connect(tmp_path / "store.db") as db:
            db.execute("UPDATE articles SET embedding = 'not a vector' WHERE guid = 'text'")
            db.execute("UPDATE articles SET embedding = 2.5 WHERE guid = 'real'")
        with capture_logs() as logs:
            window = await store.recent_articles(NOW - timedelta(hours=1))
    assert _embeddings(window) == {"text": b"", "real": b""}
    unreadable = [entry for entry in logs if entry["event"] == "article_embedding_unreadable"]
    assert sorted(entry["article_id"] for entry in unreadable) == sorted(
        article_id(FEED, guid) for guid in ("real", "text")
    )
