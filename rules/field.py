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
from rules.text import FIELD_BREAK, JOINER, Folded, fold, fold_joined, tokenise, word_spans


@dataclass(frozen=True, slots=True)
class TermInfo:
    """One spelling in one leaf: what it is called, which entry it spells, its word count."""

    leaf: int
    written: str
    ref: str | None  # the list's name; None for inline terms
    entry: int  # spellings of one entity share it: weights count entities, not spellings
    words: int
    prefix: bool
    exact: bool = False  # only the spellings written, not their inflected forms


class Found(NamedTuple):
    """A term found in a field: words ``first`` to ``last`` (inclusive), which are the
    characters ``start`` to ``end`` of the field's folded text (hits in fields whose
    separated text is bytes are located by those characters, see ``locate``; the
    others by word)."""

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


class ArticleText:
    """An article's fields folded for one scan: ``text`` is each field's folded text
    joined by FIELD_BREAK, in the order of ``names``.

    Fields without markup are folded together by one ``fold_joined`` when they are
    plain ASCII or code pages hold them (the common case), and hits are located in the
    joined separated bytes it keeps (``locate``), or by their field's ``FieldText``
    (a slice of the separated str, or tokenising when apostrophes moved words). Markup
    or text of the general path in any field fold each field on its own.
    """

    __slots__ = ("_folds", "_prepared", "_separated", "_texts", "names", "text")

    def __init__(self, names: tuple[str, ...], texts: tuple[str, ...]) -> None:
        self.names = names
        self._texts = texts
        self._prepared: dict[str, FieldText] = {}
        joined = JOINER.join(texts)
        folded = None if "<" in joined or "&" in joined else fold_joined(joined, texts)
        if folded is None:
            self._folds: list[Folded] | None = [fold_field(text) for text in texts]
            self._separated: bytes | str | None = None
            self.text = FIELD_BREAK.join(folded for folded, _ in self._folds)
        else:
            self._folds = None
            self.text, self._separated = folded

    def field(self, name: str) -> FieldText:
        """The field called ``name``, prepared to locate hits and sentences."""
        prepared = self._prepared.get(name)
        if prepared is None:
            index = self.names.index(name)
            prepared = FieldText(name, self._texts[index], self._fold(index))
            self._prepared[name] = prepared
        return prepared

    def span(self, found: Found) -> tuple[int, int]:
        """The offsets of what ``found`` covers in its field's original text."""
        if not isinstance(self._separated, bytes):
            return self.field(found.field).span(found)
        original = self._original_start(self.names.index(found.field))
        start, end = locate(self._separated, original, found)
        return start - original, end - original

    def _original_start(self, index: int) -> int:
        """Where the field at ``index`` begins in the joined texts."""
        if not index:
            return 0
        return sum(map(len, self._texts[:index])) + index * len(JOINER)

    def _fold(self, index: int) -> Folded:
        """What ``fold_field`` gives for the field at ``index``."""
        if self._folds is not None:
            return self._folds[index]
        folded = self.text.split(FIELD_BREAK)[index]
        if self._separated is None:
            return folded, None
        original = self._original_start(index)
        return folded, self._separated[original : original + len(self._texts[index])]


class FieldText:
    """One field of one article, prepared once: markup stripped, folded, positions on demand."""

    __slots__ = ("_sentences", "_words", "folded", "name", "plain", "separated")

    def __init__(self, name: str, text: str, folded: Folded | None = None) -> None:
        self.name = name
        self.plain: Plain = strip_markup(text) if "<" in text or "&" in text else Plain(text)
        self.folded, self.separated = folded or fold(self.plain.text)
        self._words: list[tuple[int, int]] | None = None
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
        if isinstance(self.separated, bytes):
            return locate(self.separated, 0, found)
        if self._words is None:
            self._words = self._word_spans()
        return self._words[found.first][0], self._words[found.last][1]

    def _word_spans(self) -> list[tuple[int, int]]:
        """Where each folded word stands in the plain text: read off the separated text
        when characters folded in place (a C-level scan), else by ``tokenise``."""
        if isinstance(self.separated, str):
            return word_spans(self.separated)
        return [(token.start, token.end) for token in tokenise(self.plain.text)]


def locate(separated: bytes, start: int, found: Found) -> tuple[int, int]:
    """The span of ``found`` in ``separated``, the text its field was folded from (with
    separators as spaces), which begins at ``start``.

    The folded text holds the same letters in the same order, with one space between
    words: the hit begins after as many letters as come before it in the folded
    text, and ends after as many more as it holds.
    """
    before = found.start - found.first - 1  # the padding space and one after each word
    letters = found.end - found.start - (found.last - found.first)
    first = _after_letters(separated, start, before + 1, found.first) - 1  # its first letter
    return first, _after_letters(separated, first, letters, found.last - found.first)


def _after_letters(separated: bytes, start: int, letters: int, gaps: int) -> int:
    """The position right after the next ``letters`` non-space bytes from ``start``,
    between which lie at least ``gaps`` spaces (one between each two words)."""
    end = start + letters + gaps
    short = separated.count(b" ", start, end) - gaps
    while short:  # each window is short of one letter per space it holds
        start, end = end, end + short
        short = separated.count(b" ", start, end)
    return end
