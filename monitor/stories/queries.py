"""What the story index reads from one article's text: its query (headline, words, names,
numbers, casualty counts, direction words, aliases, in the article's language) and the
window entry it is kept as once added."""

from __future__ import annotations

import sys
from datetime import datetime

from monitor.stories.aliases import canonical_of
from monitor.stories.directions import NO_DIRECTIONS, directions
from monitor.stories.evidence import Entry, IndexedStory, Query
from monitor.stories.headlines import content_tokens, grouping_text, strip_decorations, toll_numbers
from monitor.stories.names import NameStats
from monitor.stories.numbers import read_numbers, shared_numbers, with_whole_parts

NO_NUMBERS: frozenset[str] = frozenset()  # one for all entries without: each is 216 bytes


def build_query(title: str, lead: str, language: str, names_seen: NameStats) -> Query:
    """The query of a headline and lead, its names as far as ``names_seen`` tells."""
    stripped = strip_decorations(title)
    headline = grouping_text(stripped, language)
    tokens = content_tokens(headline, language)
    names = names_seen.names_in(stripped, language)
    tolls = toll_numbers(headline, language)
    folded_lead = grouping_text(lead, language) if lead else ""
    if lead:
        names |= names_seen.names_in(lead, language) & tokens
    everything = tokens | content_tokens(folded_lead, language) if lead else tokens
    return Query(
        headline,
        tokens,
        everything,
        names,
        with_whole_parts(read_numbers(stripped, language)),
        tolls,
        tolls | toll_numbers(folded_lead, language) if lead else tolls,
        sys.intern(language),
        directions(headline.split(), language),
        canonical_of(everything) or NO_NUMBERS,
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
