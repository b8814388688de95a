"""An article's page canonical address (``Article.page_canonical``) on both backends: a
second link exact dedup finds the article by, in either direction, alone and in a batch;
kept with the page's language and author, read back, pruned with its article; and a
schema-11 database migrated to it with its articles kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config import RetentionSettings
from monitor.records import article_id
from monitor.records.models import Article, DedupDecision, MatchKind, Verdict
from monitor.store.interface import BatchIngestStore, Store
from monitor.store.retention import run_retention
from tests.support.stores import (
    STORE_BACKENDS,
    migrated_store,
    opened_store,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DESK, WIRE = "http://desk.test/feed", "http://wire.test/feed"
STORY = "http://desk.test/story/1"  # the page's canonical address
TRACKED = "http://desk.test/a?id=7"  # what the desk's feed links to


@pytest.fixture(name="store", params=STORE_BACKENDS)
async def _store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with opened_store(request.param, tmp_path) as store:
        yield store


def _article(
    feed: str, guid: str, link: str, canonical: str = "", *, language: str = "", author: str = ""
) -> Article:
    return Article(
        article_id=article_id(feed, guid), feed_url=feed, feed_name="Desk", guid=guid,
        title=f"Harbour crane collapses {guid}", link=link, summary="A standfirst.",
        content="", published=NOW, fetched_at=NOW, page_canonical=canonical, language=language,
        author=author,
    )  # fmt: skip


async def _stored(store: Store, article: Article, at: datetime = NOW) -> None:
    article = replace(article, fetched_at=at, published=at)
    await store.record_article(article, DedupDecision(Verdict.NEW_STORY, "s-" + article.guid), [])


async def _found(store: Store, asked: Article) -> tuple[str, MatchKind] | None:
    """What ``find_article`` answers for ``asked``, checked equal to the batch lookup's."""
    one = await store.find_article(
        asked.feed_url, asked.guid, asked.link, asked.fingerprint, asked.page_canonical
    )
    assert isinstance(store, BatchIngestStore)
    assert await store.find_articles([asked]) == [one]
    return (one.article_id, one.matched_by) if one else None


@pytest.mark.parametrize(
    ("stored", "asked", "match"),
    [
        pytest.param(_article(DESK, "d1", TRACKED, STORY), _article(WIRE, "w1", STORY),
                     ("d1", "link"), id="entry-links-to-stored-canonical"),
        pytest.param(_article(DESK, "d1", STORY), _article(WIRE, "w1", TRACKED, STORY),
                     ("d1", "link"), id="page-canonical-is-stored-link"),
        pytest.param(_article(DESK, "d1", TRACKED, STORY),
                     _article(WIRE, "w1", "http://desk.test/b?id=9", STORY),
                     ("d1", "link"), id="both-pages-name-one-canonical"),
        pytest.param(_article(DESK, "d1", STORY), _article(DESK, "d2", TRACKED, STORY),
                     ("d1", "link"), id="same-feed-new-guid"),
        pytest.param(_article(DESK, "d1", TRACKED, STORY), _article(WIRE, "w1", "http://x.test/1"),
                     None, id="unrelated"),
    ],
)  # fmt: skip
async def test_either_link_finds_an_article_stored_with_either(
    store: Store, stored: Article, asked: Article, match: tuple[str, str] | None
) -> None:
    await _stored(store, stored)
    found = await _found(store, asked)
    expected = (article_id(stored.feed_url, match[0]), match[1]) if match else None
    assert found == expected


async def test_the_entrys_own_link_is_looked_up_before_its_pages_canonical(store: Store) -> None:
    """Two stored articles, one with each link: the entry's link decides, whichever came
    first."""
    await _stored(store, _article(WIRE, "w1", STORY), NOW - timedelta(hours=1))
    await _stored(store, _article(DESK, "d1", TRACKED))
    assert await _found(store, _article("http://third.test/feed", "t1", TRACKED, STORY)) == (
        article_id(DESK, "d1"),
        "link",
    )


async def test_page_facts_are_read_back_with_the_article(store: Store) -> None:
    await _stored(store, _article(DESK, "d1", TRACKED, STORY, language="fa", author="Sam Writer"))
    (kept,) = await store.articles_since(NOW - timedelta(days=1))
    page = kept.article
    assert (page.page_canonical, page.language, page.author) == (STORY, "fa", "Sam Writer")


async def test_a_pruned_articles_canonical_finds_it_no_more(store: Store) -> None:
    await _stored(store, _article(DESK, "old", TRACKED, STORY), NOW - timedelta(days=40))
    await _stored(store, _article(DESK, "young", "http://desk.test/c", "http://desk.test/s/2"))
    by_canonical = _article(WIRE, "w1", STORY)
    assert await _found(store, by_canonical) == (article_id(DESK, "old"), "link")
    await run_retention(store, RetentionSettings(), NOW, window=timedelta(hours=48))
    assert await _found(store, by_canonical) is None
    assert await _found(store, _article(WIRE, "w2", "http://desk.test/s/2")) == (
        article_id(DESK, "young"),
        "link",
    )


# --- a schema-11 database ---------------------------------------------------------------------

_OLD_STORY = "INSERT INTO stories (story_id, first_article_id, title, first_seen, last_seen) " + (
    "VALUES ('s-old', 'a-old', 'Old', '2026-11-30T09:00:00+00:00', '2026-11-30T09:00:00+00:00')"
)
_OLD_ARTICLE = (
    "INSERT INTO articles (article_id, story_id, feed_url, feed_name, guid, link, title, "
    "summary, fetched_at) VALUES ('a-old', 's-old', 'http://desk.test/feed', 'Desk', 'old', "
    "'http://desk.test/story/1', 'Old', 'Old', '2026-11-30T09:00:00+00:00')"
)


@pytest.mark.parametrize("backend", STORE_BACKENDS)
async def test_a_schema_11_database_migrates_with_its_articles_kept(
    backend: str, tmp_path: Path
) -> None:
    async with migrated_store(backend, tmp_path, 11, (_OLD_STORY, _OLD_ARTICLE)) as store:
        (old,) = await store.articles_since(NOW - timedelta(days=2))
        assert (old.article.guid, old.article.page_canonical, old.article.author) == (
            "old",
            "",
            "",
        )
        # The old article's link is found through a new one's page canonical.
        assert await _found(store, _article(WIRE, "w1", TRACKED, STORY)) == ("a-old", "link")
        await _stored(store, _article(WIRE, "w2", "http://wire.test/x", "http://desk.test/s/3"))
        assert await _found(store, _article(DESK, "d3", "http://desk.test/s/3")) == (
            article_id(WIRE, "w2"),
            "link",
        )
