"""The article-extraction benchmark's metric (Scrapinghub/Zyte's ``evaluate.py``), written
afresh: 4-word shingles of ``\\w+`` tokens of the predicted and true body; per page, true
and false positives and false negatives counted per shingle (with multiplicity) and
normalised by their sum, so a long page weighs no more than a short one; precision and
recall from the means over pages, F1 from those two."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+")
SHINGLE = 4
_NAMES = ("tp", "fp", "fn")


@dataclass(frozen=True, slots=True)
class Counts:
    """One page's shares of true positives, false positives and false negatives."""

    tp: float
    fp: float
    fn: float

    @property
    def f1(self) -> float:
        return Scores.of([self]).f1


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    @classmethod
    def of(cls, pages: Iterable[Counts]) -> Scores:
        rows = list(pages)
        if not rows:
            return cls(0.0, 0.0)
        tp, fp, fn = (sum(getattr(row, name) for row in rows) / len(rows) for name in _NAMES)
        return cls(_ratio(tp, tp + fp), _ratio(tp, tp + fn))


def page_counts(true: str, predicted: str) -> Counts:
    expected, found = _shingles(true), _shingles(predicted)
    tp = fp = fn = 0
    for shingle in expected.keys() | found.keys():
        want, got = expected[shingle], found[shingle]
        tp += min(want, got)
        fp += max(0, got - want)
        fn += max(0, want - got)
    total = tp + fp + fn
    return Counts(tp / total, fp / total, fn / total) if total else Counts(0.0, 0.0, 0.0)


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    return Counter(tuple(tokens[i : i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1)))


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0
