"""What the story index reads from one article's text: its query (headline, words, names,
numbers, casualty counts, direction words, aliases, in the article's language) and the
window entry it is kept as once added.

All of a query but which capitalised words are names is a pure function of the text (a
:class:`Reading`): the parse workers read it beforehand, in parallel, so that the event
loop, where articles are grouped one after another, only judges the names."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from monitor.stories.aliases import canonical_of
from monitor.stories.directions import NO_DIRECTIONS, directions
from monitor.stories.evidence import Entry, IndexedStory, Query
from monitor.stories.headlines import (
    PhraseWords,
    content_tokens,
    grouping_text,
    phrase_words,
    strip_decorations,
    toll_numbers,
)
from monitor.stories.names import NameStats, NameWords, name_words
from monitor.stories.numbers import read_numbers, shared_numbers, with_whole_parts

NO_NUMBERS: frozenset[str] = frozenset()  # one for all entries without: each is 216 bytes


@dataclass(frozen=True, slots=True)
class Reading:
    """What the index reads of a headline (``title``) and lead in a language whatever the
    window holds: the query but its names, and what names are judged from."""

    key: tuple[str, str, str]  # (title, lead, language) it was read from
    stripped: str  # the title without decorations, case kept
    headline: str  # folded
    tokens: frozenset[str]
    everything: frozenset[str]
    numbers: frozenset[str]
    tolls: frozenset[str]
    counts: frozenset[str]
    directions: frozenset[int]
    aliases: frozenset[str]
    title_words: NameWords  # of ``stripped``: the query's names, and the name counts
    lead_words: NameWords
    # Of ``stripped`` and the lead, for the story's places and actors: read in a parse
    # worker (None: read when asked; the warm-up never asks).
    title_phrases: PhraseWords | None = None
    lead_phrases: PhraseWords | None = None


def read_text(title: str, lead: str, language: str, *, phrases: bool = False) -> Reading:
    """The :class:`Reading` of a headline and lead (``phrases``: with the words that its
    places and actors are told from)."""
    stripped = strip_decorations(title)
    headline = grouping_text(stripped, language)
    tokens = content_tokens(headline, language)
    tolls = toll_numbers(headline, language)
    folded_lead = grouping_text(lead, language) if lead else ""
    everything = tokens | content_tokens(folded_lead, language) if lead else tokens
    return Reading(
        (title, lead, language),
        stripped,
        headline,
        tokens,
        everything,
        with_whole_parts(read_numbers(stripped, language)),
        tolls,
        tolls | toll_numbers(folded_lead, language) if lead else tolls,
        directions(headline.split(), language),
        canonical_of(everything) or NO_NUMBERS,
        name_words(stripped, language),
        name_words(lead, language) if lead else _NO_WORDS,
        phrase_words(stripped, language) if phrases else None,
        (phrase_words(lead, language) if lead else _NO_PHRASES) if phrases else None,
    )


class Readings:
    """Texts read beforehand (by parse workers) for articles on their way, by (title,
    lead, language), until the article is added; beyond ``KEPT`` the oldest go (a text
    whose article is never added: a copy, or a page changed its lead). A text not here
    is read when asked. ~5 KB a reading (14 KB with a lead) while kept."""

    KEPT = 2048

    def __init__(self) -> None:
        self._kept: dict[tuple[str, str, str], Reading] = {}

    def __len__(self) -> int:
        return len(self._kept)

    def add(self, readings: Iterable[Reading]) -> None:
        for reading in readings:
            self._kept[reading.key] = reading
        while len(self._kept) > self.KEPT:
            del self._kept[next(iter(self._kept))]

    def take(self, title: str, lead: str, language: str) -> Reading | None:
        """The text's reading, if handed beforehand, given up: its article is added."""
        return self._kept.pop((title, lead, language), None)

    def read(self, title: str, lead: str, language: str, *, keep: bool = False) -> Reading:
        """The text's reading: handed beforehand, else read now (and kept, with ``keep``)."""
        found = self._kept.get((title, lead, language))
        if found is None:
            found = read_text(title, lead, language)
            if keep:
                self.add([found])
        return found


_NO_WORDS: NameWords = (False, ())
_NO_PHRASES: PhraseWords = (False, ())


def build_query(reading: Reading, names_seen: NameStats) -> Query:
    """The query of a headline and lead (as read), its names as far as ``names_seen`` tells."""
    _, lead, language = reading.key
    names = names_seen.names_in(reading.stripped, language, reading.title_words)
    if lead:
        names |= names_seen.names_in(lead, language, reading.lead_words) & reading.tokens
    return Query(
        reading.headline,
        reading.tokens,
        reading.everything,
        names,
        reading.numbers,
        reading.tolls,
        reading.counts,
        sys.intern(language),
        reading.directions,
        reading.aliases,
    )


def window_entry(
    story: IndexedStory, headline: str, query: Query, seen: float, stored: float
) -> Entry:
    """The entry an added article is kept as: its words sorted and interned (shared by
    every entry and posting), numbers shared with equal sets elsewhere."""
    tokens = tuple(sys.intern(token) for token in sorted(query.tokens))
    extra = tuple(sys.intern(token) for token in sorted(query.everything - query.tokens))
    names = tuple(token for token in tokens if token in query.names)
    found = shared_numbers(query.numbers) if query.numbers else NO_NUMBERS
    counts = shared_numbers(query.counts) if query.counts else NO_NUMBERS
    return Entry(story, headline, tokens, extra, names, found, counts, seen, query.language,
                 query.directions or NO_DIRECTIONS, query.aliases, stored)  # fmt: skip


def probe_entry(query: Query) -> Entry:
    """An unstored entry of ``query``, for judging one pair outside the window."""
    story = IndexedStory("", "", datetime.min)
    return Entry(story, query.headline, tuple(query.tokens),
                 tuple(query.everything - query.tokens),
                 tuple(query.names & query.tokens), query.numbers, query.counts,
                 0.0, query.language, query.directions, query.aliases, 0.0)  # fmt: skip
