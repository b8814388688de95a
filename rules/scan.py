"""Find every term of every rule in one article field, in one pass of one automaton.

``Scanner`` compiles all terms into a pyahocorasick automaton keyed by their
folded form padded with spaces (" air strike "), so a key can only match whole
words of the folded field text (" ... air strike ... "); a prefix term leaves
off the trailing space (" deploy"). One ``iter`` over the field text finds
every term at once, whatever the number of rules. Each hit becomes a ``Found``:
which term, in which field, from which word to which word. Original character
offsets and sentences are worked out only when a match is reported or a
proximity rule asks, from the ``FieldText``'s tokens.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import ahocorasick

from rules.field import FieldText, Found, TermInfo
from rules.fuzzy import FuzzyIndex, FuzzyTerm
from rules.text import term_pattern

# Hits past this many of one term in one field change no decision and no
# highlight; the cap keeps a hostile article from growing the result unboundedly.
MAX_HITS_PER_TERM = 20


class Scanner:
    """Every term compiled once; ``scan`` finds them all in a field."""

    def __init__(self, terms: Sequence[TermInfo], fuzzy: Sequence[FuzzyTerm] = ()) -> None:
        self.terms = tuple(terms)
        self._automaton = ahocorasick.Automaton()
        keys: dict[str, list[int]] = {}
        for index, term in enumerate(self.terms):
            keys.setdefault(term_pattern(term.written).key, []).append(index)
        for key, indices in keys.items():
            self._automaton.add_word(key, (len(key), tuple(indices)))
        if keys:
            self._automaton.make_automaton()
        self._fuzzy = FuzzyIndex(fuzzy) if fuzzy else None

    def scan(self, field: FieldText) -> list[Found]:
        """Every term in the field (each capped at MAX_HITS_PER_TERM), in text order."""
        found = list(self._exact(field))
        if self._fuzzy is not None:
            found.extend(self._fuzzy.scan(field))
        return found

    def _exact(self, field: FieldText) -> Iterator[Found]:
        folded = field.folded
        if len(folded) < 3 or self._automaton.kind != ahocorasick.AHOCORASICK:
            return
        counts: dict[int, int] = {}
        for end, (length, indices) in self._automaton.iter(folded):
            first = folded.count(" ", 0, end - length + 2) - 1  # words before the match
            for index in indices:
                seen = counts.get(index, 0)
                if seen < MAX_HITS_PER_TERM:
                    counts[index] = seen + 1
                    yield Found(field.name, first, first + self.terms[index].words - 1, index)
