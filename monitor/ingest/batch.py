"""Ingesting a feed's new articles: dedup → rules → alerts, as one batch.

Ingesting is serial (the pipeline's ingest lock), so two outlets' copies of one story
arriving together cannot both open it. The lock is held for in-memory work only, not
for two store round trips per article (docs/decisions/0013-batched-ingest.md):

- a batch takes its place in the lock's queue when parsing is done (:func:`in_line`),
  and makes the exact-match lookups of all its articles (GUID, link, fingerprint) in one
  store read while it waits; under the lock they are read again only if an article
  written meanwhile, or still waiting to be written, shares one of its keys, so every
  answer is the one a lookup under the lock would give;
- the articles are then classified, matched and planned in order, each seeing the ones
  before it (the story index remembers each at once); an article sharing a key with an
  earlier one of the batch, or asking the store for a story's outlets, first waits for
  everything decided so far to be written;
- the records go to :class:`monitor.ingest.writer.IngestWriter`, which writes them in
  the lock's order, batches waiting together in one transaction.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

import structlog

import rules
from monitor.ingest.runtime import PipelineParts, Runtime
from monitor.ingest.writer import IngestWriter, Key
from monitor.records import AlertRecord, Article, DedupDecision, Verdict
from monitor.store import ArticleRecord, BatchIngestStore, KnownArticle, Store, links_of
from monitor.stories import Reading

log = structlog.get_logger("monitor.ingest.pipeline")


class Ingesting(PipelineParts, Protocol):
    """What ingesting reads of the pipeline (:class:`monitor.ingest.pipeline.Pipeline`)."""

    @property
    def ingest_lock(self) -> asyncio.Lock: ...
    @property
    def writer(self) -> IngestWriter: ...


@dataclass(frozen=True, slots=True)
class Ingested:
    """What happened to one article."""

    article: Article
    decision: DedupDecision
    matches: tuple[rules.Match, ...]
    alerts: tuple[AlertRecord, ...]


def article_keys(article: Article) -> frozenset[Key]:
    """What ``Store.find_article`` looks an article up by (only the non-empty ones): its
    entry's link and its page's canonical are one kind of key, as either finds the other."""
    keys: list[Key] = []
    if article.feed_url and article.guid:
        keys.append(("guid", article.feed_url, article.guid))
    keys.extend(("link", url) for url in links_of(article.link, article.page_canonical))
    if article.fingerprint:
        keys.append(("fingerprint", article.fingerprint))
    return frozenset(keys)


# A write queued by a batch: the places and matches of its records, the records, and
# the alerts each created, once committed.
_Write = tuple[
    list[tuple[int, tuple[rules.Match, ...]]],
    list[ArticleRecord],
    asyncio.Future[list[list[AlertRecord]]],
]


@dataclass
class _Batch:
    """One ingest under the lock: the outcomes so far, the articles decided but not yet
    queued for writing (with their place in the batch), and the writes queued."""

    pipe: Ingesting
    runtime: Runtime  # read once under the lock: the batch is decided under one config
    generation: int
    done: dict[int, Ingested] = field(default_factory=dict)
    records: list[ArticleRecord] = field(default_factory=list)
    places: list[tuple[int, tuple[rules.Match, ...]]] = field(default_factory=list)
    keys: set[Key] = field(default_factory=set)  # of every article decided in this batch
    writes: list[_Write] = field(default_factory=list)

    async def ingest(self, place: int, article: Article, known: KnownArticle | None) -> None:
        pipe = self.pipe
        if not self.keys.isdisjoint(article_keys(article)):  # a copy of one in this batch:
            await self.committed()  # its lookup, made before, could not find it
            known = (await find_articles(pipe.store, [article]))[0]
        decision = pipe.dedup.decide(article, known)
        if decision.verdict is Verdict.SEEN:
            self.done[place] = Ingested(article, decision, (), ())
            return
        matches = await self.matches(article, decision)
        plan = self.runtime.policy().plan(article, decision, matches, pipe.clock())  # or updates
        self.records.append(ArticleRecord(article, decision, plan))
        self.places.append((place, matches))
        self.keys.update(article_keys(article))
        pipe.dedup.remember(article, decision)

    async def matches(self, article: Article, decision: DedupDecision) -> tuple[rules.Match, ...]:
        """The rules that fire. A story's outlets are counted only when a rule asking for
        corroboration would fire given enough of them: counting waits for everything
        decided so far to be written, then reads the store, all under the ingest lock,
        and most articles of a grown story fire no such rule."""
        runtime, pipe = self.runtime, self.pipe
        fields, matcher = article_fields(article), runtime.matcher
        counting = _asks_outlets(decision, runtime)  # else one outlet: a story of its own
        assumed = rules.MAX_OUTLETS if counting else 1
        context = await match_context(article, decision, pipe, runtime, outlets=assumed)
        matches = matcher.match(fields, context)
        if not counting or not matcher.corroborated(matches):  # the same with any count
            return tuple(matches)
        await self.committed()  # the story's outlets must count every earlier article
        counted = await match_context(article, decision, pipe, runtime)
        return tuple(matcher.match(fields, counted))

    def queue(self) -> None:
        """Hand what is pending to the writer (in the lock's order)."""
        if not self.records:
            return
        keys = frozenset().union(*(article_keys(record.article) for record in self.records))
        pipe = self.pipe
        done = pipe.writer.submit(pipe.store, self.records, keys, self.generation)
        self.writes.append((self.places, self.records, done))
        self.records, self.places = [], []

    async def committed(self) -> None:
        """Everything decided so far, by any batch, is in the store."""
        self.queue()
        await self.pipe.writer.flushed()

    async def outcomes(self, count: int) -> tuple[Ingested, ...]:
        """Once written (after the lock is given up): what happened to each article."""
        for places, records, done in self.writes:
            created = await done
            for (place, matches), record, alerts in zip(places, records, created, strict=True):
                self.done[place] = Ingested(record.article, record.decision, matches, tuple(alerts))
                log_alerts(record.article, alerts)
        return tuple(self.done[place] for place in range(count))


async def ingest_batch(
    articles: Sequence[Article],
    pipe: Ingesting,
    turn: Awaitable[object] | None = None,
    readings: Sequence[Reading] = (),
) -> tuple[Ingested, ...]:
    """Dedup, match and store articles in order, with the outcome of one at a time.
    ``turn``: a place in the ingest lock's queue taken earlier (:func:`place_in_line`);
    ``readings``: the articles' texts read beforehand (by a parse worker), handed to dedup
    under the lock, just before they are grouped."""
    if not articles:
        return ()
    if turn is None and not _answers_in_order(pipe.store):
        async with place_in_line(pipe) as own:
            return await _ingest(articles, pipe, own, readings)
    return await _ingest(articles, pipe, turn, readings)


@asynccontextmanager
async def place_in_line(pipe: Ingesting) -> AsyncIterator[Awaitable[object] | None]:
    """Queue for the ingest lock now, so batches are ingested in the order they queued,
    whatever each one's lookup costs; held until the block ends. A store that answers
    reads in the order they were made (SQLite's one thread) keeps that order by itself:
    then nothing is queued (None), and a batch asks for the lock once its lookup is in,
    so the lock never waits on a round trip."""
    if _answers_in_order(pipe.store):
        yield None
        return
    turn = asyncio.ensure_future(pipe.ingest_lock.acquire())
    try:
        yield turn
    finally:
        if turn.done() and not turn.cancelled():
            pipe.ingest_lock.release()
        else:
            turn.cancel()  # Lock.acquire passes a turn it was given on to the next waiter


def _answers_in_order(store: Store) -> bool:
    return bool(getattr(store, "answers_in_order", False))


async def _ingest(
    articles: Sequence[Article],
    pipe: Ingesting,
    turn: Awaitable[object] | None,
    readings: Sequence[Reading],
) -> tuple[Ingested, ...]:
    keys = frozenset().union(*map(article_keys, articles))
    mark = pipe.writer.recent.begin()
    try:
        found = await find_articles(pipe.store, articles)  # while not holding the lock
        if turn is not None:
            await turn  # the lock, released by the caller's place_in_line
            batch = await _decide(articles, found, keys, mark, pipe, readings=readings)
        else:
            async with pipe.ingest_lock:
                batch = await _decide(articles, found, keys, mark, pipe, readings=readings)
    finally:
        pipe.writer.recent.end(mark)
    return await batch.outcomes(len(articles))  # written after the lock is given up


async def _decide(
    articles: Sequence[Article],
    found: Sequence[KnownArticle | None],
    keys: frozenset[Key],
    mark: int,
    pipe: Ingesting,
    *,
    readings: Sequence[Reading] = (),
) -> _Batch:
    """Under the lock: classify, match and plan each article, and queue the writes."""
    writer = pipe.writer
    if writer.stale:  # a write failed: the index remembers articles that were not stored
        await _reload(pipe)
        writer.stale = False  # only once the reload is whole: a cancelled one is done again
    pipe.dedup.preread(readings)  # after any reload, which starts an empty index
    if pipe.writer.recent.stored_since(mark, keys) or writer.overlaps(keys):
        await writer.flushed()  # an article stored meanwhile may be one of these
        found = await find_articles(pipe.store, articles)
    batch = _Batch(pipe, pipe.runtime.current, writer.generation)
    try:
        # An article's headline vector is added by the next lookup in the batch, which
        # reads the graph anyway, rather than handed to the adding thread that the lookup
        # would then wait for; the last one's when the batch ends (decision 0096).
        with pipe.dedup.index.adding_together():
            for place, (article, known) in enumerate(zip(articles, found, strict=True)):
                await batch.ingest(place, article, known)
    except Exception:
        if batch.records:  # remembered by the index, never to be stored
            writer.stale = True
        raise
    batch.queue()
    return batch


async def _reload(pipe: Ingesting) -> None:
    started = time.perf_counter()
    articles = await pipe.dedup.reload(pipe.clock())
    seconds = round(time.perf_counter() - started, 3)
    log.warning("story_index_reloaded", reason="a write failed", stories=articles, seconds=seconds)


def log_alerts(article: Article, alerts: Sequence[AlertRecord]) -> None:
    for alert in alerts:
        log.info(
            "alert_raised",
            story_id=alert.story_id,
            rule=alert.rule,
            severity=alert.severity,
            alert_event=alert.event,
            feed_url=article.feed_url,
            title=article.title,
            notifiers=list(alert.notifiers),
        )


async def find_articles(store: Store, articles: Sequence[Article]) -> list[KnownArticle | None]:
    """``Store.find_article`` for each article: one read when the store can batch."""
    if isinstance(store, BatchIngestStore):
        return await store.find_articles(articles)
    return [
        await store.find_article(a.feed_url, a.guid, a.link, a.fingerprint, a.page_canonical)
        for a in articles
    ]


def _asks_outlets(decision: DedupDecision, runtime: Runtime) -> bool:
    return runtime.matcher.needs_outlets and decision.verdict is not Verdict.NEW_STORY


async def match_context(
    article: Article,
    decision: DedupDecision,
    pipe: Ingesting,
    runtime: Runtime | None = None,
    *,
    stored: bool = False,
    outlets: int | None = None,
) -> rules.MatchContext:
    """What rules know besides the text: the feed, its tags, the link, and how many distinct
    outlets have reported the story with this article (asked of the store only when some
    rule sets min_outlets; this article counts as its wire agency, else its feed). A story
    this article opened has no other outlet, unless it is ``stored`` (matched again later,
    when others may have joined it). ``outlets``: a count to assume instead."""
    runtime = runtime or pipe.runtime.current
    if outlets is None:
        outlets = await _outlets(article, decision, pipe, runtime, stored=stored)
    return rules.MatchContext(
        feed_url=article.feed_url,
        feed_name=article.feed_name,
        feed_tags=runtime.feed_tags.get(article.feed_url, ()),
        link=article.link,
        outlets=outlets,
        language=article.language,
    )


async def _outlets(
    article: Article, decision: DedupDecision, pipe: Ingesting, runtime: Runtime, *, stored: bool
) -> int:
    if _asks_outlets(decision, runtime) or (stored and runtime.matcher.needs_outlets):
        known = await pipe.store.story_outlets(decision.story_id)
        return len(known | {decision.facts.outlet or article.feed_url})
    return 1


def article_fields(article: Article) -> Mapping[str, str]:
    """The text fields rules look at."""
    return {
        "title": article.title,
        "summary": article.summary,
        "content": article.content,
        "body": article.body,
        "feed": article.feed_name,
    }
