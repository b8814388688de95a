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

4. the same event by meaning, when the words find nothing: the 16 nearest windowed
   headlines by sentence embedding (``monitor.stories.semantic``), in one language the
   cosine averaged with the IDF overlap (≥ ``semantic``), across languages the cosine
   (≥ ``across``), every gate agreeing (docs/decisions/0042-semantic-evidence.md);
   in one language a neighbour's story is also judged as a whole, by the centroid and
   words of its newest members (``monitor.stories.whole``, decision 0046).

In one language the related and semantic bars are lower for reports within ``recent``
of each other than for reports further apart (docs/decisions/0059-recent-reports.md).

Every tier is gated (docs/decisions/0041-story-gates.md): opposed direction words
("rise" / "slide") veto the pair; a name counts as mentioned in any of its spellings
("Turkish" for "Turkey"); numbers are compared as values ("3,5 %" is "3.5%").

A story that holds a near-identical headline vetoed by a detail is a different event:
no weaker evidence may put the article in it.

Each article's words are read in its detected language (``Article.language``, "" when
unknown: ``monitor.stories.words``), its stop words, stems and casualty words, into the
query it is looked up by and the entry it is kept as (``monitor.stories.queries``); a pair
is judged by ``monitor.stories.evidence``.

Candidates come from an inverted index over headline words; only the newest ``_CAP``
postings of each word are read, so a lookup costs the same with 10,000 or 400,000
articles in the window. Copies whose headline is already in the story are not indexed
twice. The window is pruned by time.
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain

import numpy as np
import numpy.typing as npt

from monitor.records import MatchKind
from monitor.stories import evidence
from monitor.stories.evidence import Entry, IndexedStory, Query, Rarity, judge, meaning
from monitor.stories.headlines import grouping_text, name_phrases, strip_decorations
from monitor.stories.names import NameStats
from monitor.stories.queries import Reading, Readings, build_query, probe_entry, window_entry
from monitor.stories.semantic import VectorWindow, decoded
from monitor.stories.whole import RECENT, StoryWhole, story_whole, with_centroid

_CAP = 256  # newest postings read per word
_JUDGED = 32  # candidates judged per lookup, those sharing the most words first
_NEIGHBOURS = 16  # nearest headlines by meaning judged per lookup


def _serials() -> array[int]:
    """A word's postings: serials as 4-byte unsigned ints, not 8-byte references (~7 an
    article); 4 billion serials outlast any daemon's run."""
    return array("I")


# A module constant, read for every candidate: an Enum's attribute costs ten times a global.
_VETO = MatchKind.VETO


@dataclass(frozen=True, slots=True)
class StoryMatch:
    """The story an article joins, and on what evidence."""

    story_id: str
    first_article_id: str
    kind: MatchKind  # same_headline, near_identical, update, related, semantic or shared_names
    score: float


class StoryIndex:
    """Recent articles by headline word, pruned to a time window."""

    def __init__(
        self,
        window: timedelta,
        threshold: float,
        *,
        related: float = 0.4,
        semantic: float = 0.48,
        across: float = 0.7,
        later: tuple[float, float] = (0.5, 0.52),
        recent: timedelta = timedelta(hours=1),
        by_meaning: bool = True,
        wholes: bool = True,
    ) -> None:
        self.window = window
        self.threshold = threshold
        self.related = related
        self.semantic = semantic
        self.across = across
        # Beyond ``recent`` of each other, the (related, semantic) bars are ``later``'s,
        # never lower than the recent ones (docs/decisions/0059-recent-reports.md): the
        # settings reject a later bar written below its recent one; an unset (default)
        # later bar follows a recent one raised above it.
        self.later = (max(later[0], related), max(later[1], semantic))
        self.recent = recent
        self.by_meaning = by_meaning  # False: vectors are ignored ([dedup] semantic = false)
        self.wholes = wholes  # False: stories are judged by their single headlines only
        self.name_easing = evidence.NAME_EASING  # 0: no rare-name easing (decision 0067)
        self._vectors = VectorWindow()
        self._stories: dict[str, IndexedStory] = {}
        self._entries: dict[int, Entry] = {}
        self._postings: defaultdict[str, array[int]] = defaultdict(_serials)
        self._by_headline: dict[str, int] = {}
        self._names = NameStats()
        self._serial = 0
        # The last query built: an article is looked up (find) and then added with the same
        # title and lead, and nothing in between changes what its query would be.
        self._last_query: tuple[tuple[str, str, str, int], Query] | None = None
        self._last_vector: tuple[bytes, npt.NDArray[np.float32] | None] | None = None
        self._readings = Readings()  # texts read beforehand, by parse workers

    def __len__(self) -> int:
        return len(self._stories)

    @property
    def entries(self) -> int:
        return len(self._entries)

    @property
    def vectors(self) -> int:
        """Windowed articles with a headline vector (semantic evidence)."""
        return len(self._vectors)

    @property
    def vector_bytes(self) -> int:
        """Memory the vector window holds outside Python's heap (vectors and graph)."""
        return self._vectors.memory_bytes

    def names(self, text: str, language: str = "") -> list[tuple[str, str]]:
        """The places and actors ``text`` names, as far as case and the window tell."""
        return name_phrases(text, self._names.is_name, language)

    def named(self, title: str, lead: str, language: str = "") -> list[tuple[str, str]]:
        """:meth:`names` of a headline (decorations stripped), then of its lead."""
        reading = self._readings.read(title, lead, language, keep=True)  # for find and add
        is_name = self._names.is_name
        return name_phrases(reading.stripped, is_name, language, reading.title_phrases) + (
            name_phrases(lead, is_name, language, reading.lead_phrases) if lead else []
        )

    def preread(self, readings: Iterable[Reading]) -> None:
        """Texts read beforehand (in a parse worker), for the articles' lookups and adds."""
        self._readings.add(readings)

    def find(
        self,
        title: str,
        seen: datetime,
        lead: str = "",
        *,
        language: str = "",
        vector: bytes = b"",
    ) -> StoryMatch | None:
        """The story this headline (and lead) reports, if the evidence is strong enough."""
        query = self._query(title, lead, language)
        same = self._same_headline(query, seen.timestamp())
        if same is not None:
            return StoryMatch(same.story_id, same.first_article_id, MatchKind.SAME_HEADLINE, 100.0)
        idf = Rarity(self._postings, len(self._entries))
        found, vetoed = self._best(query, seen.timestamp(), idf)
        embedding = self._decoded(vector) if found is None and self.by_meaning else None
        if embedding is not None:
            found = self._semantic_best(query, embedding, seen.timestamp(), vetoed, idf)
        return found

    def compare(
        self,
        title: str,
        other: str,
        lead: str = "",
        other_lead: str = "",
        *,
        language: str = "",
        other_language: str = "",
        vectors: tuple[bytes, bytes] = (b"", b""),
    ) -> MatchKind:
        """The evidence that two articles report one story (a ``find`` verdict: semantic or
        shared_names only when both headline ``vectors`` are given), VETO when a detail tells
        them apart, or NONE: with the window's rarity and names, as two reports in ``recent``."""
        query = self._query(title, lead, language)
        theirs = self._query(other, other_lead, other_language)
        if query.headline == theirs.headline:
            return MatchKind.SAME_HEADLINE
        entry = probe_entry(theirs)
        idf = Rarity(self._postings, len(self._entries))
        kind = judge(query, entry, idf, self.threshold, self.related)[0]
        mine, other_vector = decoded(vectors[0]), decoded(vectors[1])
        if kind or mine is None or other_vector is None:
            return kind
        cosine = evidence.cosine_of(mine, other_vector)
        found = meaning(query, entry, cosine, idf, same=self.semantic, across=self.across,
                        easing=self.name_easing)[0]  # fmt: skip
        return found or kind

    def add(
        self,
        story_id: str,
        first_article_id: str,
        title: str,
        seen: datetime,
        lead: str = "",
        *,
        language: str = "",
        vector: bytes = b"",
        stored: datetime | None = None,
    ) -> None:
        """Index an article ``seen`` (its grouping time) and ``stored`` (fetched, default
        ``seen``): it stays in the window while it was stored within it, as the store's
        warm-up reads the window, whatever its date says."""
        story = self._stories.get(story_id)
        if story is None:
            story = self._stories[story_id] = IndexedStory(story_id, first_article_id, seen)
        story.last_seen = max(story.last_seen, seen)
        reading = self._readings.take(title, lead, language)  # its last use
        stripped = reading.stripped if reading else strip_decorations(title)
        headline = reading.headline if reading else grouping_text(stripped, language)
        known = self._entries.get(self._by_headline.get(headline, -1))
        kept = (stored or seen).timestamp()
        if known is not None and known.story is story:  # a copy: keep the text once
            known.seen, known.stored = max(known.seen, seen.timestamp()), max(known.stored, kept)
            return
        query = self._query(title, lead, language, reading)
        serial = self._insert(story, headline, query, seen.timestamp(), kept)
        entry = self._entries[serial]
        read = reading.title_words if reading else None
        entry.said = self._names.observe(stripped, language, entry.tokens, read)
        story.members.append(serial)
        embedding = self._decoded(vector) if self.by_meaning else None
        if embedding is not None:
            self._vectors.add(serial, embedding)
            self._refresh(story)

    def prune(self, now: datetime) -> int:
        """Drop articles older than the window; return how many stories went with them."""
        horizon = (now - self.window).timestamp()
        stale = [serial for serial, entry in self._entries.items() if entry.stored < horizon]
        touched: set[str] = set()
        shrunk: dict[str, IndexedStory] = {}
        for serial in stale:
            entry = self._entries.pop(serial)
            touched.update(entry.tokens)
            self._names.unobserve(entry.said, entry.tokens)
            if self._by_headline.get(entry.headline) == serial:
                del self._by_headline[entry.headline]
            entry.story.entries -= 1
            shrunk[entry.story.story_id] = entry.story
        self._drop_postings(set(stale), touched)
        self._vectors.remove(stale)
        gone = [sid for sid, story in self._stories.items() if story.entries <= 0]
        for story_id in gone:
            del self._stories[story_id]
        for story in shrunk.values():
            if story.entries > 0:  # its whole is its windowed members' only
                story.members = [serial for serial in story.members if serial in self._entries]
                self._refresh(story)
        return len(gone)

    # -- internals ---------------------------------------------------------------------

    def _decoded(self, vector: bytes) -> npt.NDArray[np.float32] | None:
        """``decoded``, kept for the last vector: an article is looked up, then added."""
        if self._last_vector is None or self._last_vector[0] != vector:
            self._last_vector = (vector, decoded(vector))
        return self._last_vector[1]

    def _query(self, title: str, lead: str, language: str, read: Reading | None = None) -> Query:
        key = (title, lead, language, self._names.version)
        if self._last_query is not None and self._last_query[0] == key:
            return self._last_query[1]
        query = build_query(read or self._readings.read(title, lead, language), self._names)
        self._last_query = (key, query)
        return query

    def _insert(
        self, story: IndexedStory, headline: str, query: Query, seen: float, stored: float
    ) -> int:
        self._serial += 1
        serial = self._serial
        entry = window_entry(story, headline, query, seen, stored)
        self._entries[serial] = entry
        self._by_headline[headline] = serial
        story.entries += 1
        for token in entry.tokens:
            self._postings[token].append(serial)
        return serial

    def _refresh(self, story: IndexedStory) -> None:
        """The story's centroid is to be read again from its newest windowed members."""
        if (
            self.by_meaning
            and self.wholes
            and (len(story.members) > 1 or story.centroid is not None or story.recent is not None)
        ):
            story.recent = tuple(story.members[-RECENT:])  # read when a lookup asks for it

    def _drop_postings(self, stale: set[int], tokens: set[str]) -> None:
        for token in tokens:
            kept = array("I", [serial for serial in self._postings[token] if serial not in stale])
            if kept:
                self._postings[token] = kept
            else:
                del self._postings[token]

    def _same_headline(self, query: Query, seen: float) -> IndexedStory | None:
        entry = self._entries.get(self._by_headline.get(query.headline, -1))
        if entry is None or abs(seen - entry.seen) > self.window.total_seconds():
            return None
        return entry.story

    def _candidates(self, query: Query, seen: float) -> list[Entry]:
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

    def _best(self, query: Query, seen: float, idf: Rarity) -> tuple[StoryMatch | None, set[str]]:
        vetoed: set[str] = set()
        allowed: list[StoryMatch] = []
        for entry in self._candidates(query, seen):
            story = entry.story
            bar = self._bars(seen - entry.seen)[0]
            kind, score = judge(query, entry, idf, self.threshold, bar)
            if kind is _VETO:
                vetoed.add(story.story_id)
            elif kind:
                allowed.append(StoryMatch(story.story_id, story.first_article_id, kind, score))
        allowed = [match for match in allowed if match.story_id not in vetoed]
        return (max(allowed, key=lambda match: match.score) if allowed else None), vetoed

    def _semantic_best(
        self,
        query: Query,
        vector: npt.NDArray[np.float32],
        seen: float,
        vetoed: set[str],
        idf: Rarity,
    ) -> StoryMatch | None:
        """The story of the nearest earlier headline by meaning, if close enough and no
        detail tells the two apart (docs/decisions/0042-semantic-evidence.md)."""
        window = self.window.total_seconds()
        best: StoryMatch | None = None
        wholes: dict[str, StoryWhole | None] = {}
        length = float(np.linalg.norm(vector))
        for serial, cosine in self._vectors.nearest(vector, _NEIGHBOURS):
            entry = self._entries.get(serial)
            if entry is None or abs(seen - entry.seen) > window:
                continue
            if entry.story.story_id in vetoed:
                continue
            story = entry.story
            if story.story_id not in wholes:
                story = with_centroid(story, self._vectors)
                wholes[story.story_id] = story_whole(story, self._entries, vector, length)
            whole = wholes[story.story_id]
            same = self._bars(seen - entry.seen)[1]
            kind, score = meaning(query, entry, cosine, idf, same=same, across=self.across,
                                  whole=whole, easing=self.name_easing)  # fmt: skip
            if kind and (best is None or score > best.score):
                best = StoryMatch(story.story_id, story.first_article_id, kind, score)
        return best

    def _bars(self, gap: float) -> tuple[float, float]:
        """The (related, semantic) bars for two reports ``gap`` seconds apart: within the
        hour another report of one subject is most often the same event; days later, an
        embedding's closeness is most often only the same subject (decision 0059)."""
        if abs(gap) <= self.recent.total_seconds():
            return self.related, self.semantic
        return self.later
