"""Dedup: is this article one we have, a copy of a story we have, or a new story?

Two checks, cheapest first:

1. exact — the same (feed, GUID), or the same canonical link, is already stored;
2. near-identical — another outlet's headline for a recent story, after wire
   decorations are stripped ("UPDATE 1-", "BREAKING:", " - Outlet", "(AFP)"),
   is at least ``title_similarity`` alike by rapidfuzz's token-sort ratio and
   carries the same numbers ("kills 14" and "kills 40" stay apart) and no
   substituted name ("Putin …" / "Quds Force …"): a wrong merge hides an event,
   a missed one only costs a second alert.

Near-identical candidates come from an inverted index over headline tokens, so
a lookup touches the few stories sharing a rare word, not the whole window.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from monitor.config import DedupSettings
from monitor.models import Article, DedupDecision, Verdict
from monitor.store import Store

_PREFIX = re.compile(
    r"^\s*(?:(?:update|updated|corrected|refile|rpt)\s*\d*\s*[-:–—]+|"
    r"(?:breaking(?:\s+news)?|watch|exclusive|live|analysis|video|photos?)\s*[-:–—|]+)\s*",
    re.IGNORECASE,
)
_PAREN_SUFFIX = re.compile(r"\s*[(\[][^()\[\]]{1,30}[)\]]\s*$")
_OUTLET_SUFFIX = re.compile(r"\s+[-|–—]\s+(?:\S+\s*){1,4}$")
_NON_WORD = re.compile(r"[^\w]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_STOPWORDS = frozenset(
    "a an the of in on at to for from by with and or as is are was were be after over "
    "into near says say said new".split()
)
_MAX_CANDIDATES = 64


def strip_decorations(title: str) -> str:
    """The headline without wire and outlet decorations, case kept."""
    previous = None
    while previous != title:
        previous = title
        title = _PREFIX.sub("", title)
        title = _PAREN_SUFFIX.sub("", title)
    return _OUTLET_SUFFIX.sub("", title) if len(title.split()) > 6 else title


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in folded if not unicodedata.combining(char))
    return " ".join(_NON_WORD.sub(" ", plain).split())


def normalise_headline(title: str) -> str:
    """Headline without wire and outlet decorations, case, diacritics or punctuation."""
    return _fold(strip_decorations(title))


def _shape(title: str) -> tuple[str, frozenset[str]]:
    """The normalised headline and its name words (folded capitalised words after the first).

    Capitalised words are the places and actors a headline names; the first word is
    capitalised anyway, so it says nothing.
    """
    stripped = strip_decorations(title)
    names = " ".join(word for word in stripped.split()[1:] if word[:1].isupper())
    return _fold(stripped), frozenset(_fold(names).split())


def story_id_for(article_id: str) -> str:
    """Stories are named after their first article, so replays give the same ids."""
    return "s_" + hashlib.sha256(article_id.encode()).hexdigest()[:20]


@dataclass(slots=True)
class _IndexedStory:
    story_id: str
    first_article_id: str
    headline: str
    numbers: frozenset[str]
    names: frozenset[str]
    last_seen: datetime

    def contradicts(self, headline: str, names: frozenset[str]) -> bool:
        """Different numbers, or each headline names someone or somewhere the other lacks.

        One headline adding a name ("army" / "Syrian army") is detail; each having a
        name the other lacks ("Putin" / "Quds Force") is a substitution: another event.
        """
        if self.numbers != _numbers(headline):
            return True
        return bool(self.names - set(headline.split())) and bool(names - set(self.headline.split()))


class StoryIndex:
    """Recent stories by headline token, pruned to a time window."""

    def __init__(self, window: timedelta, threshold: float) -> None:
        self.window = window
        self.threshold = threshold
        self._stories: dict[str, _IndexedStory] = {}
        self._postings: defaultdict[str, set[str]] = defaultdict(set)

    def __len__(self) -> int:
        return len(self._stories)

    def add(self, story_id: str, first_article_id: str, title: str, seen: datetime) -> None:
        known = self._stories.get(story_id)
        if known is not None:
            known.last_seen = max(known.last_seen, seen)
            return
        headline, names = _shape(title)
        story = _IndexedStory(story_id, first_article_id, headline, _numbers(headline), names, seen)
        self._stories[story_id] = story
        for token in _tokens(headline):
            self._postings[token].add(story_id)

    def find(self, title: str, seen: datetime) -> _IndexedStory | None:
        """The most similar recent story within the window, if similar enough."""
        headline, names = _shape(title)
        best, best_score = None, self.threshold
        for story in self._candidates(headline):
            if abs(seen - story.last_seen) > self.window or story.contradicts(headline, names):
                continue
            score = fuzz.token_sort_ratio(headline, story.headline, score_cutoff=best_score)
            if score >= best_score:
                best, best_score = story, score
        return best

    def prune(self, now: datetime) -> int:
        stale = [s for s in self._stories.values() if now - s.last_seen > self.window]
        for story in stale:
            del self._stories[story.story_id]
            for token in _tokens(story.headline):
                self._postings[token].discard(story.story_id)
                if not self._postings[token]:
                    del self._postings[token]
        return len(stale)

    def _candidates(self, headline: str) -> list[_IndexedStory]:
        # Rarest tokens first: a shared rare word is the strongest hint of one story.
        tokens = sorted(_tokens(headline), key=lambda t: len(self._postings.get(t, ())))
        found: dict[str, _IndexedStory] = {}
        for token in tokens[:4]:
            for story_id in self._postings.get(token, ()):
                found.setdefault(story_id, self._stories[story_id])
                if len(found) >= _MAX_CANDIDATES:
                    return list(found.values())
        return list(found.values())


def _tokens(headline: str) -> set[str]:
    return {token for token in headline.split() if token not in _STOPWORDS and len(token) > 1}


def _numbers(headline: str) -> frozenset[str]:
    return frozenset(_NUMBER.findall(headline))


def article_time(article: Article) -> datetime:
    """When the article happened: its date unless missing or in the future."""
    published = article.published
    if published is None or published > article.fetched_at:
        return article.fetched_at
    return published


class Deduplicator:
    """Classifies articles against the store (exact) and a story index (near-identical)."""

    def __init__(self, store: Store, settings: DedupSettings) -> None:
        self._store = store
        self._window = timedelta(hours=settings.window_hours)
        self.index = StoryIndex(self._window, settings.title_similarity)

    async def load(self, now: datetime) -> int:
        """Warm the index with the stories of the window, e.g. after a restart."""
        for story in await self._store.recent_stories(now - self._window):
            self.index.add(story.story_id, story.first_article_id, story.title, story.last_seen)
        return len(self.index)

    async def classify(self, article: Article) -> DedupDecision:
        known = await self._store.find_article(article.feed_url, article.guid, article.link)
        if known is not None:
            verdict = Verdict.SEEN if known.feed_url == article.feed_url else Verdict.FOLDED
            return DedupDecision(verdict, known.story_id, known.first_article_id)
        similar = self.index.find(article.title, article_time(article))
        if similar is not None:
            return DedupDecision(Verdict.FOLDED, similar.story_id, similar.first_article_id)
        return DedupDecision(Verdict.NEW_STORY, story_id_for(article.article_id))

    def remember(self, article: Article, decision: DedupDecision) -> None:
        first = decision.duplicate_of or article.article_id
        self.index.add(decision.story_id, first, article.title, article_time(article))
