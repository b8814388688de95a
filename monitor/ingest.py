"""Ingesting a feed's new articles: dedup → rules → alerts → one store transaction.

Ingesting is serial (the pipeline's ingest lock), so two outlets' copies of one story
arriving together cannot both open it. The lock is held for in-memory work and one
store round trip per batch, not two per article (docs/decisions/0013-batched-ingest.md):

- the exact-match lookups of the batch (GUID, link, fingerprint) are one store read made
  *before* taking the lock; under it they are read again only if an article stored
  meanwhile shares a key with the batch (:class:`RecentKeys`), so every answer is the
  one a lookup under the lock would give;
- the articles are then classified, matched and planned in order, each seeing the ones
  before it (the story index remembers each at once); an article sharing a key with an
  earlier one of the batch, or asking the store about a story the batch has touched,
  first has what is pending written;
- what is pending is written in one transaction (``BatchIngestStore.record_articles``).
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog

import rules
from monitor.models import AlertRecord, Article, DedupDecision, Verdict
from monitor.store import ArticleRecord, BatchIngestStore, KnownArticle, Store
from monitor.story_alerts import AlertPlan, AlertPolicy

if TYPE_CHECKING:
    from monitor.pipeline import Pipeline

log = structlog.get_logger("monitor.pipeline")

_MAX_BATCH = 100  # articles per transaction: a replayed file's thousand stay short ones

Key = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Ingested:
    """What happened to one article."""

    article: Article
    decision: DedupDecision
    matches: tuple[rules.Match, ...]
    alerts: tuple[AlertRecord, ...]


def article_keys(article: Article) -> frozenset[Key]:
    """What ``Store.find_article`` looks an article up by (only the non-empty ones)."""
    keys: list[Key] = []
    if article.feed_url and article.guid:
        keys.append(("guid", article.feed_url, article.guid))
    if article.link:
        keys.append(("link", article.link))
    if article.fingerprint:
        keys.append(("fingerprint", article.fingerprint))
    return frozenset(keys)


class RecentKeys:
    """The keys of the articles stored while lookups made outside the ingest lock were
    out: such a lookup is redone under the lock only if one of them is the batch's."""

    def __init__(self) -> None:
        self._writes = 0  # batches stored so far by this process
        self._log: deque[tuple[int, frozenset[Key]]] = deque()
        self._open: Counter[int] = Counter()  # lookups out, by the writes seen at their start

    def begin(self) -> int:
        """Before a lookup starts: a mark for :meth:`stored_since` and :meth:`end`."""
        self._open[self._writes] += 1
        return self._writes

    def end(self, mark: int) -> None:
        self._open[mark] -= 1
        if self._open[mark] <= 0:
            del self._open[mark]
        oldest = min(self._open, default=self._writes)
        while self._log and self._log[0][0] <= oldest:
            self._log.popleft()

    def stored(self, keys: frozenset[Key]) -> None:
        """A batch with these keys is committed."""
        self._writes += 1
        if self._open:
            self._log.append((self._writes, keys))

    def stored_since(self, mark: int, keys: frozenset[Key]) -> bool:
        """Whether a batch committed after ``mark`` was taken shares one of ``keys``."""
        return any(write > mark and not logged.isdisjoint(keys) for write, logged in self._log)


@dataclass
class _Batch:
    """One ingest under the lock: the outcomes so far, and the articles decided but not
    yet written (with their place in the batch)."""

    pipe: Pipeline
    done: dict[int, Ingested] = field(default_factory=dict)
    records: list[ArticleRecord] = field(default_factory=list)
    places: list[tuple[int, tuple[rules.Match, ...]]] = field(default_factory=list)
    keys: set[Key] = field(default_factory=set)  # of every article decided in this batch
    stories: set[str] = field(default_factory=set)  # of the pending ones

    async def ingest(self, place: int, article: Article, known: KnownArticle | None) -> None:
        pipe = self.pipe
        if not self.keys.isdisjoint(article_keys(article)):  # a copy of one in this batch:
            await self.write()  # its lookup, made before, could not find it
            known = (await find_articles(pipe.store, [article]))[0]
        decision = pipe.dedup.decide(article, known)
        if decision.verdict is Verdict.SEEN:
            self.done[place] = Ingested(article, decision, (), ())
            return
        if _asks_outlets(decision, pipe) and decision.story_id in self.stories:
            await self.write()  # the story's outlets must count the pending ones
        context = await match_context(article, decision, pipe)
        matches = tuple(pipe.matcher.match(article_fields(article), context))
        plan = _alert_plan(article, decision, matches, pipe)  # new alerts, or updates
        self._add(place, ArticleRecord(article, decision, plan), matches)
        pipe.dedup.remember(article, decision)
        if len(self.records) >= _MAX_BATCH:
            await self.write()

    def _add(self, place: int, record: ArticleRecord, matches: tuple[rules.Match, ...]) -> None:
        self.records.append(record)
        self.places.append((place, matches))
        self.keys.update(article_keys(record.article))
        self.stories.add(record.decision.story_id)

    async def write(self) -> None:
        """Store what is pending in one transaction."""
        if not self.records:
            return
        try:
            created = await record_articles(self.pipe.store, self.records)
        finally:  # after a failure too: a lookup read again for nothing is harmless
            self.pipe.recent_keys.stored(
                frozenset().union(*(article_keys(r.article) for r in self.records))
            )
        for (place, matches), record, alerts in zip(
            self.places, self.records, created, strict=True
        ):
            self.done[place] = Ingested(record.article, record.decision, matches, tuple(alerts))
            _log_alerts(record.article, alerts)
        self.records, self.places, self.stories = [], [], set()


async def ingest_batch(
    articles: Sequence[Article], pipe: Pipeline, turn: Awaitable[object] | None = None
) -> tuple[Ingested, ...]:
    """Dedup, match and store articles in order, with the outcome of one at a time.
    ``turn``: the caller's place in the ingest lock's queue (:func:`in_line`), else one is
    taken now."""
    if not articles:
        return ()
    if turn is None:
        async with in_line(pipe.ingest_lock) as own:
            return await _ingest(articles, pipe, own)
    return await _ingest(articles, pipe, turn)


@asynccontextmanager
async def in_line(lock: asyncio.Lock) -> AsyncIterator[Awaitable[object]]:
    """Queue for ``lock`` now, to await the turn when needed: batches are ingested in the
    order they queued, however long each one's lookups take. Held until the block ends."""
    turn = asyncio.ensure_future(lock.acquire())
    try:
        yield turn
    finally:
        if turn.done() and not turn.cancelled():
            lock.release()
        else:
            turn.cancel()  # Lock.acquire passes a turn it was given on to the next waiter


async def _ingest(
    articles: Sequence[Article], pipe: Pipeline, turn: Awaitable[object]
) -> tuple[Ingested, ...]:
    keys = frozenset().union(*map(article_keys, articles))
    mark = pipe.recent_keys.begin()
    try:
        found = await find_articles(pipe.store, articles)  # while waiting for the turn
        await turn
        if pipe.recent_keys.stored_since(mark, keys):
            found = await find_articles(pipe.store, articles)
        return await _ingest_locked(articles, found, pipe)
    finally:
        pipe.recent_keys.end(mark)


async def _ingest_locked(
    articles: Sequence[Article], found: Sequence[KnownArticle | None], pipe: Pipeline
) -> tuple[Ingested, ...]:
    batch = _Batch(pipe)
    try:
        for place, (article, known) in enumerate(zip(articles, found, strict=True)):
            await batch.ingest(place, article, known)
        await batch.write()
    except Exception:
        if batch.records:  # the index remembered articles that were not stored
            await pipe.dedup.reload(pipe.clock())
        raise
    return tuple(batch.done[place] for place in range(len(articles)))


def _log_alerts(article: Article, alerts: Sequence[AlertRecord]) -> None:
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
    return [await store.find_article(a.feed_url, a.guid, a.link, a.fingerprint) for a in articles]


async def record_articles(
    store: Store, records: Sequence[ArticleRecord]
) -> list[list[AlertRecord]]:
    """``Store.record_article`` for each record: one transaction when the store can batch."""
    if isinstance(store, BatchIngestStore):
        return await store.record_articles(records)
    return [await store.record_article(*record) for record in records]


def _asks_outlets(decision: DedupDecision, pipe: Pipeline) -> bool:
    return pipe.matcher.needs_outlets and decision.verdict is not Verdict.NEW_STORY


async def match_context(
    article: Article, decision: DedupDecision, pipe: Pipeline
) -> rules.MatchContext:
    """What rules know besides the text: the feed, its tags, the link, and how many distinct
    outlets have reported the story with this article (asked of the store only when some
    rule sets min_outlets; this article counts as its wire agency, else its feed)."""
    outlets = 1
    if _asks_outlets(decision, pipe):
        known = await pipe.store.story_outlets(decision.story_id)
        outlets = len(known | {decision.facts.outlet or article.feed_url})
    return rules.MatchContext(
        feed_url=article.feed_url,
        feed_name=article.feed_name,
        feed_tags=pipe.feed_tags.get(article.feed_url, ()),
        link=article.link,
        outlets=outlets,
    )


def article_fields(article: Article) -> Mapping[str, str]:
    """The text fields rules look at."""
    return {
        "title": article.title,
        "summary": article.summary,
        "content": article.content,
        "feed": article.feed_name,
    }


def _alert_plan(
    article: Article, decision: DedupDecision, matches: tuple[rules.Match, ...], pipe: Pipeline
) -> AlertPlan:
    """The article's alerts, decided in the store's transaction (monitor.story_alerts)."""
    policy = pipe.alert_policy or AlertPolicy(pipe.routes)
    return policy.plan(article, decision, matches, pipe.clock())
