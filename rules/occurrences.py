"""Where terms occur in a text, found as the matcher finds them, on the original text.

Alerts quote the article around the terms that made a rule fire. The terms are
looked for with the matcher's own folding (``rules.text``) and stemming
(``rules.inflection``): case, accents, possessives, prefix wildcards, inflected
forms and every script behave as in matching, so what is marked is what matched.
Offsets are into the text as given, never into its folded form, so they can be
shown over the original characters.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from functools import partial
from typing import NamedTuple

from rules._latin import LANGUAGES
from rules.inflection import as_written, by_stem, latin_forms, latin_inflects, stem, term_forms
from rules.text import TermPattern, Token, term_pattern, tokenise

MAX_OCCURRENCES = 200  # enough to quote any article; bounds the work on hostile text


class Occurrence(NamedTuple):
    """One term found: as written in the rule, and the span of the text it covers."""

    term: str
    start: int
    end: int


def find_terms(
    text: str, terms: Iterable[str], *, exact: Collection[str] = (), language: str = ""
) -> list[Occurrence]:
    """Every occurrence of ``terms`` in ``text`` (whole words, folded as in matching, in
    inflected forms unless the term is in ``exact``; Latin-script terms in inflected
    forms when ``language`` is one whose words are stemmed), in text order; at most
    MAX_OCCURRENCES."""
    tokens = tokenise(text)
    words = [token.text for token in tokens]
    stems: dict[str, list[str]] = {}  # by language ("": by script)
    found: list[Occurrence] = []
    for term in dict.fromkeys(terms):
        pattern = term_pattern(term)
        if not pattern.words:
            continue
        by_language = _stemmed_in(pattern, term in exact, language)
        if by_language is None:
            found.extend(
                _runs(term, tokens, len(pattern.words), partial(_matches_at, pattern, words))
            )
            continue
        if by_language not in stems:
            stems[by_language] = [stem(word, by_language) for word in words]
        forms = _forms(pattern, by_language)
        matches_at = partial(_stems_at, forms, stems[by_language], words)
        found.extend(_runs(term, tokens, len(forms), matches_at))
    found.sort(key=lambda occurrence: (occurrence.start, -occurrence.end, occurrence.term))
    return found[:MAX_OCCURRENCES]


def _stemmed_in(pattern: TermPattern, exact: bool, language: str) -> str | None:
    """How a term's words are compared: "" by their script's stems, ``language`` by that
    language's, None as written (exact, a wildcard, or words that do not inflect)."""
    if exact:
        return None
    if by_stem(pattern, exact=False):
        return ""
    return language if language in LANGUAGES and latin_inflects(pattern) else None


def _forms(pattern: TermPattern, language: str) -> tuple[tuple[str, ...], ...]:
    if not language:
        return term_forms(pattern.words)
    return tuple((form,) for form in latin_forms(pattern.words, language))


def _runs(
    term: str, tokens: Sequence[Token], size: int, matches_at: Callable[[int], bool]
) -> list[Occurrence]:
    """The runs of ``size`` tokens from each ``first`` where ``matches_at(first)``."""
    found = []
    for first in range(len(tokens) - size + 1):
        if matches_at(first):
            found.append(Occurrence(term, tokens[first].start, tokens[first + size - 1].end))
            if len(found) == MAX_OCCURRENCES:
                break
    return found


def _stems_at(
    forms: Sequence[Sequence[str]], stems: Sequence[str], words: Sequence[str], first: int
) -> bool:
    """The stems of consecutive words from ``first`` are each among the forms of a term's
    words, or the word is (a short word of a Latin-script phrase: ``as_written``)."""
    return all(
        stems[first + index] in accepted or as_written(words[first + index]) in accepted
        for index, accepted in enumerate(forms)
    )


def _matches_at(pattern: TermPattern, words: Sequence[str], first: int) -> bool:
    *whole, last = pattern.words
    candidate = words[first + len(whole)]
    if not (candidate.startswith(last) if pattern.prefix else candidate == last):
        return False
    return all(words[first + index] == word for index, word in enumerate(whole))
