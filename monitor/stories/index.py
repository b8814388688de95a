"""The window of recent articles, and which story a new article belongs to.

Three kinds of evidence, strongest first (docs/decisions/0006-story-grouping.md):

1. the same headline, once decorations are stripped and case and punctuation folded;
2. a near-identical headline: rapidfuzz token-sort ratio ≥ ``threshold``, vetoed by a
   different number or a substituted name ("kills 14" / "kills 40" is an *update* only
   when nothing else differs and the numbers are casualty counts);
3. the same event in other words: the rare words both headlines (and leads) share,
   weighted by rarity in the window (IDF cosine ≥ ``related``), at least three of
   them and one a name; vetoed by a substituted name, disjoint headline numbers or
   disjoint casualty counts (of headline and lead: two leads' "12 killed" / "30 killed").

Both tiers are gated (docs/decisions/0041-story-gates.md): opposed direction words
("rise" / "slide") veto the pair; a name counts as mentioned in any of its spellings
("Turkish" for "Turkey"); numbers are compared as values ("3,5 %" is "3.5%").

A story that holds a near-identical headline vetoed by a detail is a different event:
no weaker evidence may put the article in it.

Each article's words are read in its detected language (``Article.language``, "" when
unknown: ``monitor.stories.words``), its stop words, stems and casualty words.

Candidates come from an inverted index over headline words; only the newest ``_CAP``
postings of each word are read, so a lookup costs the same with 10,000 or 400,000
articles in the window. Copies whose headline is already in the story are not indexed
twice. The window is pruned by time.
"""

from __future__ import annotations

import math
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain

from rapidfuzz import fuzz

from monitor.records import MatchKind
from monitor.stories.aliases import canonical_of, other_entities, unmentioned
from monitor.stories.directions import NO_DIRECTIONS, directions, opposed
from monitor.stories.headlines import (
    content_tokens,
    grouping_text,
    name_phrases,
    strip_decorations,
    toll_numbers,
)
from monitor.stories.names import NameStats
from monitor.stories.numbers import numbers_conflict, read_numbers, with_whole_parts
from monitor.stories.words import mentioned

_CAP = 256  # newest postings read per word
_MIN_SHARED = 3  # words a paraphrase must share with a story's headline
_JUDGED = 32  # candidates judged per lookup, those sharing the most words first
_NO_NUMBERS: frozenset[str] = frozenset()  # one for all entries without: each is 216 bytes


@dataclass(slots=True)
class IndexedStory:
    story_id: str
    first_article_id: str
    last_seen: datetime
    entries: int = 0


# The pair judgement runs for every candidate story (~17 per article): its verdicts are
# module constants, as a class attribute of an Enum costs ten times a global to look up.
_NONE, _VETO, _RELATED = MatchKind.NONE, MatchKind.VETO, MatchKind.RELATED
_NEAR_IDENTICAL, _UPDATE = MatchKind.NEAR_IDENTICAL, MatchKind.UPDATE


@dataclass(frozen=True, slots=True)
class StoryMatch:
    """The story an article joins, and on what evidence."""

    story_id: str
    first_article_id: str
    kind: MatchKind  # same_headline, near_identical, update or related
    score: float


@dataclass(slots=True)
class _Entry:
    story: IndexedStory
    headline: str  # normalised
    tokens: tuple[str, ...]  # headline content words
    extra: tuple[str, ...]  # lead words not in the headline
    names: tuple[str, ...]
    numbers: frozenset[str]
    counts: frozenset[str]  # casualty counts of headline and lead
    seen: float  # POSIX seconds
    language: str  # the article's, its headline's casualty words read in it
    directions: frozenset[int]  # poles of its headline's direction words
    aliases: frozenset[str]  # canonical names its words spell ("turkish" → "turkey")


@dataclass(frozen=True, slots=True)
class _Query:
    headline: str
    tokens: frozenset[str]
    everything: frozenset[str]  # headline and lead words
    names: frozenset[str]
    numbers: frozenset[str]
    tolls: frozenset[str]  # the headline's casualty counts
    counts: frozenset[str]  # casualty counts of headline and lead
    language: str
    directions: frozenset[int]
    aliases: frozenset[str]


class StoryIndex:
    """Recent articles by headline word, pruned to a time window."""

    def __init__(self, window: timedelta, threshold: float, *, related: float = 0.4) -> None:
        self.window = window
        self.threshold = threshold
        self.related = related
        self._stories: dict[str, IndexedStory] = {}
        self._entries: dict[int, _Entry] = {}
        self._postings: defaultdict[str, list[int]] = defaultdict(list)
        self._by_headline: dict[str, int] = {}
        self._names = NameStats()
        self._serial = 0
        # The last query built: an article is looked up (find) and then added with the same
        # title and lead, and nothing in between changes what its query would be.
        self._last_query: tuple[tuple[str, str, str, int], _Query] | None = None

    def __len__(self) -> int:
        return len(self._stories)

    @property
    def entries(self) -> int:
        return len(self._entries)

    def names(self, text: str, language: str = "") -> list[tuple[str, str]]:
        """The places and actors ``text`` names, as far as case and the window tell."""
        return name_phrases(text, self._names.is_name, language)

    def find(
        self, title: str, seen: datetime, lead: str = "", *, language: str = ""
    ) -> StoryMatch | None:
        """The story this headline (and lead) reports, if the evidence is strong enough."""
        query = self._query(title, lead, language)
        same = self._same_headline(query, seen.timestamp())
        if same is not None:
            return StoryMatch(same.story_id, same.first_article_id, MatchKind.SAME_HEADLINE, 100.0)
        return self._best(query, seen.timestamp())

    def compare(
        self,
        title: str,
        other: str,
        lead: str = "",
        other_lead: str = "",
        *,
        language: str = "",
        other_language: str = "",
    ) -> MatchKind:
        """The evidence that two articles report one story (same_headline, near_identical,
        update, related), VETO when a detail tells them apart, or NONE — judged with the
        window's word rarity and names, as ``find`` would."""
        query = self._query(title, lead, language)
        theirs = self._query(other, other_lead, other_language)
        if query.headline == theirs.headline:
            return MatchKind.SAME_HEADLINE
        story = IndexedStory("", "", datetime.min)
        entry = _Entry(story, theirs.headline, tuple(theirs.tokens),
                       tuple(theirs.everything - theirs.tokens),
                       tuple(theirs.names & theirs.tokens), theirs.numbers, theirs.counts,
                       0.0, theirs.language, theirs.directions, theirs.aliases)  # fmt: skip
        return self._judge(query, entry, _Rarity(self))[0]

    def add(
        self,
        story_id: str,
        first_article_id: str,
        title: str,
        seen: datetime,
        lead: str = "",
        *,
        language: str = "",
    ) -> None:
        story = self._stories.get(story_id)
        if story is None:
            story = self._stories[story_id] = IndexedStory(story_id, first_article_id, seen)
        story.last_seen = max(story.last_seen, seen)
        stripped = strip_decorations(title)
        headline = grouping_text(stripped, language)
        known = self._entries.get(self._by_headline.get(headline, -1))
        if known is not None and known.story is story:  # a copy: keep the text once
            known.seen = max(known.seen, seen.timestamp())
            return
        self._insert(story, headline, self._query(title, lead, language), seen.timestamp())
        self._names.observe(stripped, language)

    def prune(self, now: datetime) -> int:
        """Drop articles older than the window; return how many stories went with them."""
        horizon = (now - self.window).timestamp()
        stale = [serial for serial, entry in self._entries.items() if entry.seen < horizon]
        touched: set[str] = set()
        for serial in stale:
            entry = self._entries.pop(serial)
            touched.update(entry.tokens)
            if self._by_headline.get(entry.headline) == serial:
                del self._by_headline[entry.headline]
            entry.story.entries -= 1
        self._drop_postings(set(stale), touched)
        gone = [sid for sid, story in self._stories.items() if story.entries <= 0]
        for story_id in gone:
            del self._stories[story_id]
        return len(gone)

    # -- internals ---------------------------------------------------------------------

    def _query(self, title: str, lead: str, language: str) -> _Query:
        key = (title, lead, language, self._names.version)
        if self._last_query is not None and self._last_query[0] == key:
            return self._last_query[1]
        query = self._build_query(title, lead, language)
        self._last_query = (key, query)
        return query

    def _build_query(self, title: str, lead: str, language: str) -> _Query:
        stripped = strip_decorations(title)
        headline = grouping_text(stripped, language)
        tokens = content_tokens(headline, language)
        names = self._names.names_in(stripped, language)
        tolls = toll_numbers(headline, language)
        folded_lead = grouping_text(lead, language) if lead else ""
        if lead:
            names |= self._names.names_in(lead, language) & tokens
        everything = tokens | content_tokens(folded_lead, language) if lead else tokens
        return _Query(
            headline,
            tokens,
            everything,
            names,
            with_whole_parts(read_numbers(stripped, language)),
            tolls,
            tolls | toll_numbers(folded_lead, language) if lead else tolls,
            sys.intern(language),
            directions(headline.split(), language),
            canonical_of(everything) or _NO_NUMBERS,
        )

    def _insert(self, story: IndexedStory, headline: str, query: _Query, seen: float) -> None:
        self._serial += 1
        serial = self._serial
        tokens = tuple(sys.intern(token) for token in sorted(query.tokens))
        extra = tuple(sys.intern(token) for token in sorted(query.everything - query.tokens))
        names = tuple(token for token in tokens if token in query.names)
        found, counts = query.numbers or _NO_NUMBERS, query.counts or _NO_NUMBERS
        entry = _Entry(story, headline, tokens, extra, names, found, counts, seen, query.language,
                       query.directions or NO_DIRECTIONS, query.aliases)  # fmt: skip
        self._entries[serial] = entry
        self._by_headline[headline] = serial
        story.entries += 1
        for token in tokens:
            self._postings[token].append(serial)

    def _drop_postings(self, stale: set[int], tokens: set[str]) -> None:
        for token in tokens:
            kept = [serial for serial in self._postings[token] if serial not in stale]
            if kept:
                self._postings[token] = kept
            else:
                del self._postings[token]
        self._names.forget(token for token in tokens if token not in self._postings)

    def _same_headline(self, query: _Query, seen: float) -> IndexedStory | None:
        entry = self._entries.get(self._by_headline.get(query.headline, -1))
        if entry is None or abs(seen - entry.seen) > self.window.total_seconds():
            return None
        return entry.story

    def _candidates(self, query: _Query, seen: float) -> list[_Entry]:
        """The entries sharing the most words with the query, newest postings only."""
        postings = self._postings
        words = sorted(query.everything)  # so ties fall alike whatever the hash seed
        lists = (postings[token][-_CAP:] for token in words if token in postings)
        hits = Counter(chain.from_iterable(lists))
        needed = min(2, len(query.tokens))
        window = self.window.total_seconds()
        found = []
        for serial, _count in hits.most_common(_JUDGED):
            if _count < needed:
                break
            entry = self._entries[serial]
            if abs(seen - entry.seen) <= window:
                found.append(entry)
        return found

    def _best(self, query: _Query, seen: float) -> StoryMatch | None:
        idf = _Rarity(self)
        vetoed: set[str] = set()
        allowed: list[StoryMatch] = []
        for entry in self._candidates(query, seen):
            story = entry.story
            kind, score = self._judge(query, entry, idf)
            if kind is _VETO:
                vetoed.add(story.story_id)
            elif kind:
                allowed.append(StoryMatch(story.story_id, story.first_article_id, kind, score))
        allowed = [match for match in allowed if match.story_id not in vetoed]
        return max(allowed, key=lambda match: match.score) if allowed else None

    def _judge(self, query: _Query, entry: _Entry, idf: _Rarity) -> tuple[MatchKind, float]:
        """(NEAR_IDENTICAL | UPDATE | RELATED | VETO | NONE, score) for one pair."""
        ratio = fuzz.token_sort_ratio(query.headline, entry.headline, score_cutoff=self.threshold)
        if opposed(query.directions, entry.directions) or other_entities(
            query.aliases, entry.aliases
        ):
            # "rise" / "slide", "turc" / "grec": another event
            return (_VETO, 0.0) if ratio else (_NONE, 0.0)
        if ratio:
            return _near_identical(query, entry), ratio
        if (
            _substituted(query, entry)
            or numbers_conflict(query.numbers, entry.numbers)
            or numbers_conflict(query.counts, entry.counts)
        ):
            return _NONE, 0.0
        score = _related(query, entry, idf)
        if score >= self.related:
            return _RELATED, score * 100
        return _NONE, 0.0


class _Rarity:
    """IDF of words in the window, computed once per word per lookup."""

    def __init__(self, index: StoryIndex) -> None:
        self._postings = index._postings
        self._total = len(index._entries) + 1
        self._cache: dict[str, float] = {}

    def __call__(self, token: str) -> float:
        weight = self._cache.get(token)
        if weight is None:
            postings = self._postings.get(token)
            frequency = len(postings) if postings else 0
            weight = max(0.0, math.log(self._total / (frequency + 0.5)))
            self._cache[token] = weight
        return weight


def _near_identical(query: _Query, entry: _Entry) -> MatchKind:
    if _substituted(query, entry):
        return _VETO
    if query.numbers == entry.numbers:
        return _NEAR_IDENTICAL
    return _UPDATE if _toll_update(query, entry) else _VETO


def _toll_update(query: _Query, entry: _Entry) -> bool:
    """Only casualty counts differ, and the same names are on both sides: the toll grew."""
    entry_tolls = toll_numbers(entry.headline, entry.language)
    if not query.tolls or not entry_tolls:
        return False
    same_rest = query.numbers - query.tolls == entry.numbers - entry_tolls
    return same_rest and query.names == frozenset(entry.names)


def _substituted(query: _Query, entry: _Entry) -> bool:
    """Each side names someone or somewhere the other's headline and lead never mention,
    in any spelling of the name (``monitor.stories.aliases``)."""
    if not query.names or not entry.names:
        return False
    theirs = set(entry.tokens).union(entry.extra)
    return unmentioned(query.names, theirs, entry.aliases) and unmentioned(
        entry.names, query.everything, query.aliases
    )


def _related(query: _Query, entry: _Entry, idf: _Rarity) -> float:
    """IDF-weighted cosine of the two headlines (with their leads when both have one)."""
    both_leads = bool(entry.extra) and query.everything != query.tokens
    mine = query.everything if both_leads else query.tokens
    theirs = entry.tokens + entry.extra if both_leads else entry.tokens
    # mentioned() compares Arabic proclitic forms; an ASCII word can only be itself
    shared = [t for t in theirs if t in mine or (not t.isascii() and mentioned(t, mine))]
    if len(shared) < _MIN_SHARED:
        return 0.0
    if not any(token in query.names or token in entry.names for token in shared):
        return 0.0
    overlap = math.fsum(idf(token) ** 2 for token in shared)  # exact: no order to depend on
    norms = _norm(mine, idf) * _norm(theirs, idf)
    return overlap / norms if norms else 0.0


def _norm(tokens: Iterable[str], idf: _Rarity) -> float:
    return math.sqrt(math.fsum(idf(token) ** 2 for token in tokens))
