"""Dedup: is this article one we have, another outlet's report of a story we have, or new?

Checks, cheapest and surest first:

1. exact — the same (feed, GUID), the same canonical link (the entry's link or its
   page's canonical address, either matching either of a stored article's), or the same
   content fingerprint (folded title and summary: feeds that re-GUID their items) is
   stored;
2. the story index (``monitor.stories.index``) — the same or a near-identical headline,
   or the same event in other words, within the window, unless a distinguishing detail
   (a different number, place or actor) vetoes it. Words are read in the article's
   language (``Article.language``, identified before dedup: ``monitor.ingest.language``).

A wrong merge hides an event; a missed one only costs a second alert, so every
doubt keeps articles apart (docs/decisions/0006-story-grouping.md).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from monitor.config import DedupSettings
from monitor.records import Article, DedupDecision, MatchKind, StoryFacts, Verdict
from monitor.store import KnownArticle, Store, WindowArticle
from monitor.stories.headlines import (
    WIRE_AGENCIES,
    fold,
    normalise_headline,
    strip_decorations,
    wire_credit,
)
from monitor.stories.index import StoryIndex, StoryMatch
from monitor.stories.leads import grouping_lead, page_lead
from monitor.stories.queries import Reading, read_text

__all__ = [
    "Deduplicator",
    "Reading",
    "StoryIndex",
    "StoryMatch",
    "article_time",
    "deciding_score",
    "normalise_headline",
    "reading_of",
    "story_facts",
    "story_id_for",
    "story_index_for",
    "strip_decorations",
]

_MIN_LEAD_WORDS = 8  # shorter leads ("Read more", a byline) say nothing about copying


def story_index_for(
    settings: DedupSettings, window: timedelta | None = None, *, exact: bool = False
) -> StoryIndex:
    """An empty story index with ``settings``' bars (and window, unless ``window``);
    ``exact``: its vectors scanned, not kept in a graph (for a window of minutes)."""
    return StoryIndex(
        window or timedelta(hours=settings.window_hours),
        settings.title_similarity,
        related=settings.related_similarity,
        semantic=settings.semantic_similarity,
        across=settings.cross_language_similarity,
        later=(settings.related_similarity_later, settings.semantic_similarity_later),
        recent=timedelta(hours=settings.recent_hours),
        by_meaning=settings.semantic,
        exact=exact,
    )


def story_id_for(article_id: str) -> str:
    """Stories are named after their first article, so replays give the same ids."""
    return "s_" + hashlib.sha256(article_id.encode()).hexdigest()[:20]


def article_time(article: Article) -> datetime:
    """When the article happened: its date unless missing or in the future."""
    published = article.published
    if published is None or published > article.fetched_at:
        return article.fetched_at
    return published


def outlet_of(article: Article, lead: str) -> str:
    """Who reported it: the wire agency it credits (or whose feed it is), else its feed.

    Syndicated copies of one agency's story then count as one outlet, however many
    newspapers carry them.
    """
    agency = wire_credit(article.title, lead) or WIRE_AGENCIES.get(fold(article.feed_name))
    return f"wire:{agency}" if agency else article.feed_url


def lead_fingerprint(lead: str) -> str:
    words = fold(lead)
    if len(words.split()) < _MIN_LEAD_WORDS:
        return ""
    return hashlib.sha256(words.encode()).hexdigest()[:20]


def _leads(article: Article) -> tuple[str, str]:
    """The article's page lead ("" without a page) and the lead it is grouped with."""
    page = page_lead(article.body, article.title) if article.body else ""
    return page, _grouping_lead(article, page)


# The last article's grouping lead, with the page lead it was read with: an article's
# facts, lookup and add each need it, and a summary's lead splits and folds the whole
# summary (an Article is never changed; one slot, swapped whole).
_last_lead: tuple[Article | None, str, str] = (None, "", "")


def _grouping_lead(article: Article, page: str) -> str:
    """``grouping_lead`` of the article with ``page``, read once for the last article."""
    global _last_lead  # noqa: PLW0603  (one slot: the article being grouped)
    last = _last_lead
    if last[0] is not article or last[1] != page:
        last = _last_lead = (article, page, grouping_lead(article.title, article.summary, page))
    return last[2]


def reading_of(article: Article) -> Reading:
    """What dedup will read of the article's text whatever the window holds, read
    beforehand (in a parse worker) for :meth:`Deduplicator.preread`."""
    return read_text(article.title, _leads(article)[1], article.language, phrases=True)


def story_facts(article: Article, index: StoryIndex) -> StoryFacts:
    """The outlet, the lead's fingerprint, the places and actors the article names, and
    its page's lead (grouping's lead when there is one: ``monitor.stories.leads``)."""
    page, lead = _leads(article)
    names = index.named(article.title, lead, article.language)
    places = _unique(name for name, kind in names if kind == "place")
    actors = _unique(name for name, kind in names if kind == "actor" and name not in places)
    return StoryFacts(outlet_of(article, lead), lead_fingerprint(lead), places, actors, page)


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


_RELOAD_STEP = 200  # articles a reload adds between two turns of the event loop


class Deduplicator:
    """Classifies articles against the store (exact) and a story index (everything else)."""

    def __init__(self, store: Store, settings: DedupSettings) -> None:
        self._store = store
        self.settings = settings
        self._window = timedelta(hours=settings.window_hours)
        self.index = story_index_for(settings)

    async def load(self, now: datetime) -> int:
        """Warm the index with the articles of the window, e.g. after a restart."""
        add_window(self.index, await self._store.recent_articles(now - self._window))
        return len(self.index)

    async def reload(self, now: datetime) -> int:
        """Start the index again from what the store holds (after a failed write, whose
        articles the index had already remembered). The new index is in place from the
        start (what other daemons store meanwhile is learned into it) and filled
        ``_RELOAD_STEP`` articles at a time, the event loop given a turn between steps:
        a large window takes a confined daemon minutes to add, and meanwhile its leases
        are renewed, its probes answered and a SIGTERM heard; cancelled, it stops there."""
        self.index = story_index_for(self.settings)
        items = await self._store.recent_articles(now - self._window)
        for start in range(0, len(items), _RELOAD_STEP):
            add_window(self.index, items[start : start + _RELOAD_STEP])
            await asyncio.sleep(0)
        return len(self.index)

    def preread(self, readings: Iterable[Reading]) -> None:
        """Texts of articles on their way, read beforehand (:func:`reading_of`)."""
        self.index.preread(readings)

    async def classify(self, article: Article) -> DedupDecision:
        known = await self._store.find_article(
            article.feed_url,
            article.guid,
            article.link,
            article.fingerprint,
            article.page_canonical,
        )
        return self.decide(article, known)

    def decide(self, article: Article, known: KnownArticle | None) -> DedupDecision:
        """``classify`` given the store's exact match (``Store.find_article``), if any."""
        facts = story_facts(article, self.index)
        if known is not None:
            return _known(article, known, facts)
        lead = _grouping_lead(article, facts.page_lead)
        when, language = article_time(article), article.language
        match = self.index.find(
            article.title, when, lead, language=language, vector=article.embedding
        )
        if match is not None:
            return DedupDecision(
                Verdict.FOLDED,
                match.story_id,
                match.first_article_id,
                match.kind,
                facts,
                deciding_score(match),
                match.absorbed,
            )
        return DedupDecision(Verdict.NEW_STORY, story_id_for(article.article_id), facts=facts)

    def remember(self, article: Article, decision: DedupDecision) -> None:
        first = decision.duplicate_of or article.article_id
        lead = _grouping_lead(article, decision.facts.page_lead)
        seen = article_time(article)
        self.index.add(decision.story_id, first, article.title, seen, lead,
                       language=article.language, vector=article.embedding,
                       stored=article.fetched_at, absorbed=decision.absorbed,
                       opened=decision.opened)  # fmt: skip


def deciding_score(match: StoryMatch) -> float | None:
    """The score that joined it; none for the same headline, which equality decides."""
    return None if match.kind is MatchKind.SAME_HEADLINE else match.score


def _known(article: Article, known: KnownArticle, facts: StoryFacts) -> DedupDecision:
    verdict = Verdict.SEEN if known.feed_url == article.feed_url else Verdict.FOLDED
    return DedupDecision(verdict, known.story_id, known.first_article_id, known.matched_by, facts,
                         opened=known.first_seen)  # fmt: skip


def add_stored(
    index: StoryIndex,
    item: WindowArticle,
    seen: datetime,
    stored: datetime | None = None,
    lead: str | None = None,
) -> None:
    """Put an article read back from the store (after a restart, or another daemon's)
    into ``index`` as seen at ``seen``, with its lead (``lead``: its grouping lead, when
    found already) and language; it stays while ``stored`` (default: when it was stored,
    ``item.stored``) is within the window, as the store reads the window."""
    stored = stored or item.stored
    if lead is None:
        lead = grouping_lead(item.title, item.summary, item.page_lead)
    index.add(item.story_id, item.first_article_id, item.title, seen, lead,
              language=item.language, vector=item.embedding, stored=stored,
              absorbed=item.absorbed, opened=item.opened)  # fmt: skip


def add_window(
    index: StoryIndex, items: list[WindowArticle], given_up: Callable[[], bool] = lambda: False
) -> None:
    """Put the window read back from the store (oldest first) into ``index``, letting each
    article go once it is indexed (``items`` is emptied), until ``given_up`` says so.

    Why let go: the rows read back take ~600 bytes an article. Held until the end, the
    index's own objects are made beside them, and their memory is left as holes in the
    heap that the process keeps (a full warm-up cost ~470 bytes an article more than
    loading a snapshot); let go one by one, the index is made in their place."""
    items.reverse()  # popped from the end: oldest first, each in O(1)
    while items and not given_up():
        item = items.pop()
        add_stored(index, item, item.seen)
