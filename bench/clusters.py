"""Near-duplicate precision of ``StoryIndex`` on real headlines, when the data is present.

The data is the UCI "News Aggregator" set as described by its ``SOURCE.md``:
headlines labelled with a story-cluster id. It is read in place and never copied
into the project; only counts leave this module.

A cluster is a whole news story as an aggregator grouped it, mostly worded
differently by each outlet, while wirewatch folds only near-identical
headlines. So precision (a fold joins the same cluster) is the figure that
matters; "coverage" (folds among rows whose cluster was already seen) is
expected to be low by design and is reported for context. The labels are noisy:
the same headline is sometimes filed under two clusters, so wrong folds whose
headlines normalise to the very same text are counted apart.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.naive import PairwiseTitles
from bench.paths import NearDuplicates
from monitor.config.settings import DedupSettings
from monitor.stories.dedup import StoryIndex, normalise_headline

SLICE_FILE = "newsCorpora_first14days_stories.tsv"


@dataclass(frozen=True, slots=True)
class Headline:
    row_id: str
    title: str
    cluster: str
    seen: datetime


@dataclass(frozen=True, slots=True)
class FoldScore:
    """How one near-duplicate method did on the sample."""

    folds: int
    correct: int
    repeats: int  # rows whose cluster already appeared earlier in the sample
    same_text: int  # folds into ANOTHER cluster whose headlines normalise identically
    decisions: tuple[str | None, ...]  # per row: the row id it was folded into, or None

    @property
    def precision(self) -> float:
        return self.correct / self.folds if self.folds else 1.0

    @property
    def coverage(self) -> float:
        return self.correct / self.repeats if self.repeats else 0.0


@dataclass(frozen=True, slots=True)
class ClusterResult:
    rows: int
    clusters: int
    index: FoldScore
    pairwise: FoldScore

    @property
    def agreeing_rows(self) -> int:
        pairs = zip(self.index.decisions, self.pairwise.decisions, strict=True)
        return sum(mine == theirs for mine, theirs in pairs)


def read_sample(directory: Path, rows: int) -> list[Headline]:
    """The first ``rows`` headlines of the slice file, in ID (nearly time) order."""
    with (directory / SLICE_FILE).open(encoding="utf-8", newline="") as handle:
        return [row for row, _ in zip(_headlines(handle), range(rows), strict=False)]


def _headlines(lines: Iterator[str]) -> Iterator[Headline]:
    reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in reader:
        seen = datetime.fromtimestamp(int(row["TIMESTAMP"]) / 1000, tz=UTC)
        yield Headline(row["ID"], row["TITLE"], row["STORY"], seen)


def score(near: NearDuplicates, sample: list[Headline]) -> FoldScore:
    """Find then add each headline; a fold is correct when it joins the same cluster."""
    first: dict[str, Headline] = {}  # story id -> its first row
    seen_clusters: set[str] = set()
    decisions: list[str | None] = []
    correct = repeats = same_text = 0
    for row in sample:
        repeats += row.cluster in seen_clusters
        seen_clusters.add(row.cluster)
        found = near.find(row.title, row.seen)
        story_id = found.story_id if found is not None else row.row_id
        decisions.append(found.story_id if found is not None else None)
        if found is not None and first[story_id].cluster == row.cluster:
            correct += 1
        elif found is not None:
            same_text += _same_text(first[story_id].title, row.title)
        first.setdefault(story_id, row)
        near.add(story_id, story_id, row.title, row.seen)
    folds = sum(decision is not None for decision in decisions)
    return FoldScore(folds, correct, repeats, same_text, tuple(decisions))


def _same_text(first: str, second: str) -> bool:
    return normalise_headline(first) == normalise_headline(second)


def measure(directory: Path, rows: int, settings: DedupSettings) -> ClusterResult:
    sample = read_sample(directory, rows)
    window = timedelta(hours=settings.window_hours)
    index = score(StoryIndex(window, settings.title_similarity), sample)
    pairwise = score(PairwiseTitles(window, settings.title_similarity), sample)
    return ClusterResult(len(sample), len({row.cluster for row in sample}), index, pairwise)
