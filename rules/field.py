"""One article field prepared for matching, and what the scanner finds in it.

``FieldText`` strips markup and folds the text once; original character offsets
and sentences are worked out only when a match is reported or a proximity rule
asks. ``Found`` names a term by its index in the scanner and words by position,
which is all that rule evaluation needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from rules.markup import Plain, strip_markup
from rules.sentences import sentence_index, sentence_starts
from rules.text import Token, fold, tokenise


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
    """A term found in a field, from word ``first`` to word ``last`` (inclusive)."""

    field: str
    first: int
    last: int
    term: int  # index into Scanner.terms
    similarity: float | None = None  # set for fuzzy hits


class FieldText:
    """One field of one article, prepared once: markup stripped, folded, tokens on demand."""

    __slots__ = ("_sentences", "_tokens", "folded", "name", "plain")

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.plain: Plain = strip_markup(text)
        self.folded = fold(self.plain.text)
        self._tokens: list[Token] | None = None
        self._sentences: list[int] | None = None

    @property
    def tokens(self) -> list[Token]:
        if self._tokens is None:
            self._tokens = tokenise(self.plain.text)
        return self._tokens

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Original offsets of words ``first`` to ``last``."""
        tokens = self.tokens
        return self.plain.original_span(tokens[first].start, tokens[last].end)

    def sentence_of(self, word: int) -> int:
        if self._sentences is None:
            self._sentences = sentence_starts(self.plain.text)
        return sentence_index(self._sentences, self.tokens[word].start)
