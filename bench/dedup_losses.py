"""Where story grouping loses recall on real headlines (docs/decisions/0070).

    python -m bench.dedup_losses [--rows 12000] [--offset 0] [--data ../shared/data]

The slice's rows (``--offset`` rows skipped: 12000 gives the held-out half) are replayed
through ``StoryIndex`` in de-leaked time order, as ``bench.dedup_eval``'s de-leaked rows
are. At each article's lookup, every earlier article of its (merged) label that sits in
another story than the one it joins is a lost pair, put in one class by the most advanced
its story reached: older than the window; never a candidate (none of its members among
the lexical candidates or the nearest by meaning); kept apart by a gate (the first that
fires); ungated but below the bar (the better margin of the related and semantic tiers);
over a bar while the article joined another story. Each class is split by what the
article did: joined another fragment of its own story, started a story, or joined
another label's. Pairs are weighted as B-cubed weighs them, so the shares add up to the
recall lost. Only counts are printed; the data is read in place.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bench.dedup_eval import (
    DEFAULT_DATA,
    SLICE,
    SPREAD_SEED,
    Row,
    merged_labels,
    read_slice,
    survivor,
)
from bench.embeddings import vectors_of
from bench.surge_stream import spread_times
from monitor.config.settings import DedupSettings
from monitor.stories.aliases import other_entities
from monitor.stories.dedup import story_index_for
from monitor.stories.directions import opposed
from monitor.stories.evidence import (
    _ALIGNED,
    _MIN_OVERLAP,
    _MIN_WORDS,
    Entry,
    Query,
    Rarity,
    _cosine,
    compared_words,
    rare_name_shared,
    related,
    shared_words,
    substituted,
)
from monitor.stories.headlines import grouping_text, strip_decorations
from monitor.stories.index import _NEIGHBOURS, StoryIndex
from monitor.stories.numbers import numbers_conflict
from monitor.stories.semantic import decoded
from monitor.stories.whole import story_whole, with_centroid

WINDOW, RETRIEVAL, GATE, BELOW, OVER = range(5)  # how far a lost pair's story got
_MARGINS = (0.02, 0.05, 0.10, 0.20)


@dataclass(frozen=True, slots=True)
class Lookup:
    """What one article's lookup saw."""

    query: Query
    seen: float
    lexical: frozenset[int]  # ids of the entries judged by words
    nearest: dict[int, float]  # serial: cosine, the nearest by meaning
    vector: npt.NDArray[np.float32] | None
    idf: Rarity


def losses(rows: Sequence[Row], settings: DedupSettings) -> tuple[dict[str, float], float]:
    """The recall lost per class (B-cubed weights), and the B-cubed recall itself."""
    labels = merged_labels(rows)
    times = spread_times([(row.story, row.seen) for row in rows], SPREAD_SEED)
    order = sorted(range(len(rows)), key=lambda number: (times[number], number))
    sizes = Counter(labels)
    replay = _Replay(story_index_for(settings))
    lost: defaultdict[str, float] = defaultdict(float)
    for number in order:
        row, label = replace(rows[number], seen=times[number]), labels[number]
        for name, pairs in replay.next(row, label).items():
            lost[name] += pairs * 2 / sizes[label] / len(rows)
    return dict(lost), 1.0 - sum(lost.values())


class _Replay:
    """The index fed one article at a time, remembering each article's story and entry."""

    def __init__(self, index: StoryIndex) -> None:
        self.index = index
        self.story_of: list[str] = []
        self.serial_of: list[int] = []
        self.vectors: list[npt.NDArray[np.float32] | None] = []
        self.by_label: defaultdict[str, list[int]] = defaultdict(list)
        self.labels_of: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.into: dict[str, str] = {}  # absorbed story: the story it was merged into

    def next(self, row: Row, label: str) -> Counter[str]:
        """The lost pairs of ``row``'s lookup by class; then ``row`` is added."""
        number = len(self.story_of)
        story, lookup, absorbed = self._looked_up(row)
        lost = self._classified(lookup, story, label, self._outcome(story, label))
        self._add(row, story, label, lookup.vector, number, absorbed)
        return lost

    def _looked_up(self, row: Row) -> tuple[str, Lookup, tuple[str, ...]]:
        """The story ``row`` joins (its own number if none), what its lookup saw, and the
        stories it merges into that one."""
        index = self.index
        seen, vector = row.seen.timestamp(), decoded(row.vector)
        query = index._query(row.title, "", row.language)
        idf = Rarity(index._postings, len(index._entries))
        lexical = frozenset(map(id, index._candidates(query, seen)))
        near = dict(index._vectors.nearest(vector, _NEIGHBOURS)) if vector is not None else {}
        found = index.find(row.title, row.seen, language=row.language, vector=row.vector)
        story = found.story_id if found is not None else str(len(self.story_of))
        absorbed = found.absorbed if found is not None else ()
        return story, Lookup(query, seen, lexical, near, vector, idf), absorbed

    def _add(
        self,
        row: Row,
        story: str,
        label: str,
        vector: npt.NDArray[np.float32] | None,
        number: int,
        absorbed: tuple[str, ...] = (),
    ) -> None:
        """``row`` added to the index in ``story`` (merging the ``absorbed`` into it, as
        ``bench.dedup_eval`` does), and remembered."""
        self.index.add(story, story, row.title, row.seen, language=row.language,
                       vector=row.vector, absorbed=absorbed)  # fmt: skip
        headline = grouping_text(strip_decorations(row.title), row.language)
        for gone in absorbed:
            self.into[gone] = story
            self.labels_of[story].update(self.labels_of.pop(gone, Counter()))
        self.story_of.append(story)
        self.serial_of.append(self.index._by_headline.get(headline, -1))
        self.vectors.append(vector)
        self.by_label[label].append(number)
        self.labels_of[story][label] += 1

    def story_now(self, number: int) -> str:
        """The story article ``number`` is in now, after the merges since it joined."""
        return survivor(self.story_of[number], self.into)

    def _outcome(self, story: str, label: str) -> str:
        held = self.labels_of.get(story)
        if not held:
            return "the article started a story of its own"
        if held.most_common(1)[0][0] == label:
            return "the article joined another fragment of its own story"
        return "the article joined another label's story"

    def _classified(self, lookup: Lookup, story: str, label: str, outcome: str) -> Counter[str]:
        apart: defaultdict[str, list[int]] = defaultdict(list)
        for earlier in self.by_label[label]:
            if (now := self.story_now(earlier)) != story:
                apart[now].append(earlier)
        lost: Counter[str] = Counter()
        for members in apart.values():
            # the first member that got furthest: its gate or margin names the class
            reached = max((self._reached(lookup, m) for m in members), key=lambda r: r[0])
            lost[f"{_CLASS_NAMES[reached[0]]}{reached[1]} | {outcome}"] += len(members)
        return lost

    def _reached(self, lookup: Lookup, member: int) -> tuple[int, str]:
        """How far the pair (the article, ``member``) got, and the detail (gate, margin)."""
        serial = self.serial_of[member]
        entry = self.index._entries.get(serial)
        if entry is None or abs(lookup.seen - entry.seen) > self.index.window.total_seconds():
            return WINDOW, ""
        if id(entry) not in lookup.lexical and serial not in lookup.nearest:
            return RETRIEVAL, ""
        gate = _gate(lookup.query, entry)
        if gate:
            return GATE, gate
        margin = self._margin(lookup, entry, serial, self.vectors[member])
        if margin >= 0:
            return OVER, ""
        return BELOW, next((f"by < {edge:.2f}" for edge in _MARGINS if margin > -edge), "by more")

    def _margin(
        self,
        lookup: Lookup,
        entry: Entry,
        serial: int,
        theirs: npt.NDArray[np.float32] | None,
    ) -> float:
        """The better of the related and semantic scores, less their bars."""
        index, query = self.index, lookup.query
        related_bar, semantic_bar = index._bars(lookup.seen - entry.seen)
        best = -1.0
        if id(entry) in lookup.lexical:
            best = related(query, entry, lookup.idf) - related_bar
        mine = lookup.vector
        if mine is None or theirs is None or min(len(query.tokens), len(entry.tokens)) < _MIN_WORDS:
            return best
        cosine = lookup.nearest.get(serial, _cosine_of(mine, theirs))
        if not _one_language(query, entry):
            aligned = query.language in _ALIGNED and entry.language in _ALIGNED
            return max(best, cosine - index.across) if aligned else best
        eased = index.name_easing if rare_name_shared(query, entry, lookup.idf) else 0.0
        score, words = self._semantic(lookup, entry, cosine)
        margin = score - (semantic_bar - eased)
        if words < _MIN_OVERLAP:  # too few shared words to join at any cosine
            margin = min(margin, words - _MIN_OVERLAP - 1e-4)
        return max(best, margin)

    def _semantic(self, lookup: Lookup, entry: Entry, cosine: float) -> tuple[float, float]:
        """The one-language semantic score and its word overlap, the story's whole counted
        as the index counts it."""
        index, query, vector = self.index, lookup.query, lookup.vector
        assert vector is not None
        story = with_centroid(entry.story, index._vectors)
        whole = story_whole(story, index._entries, vector, float(np.linalg.norm(vector)))
        mine, theirs = compared_words(query, entry)
        words = _cosine(shared_words(mine, theirs), mine, theirs, lookup.idf)
        if whole is not None:
            cosine = max(cosine, whole.cosine)
            words = max(words, whole.words(query.tokens, lookup.idf))
        return (cosine + words) / 2, words


_CLASS_NAMES = {
    WINDOW: "older than the window",
    RETRIEVAL: "never a candidate",
    GATE: "a gate: ",
    BELOW: "below the bar ",
    OVER: "over a bar, but the article joined another story",
}


def _gate(query: Query, entry: Entry) -> str:
    """The first gate that keeps the pair apart, or ""."""
    if opposed(query.directions, entry.directions):
        return "direction words"
    if other_entities(query.aliases, entry.aliases):
        return "known-entity aliases"
    if _one_language(query, entry) and substituted(query, entry):
        return "a name the other does not mention"
    if numbers_conflict(query.numbers, entry.numbers):
        return "numbers"
    if numbers_conflict(query.counts, entry.counts):
        return "casualty counts"
    return ""


def _one_language(query: Query, entry: Entry) -> bool:
    return query.language == entry.language or not (query.language and entry.language)


def _cosine_of(one: npt.NDArray[np.float32], other: npt.NDArray[np.float32]) -> float:
    return float(one @ other) / float(np.linalg.norm(one) * np.linalg.norm(other))


def table(lost: dict[str, float], recall: float) -> str:
    """The classes as a Markdown table, by share of the recall lost, most first."""
    total = sum(lost.values()) or 1.0
    ordered = sorted(lost.items(), key=lambda item: (-item[1], item[0]))
    lines = [f"B-cubed recall {recall:.4f}; recall lost {1 - recall:.4f}", "",
             "| why the pair ended apart | what the article did | share of the recall lost |",
             "| --- | --- | ---: |"]  # fmt: skip
    for name, weight in ordered:
        reason, outcome = name.split(" | ")
        lines.append(
            f"| {reason} | {outcome.removeprefix('the article ')} | {weight / total:.1%} |"
        )
    return "\n".join(lines)


def slice_parser(prog: str, description: str | None) -> argparse.ArgumentParser:
    """The command line of a replay over the slice's rows (this module's and
    ``bench.dedup_clusters``')."""
    parser = argparse.ArgumentParser(
        prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=12_000, help="slice rows replayed (12000)")
    parser.add_argument("--offset", type=int, default=0, help="rows skipped first (0)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    return parser


def embedded_rows(args: argparse.Namespace) -> list[Row] | None:
    """The rows ``args`` ask for, each with its headline's vector (None: no slice there)."""
    path = args.data / SLICE
    if not path.is_file():
        print(f"{path} is absent")
        return None
    rows = read_slice(path, args.offset + args.rows)[args.offset :]
    vectors = vectors_of([row.title for row in rows])
    return [replace(row, vector=vector) for row, vector in zip(rows, vectors, strict=True)]


def main(argv: Sequence[str] | None = None) -> int:
    rows = embedded_rows(slice_parser("python -m bench.dedup_losses", __doc__).parse_args(argv))
    if rows is not None:
        print(table(*losses(rows, DedupSettings())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
