"""Approximate matching for the entries that ask for it: spellings no one listed.

An entry with ``fuzzy = { threshold = 88, min_length = 6 }`` also hits on any run
of as many words as one of its spellings whose rapidfuzz ``ratio`` against that
spelling reaches the threshold, provided the run has at least ``min_length``
characters. Short words are where near-misses are other words ("Hama" and
"Hamas" score 89), hence the minimum. Comparisons run in rapidfuzz's C code, but
they are per word of the article, so fuzzy entries cost far more than exact ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from rapidfuzz import fuzz, process

from rules.field import Found

_MAX_FUZZY_HITS = 20  # per term and field, as for exact hits


@dataclass(frozen=True, slots=True)
class FuzzyTerm:
    """One spelling to approximate: its index among the scanner's terms and its settings."""

    term: int
    folded: str  # its words joined by single spaces
    words: int
    threshold: float
    min_length: int


@dataclass(frozen=True, slots=True)
class _Group:
    """The fuzzy spellings of one word count, compared together."""

    terms: tuple[FuzzyTerm, ...]
    choices: tuple[str, ...]
    cutoff: float
    min_length: int


class FuzzyIndex:
    def __init__(self, terms: Sequence[FuzzyTerm]) -> None:
        by_words: dict[int, list[FuzzyTerm]] = {}
        for term in terms:
            by_words.setdefault(term.words, []).append(term)
        self._groups = {
            words: _Group(
                tuple(group),
                tuple(term.folded for term in group),
                min(term.threshold for term in group),
                min(term.min_length for term in group),
            )
            for words, group in by_words.items()
        }

    def scan(self, name: str, folded: str) -> list[Found]:
        words = folded.split()
        starts = list(accumulate((len(word) + 1 for word in words), initial=1))
        found: list[Found] = []
        counts: dict[int, int] = {}
        for size, group in self._groups.items():
            scores: dict[str, list[tuple[FuzzyTerm, float]]] = {}
            for first in range(len(words) - size + 1):
                gram = " ".join(words[first : first + size])
                if len(gram) < group.min_length:
                    continue
                if gram not in scores:
                    scores[gram] = _close(gram, group)
                last = first + size - 1
                span = (starts[first], starts[last] + len(words[last]))
                for term, score in scores[gram]:
                    counts[term.term] = counts.get(term.term, 0) + 1
                    if counts[term.term] <= _MAX_FUZZY_HITS:
                        found.append(Found(name, first, last, term.term, *span, score))
        return found


def _close(gram: str, group: _Group) -> list[tuple[FuzzyTerm, float]]:
    """The spellings ``gram`` comes close to, but does not equal (exact hits are found
    by the automaton already)."""
    results = process.extract(
        gram, group.choices, scorer=fuzz.ratio, score_cutoff=group.cutoff, limit=None
    )
    close = []
    for _, score, index in results:
        term = group.terms[index]
        if term.threshold <= score < 100 and len(gram) >= term.min_length:
            close.append((term, round(float(score), 1)))
    return close
