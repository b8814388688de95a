"""Batched ingest (monitor.ingest.batch): one store transaction per feed, with exactly the
stories, verdicts and alerts of ingesting one article at a time."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import rules
from monitor.alerting import Routes
from monitor.config.settings import DedupSettings
from monitor.feeds.normalise import content_fingerprint
from monitor.ingest.batch import article_keys
from monitor.ingest.pipeline import Ingested, Pipeline, ingest, ingest_all
from monitor.ingest.runtime import Runtime, RuntimeHolder
from monitor.ingest.writer import RecentKeys
from monitor.records import article_id
from monitor.records.models import AlertRecord, Article, Verdict
from monitor.store import KnownArticle
from monitor.store.interface import ArticleRecord, BatchIngestStore
from monitor.store.sqlite.store import SqliteStore
from monitor.stories import queries
from monitor.stories.dedup import Deduplicator, reading_of
from tests.support.text_reads import count_text_reads

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
RULES = """
[entities.iran]
kind = "actor"
entries = [{ name = "Iran", aliases = ["Iranian"] }]
[entities.syria]
kind = "place"
entries = ["Latakia", "Homs", "Hama"]
[[rules]]
name = "iran-in-syria"
severity = "high"
all_of = ["iran", "syria"]
[[rules]]
name = "syria"
min_outlets = 2
all_of = ["syria"]
"""


def _article(feed: str, guid: str, title: str, link: str = "", summary: str = "") -> Article:
    url = f"http://{feed}/feed"
    return Article(
        article_id=article_id(url, guid),
        feed_url=url,
        feed_name=feed,
        guid=guid,
        title=title,
        link=link,
        summary=summary,
        content="",
        published=None,
        fetched_at=NOW,
        fingerprint=content_fingerprint(title, summary),
    )


LATAKIA = "Iranian troops land in Latakia as army prepares Homs offensive"
# Feeds as polled, in order; copies across feeds and within one feed.
FEEDS: list[list[Article]] = [
    [
        _article("wire", "w1", LATAKIA, "https://lw.example/1"),
        _article("wire", "w2", "Hamas delegation arrives in Cairo for talks"),
        _article("wire", "w1", LATAKIA, "https://lw.example/1"),  # the same entry twice
        _article("wire", "w3", "Cairo talks: Hamas delegation arrives", "https://lw.example/1"),
    ],
    [
        _article("gulf", "g1", f"UPDATE 1-{LATAKIA}", "https://gd.example/77", "Planes seen."),
        _article("gulf", "g2", "Russian jets strike near Hama", "https://gd.example/78"),
        _article("gulf", "g3", "Russian jets strike near Hama", "https://gd.example/78"),
    ],
    [
        _article("third", "t1", "Totally different words here", "https://gd.example/78"),
        _article("third", "t2", LATAKIA, "https://t.example/1"),
        _article("third", "t2", LATAKIA, "https://t.example/1"),
    ],
]


class OneByOne:
    """The store without its batch methods: the pipeline falls back to one call each."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        if name in {"find_articles", "record_articles"}:
            raise AttributeError(name)
        return getattr(self._store, name)


class Watched:
    """The store, telling the test when lookups are done and failing writes on demand."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self.lookups = 0
        self.two_lookups = asyncio.Event()
        self.fail_writes = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def find_articles(self, articles: Sequence[Article]) -> list[KnownArticle | None]:
        found = await self._store.find_articles(articles)
        self.lookups += 1
        if self.lookups >= 2:
            self.two_lookups.set()
        return found

    async def record_articles(self, records: Sequence[ArticleRecord]) -> list[list[AlertRecord]]:
        if self.fail_writes:
            raise OSError("disk full")
        return await self._store.record_articles(records)


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[SqliteStore, SqliteStore]]:
    first, second = SqliteStore(str(tmp_path / "a.db")), SqliteStore(str(tmp_path / "b.db"))
    await first.open()
    await second.open()
    yield first, second
    await first.close()
    await second.close()


def _pipeline(store: Any) -> Pipeline:
    ruleset = rules.load_ruleset([rules.RuleSource(name="rules.toml", text=RULES)])
    return Pipeline(
        store=store,
        dedup=Deduplicator(store, DedupSettings()),
        runtime=RuntimeHolder(Runtime(rules.compile_rules(ruleset), Routes(("hook",)))),
        clock=lambda: NOW,
    )


def _summary(items: Sequence[Ingested]) -> list[tuple[Any, ...]]:
    return [
        (item.article.guid, item.decision.verdict, item.decision.story_id,
         item.decision.evidence, tuple(m.rule for m in item.matches),
         tuple((a.alert_id, a.rule, a.event, a.outlets) for a in item.alerts))
        for item in items
    ]  # fmt: skip


async def _stored(store: SqliteStore) -> dict[str, list[tuple[Any, ...]]]:
    queries = {
        "stories": "SELECT story_id, first_article_id, article_count FROM stories ORDER BY 1",
        "articles": "SELECT article_id, story_id, outlet FROM articles ORDER BY 1",
        "outlets": "SELECT story_id, outlet FROM story_outlets ORDER BY 1, 2",
        "alerts": "SELECT alert_id, story_id, rule, event FROM alerts ORDER BY 1",
    }
    return {name: await store._run(functools.partial(_rows, sql)) for name, sql in queries.items()}


def _rows(sql: str, db: sqlite3.Connection) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in db.execute(sql)]


@pytest.mark.parametrize("batch_store", [True, False], ids=["batched", "store_without_batch"])
async def test_feeds_ingested_in_batches_give_what_one_at_a_time_gives(
    stores: tuple[SqliteStore, SqliteStore], batch_store: bool
) -> None:
    single, batched = stores
    one_pipe = _pipeline(single)
    batch_pipe = _pipeline(batched if batch_store else OneByOne(batched))
    assert isinstance(batch_pipe.store, BatchIngestStore) is batch_store
    one = [[await ingest(article, one_pipe) for article in feed] for feed in FEEDS]
    many = [list(await ingest_all(feed, batch_pipe)) for feed in FEEDS]
    assert [_summary(feed) for feed in many] == [_summary(feed) for feed in one]
    assert await _stored(batched) == await _stored(single)
    verdicts = [item.decision.verdict for feed in many for item in feed]
    assert verdicts.count(Verdict.SEEN) == 4  # w1, t2 again; w3, g3 by a link of their feed
    assert any(item.alerts for feed in many for item in feed)


async def test_a_lookup_made_before_another_feed_stored_the_same_link_is_made_again(
    stores: tuple[SqliteStore, SqliteStore],
) -> None:
    store = Watched(stores[0])
    pipe = _pipeline(store)
    first = _article("one", "a", "Ministers meet in Geneva", "https://shared.example/x")
    second = _article("two", "b", "Geneva meeting of ministers ends", "https://shared.example/x")
    await pipe.ingest_lock.acquire()  # both batches look up, then wait for their turn
    copy = asyncio.create_task(ingest_all([second], pipe))
    original = asyncio.create_task(ingest_all([first], pipe))
    await store.two_lookups.wait()
    pipe.ingest_lock.release()
    (stored_first,), (later,) = await copy, await original
    assert stored_first.decision.verdict is Verdict.NEW_STORY
    assert later.decision.verdict is Verdict.FOLDED  # found by the link stored meanwhile
    assert later.decision.story_id == stored_first.decision.story_id
    assert store.lookups == 3  # the second batch's lookup, made again under the lock


async def test_a_failed_write_leaves_no_story_the_store_does_not_hold(
    stores: tuple[SqliteStore, SqliteStore],
) -> None:
    store = Watched(stores[0])
    pipe = _pipeline(store)
    store.fail_writes = True
    with pytest.raises(OSError, match="disk full"):
        await ingest_all([_article("one", "a", LATAKIA)], pipe)
    store.fail_writes = False
    (copy,) = await ingest_all([_article("two", "b", LATAKIA)], pipe)
    assert copy.decision.verdict is Verdict.NEW_STORY  # not folded into the unstored one
    assert await stores[0].story(copy.decision.story_id) is not None


class OutOfOrder:
    """A store whose reads may come back in any order (a connection pool): the first
    lookup is held until the second one is in."""

    answers_in_order = False

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self.second_in = asyncio.Event()
        self.lookups = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def find_articles(self, articles: Sequence[Article]) -> list[KnownArticle | None]:
        self.lookups += 1
        if self.lookups == 1:
            await self.second_in.wait()
        found = await self._store.find_articles(articles)
        if self.lookups >= 2:
            self.second_in.set()
        return found


async def test_batches_queue_for_the_lock_in_arrival_order_when_reads_can_overtake(
    stores: tuple[SqliteStore, SqliteStore],
) -> None:
    pipe = _pipeline(OutOfOrder(stores[0]))
    first = asyncio.create_task(ingest_all([_article("wire", "w1", LATAKIA)], pipe))
    second = asyncio.create_task(ingest_all([_article("gulf", "g1", f"UPDATE 1-{LATAKIA}")], pipe))
    (opened,), (folded,) = await first, await second
    assert opened.decision.verdict is Verdict.NEW_STORY  # its lookup came back last
    assert folded.decision.verdict is Verdict.FOLDED
    assert folded.decision.story_id == opened.decision.story_id


def test_recent_keys_remember_only_what_open_lookups_may_have_missed() -> None:
    recent = RecentKeys()
    keys = article_keys(_article("one", "a", "Title", "https://x.example/1"))
    recent.stored(keys)  # no lookup out: nothing to remember
    mark = recent.begin()
    assert not recent.stored_since(mark, keys)
    recent.stored(frozenset({("link", "https://other.example/")}))
    assert not recent.stored_since(mark, keys)
    recent.stored(keys)
    assert recent.stored_since(mark, keys)
    later = recent.begin()
    assert not recent.stored_since(later, keys)
    recent.end(mark)
    recent.end(later)
    assert not recent.stored_since(mark, keys)  # nothing is kept once no lookup is out


def test_article_keys_are_the_non_empty_lookup_keys() -> None:
    article = _article("one", "g", "Title", "https://x.example/1")
    assert article_keys(article) == {
        ("guid", "http://one/feed", "g"),
        ("link", "https://x.example/1"),
        ("fingerprint", article.fingerprint),
    }
    bare = replace(article, guid="", link="")
    assert article_keys(bare) == {("fingerprint", article.fingerprint)}


class OutletsCounted:
    """The store, counting how often a story's outlets are read."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self.outlet_reads: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def story_outlets(self, story_id: str) -> set[str]:
        self.outlet_reads.append(story_id)
        return set(await self._store.story_outlets(story_id))


async def test_a_storys_outlets_are_read_only_when_a_corroborated_rule_would_fire(
    stores: tuple[SqliteStore, SqliteStore],
) -> None:
    store = OutletsCounted(stores[0])
    pipe = _pipeline(store)
    talks = "Hamas delegation arrives in Cairo for talks"
    quiet = await ingest_all([_article("wire", "w1", talks), _article("gulf", "g1", talks)], pipe)
    assert [item.decision.verdict for item in quiet] == [Verdict.NEW_STORY, Verdict.FOLDED]
    assert store.outlet_reads == []  # no rule asking for outlets could fire on it
    first, second = await ingest_all(
        [_article("wire", "w2", LATAKIA), _article("gulf", "g2", f"UPDATE 1-{LATAKIA}")], pipe
    )
    assert [m.rule for m in first.matches] == ["iran-in-syria"]  # one outlet: not "syria"
    assert [m.rule for m in second.matches] == ["iran-in-syria", "syria"]
    assert store.outlet_reads == [second.decision.story_id]
    assert [a.outlets for a in second.alerts if a.rule == "syria"] == [2]


async def test_texts_read_beforehand_are_used_however_many_batches_wait_their_turn(
    stores: tuple[SqliteStore, SqliteStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches whose texts parse workers read, more of them than dedup keeps ahead
    (``Readings.KEPT``), all waiting for the ingest lock: each batch's texts are handed over
    when its turn comes, so the loop reads none again, and grouping is what reading them
    on the loop gives."""
    feeds = [[_article(f"f{feed}", f"g{n}", f"Harbour {feed} crane {n} report on shift {n % 7}")
              for n in range(40)] for feed in range(60)]  # fmt: skip
    assert sum(map(len, feeds)) > queries.Readings.KEPT
    handed = [tuple(reading_of(article) for article in feed) for feed in feeds]
    on_the_loop = _pipeline(stores[1])
    plain = [list(await ingest_all(feed, on_the_loop)) for feed in feeds]
    reads = count_text_reads(monkeypatch)
    pipe = _pipeline(stores[0])
    await pipe.ingest_lock.acquire()  # every batch parsed and waiting
    waiting = [asyncio.create_task(ingest_all(feed, pipe, texts))
               for feed, texts in zip(feeds, handed, strict=True)]  # fmt: skip
    await asyncio.sleep(0)
    pipe.ingest_lock.release()
    ingested = [list(await task) for task in waiting]
    assert reads == []
    assert [_summary(feed) for feed in ingested] == [_summary(feed) for feed in plain]
