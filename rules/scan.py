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

from collections import Counter
from collections.abc import Sequence

import ahocorasick

from rules.field import Found, TermInfo
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
        keys: dict[str, list[tuple[int, int, int]]] = {}
        for index, term in enumerate(self.terms):
            target = (index, term.words, term.leaf)
            keys.setdefault(term_pattern(term.written).key, []).append(target)
        for key, targets in keys.items():  # the value: what each match needs, in one tuple
            self._automaton.add_word(key, (len(key), not key.endswith(" "), tuple(targets)))
        if keys:
            self._automaton.make_automaton()
        self._fuzzy = FuzzyIndex(fuzzy) if fuzzy else None

    def scan(self, fields: Sequence[tuple[str, str]]) -> dict[int, list[Found]]:
        """Every term in the (name, folded text) fields, each capped at MAX_HITS_PER_TERM,
        grouped by the leaf (list or inline terms) it belongs to."""
        found = self._exact(fields)
        if self._fuzzy is not None:
            for name, folded in fields:
                for hit in self._fuzzy.scan(name, folded):
                    found.setdefault(self.terms[hit.term].leaf, []).append(hit)
        return found

    def _exact(self, fields: Sequence[tuple[str, str]]) -> dict[int, list[Found]]:
        found: dict[int, list[Found]] = {}
        if self._automaton.kind != ahocorasick.AHOCORASICK:
            return found
        for name, folded in fields:
            matches = list(self._automaton.iter(folded))
            if len(matches) > MAX_HITS_PER_TERM:  # only then can one term pass the cap
                matches = _capped(matches)
            for last_char, (length, prefix, targets) in matches:
                start = last_char - length + 2  # after the leading space
                first = folded.count(" ", 0, start) - 1  # words before the match
                end = folded.find(" ", last_char) if prefix else last_char
                for index, words, leaf in targets:
                    # tuple.__new__ skips NamedTuple's Python-level __new__: the hot loop.
                    hit = _new(Found, (name, first, first + words - 1, index, start, end, None))
                    if leaf in found:
                        found[leaf].append(hit)
                    else:
                        found[leaf] = [hit]
        return found


_new = tuple.__new__
_Match = tuple[int, tuple[int, bool, tuple[tuple[int, int, int], ...]]]


def _capped(matches: list[_Match]) -> list[_Match]:
    """At most MAX_HITS_PER_TERM matches of each automaton key, the first ones."""
    counts: Counter[int] = Counter()
    kept = []
    for match in matches:
        key = id(match[1])  # one value tuple per key
        counts[key] += 1
        if counts[key] <= MAX_HITS_PER_TERM:
            kept.append(match)
    return kept
