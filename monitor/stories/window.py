"""The window of recent articles: what it holds of each, and how it is kept.

Each article's words are read in its detected language (``Article.language``, "" when
unknown: ``monitor.stories.words``), its stop words, stems and casualty words, into the
query it is looked up by and the entry it is kept as (``monitor.stories.queries``).

Candidates come from an inverted index over headline words; only the newest ``_CAP``
postings of each word are read, so a lookup costs the same with 10,000 or 400,000
articles in the window. Copies whose headline is already in the story are not indexed
twice. The window is pruned by time. Which story an article joins is the story index's
judgement (``monitor.stories.index``); this module only keeps what it judges by.
"""

from __future__ import annotations

import contextlib
from array import array
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from monitor.stories.evidence import Entry, IndexedStory, Query
from monitor.stories.headlines import grouping_text, name_phrases, strip_decorations
from monitor.stories.names import NameStats
from monitor.stories.queries import Reading, Readings, build_query, window_entry
from monitor.stories.semantic import ExactVectors, NearestVectors, VectorWindow, decoded
from monitor.stories.whole import RECENT

__all__ = ["ArticleWindow"]

_CAP = 256  # newest postings read per word
_JUDGED = 32  # candidates judged per lookup, those sharing the most words first


# The last vector decoded by any window, with its decoding (``ArticleWindow._decoded``),
# read-only: every window is handed the same array.
_last_vector: tuple[bytes, npt.NDArray[np.float32] | None] = (b"", None)


def _read_only(vector: npt.NDArray[np.float32] | None) -> npt.NDArray[np.float32] | None:
    """One array is handed to every window that asks for the same vector: none may change
    it under the others (numpy raises on a write)."""
    if vector is not None:
        vector.setflags(write=False)
    return vector


def _newest(serials: array[int]) -> npt.NDArray[np.uint32]:
    """The newest ``_CAP`` of a word's postings, viewed in place."""
    return np.frombuffer(serials, dtype=np.uint32)[-_CAP:]


def _serials() -> array[int]:
    """A word's postings: serials as 4-byte unsigned ints, not 8-byte references (~7 an
    article); 4 billion serials outlast any daemon's run."""
    return array("I")


class ArticleWindow:
    """Recent articles by headline word (and by meaning), pruned to a time window."""

    def __init__(
        self,
        window: timedelta,
        *,
        by_meaning: bool = True,
        wholes: bool = True,
        exact: bool = False,
    ) -> None:
        self.window = window
        self.by_meaning = by_meaning  # False: vectors are ignored ([dedup] semantic = false)
        self.wholes = wholes  # False: stories are judged by their single headlines only
        # exact: a window of minutes scans its few vectors rather than keep a graph
        self._vectors: NearestVectors = ExactVectors() if exact else VectorWindow()
        self._stories: dict[str, IndexedStory] = {}
        self._entries: dict[int, Entry] = {}
        self._postings: defaultdict[str, array[int]] = defaultdict(_serials)
        self._by_headline: dict[str, int] = {}
        self._names = NameStats()
        self._serial = 0
        # The last query built: an article is looked up (find) and then added with the same
        # title and lead, and nothing in between changes what its query would be.
        self._last_query: tuple[tuple[str, str, str, int], Query] | None = None
        # The last text a lookup read itself (none was read beforehand): its add reads the
        # same text, which it need not read again.
        self._last_reading: Reading | None = None
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

    def adding_together(self) -> contextlib.AbstractContextManager[None]:
        """Vector adds meanwhile handed to the graph at once (``VectorWindow.together``):
        for a run of adds no lookup reads between, e.g. other daemons' articles learned."""
        return self._vectors.together()

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
        opened: datetime | None = None,
    ) -> None:
        """Index an article ``seen`` (its grouping time) and ``stored`` (fetched, default
        ``seen``): it stays in the window while it was stored within it, as the store's
        warm-up reads the window, whatever its date says. A story it opens here was
        ``opened`` (its first report stored; default: this one's), as the store says."""
        story = self._stories.get(story_id)
        if story is None:
            first = (opened or stored or seen).timestamp()
            story = IndexedStory(story_id, first_article_id, seen, first)
            self._stories[story_id] = story
        story.last_seen = max(story.last_seen, seen)
        reading = self._readings.take(title, lead, language) or self._read_last(
            title, lead, language
        )  # its last use
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
        """``decoded``, kept for the last vector by any window: an article is looked up,
        then added, and another daemon's is added to two windows (``SharedStories``).
        One (bytes, vector) pair swapped whole, so a thread's warm-up racing the loop
        only misses it."""
        global _last_vector  # noqa: PLW0603  (one slot shared by every window)
        last = _last_vector
        if last[0] != vector:
            last = _last_vector = (vector, _read_only(decoded(vector)))
        return last[1]

    def _query(self, title: str, lead: str, language: str, read: Reading | None = None) -> Query:
        key = (title, lead, language, self._names.version)
        if self._last_query is not None and self._last_query[0] == key:
            return self._last_query[1]
        if read is None:
            read = self._last_reading = self._readings.read(title, lead, language)
        query = build_query(read, self._names)
        self._last_query = (key, query)
        return query

    def _read_last(self, title: str, lead: str, language: str) -> Reading | None:
        """The last text :meth:`_query` read, if it is this one."""
        last = self._last_reading
        return last if last is not None and last.key == (title, lead, language) else None

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
        window = self.window.total_seconds()
        found = []
        for serial in self._most_shared(query):
            entry = self._entries[serial]
            if abs(seen - entry.seen) <= window:
                found.append(entry)
        return found

    def _most_shared(self, query: Query) -> list[int]:
        """The ``_JUDGED`` serials among the query's words' newest postings that most of
        them hold (at least two, if the query has two words), most first; a tie goes to
        the serial posted under the earlier word (in sorted order, so that ties fall alike
        whatever the hash seed), then the older. Counted in numpy: at 100,000 articles a
        query's words hold ~800 postings, which a Counter and a heap took ~120 µs to rank
        and this takes ~40 µs."""
        postings = self._postings
        words = sorted(query.everything)
        lists = [_newest(postings[token]) for token in words if token in postings]
        if not lists:
            return []
        serials, first, counts = np.unique(
            np.concatenate(lists), return_index=True, return_counts=True
        )
        shared = counts >= min(2, len(query.tokens))
        counts, first, serials = counts[shared], first[shared], serials[shared]
        ranked = np.lexsort((first, -counts))[:_JUDGED]  # by count, then first posted
        return serials[ranked].tolist()  # type: ignore[no-any-return]
