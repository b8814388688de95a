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
from rules.inflection import STEMS, by_stem, stem_keys
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
        keys = _Keys()
        for index, term in enumerate(self.terms):
            keys.add(index, term)
        for key, (plain, checks) in keys.items():  # the value: what each match needs
            targets = (*plain, *(target for _, found in checks.items() for target in found))
            triggers_rule = triggers is None or any(leaf in triggers for *_, leaf in targets)
            stems = tuple((stems, tuple(found)) for stems, found in checks.items()) or None
            value = (len(key), not key.endswith(" "), tuple(plain), triggers_rule, stems)
            self._automaton.add_word(key, value)
        self._ready = bool(keys)
        if self._ready:
            self._automaton.make_automaton()
        self._fuzzy = FuzzyIndex(fuzzy) if fuzzy else None

    def scan(
        self, text: str, names: Sequence[str], *, every: bool = True
    ) -> dict[int, list[Found]]:
        """Every term in ``text``, the folded texts of the fields ``names`` joined by
        FIELD_BREAK, each capped at MAX_HITS_PER_TERM per field, grouped by the leaf
        (list or inline terms) it belongs to.

        Unless ``every``, nothing when no exact hit is of a trigger leaf (and there are
        no fuzzy terms): an article whose hits can make no rule fire costs no more.
        """
        every = every or self._fuzzy is not None
        found = self._exact(text, names, every) if self._ready else {}
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
        for last_char, (length, prefix, targets, _, stems) in matches:
            field = bisect_right(starts, last_char) - 1
            offset = starts[field]
            start = last_char - length + 2  # after the leading space
            first = text.count(" ", offset, start) - 1  # words of the field before the match
            name = names[field]
            if stems is not None:
                for before, begin, end, confirmed in _confirmed(text, start, stems):
                    where = (name, first - before, begin - offset, end - offset)
                    _add_hits(found, where, confirmed)
            if not targets:
                continue
            end = (text.find(" ", last_char) if prefix else last_char) - offset
            for index, more_words, leaf in targets:
                # tuple.__new__ skips NamedTuple's Python-level __new__: the hot loop.
                hit = _new(
                    Found, (name, first, first + more_words, index, start - offset, end, None)
                )
                if leaf in found:
                    found[leaf].append(hit)
                else:
                    found[leaf] = [hit]
        return found


_Target = tuple[int, int, int]  # term index, words after the first, leaf
_Check = tuple[int, tuple[frozenset[str], ...]]  # a StemKey's position and accepted stems


class _Keys(dict[str, tuple[list[_Target], dict[_Check, list[_Target]]]]):
    """Automaton key → the terms it spells as written, and the terms whose keyed word
    it starts (by the stems that confirm them, ``rules.inflection.stem_keys``)."""

    def add(self, index: int, term: TermInfo) -> None:
        target = (index, term.words - 1, term.leaf)
        pattern = term_pattern(term.written)
        if not by_stem(pattern, exact=term.exact):
            self._entry(pattern.key)[0].append(target)
            return
        for key, position, accepted in stem_keys(pattern):
            self._entry(key)[1].setdefault((position, accepted), []).append(target)

    def _entry(self, key: str) -> tuple[list[_Target], dict[_Check, list[_Target]]]:
        entry = self.get(key)
        if entry is None:
            entry = self[key] = ([], {})
        return entry


def _confirmed(
    text: str, start: int, checks: tuple[tuple[_Check, tuple[_Target, ...]], ...]
) -> list[tuple[int, int, int, tuple[_Target, ...]]]:
    """Where the automaton found the start of a word of terms that inflect: (words
    before it, start, end, terms) of each term whose stems the words there have."""
    confirmed = []
    word_end = text.find(" ", start)
    stemmed = STEMS[text[start:word_end]]  # the keyed word's: most terms have one word
    for (position, accepted), targets in checks:
        if stemmed not in accepted[position]:
            continue
        begin = start
        for _ in range(position):  # back to the term's first word
            begin = text.rfind(" ", 0, begin - 1) + 1
        end = _stems_end(text, begin, accepted) if len(accepted) > 1 else word_end
        if end >= 0:
            confirmed.append((position, begin, end, targets))
    return confirmed


def _stems_end(text: str, start: int, accepted: tuple[frozenset[str], ...]) -> int:
    """Where the words from ``start`` end when each one's stem is among those
    ``accepted`` for it, else -1."""
    end = start - 1
    for stems in accepted:
        word_start, end = end + 1, text.find(" ", end + 1)
        if end < 0 or STEMS[text[word_start:end]] not in stems:
            return -1
    return end


def _add_hits(
    found: dict[int, list[Found]], where: tuple[str, int, int, int], targets: tuple[_Target, ...]
) -> None:
    """Hits of ``targets`` at ``where``: the field, its first word, start and end."""
    name, first, start, end = where
    for index, more_words, leaf in targets:
        hit = _new(Found, (name, first, first + more_words, index, start, end, None))
        found.setdefault(leaf, []).append(hit)


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
