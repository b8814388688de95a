"""Find every term of every rule in an article, in one pass of one automaton.

``Scanner`` compiles all terms into a pyahocorasick automaton keyed by their
folded form padded with spaces (" air strike "), so a key can only match whole
words of the folded text (" ... air strike ... "); a prefix term leaves off the
trailing space (" deploy"). The article's fields are folded into one text,
joined by FIELD_BREAK, which no key holds; one ``iter`` over it finds every
term in every field at once, whatever the number of rules. Each hit becomes a
``Found``: which term, in which field, from which word to which word. Original
character offsets and sentences are worked out only when a match is reported or
a proximity rule asks.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Collection, Sequence

import ahocorasick

from rules.field import Found, TermInfo
from rules.fuzzy import FuzzyIndex, FuzzyTerm
from rules.inflection import MARK, matching_keys
from rules.text import FIELD_BREAK, term_pattern

# Hits past this many of one term in one field change no decision and no
# highlight; the cap keeps a hostile article from growing the result unboundedly.
MAX_HITS_PER_TERM = 20


class Scanner:
    """Every term compiled once; ``scan`` finds them all in an article's fields."""

    def __init__(
        self,
        terms: Sequence[TermInfo],
        fuzzy: Sequence[FuzzyTerm] = (),
        triggers: Collection[int] | None = None,
    ) -> None:
        """``triggers``: the leaves whose hits can make some rule fire (None: every leaf)."""
        self.terms = tuple(terms)
        self._automaton = ahocorasick.Automaton()
        keys: dict[str, list[tuple[int, int, int]]] = {}
        for index, term in enumerate(self.terms):
            target = (index, term.words - 1, term.leaf)
            for key in matching_keys(term_pattern(term.written), exact=term.exact):
                keys.setdefault(key, []).append(target)
        for key, targets in keys.items():  # the value: what each match needs, in one tuple
            triggers_rule = triggers is None or any(leaf in triggers for *_, leaf in targets)
            value = (len(key), not key.endswith(" "), tuple(targets), triggers_rule)
            self._automaton.add_word(key, value)
        self._ready = bool(keys)
        # Articles are stemmed (``ArticleText.stemmed``) only when some key needs it.
        self.stems = any(MARK in key for key in keys)
        if self._ready:
            self._automaton.make_automaton()
        self._fuzzy = FuzzyIndex(fuzzy) if fuzzy else None

    def scan(
        self,
        text: str,
        names: Sequence[str],
        *,
        every: bool = True,
        stemmed: Sequence[tuple[str, str]] = (),
    ) -> dict[int, list[Found]]:
        """Every term in ``text``, the folded texts of the fields ``names`` joined by
        FIELD_BREAK, each capped at MAX_HITS_PER_TERM per field, grouped by the leaf
        (list or inline terms) it belongs to. ``stemmed``: (field name, stemmed view)
        of fields whose words inflect, scanned in the same pass; their hits name the
        field and its words as hits in the folded text do.

        Unless ``every``, nothing when no exact hit is of a trigger leaf (and there are
        no fuzzy terms): an article whose hits can make no rule fire costs no more.
        """
        scanned, scanned_names = text, names
        if stemmed:
            scanned = FIELD_BREAK.join((text, *(view for _, view in stemmed)))
            scanned_names = (*names, *(name for name, _ in stemmed))
        every = every or self._fuzzy is not None
        found = self._exact(scanned, scanned_names, every) if self._ready else {}
        if self._fuzzy is not None:
            for name, folded in zip(names, text.split(FIELD_BREAK), strict=True):
                for hit in self._fuzzy.scan(name, folded):
                    found.setdefault(self.terms[hit.term].leaf, []).append(hit)
        return found

    def _exact(self, text: str, names: Sequence[str], every: bool) -> dict[int, list[Found]]:
        found: dict[int, list[Found]] = {}
        matches = list(self._automaton.iter(text))
        if not (every or any(value[3] for _, value in matches)):
            return found
        starts = _field_starts(text, len(names))
        if len(matches) > MAX_HITS_PER_TERM:  # only then can one term pass the cap
            matches = _capped(matches, starts)
        for last_char, (length, prefix, targets, _) in matches:
            field = bisect_right(starts, last_char) - 1
            offset = starts[field]
            start = last_char - length + 2  # after the leading space
            first = text.count(" ", offset, start) - 1  # words of the field before the match
            end = (text.find(" ", last_char) if prefix else last_char) - offset
            name = names[field]
            start -= offset
            for index, more_words, leaf in targets:
                # tuple.__new__ skips NamedTuple's Python-level __new__: the hot loop.
                hit = _new(Found, (name, first, first + more_words, index, start, end, None))
                if leaf in found:
                    found[leaf].append(hit)
                else:
                    found[leaf] = [hit]
        return found


def _field_starts(text: str, count: int) -> list[int]:
    """Where each field's folded text begins in the joined text."""
    starts = [0]
    for _ in range(count - 1):
        starts.append(text.index(FIELD_BREAK, starts[-1]) + 1)
    return starts


_new = tuple.__new__
_Match = tuple[int, tuple[int, bool, tuple[tuple[int, int, int], ...], bool]]


def _capped(matches: list[_Match], starts: list[int]) -> list[_Match]:
    """At most MAX_HITS_PER_TERM matches of each automaton key in each field, the first."""
    counts: Counter[tuple[int, int]] = Counter()
    kept = []
    for match in matches:
        key = (bisect_right(starts, match[0]), id(match[1]))  # one value tuple per key
        counts[key] += 1
        if counts[key] <= MAX_HITS_PER_TERM:
            kept.append(match)
    return kept
