"""The two per-article paths the benchmark times: wirewatch's and the naive baseline.

Both run the same shape, as ``monitor.ingest.pipeline.ingest`` does:

    normalise_entry → exact dedup → near-identical dedup → match rules → remember

Exact dedup is a dict keyed on (feed, GUID) and on canonical link, standing in
for the store's two indexed lookups, so neither path pays for SQLite. Only the
near-identical step and the rule matcher differ between the paths.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import rules
from bench.naive import NaiveMatcher, PairwiseTitles
from bench.synthetic import FeedItem
from monitor.config import SurgeSettings
from monitor.config.settings import DedupSettings
from monitor.feeds.normalise import normalise_entry
from monitor.ingest import Ingested
from monitor.ingest.pipeline import article_fields
from monitor.ingest.surge_names import entity_names
from monitor.ingest.surges import Handed, count_handed, count_poll
from monitor.records.models import Article, DedupDecision, StoryFacts, Verdict
from monitor.store import KnownArticle
from monitor.stories.dedup import StoryIndex, article_time, story_id_for
from monitor.stories.headlines import name_phrases
from monitor.stories.names import NameStats
from monitor.surges import SurgeDetector

PRUNE_EVERY = timedelta(hours=1)  # as often as the daemon prunes its story index

RuleNames = Callable[[Mapping[str, str]], tuple[str, ...]]


class _Story(Protocol):
    @property
    def story_id(self) -> str: ...
    @property
    def first_article_id(self) -> str: ...


class NearDuplicates(Protocol):
    def find(self, title: str, seen: datetime) -> _Story | None: ...
    def add(self, story_id: str, first_article_id: str, title: str, seen: datetime) -> None: ...
    def prune(self, now: datetime) -> int: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one path decided for one item."""

    verdict: Verdict
    story_id: str
    rules: tuple[str, ...]


class ExactIndex:
    """Stands in for the store's (feed, GUID) and canonical-link lookups."""

    def __init__(self) -> None:
        self._by_guid: dict[tuple[str, str], KnownArticle] = {}
        self._by_link: dict[str, KnownArticle] = {}

    def find(self, article: Article) -> KnownArticle | None:
        known = self._by_guid.get((article.feed_url, article.guid))
        if known is None and article.link:
            known = self._by_link.get(article.link)
        return known

    def add(self, article: Article, story_id: str, first_article_id: str) -> None:
        known = KnownArticle(article.article_id, story_id, article.feed_url, first_article_id)
        self._by_guid.setdefault((article.feed_url, article.guid), known)
        if article.link:
            self._by_link.setdefault(article.link, known)


class Path:
    """One article at a time, through normalise → dedup → match."""

    def __init__(self, near: NearDuplicates, rule_names: RuleNames) -> None:
        self.exact = ExactIndex()
        self.near = near
        self.rule_names = rule_names
        self._last_prune: datetime | None = None

    def run(self, items: Iterable[FeedItem]) -> list[Outcome]:
        return [self.process(item) for item in items]

    def process(self, item: FeedItem) -> Outcome:
        article, known = self._arrive(item)
        if known is not None and known.feed_url == article.feed_url:
            return Outcome(Verdict.SEEN, known.story_id, ())
        verdict, story_id = self._decide(article, known)
        return Outcome(verdict, story_id, self.rule_names(article_fields(article)))

    def _arrive(self, item: FeedItem) -> tuple[Article, KnownArticle | None]:
        """The item normalised, and what the exact index knows of it."""
        self._maybe_prune(item.fetched_at)
        article = normalise_entry(
            item.entry, feed_url=item.feed_url, feed_name=item.feed_name, fetched_at=item.fetched_at
        )
        return article, self.exact.find(article)

    def _decide(self, article: Article, known: KnownArticle | None) -> tuple[Verdict, str]:
        """Fold or open a story, and remember the article (not a repeat of its feed)."""
        verdict, story_id, first = self._classify(article, known)
        self.exact.add(article, story_id, first)
        self.near.add(story_id, first, article.title, article_time(article))
        return verdict, story_id

    def _classify(self, article: Article, known: KnownArticle | None) -> tuple[Verdict, str, str]:
        if known is not None:
            return Verdict.FOLDED, known.story_id, known.first_article_id
        similar = self.near.find(article.title, article_time(article))
        if similar is not None:
            return Verdict.FOLDED, similar.story_id, similar.first_article_id
        return Verdict.NEW_STORY, story_id_for(article.article_id), article.article_id

    def _maybe_prune(self, now: datetime) -> None:
        if self._last_prune is None:
            self._last_prune = now
        elif now - self._last_prune >= PRUNE_EVERY:
            self.near.prune(now)
            self._last_prune = now


def wirewatch_path(ruleset: rules.RuleSet, settings: DedupSettings) -> Path:
    """StoryIndex (inverted index over headline tokens) and the compiled token trie."""
    matcher = rules.compile_rules(ruleset)

    def rule_names(fields: Mapping[str, str]) -> tuple[str, ...]:
        return tuple(match.rule for match in matcher.match(fields))

    window = timedelta(hours=settings.window_hours)
    return Path(StoryIndex(window, settings.title_similarity), rule_names)


def naive_path(ruleset: rules.RuleSet, settings: DedupSettings) -> Path:
    """Pairwise headline comparison and one regex per term."""
    window = timedelta(hours=settings.window_hours)
    return Path(PairwiseTitles(window, settings.title_similarity), NaiveMatcher(ruleset).match)


Count = Callable[[Ingested], None]


class CountingPath(Path):
    """The wirewatch path, each stored article then handed to ``count`` as the daemon's
    surge stage is handed it: the article, its decision with its story facts and its rule
    matches (``Ingested``), timed around the call. The places and actors of each item are
    given (``names``, in item order, as written): the daemon's story bookkeeping reads
    them whether surges are on or not. With surges off ``count`` does nothing, so two
    runs differ only by the counting itself."""

    def __init__(
        self,
        ruleset: rules.RuleSet,
        settings: DedupSettings,
        names: Sequence[Names],
        count: Count,
        finish: Callable[[], None] = lambda: None,
    ) -> None:
        self.matcher = matcher = rules.compile_rules(ruleset)

        def rule_names(fields: Mapping[str, str]) -> tuple[str, ...]:
            return tuple(match.rule for match in matcher.match(fields))

        window = timedelta(hours=settings.window_hours)
        super().__init__(StoryIndex(window, settings.title_similarity), rule_names)
        self.names, self.count, self.finish = names, count, finish
        self.counting_seconds = 0.0  # spent in ``count`` and ``finish``

    def run(self, items: Iterable[FeedItem]) -> list[Outcome]:
        done = [self._counted(item, names) for item, names in zip(items, self.names, strict=True)]
        started = time.perf_counter()
        self.finish()  # what is still handed in but not counted
        self.counting_seconds += time.perf_counter() - started
        return done

    def _counted(self, item: FeedItem, names: Names) -> Outcome:
        article, known = self._arrive(item)
        if known is not None and known.feed_url == article.feed_url:
            return Outcome(Verdict.SEEN, known.story_id, ())
        verdict, story_id = self._decide(article, known)
        matches = tuple(self.matcher.match(article_fields(article)))
        places, actors = names
        facts = StoryFacts(item.feed_url, places=places, actors=actors)
        stored = Ingested(article, DedupDecision(verdict, story_id, facts=facts), matches, ())
        started = time.perf_counter()
        self.count(stored)
        self.counting_seconds += time.perf_counter() - started
        return Outcome(verdict, story_id, tuple(match.rule for match in matches))


def _count_nothing(stored: Ingested) -> None:
    """Surges off: the daemon hands its surge stage nothing."""


# An item's places and actors, as written.
Names = tuple[tuple[str, ...], tuple[str, ...]]


def headline_names(items: Sequence[FeedItem]) -> list[Names]:
    """Each item's places and actors as the story bookkeeping reads them from its headline."""
    stats, found = NameStats(), []
    for item in items:
        title = item.entry.title
        stats.observe(title)
        named = name_phrases(title, stats.is_name)
        places = tuple(dict.fromkeys(name for name, kind in named if kind == "place"))
        actors = tuple(dict.fromkeys(
            name for name, kind in named if kind == "actor" and name not in places
        ))  # fmt: skip
        found.append((places, actors))
    return found


def plain_counting_path(
    ruleset: rules.RuleSet, settings: DedupSettings, names: Sequence[Names]
) -> CountingPath:
    """The counting path with surges off: the same scaffolding, nothing counted."""
    return CountingPath(ruleset, settings, names, _count_nothing)


def surge_path(
    ruleset: rules.RuleSet, settings: DedupSettings, names: Sequence[Names], batch: int = 1
) -> CountingPath:
    """Each stored article counted as the daemon's surge stage counts it (names folded
    into keys, entity-list hits named by their entry, then counted by a detector with
    ``[surge]`` defaults), ``batch`` articles a count. One is a poll of one new article
    its write let go alone: counted at once by ``monitor.ingest.surges.count_poll``, as
    the stage counts such a poll. More are polls gathered into one count: handed in, then
    counted together by ``count_handed``."""
    # A fresh entity map per run: its resolved names start cold, as a daemon's do.
    entities, detector = entity_names(ruleset), SurgeDetector(SurgeSettings())
    handed: list[Ingested] = []

    def finish() -> None:
        if handed:
            count_handed(detector, [Handed(tuple(handed), entities)])
            handed.clear()

    def count(stored: Ingested) -> None:
        handed.append(stored)
        if len(handed) >= batch:
            finish()

    def count_alone(stored: Ingested) -> None:
        count_poll(detector, (stored,), entities)

    if batch == 1:
        return CountingPath(ruleset, settings, names, count_alone)
    return CountingPath(ruleset, settings, names, count, finish)
