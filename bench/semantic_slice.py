"""The sentence embedding on real English headlines, as a tier after today's index.

Part of ``python -m bench.semantic_eval``: on the first rows of the news-story-clusters
slice, B-cubed precision and recall of StoryIndex alone (as ``bench.dedup_eval`` runs
it) and of StoryIndex followed by a semantic tier: an article the index leaves alone
joins the story of the earlier headline in the window with the best score, if that is
at or above a threshold and the two headlines' numbers agree. The score is the cosine,
or the cosine averaged with the two headlines' IDF-weighted word overlap (document
frequencies of the headlines seen so far). The tier only merges the index's stories;
it does not feed its joins back into the index (an integrated tier would).

And the cost of the scan such a tier needs: one query vector against every windowed
vector, float16 (as stored) and float32 rows, at window sizes.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise

import numpy as np
from threadpoolctl import threadpool_limits

from bench.dedup_eval import Row, bcubed, merged_labels, story_index
from bench.numbers_gate import numbers_agree, numbers_in
from monitor.config.settings import DedupSettings
from monitor.stories.headlines import content_tokens, fold, strip_decorations

_WINDOW = DedupSettings().window_hours
# (score, threshold, hours back a candidate may be): the window's, or only the newest hours
TIERS = (("cosine", 0.75, _WINDOW), ("cosine", 0.8, _WINDOW), ("cosine", 0.85, _WINDOW),
         ("averaged", 0.5, _WINDOW), ("averaged", 0.55, _WINDOW), ("averaged", 0.6, _WINDOW),
         ("averaged", 0.65, _WINDOW), ("averaged", 0.55, 6), ("averaged", 0.55, 1))  # fmt: skip
_BLOCK = 100_000  # rows scanned at once
_LOOKED_AT = 16  # best cosines judged per article


@dataclass(frozen=True, slots=True)
class SliceScore:
    method: str
    precision: float
    recall: float
    per_story: float


@dataclass(frozen=True, slots=True)
class ScanCost:
    window: int
    float16_ms: float
    float32_ms: float


class _Tier:
    """Online state: the headlines' vectors, words, numbers and document frequencies."""

    def __init__(self, rows: Sequence[Row], vectors: np.ndarray, index_story: list[str]) -> None:
        if any(later.seen < earlier.seen for earlier, later in pairwise(rows)):
            raise ValueError("rows must come in time order")
        self.rows, self.vectors, self.index_story = rows, vectors.astype(np.float32), index_story
        self.words = [content_tokens(fold(strip_decorations(row.title)), row.language)
                      for row in rows]  # fmt: skip
        self.numbers = [numbers_in(row.title) for row in rows]
        self.seen = np.array([row.seen.timestamp() for row in rows])
        self.horizon = 0.0

    def run(self, kind: str, threshold: float, hours: float) -> list[str]:
        self.horizon = timedelta(hours=hours).total_seconds()
        story: list[str] = []
        frequency: Counter[str] = Counter()
        for number in range(len(self.rows)):
            joined = self.index_story[number]
            if joined != str(number):
                story.append(story[int(joined)])
            else:
                chosen = self._best(number, kind, threshold, frequency)
                story.append(story[chosen] if chosen >= 0 else str(number))
            frequency.update(self.words[number])
        return story

    def _best(self, number: int, kind: str, threshold: float, frequency: Counter[str]) -> int:
        # rows come in time order (the slice is sorted by timestamp): the horizon is a range
        first = int(np.searchsorted(self.seen[:number], self.seen[number] - self.horizon))
        if first >= number:
            return -1
        cosines = self.vectors[first:number] @ self.vectors[number]
        floor = threshold if kind == "cosine" else 2 * threshold - 1  # overlap is at most 1
        best, chosen = threshold, -1
        for place in np.argsort(-cosines, kind="stable")[:_LOOKED_AT]:
            cosine, earlier = float(cosines[place]), first + int(place)
            if cosine < floor:
                break
            if not numbers_agree(self.numbers[number], self.numbers[earlier]):
                continue
            if kind == "averaged":
                cosine = (cosine + self._overlap(number, earlier, frequency)) / 2
            if cosine > best or (cosine == best and chosen < 0):
                best, chosen = cosine, earlier
        return chosen

    def _overlap(self, number: int, earlier: int, frequency: Counter[str]) -> float:
        count = number + 1

        def weight(word: str) -> float:
            return (math.log(count / (1 + frequency[word])) + 1) ** 2

        mine, theirs = self.words[number], self.words[earlier]
        norm = math.sqrt(sum(map(weight, mine)) * sum(map(weight, theirs)))
        return sum(map(weight, mine & theirs)) / norm if norm else 0.0


def slice_scores(rows: Sequence[Row], vectors: np.ndarray) -> list[SliceScore]:
    truth = merged_labels(rows)
    today = story_index(rows, DedupSettings())
    scores = [_scored("StoryIndex (today)", today, truth)]
    tier = _Tier(rows, vectors, today)
    for kind, threshold, hours in TIERS:
        newest = "" if hours == _WINDOW else f", newest {hours:g} h only"
        method = f"StoryIndex, then {kind} ≥ {threshold}, numbers gate{newest}"
        scores.append(_scored(method, tier.run(kind, threshold, hours), truth))
    return scores


def _scored(method: str, predicted: list[str], truth: list[str]) -> SliceScore:
    precision, recall, per_story = bcubed(predicted, truth)
    return SliceScore(method, precision, recall, per_story)


def scan_costs(windows: Sequence[int], dimensions: int = 512, repeats: int = 5) -> list[ScanCost]:
    """Median milliseconds of one query against ``window`` rows. A window larger than
    ``_BLOCK`` rows is scanned as that many blocks of one matrix (a scan's cost is linear
    in its rows; 400,000 float32 rows would take 800 MB of this shared machine). No
    windows (``--scan ''``) measure nothing."""
    if not windows:
        return []
    generator = np.random.default_rng(17)
    block = generator.standard_normal((min(max(windows), _BLOCK), dimensions), dtype=np.float32)
    narrow, query = block.astype(np.float16), block[0].copy()
    found = []
    for window in windows:
        wide_ms = _timed(block, query, window, repeats)
        found.append(
            ScanCost(window, _timed(narrow, query.astype(np.float16), window, repeats), wide_ms)
        )
    return found


def _timed(block: np.ndarray, query: np.ndarray, window: int, repeats: int) -> float:
    spent = []
    with threadpool_limits(limits=1, user_api="blas"):  # as a parse worker would run it
        for _ in range(repeats):
            started = time.perf_counter()
            for offset in range(0, window, len(block)):
                block[: window - offset] @ query
            spent.append(time.perf_counter() - started)
    return sorted(spent)[repeats // 2] * 1000


# -- MRPC ------------------------------------------------------------------------------

MRPC_THRESHOLDS = (0.7, 0.75, 0.8, 0.85, 0.9)
_JOINED = ("same_headline", "near_identical", "update", "related")


@dataclass(frozen=True, slots=True)
class MrpcScore:
    method: str
    said_same: int
    precision: float
    recall: float


def mrpc_scores(
    pairs: Sequence[tuple[bool, str, str]], kinds: Sequence[str], cosines: np.ndarray
) -> list[MrpcScore]:
    """ "Same story" on the MRPC pairs: the index's decision (``bench.dedup_eval``), the
    cosine under the numbers gate, and the index's decision else the gated cosine; a
    vetoed pair stays apart."""
    labels = [same for same, _, _ in pairs]
    today = [kind in _JOINED for kind in kinds]
    gate = [numbers_agree(numbers_in(first), numbers_in(second)) for _, first, second in pairs]
    scores = [_pair("StoryIndex (today)", today, labels)]
    for threshold in MRPC_THRESHOLDS:
        close = [
            bool(cosine >= threshold) and allowed
            for cosine, allowed in zip(cosines, gate, strict=True)
        ]
        either = [
            joined or (near and kind != "veto")
            for joined, near, kind in zip(today, close, kinds, strict=True)
        ]
        scores.append(_pair(f"cosine ≥ {threshold}, numbers gate", close, labels))
        scores.append(_pair(f"StoryIndex, else cosine ≥ {threshold}, numbers gate", either, labels))
    return scores


def _pair(method: str, said: Sequence[bool], labels: Sequence[bool]) -> MrpcScore:
    right = sum(mine and real for mine, real in zip(said, labels, strict=True))
    count = sum(said)
    return MrpcScore(method, count, right / count if count else 1.0, right / sum(labels))
