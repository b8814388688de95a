"""An alert's excerpt: the article's words around the terms that matched, terms marked.

One or two windows of up to WINDOW_WORDS words (MAX_CHARS characters in all) around
the first occurrence of the first term found and of the first other term outside
that window, cut at whitespace and marked with an ellipsis where cut; without any
term in the text, its lead. Terms are found by ``rules.find_terms``, as the matcher
finds them, so "HEZBOLLAH's" or "دِمَشْق" is marked for the terms Hezbollah and دمشق.
The marks are ``(start, end)`` offsets into the excerpt's text, for each channel to
show in its own way. Whitespace runs become single spaces; everything else is kept
verbatim, for the notifiers to clean and escape as they do every feed text.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import rules

if TYPE_CHECKING:
    from monitor.store import DeliveryContext

MAX_CHARS = 300
WINDOW_WORDS = 30
ELLIPSIS = "…"
_WORD = re.compile(r"\S+")
_SPACE = re.compile(r"\s+")
_JOINERS = frozenset("\u200d\ufe0e\ufe0f")  # zero-width joiner, variation selectors

Span = tuple[int, int]
Window = tuple[int, int]  # first and last word, inclusive


@dataclass(frozen=True, slots=True)
class Excerpt:
    """Excerpt text and the spans of it that are matched terms, in order, disjoint."""

    text: str = ""
    marks: tuple[Span, ...] = ()


def article_text(context: DeliveryContext) -> str:
    """The fullest text the store keeps of an alert's article: its page, else the
    summary, else the title (an entry's content is not kept)."""
    return context.body() or context.summary or context.title


def make_excerpt(text: str, terms: Sequence[str], language: str = "") -> Excerpt:
    """The excerpt of ``text`` around ``terms`` (inflected as ``language`` inflects
    them, see ``rules.find_terms``); empty when ``text`` has no words."""
    words = [(word.start(), word.end()) for word in _WORD.finditer(text)]
    if not words:
        return Excerpt()
    hits = rules.find_terms(text, terms, language=language)
    anchors = _anchors(words, hits) or [(0, 0)]
    budget = _budget(len(anchors))
    windows = [_grow(words, first, last, budget) for first, last in anchors]
    return _compose(text, words, _merged(windows), _disjoint([(h.start, h.end) for h in hits]))


def _anchors(words: Sequence[Span], found: Sequence[rules.Occurrence]) -> list[Window]:
    """The words of the first occurrence, and of the first of another term that is
    not within a window around it."""
    if not found:
        return []
    starts = [start for start, _ in words]
    first = _word_range(starts, found[0])
    reach = _grow(words, *first, _budget(2))
    for hit in found[1:]:
        other = _word_range(starts, hit)
        if hit.term != found[0].term and not reach[0] <= other[0] <= reach[1]:
            return [first, other]
    return [first]


def _budget(windows: int) -> int:
    """Characters per window, leaving room for the ellipses around and between them."""
    return (MAX_CHARS - 3 * (windows + 1)) // windows


def _word_range(starts: Sequence[int], hit: rules.Occurrence) -> Window:
    return bisect_right(starts, hit.start) - 1, bisect_right(starts, hit.end - 1) - 1


def _grow(words: Sequence[Span], first: int, last: int, budget: int) -> Window:
    """Add words after and before in turn while the window stays within budget."""
    length = _length(words, first, last)
    after = True
    while last - first + 1 < WINDOW_WORDS:
        for side in (after, not after):
            index = last + 1 if side else first - 1
            if 0 <= index < len(words) and length + 1 + _width(words[index]) <= budget:
                length += 1 + _width(words[index])
                first, last = (first, index) if side else (index, last)
                break
        else:
            return first, last
        after = not after
    return first, last


def _length(words: Sequence[Span], first: int, last: int) -> int:
    return sum(_width(word) for word in words[first : last + 1]) + last - first


def _width(word: Span) -> int:
    return word[1] - word[0]


def _merged(windows: list[Window]) -> list[Window]:
    """Windows in text order, overlapping or adjacent ones joined."""
    merged: list[Window] = []
    for first, last in sorted(windows):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return merged


def _disjoint(spans: Sequence[Span]) -> list[Span]:
    """The spans in order, dropping any that overlaps one kept before it."""
    kept: list[Span] = []
    for start, end in spans:
        if not kept or start >= kept[-1][1]:
            kept.append((start, end))
    return kept


class _Writer:
    """Builds the excerpt text piece by piece, recording marked pieces' offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.marks: list[Span] = []

    def write(self, piece: str, *, marked: bool = False) -> None:
        if marked and piece:
            self.marks.append((self.length, self.length + len(piece)))
        self.parts.append(piece)
        self.length += len(piece)

    def excerpt(self) -> Excerpt:
        return Excerpt("".join(self.parts), tuple(self.marks))


def _compose(text: str, words: Sequence[Span], windows: list[Window], found: list[Span]) -> Excerpt:
    budget = _budget(len(windows))
    writer = _Writer()
    end = 0
    for first, last in windows:
        start, end = words[first][0], words[last][1]
        marks = [span for span in found if start <= span[0] and span[1] <= end]
        if _length(words, first, last) > budget:  # one word longer than the window
            start, end = _characters(text, start, end, marks, budget)
            marks = [(max(s, start), min(e, end)) for s, e in marks if s < end and e > start]
        if start > words[0][0]:
            writer.write(f" {ELLIPSIS} " if writer.parts else f"{ELLIPSIS} ")
        for piece, marked in _window(text, start, end, marks):
            writer.write(piece, marked=marked)
    if end < words[-1][1]:
        writer.write(f" {ELLIPSIS}")
    return writer.excerpt()


def _characters(text: str, start: int, end: int, marks: Sequence[Span], budget: int) -> Span:
    """At most ``budget`` characters of ``text[start:end]`` from a little before its first
    mark, cut between user-perceived characters (text without spaces: Chinese, Thai,
    or a hostile run)."""
    focus = marks[0][0] if marks else start
    cut_start = max(start, min(focus - budget // 3, end - budget))
    while cut_start > start and _continues(text, cut_start):
        cut_start -= 1
    cut_end = min(end, cut_start + budget)
    while cut_end > cut_start and cut_end < end and _continues(text, cut_end):
        cut_end -= 1
    return cut_start, cut_end


def _window(text: str, start: int, end: int, marks: Sequence[Span]) -> list[tuple[str, bool]]:
    """``text[start:end]`` as (piece, marked) pairs, whitespace runs as single spaces."""
    pieces: list[tuple[str, bool]] = []
    position = start
    for mark_start, mark_end in marks:
        pieces.append((_SPACE.sub(" ", text[position:mark_start]), False))
        pieces.append((_SPACE.sub(" ", text[mark_start:mark_end]), True))
        position = mark_end
    pieces.append((_SPACE.sub(" ", text[position:end]), False))
    return pieces


def _continues(text: str, index: int) -> bool:
    """Whether a cut before ``text[index]`` would split a combining sequence or a joined
    one (emoji, Indic clusters)."""
    char = text[index]
    joined = char in _JOINERS or text[index - 1] == "\u200d"
    return joined or unicodedata.category(char) in ("Mn", "Mc", "Me")
