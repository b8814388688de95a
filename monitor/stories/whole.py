"""What a story as a whole says of its event: the evidence of its recent reports together.

A story told by many outlets describes its event better than any one of its headlines
(the classic single-pass clustering of topic detection and tracking): a new report may
share little with the one nearest headline, yet match what the story's reports say
together. So the semantic tier compares a new headline with its candidate story's
*whole* too (docs/decisions/0046-story-whole.md):

- the story's centroid: the normalised mean of its newest ``RECENT`` windowed members'
  headline vectors (as the vector window holds them), read anew after a member joins or
  leaves the window, so that the same windowed articles give the same centroid after a
  restart as in a process that has run for days. Which members is settled when one
  joins or leaves (``IndexedStory.recent``); their vectors are read when a lookup first
  needs the centroid (:func:`with_centroid`): most stories change again, or leave the
  window, before any lookup has them among its neighbours, and reading the vector window
  waits for its adds (``monitor.stories.semantic``);
- the story's words: the IDF-weighted cosine of the new headline's words with the counted
  headline words of the same members.

The gates are still those of the pair (the nearest member and the new headline): a story
that says the same things in general cannot lend its closeness to a report that differs
in a detail. And the story's direction words together are one more gate: a report of
residents returning does not join the story of their evacuation through a member that
says neither (docs/decisions/0059-recent-reports.md).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import chain

import numpy as np
import numpy.typing as npt

from monitor.stories.evidence import Entry, IndexedStory, Rarity, cosine_of
from monitor.stories.semantic import NearestVectors

__all__ = [
    "RECENT",
    "StoryWhole",
    "centroid_of",
    "story_vector",
    "story_whole",
    "story_words",
    "with_centroid",
]

# Members a story's whole is read from, newest first: enough to outvote one odd headline,
# few enough that the story's latest wording weighs (12,000 real headlines: 16 recalls
# more than 4 or 8 at the same precision), and bounded so a story of 400 reports costs
# no more to refresh than one of 16.
RECENT = 16
# A bound rules a story's words out only this far below the floor: rounding cannot change
# a verdict (as ``evidence``'s pair bound).
_ROUNDING = 1 - 1e-9


@dataclass(slots=True)
class StoryWhole:
    """A candidate story's closeness to one new headline, taken as a whole (built once
    per story and lookup, however many of its members are among the neighbours)."""

    cosine: float  # the new headline's vector against the story's centroid
    story: IndexedStory
    entries: Mapping[int, Entry]  # the window's, its members' words are read from
    _words: float | None = None
    _shared: frozenset[str] | None = None  # the headline's words its members use
    _directions: frozenset[int] | None = None

    @property
    def directions(self) -> frozenset[int]:
        """The direction poles its recent members' headlines hold together (decision 0059)."""
        if self._directions is None:
            recent = self.story.members[-RECENT:]
            self._directions = frozenset().union(
                *(self.entries[serial].directions for serial in recent)
            )
        return self._directions

    def words(self, tokens: frozenset[str], idf: Rarity, floor: float = 0.0) -> float:
        """:func:`story_words` of the headline's ``tokens`` (the same each call), or 0.0
        when it is surely below ``floor``: the words both use bound it, as they bound a
        pair's (``evidence._cosine``), and most candidates stop there, before the
        story's every word is weighed."""
        if self._words is not None:
            return self._words
        members = [self.entries[serial] for serial in self.story.members[-RECENT:]]
        if self._shared is None:
            self._shared = tokens.intersection(chain.from_iterable(m.tokens for m in members))
        overlap = math.fsum([idf(token) ** 2 for token in self._shared])
        if math.sqrt(overlap) < floor * idf.norm_of(tokens) * _ROUNDING:
            return 0.0
        self._words = story_words(tokens, members, idf)
        return self._words


def story_whole(
    story: IndexedStory,
    entries: Mapping[int, Entry],
    vector: npt.NDArray[np.float32],
    length: float,
) -> StoryWhole | None:
    """``story`` taken as a whole against a new headline's ``vector`` (of ``length``);
    None for a story of fewer than two vectors (or when wholes are off: no centroid)."""
    if story.centroid is None:
        return None
    return StoryWhole(float(vector @ story.centroid) / length, story, entries)


def with_centroid(story: IndexedStory, window: NearestVectors) -> IndexedStory:
    """``story``, its centroid read from the members its last change settled (as the
    vector ``window`` holds their vectors), if not read since."""
    if story.recent is not None:
        story.centroid = centroid_of(window.stored(list(story.recent)))
        story.recent = None
    return story


def story_vector(story: IndexedStory, window: NearestVectors) -> npt.NDArray[np.float32] | None:
    """Where a story's reports point together: its centroid, or for a story of one vector
    that vector (as the ``window`` holds it, made unit length); None without a vector."""
    centroid = with_centroid(story, window).centroid
    if centroid is not None:
        return centroid.astype(np.float32)
    rows = window.stored(story.members[-1:])
    size = float(np.linalg.norm(rows[0])) if len(rows) else 0.0
    return rows[0] / size if size else None


def own_cosine(
    embedding: npt.NDArray[np.float32] | None, story: npt.NDArray[np.float32] | None
) -> float:
    """A bridging report's own cosine to a story's vector (-1 without either)."""
    if embedding is None or story is None:
        return -1.0
    return cosine_of(embedding, story)


def centroid_of(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float16] | None:
    """The normalised mean direction of ``vectors`` (one a row, each a unit vector in the
    graph's int8 steps: all of one length), or None for fewer than two: one headline's own
    vector is the pair evidence already. Kept as float16 (1 KB a story of two or more;
    its cosine moves by less than 1e-3)."""
    if len(vectors) < 2:
        return None
    total = vectors.sum(axis=0, dtype=np.float32)
    size = float(np.linalg.norm(total))
    return (total / size).astype(np.float16) if size else None


def story_words(tokens: frozenset[str], members: Iterable[Entry], idf: Rarity) -> float:
    """IDF-weighted cosine of ``tokens`` with the headline words ``members`` use, each
    counted as often as members use it: the words a story keeps using weigh most."""
    counts = Counter(chain.from_iterable(member.tokens for member in members))
    # lists, not generators: fsum is exact in any order, and a list is built faster
    shared = math.fsum([idf(token) ** 2 * counts[token] for token in tokens if token in counts])
    if not shared:
        return 0.0
    theirs = math.sqrt(math.fsum([(idf(token) * count) ** 2 for token, count in counts.items()]))
    norms = idf.norm_of(tokens) * theirs
    return shared / norms if norms else 0.0
