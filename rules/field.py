"""One article field prepared for matching, and what the scanner finds in it.

``FieldText`` strips markup and folds the text once; original character offsets
and sentences are worked out only when a match is reported or a proximity rule
asks. ``Found`` names a term by its index in the scanner and words by position,
which is all that rule evaluation needs.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import NamedTuple

from rules.markup import Plain, strip_markup
from rules.sentences import sentence_index, sentence_starts
from rules.text import Folded, Token, fold, tokenise

_SPACE_RUNS = re.compile(rb"  +")


@dataclass(frozen=True, slots=True)
class TermInfo:
    """One spelling in one leaf: what it is called, which entry it spells, its word count."""

    leaf: int
    written: str
    ref: str | None  # the list's name; None for inline terms
    entry: int  # spellings of one entity share it: weights count entities, not spellings
    words: int
    prefix: bool


class Found(NamedTuple):
    """A term found in a field: words ``first`` to ``last`` (inclusive), which are the
    characters ``start`` to ``end`` of the field's folded text."""

    field: str
    first: int
    last: int
    term: int  # index into Scanner.terms
    start: int
    end: int
    similarity: float | None = None  # set for fuzzy hits


def fold_field(text: str) -> Folded:
    """The folded form of a field's text, markup stripped first: what the scanner reads."""
    if "<" in text or "&" in text:
        text = strip_markup(text).text
    return fold(text)


class FieldText:
    """One field of one article, prepared once: markup stripped, folded, positions on demand."""

    __slots__ = ("_collapse", "_sentences", "_tokens", "folded", "name", "plain", "separated")

    def __init__(self, name: str, text: str, folded: Folded | None = None) -> None:
        self.name = name
        self.plain: Plain = strip_markup(text) if "<" in text or "&" in text else Plain(text)
        self.folded, self.separated = folded or fold(self.plain.text)
        self._collapse: _Collapse | None = None
        self._tokens: list[Token] | None = None
        self._sentences: list[int] | None = None

    def span(self, found: Found) -> tuple[int, int]:
        """The original offsets of what ``found`` covers."""
        start, end = self._plain_span(found)
        return self.plain.original_span(start, end)

    def sentence_of(self, found: Found) -> int:
        if self._sentences is None:
            self._sentences = sentence_starts(self.plain.text)
        return sentence_index(self._sentences, self._plain_span(found)[0])

    def _plain_span(self, found: Found) -> tuple[int, int]:
        if self.separated is not None:
            if self._collapse is None:
                self._collapse = _Collapse(self.separated)
            return self._collapse.position(found.start), self._collapse.position(found.end - 1) + 1
        if self._tokens is None:
            self._tokens = tokenise(self.plain.text)
        return self._tokens[found.first].start, self._tokens[found.last].end


class _Collapse:
    """Folded-text positions back to the text.

    The folded text is a space, then ``separated`` without its leading spaces and
    with each later run of spaces collapsed to one: a position moves back by the
    leading spaces and by the spaces collapsed before it.
    """

    __slots__ = ("_lead", "_removed", "_runs")

    def __init__(self, separated: bytes) -> None:
        self._lead = len(separated) - len(separated.lstrip(b" "))
        self._runs: list[int] = []  # where each collapsed run stands in the folded text
        self._removed: list[int] = []  # spaces removed up to and including that run
        removed = 0
        for run in _SPACE_RUNS.finditer(separated, self._lead):
            self._runs.append(1 + run.start() - self._lead - removed)
            removed += run.end() - run.start() - 1
            self._removed.append(removed)

    def position(self, folded: int) -> int:
        index = bisect_right(self._runs, folded) - 1
        return folded - 1 + self._lead + (self._removed[index] if index >= 0 else 0)
