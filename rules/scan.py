"""Find every term of every rule in an article: one pass of one automaton for every
script, and a second pass for Latin-script terms in French, Spanish, German and
Turkish articles.

``Scanner`` compiles all terms into a pyahocorasick automaton. A term matched as
written is keyed by its folded form padded with spaces (" air strike "), so its key
can only match whole words of the folded text (" ... air strike ... "); a prefix term
leaves off the trailing space (" deploy"). A term that inflects (Arabic script,
Cyrillic) is keyed by the start its forms share, with no closing space (a stem too
short to be shared keys its one word, space included: ``rules.inflection.stem_keys``),
and each candidate is confirmed by the stems of the words there. The article's fields
are folded into one text, joined by FIELD_BREAK, which no key holds; one ``iter`` over
it finds every term in every field at once, whatever the number of rules.

Latin-script terms inflect only in an article in French, Spanish, German or Turkish
(``rules._latin``): their stem keys would otherwise add candidates to every English
article. Such an article takes a second automaton pass over the same text, of the
Latin-script terms keyed for its language (``rules.inflection.latin_key``), built
when the first article in that language comes, with its own cap per key and field;
such an article is always scanned in full (``every``: the second pass can find what
the first did not).

Each hit becomes a ``Found``: which term, in which field, from which word to which
word. Original character offsets and sentences are worked out only when a match is
reported or a proximity rule asks.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import ahocorasick

from rules._latin import LANGUAGES
from rules.field import Found, TermInfo
from rules.fuzzy import FuzzyIndex, FuzzyTerm
from rules.inflection import STEMS, by_stem, latin_inflects, latin_key, stem_keys, stems_in
from rules.text import FIELD_BREAK, TermPattern, term_pattern

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
            keys.add(index, term, term_pattern(term.written))
        for key, (plain, checks) in keys.items():  # the value: what each match needs
            targets = (*plain, *(target for _, found in checks.items() for target in found))
            triggers_rule = triggers is None or any(leaf in triggers for *_, leaf in targets)
            stems = _stem_checks(checks)
            value = (len(key), not key.endswith(" "), tuple(plain), triggers_rule, stems)
            self._automaton.add_word(key, value)
        self._ready = bool(keys)
        if self._ready:
            self._automaton.make_automaton()
        # Built for a language when the first article in it comes (``_latin_in``).
        self._latin_terms = tuple(keys.latin)
        self._latin: dict[str, ahocorasick.Automaton | None] = {}
        self._fuzzy = FuzzyIndex(fuzzy) if fuzzy else None

    def scan(
        self, text: str, names: Sequence[str], *, every: bool = True, language: str = ""
    ) -> dict[int, list[Found]]:
        """Every term in ``text``, the folded texts of the fields ``names`` joined by
        FIELD_BREAK, each capped at MAX_HITS_PER_TERM per field, grouped by the leaf
        (list or inline terms) it belongs to. In an article in ``language`` French,
        Spanish, German or Turkish, Latin-script terms match their inflected forms too.

        Unless ``every``, nothing when no exact hit is of a trigger leaf (and there are
        no fuzzy terms and no second pass in ``language``): an article whose hits can
        make no rule fire costs no more.
        """
        latin = self._latin_in(language) if language in LANGUAGES else None
        every = every or self._fuzzy is not None or latin is not None
        found = self._exact(text, names, every) if self._ready else {}
        if latin is not None:
            _add_latin(latin, text, names, language, found)
        if self._fuzzy is not None:
            for name, folded in zip(names, text.split(FIELD_BREAK), strict=True):
                for hit in self._fuzzy.scan(name, folded):
                    found.setdefault(self.terms[hit.term].leaf, []).append(hit)
        return found

    def _latin_in(self, language: str) -> ahocorasick.Automaton | None:
        """The automaton of the Latin-script terms that inflect, keyed for ``language``."""
        if language not in self._latin:
            self._latin[language] = _latin_automaton(self._latin_terms, language)
        return self._latin[language]

    def _exact(self, text: str, names: Sequence[str], every: bool) -> dict[int, list[Found]]:
        found: dict[int, list[Found]] = {}
        matches = list(self._automaton.iter(text))
        if not (every or any(value[3] for _, value in matches)):
            return found
        starts = _field_starts(text, len(names))
        if len(matches) > MAX_HITS_PER_TERM:  # only then can one term pass the cap
            matches = _capped(matches, starts, text, STEMS)
        for last_char, (length, prefix, targets, _, stems) in matches:
            start = last_char - length + 2  # after the leading space
            if (
                stems is not None
                and not targets
                and _keyed_stem(text, start, STEMS) not in stems[0]
            ):
                continue  # a word that only begins like a term's: the common case, kept cheap
            # Inline, not ``_place``: the hot loop of every plain (English) hit.
            field = bisect_right(starts, last_char) - 1
            offset = starts[field]
            first = text.count(" ", offset, start) - 1  # words of the field before the match
            name = names[field]
            if stems is not None:
                _add_by_stem(found, text, start, (name, first, offset), stems[1], stems=STEMS)
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
# A StemKey's position and accepted stems, and the phrase the plain key already finds
# (Latin-script terms, whose written spelling keeps its own key), else None.
_Check = tuple[int, tuple[frozenset[str], ...], str | None]
_Checks = tuple[tuple[_Check, tuple[_Target, ...]], ...]


class _Keys(dict[str, tuple[list[_Target], dict[_Check, list[_Target]]]]):
    """Automaton key → the terms it spells as written, and the terms whose keyed word
    it starts (by the stems that confirm them, ``rules.inflection.stem_keys``); and the
    Latin-script terms that inflect in some languages (``latin``), with their phrase."""

    def __init__(self) -> None:
        super().__init__()
        self.latin: list[tuple[TermPattern, _Target]] = []

    def add(self, index: int, term: TermInfo, pattern: TermPattern) -> None:
        target = (index, term.words - 1, term.leaf)
        if not by_stem(pattern, exact=term.exact):
            self._entry(pattern.key)[0].append(target)
            if not term.exact and latin_inflects(pattern):
                self.latin.append((pattern, target))
            return
        for key, position, accepted in stem_keys(pattern):
            self._entry(key)[1].setdefault((position, accepted, None), []).append(target)

    def _entry(self, key: str) -> tuple[list[_Target], dict[_Check, list[_Target]]]:
        entry = self.get(key)
        if entry is None:
            entry = self[key] = ([], {})
        return entry


def _stem_checks(
    checks: dict[_Check, list[_Target]],
) -> tuple[frozenset[str], _Checks] | None:
    """The stems the keyed word of some term here may have, and each term's checks."""
    if not checks:
        return None
    keyed = frozenset(stem for position, accepted, _ in checks for stem in accepted[position])
    return keyed, tuple((check, tuple(found)) for check, found in checks.items())


def _keyed_stem(text: str, start: int, stems: Mapping[str, str]) -> str:
    return stems[text[start : text.find(" ", start)]]


def _place(
    text: str, starts: Sequence[int], names: Sequence[str], last_char: int, start: int
) -> tuple[str, int, int]:
    """The field of a match at ``start``, its words before it, and where the field begins."""
    field = bisect_right(starts, last_char) - 1
    offset = starts[field]
    return names[field], text.count(" ", offset, start) - 1, offset


def _add_by_stem(
    found: dict[int, list[Found]],
    text: str,
    start: int,
    place: tuple[str, int, int],
    checks: _Checks,
    *,
    stems: Mapping[str, str],
) -> None:
    """Hits of the terms in ``checks`` whose stems the words at ``start`` have, at
    ``place`` (``_place``)."""
    name, first, offset = place
    for before, begin, end, targets in _confirmed(text, start, checks, stems):
        _add_hits(found, (name, first - before, begin - offset, end - offset), targets)


def _confirmed(
    text: str, start: int, checks: _Checks, stems: Mapping[str, str]
) -> list[tuple[int, int, int, tuple[_Target, ...]]]:
    """Where the automaton found the start of a word of terms that inflect: (words
    before it, start, end, terms) of each term whose stems the words there have."""
    confirmed = []
    word_end = text.find(" ", start)
    stemmed = stems[text[start:word_end]]  # the keyed word's: most terms have one word
    for (position, accepted, phrase), targets in checks:
        if stemmed not in accepted[position]:
            continue
        begin = start
        for _ in range(position):  # back to the term's first word
            begin = text.rfind(" ", 0, begin - 1) + 1
        end = word_end if len(accepted) == 1 else _stems_end(text, begin, accepted, stems)
        if end >= 0 and text[begin:end] != phrase:
            confirmed.append((position, begin, end, targets))
    return confirmed


def _stems_end(
    text: str, start: int, accepted: tuple[frozenset[str], ...], stems: Mapping[str, str]
) -> int:
    """Where the words from ``start`` end when each one's stem is among those
    ``accepted`` for it, else -1. A short word of a Latin-script phrase is accepted as
    written only (``rules.inflection.as_written``: the word and the space after it,
    which no stem holds)."""
    end = start - 1
    for expected in accepted:
        word_start, end = end + 1, text.find(" ", end + 1)
        if end < 0:
            return -1
        if (
            stems[text[word_start:end]] not in expected
            and text[word_start : end + 1] not in expected
        ):
            return -1
    return end


# -- Latin-script terms in French, Spanish, German and Turkish articles ---------------


def _latin_automaton(
    terms: Sequence[tuple[TermPattern, _Target]], language: str
) -> ahocorasick.Automaton | None:
    """An automaton of Latin-script terms that inflect, each keyed by the start its
    forms share in ``language`` (``rules.inflection.latin_key``); None without terms."""
    keys: dict[str, dict[_Check, list[_Target]]] = {}
    for pattern, target in terms:
        key, position, accepted = latin_key(pattern, language)
        check = (position, accepted, " ".join(pattern.words))
        keys.setdefault(key, {}).setdefault(check, []).append(target)
    if not keys:
        return None
    automaton = ahocorasick.Automaton()
    for key, checks in keys.items():  # the plain automaton's value, without plain terms
        automaton.add_word(key, (len(key), True, (), True, _stem_checks(checks)))
    automaton.make_automaton()
    return automaton


def _add_latin(
    automaton: ahocorasick.Automaton,
    text: str,
    names: Sequence[str],
    language: str,
    found: dict[int, list[Found]],
) -> None:
    """The hits by stem, in ``language``, of Latin-script terms in their inflected
    forms (the forms written as in the rule are the plain automaton's)."""
    matches = list(automaton.iter(text))
    if not matches:
        return
    starts = _field_starts(text, len(names))
    stems = stems_in(language)
    if len(matches) > MAX_HITS_PER_TERM:
        matches = _capped(matches, starts, text, stems)
    for last_char, (length, _, _, _, (keyed, checks)) in matches:
        start = last_char - length + 2
        if _keyed_stem(text, start, stems) in keyed:
            place = _place(text, starts, names, last_char, start)
            _add_by_stem(found, text, start, place, checks, stems=stems)


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
_Match = tuple[int, tuple[Any, ...]]  # (last character, the key's value)


def _capped(
    matches: list[_Match], starts: list[int], text: str, stems: Mapping[str, str]
) -> list[_Match]:
    """At most MAX_HITS_PER_TERM matches of each automaton key in each field, the first,
    not counting words that only begin like a term's (their stem is not the key's): so
    many look-alikes cannot hide a real form behind them."""
    counts: Counter[tuple[int, int]] = Counter()
    kept = []
    for match in matches:
        last_char, (length, _, targets, _, checks) = match
        if (  # plain keys' checks are None: as cheap as before
            checks is not None
            and not targets
            and _keyed_stem(text, last_char - length + 2, stems) not in checks[0]
        ):
            continue
        key = (bisect_right(starts, last_char), id(match[1]))  # one value tuple per key
        counts[key] += 1
        if counts[key] <= MAX_HITS_PER_TERM:
            kept.append(match)
    return kept
