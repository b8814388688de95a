"""What the clusters per true story are made of, and why each piece stayed apart.

    python -m bench.dedup_clusters [--rows 12000] [--offset 0] [--data ../shared/data]

``bench.dedup_eval`` counts "clusters per true story" as the (predicted story, merged
label) pairs that hold an article, over the labels (``bench.dedup_eval.pieces``): a
label's pieces, each piece counted once however small, and a piece that sits in another
label's story counted too. This module replays the slice's rows through ``StoryIndex`` in
de-leaked time order, merges included, as ``bench.dedup_eval``'s de-leaked rows are, and
splits those pieces by size (one article,
2-4, 5 or more) and by why the article that opened each piece did not join an earlier
piece of its label: it was the label's first; every earlier member had left the window
(the story restarted); or, of the earlier members, the one that got furthest was never a
candidate, was kept apart by a gate (which, and for the substituted-name gate which kind
of word was read as a name), was below its bar (by how much), or was over a bar while the
article joined another story. Only counts are printed; the data is read in place.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from bench.dedup_eval import SPREAD_SEED, Row, merged_labels, pieces
from bench.dedup_losses import (
    _CLASS_NAMES,
    GATE,
    OVER,
    WINDOW,
    Lookup,
    _Replay,
    embedded_rows,
    slice_parser,
)
from bench.surge_stream import spread_times
from monitor.config.settings import DedupSettings
from monitor.stories.aliases import s_plurals, spelt_otherwise, unmentioned
from monitor.stories.dedup import story_index_for
from monitor.stories.evidence import Entry, Query
from monitor.stories.headlines import strip_decorations
from monitor.stories.index import StoryIndex
from monitor.stories.names import name_words

FIRST, RESTART = "the label's first report", "a restart: every earlier member left the window"
_SIZES = ((1, "1 article"), (4, "2-4 articles"), (10**9, "5 or more"))
NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve twenty thirty hundred "
    "thousand million billion trillion first second third half dozen".split()
)


@dataclass(frozen=True, slots=True)
class Opening:
    """Why the article that opened a piece did not join an earlier piece of its label."""

    reason: str
    name_kinds: tuple[str, ...] = ()  # for the name gate: the kinds of word read as names


def openings(
    rows: Sequence[Row], index: StoryIndex
) -> tuple[list[str], list[str], list[Opening | None]]:
    """Each row's story (the one it is in at the end, merges re-pointing it, as
    ``bench.dedup_eval`` counts), its merged label, and for a row that opened a piece its
    reason (asked at its lookup)."""
    labels = merged_labels(rows)
    times = spread_times([(row.story, row.seen) for row in rows], SPREAD_SEED)
    order = sorted(range(len(rows)), key=lambda number: (times[number], number))
    replay = _Opener(index)
    asked: list[Opening | None] = [None] * len(rows)
    for number in order:
        row = replace(rows[number], seen=times[number])
        asked[number] = replay.next_opening(row, labels[number])
    stories = [""] * len(rows)
    for position, number in enumerate(order):
        stories[number] = replay.story_now(position)
    return stories, labels, _openers(stories, labels, asked, order)


def _openers(stories: Sequence[str], labels: Sequence[str], asked: Sequence[Opening | None],
             order: Sequence[int]) -> list[Opening | None]:  # fmt: skip
    """The reasons of the rows that opened the pieces left at the end: a piece a merge
    folded into an earlier one of its label opened none."""
    opened: list[Opening | None] = [None] * len(stories)
    found: set[tuple[str, str]] = set()
    for number in order:
        if (piece := (stories[number], labels[number])) not in found:
            found.add(piece)
            opened[number] = asked[number]
    return opened


class _Opener(_Replay):
    """The replay, asking of each article that opens a piece why it did."""

    def __init__(self, index: StoryIndex) -> None:
        super().__init__(index)
        self.names_of: list[str] = []  # each article's stripped title, for the name kinds

    def next_opening(self, row: Row, label: str) -> Opening | None:
        """Why ``row`` opened a piece of ``label`` (None: it joined one); then it is added."""
        number = len(self.story_of)
        story, lookup, absorbed = self._looked_up(row)
        opening = None
        if all(self.story_now(earlier) != story for earlier in self.by_label[label]):
            opening = self._why(lookup, label, row)
        self._add(row, story, label, lookup.vector, number, absorbed)
        self.names_of.append(strip_decorations(row.title))
        return opening

    def _why(self, lookup: Lookup, label: str, row: Row) -> Opening:
        earlier = self.by_label[label]
        if not earlier:
            return Opening(FIRST)
        reached = [(self._reached(lookup, member), member) for member in earlier]
        (kind, detail), member = max(reached, key=lambda item: item[0][0])
        if kind == WINDOW:
            return Opening(RESTART)
        reason = f"{_CLASS_NAMES[kind]}{detail}"
        if kind == OVER:
            reason = "over a bar, but it joined another story"
        if kind == GATE and detail.startswith("a name"):
            entry = self.index._entries[self.serial_of[member]]
            return Opening(
                reason, name_kinds(lookup.query, entry, row.title, self.names_of[member])
            )
        return Opening(reason)


def name_kinds(query: Query, entry: Entry, title: str, other_title: str) -> tuple[str, ...]:
    """What kind of word each name the gate found unmentioned is (``title``: the query's,
    ``other_title``: the entry's, decorations stripped): a number word, a headline's first
    word, one spelling of a name the other report writes joined or apart, or a name."""
    theirs = set(entry.tokens) | set(entry.extra)
    sides = (
        (query.names, theirs, entry.aliases, query.everything, title, entry.headline),
        (frozenset(entry.names), query.everything, query.aliases, theirs, other_title,
         query.headline),
    )  # fmt: skip
    plurals = s_plurals(query.language, entry.language)
    kinds = {
        _kind_of(name, words, own, written, other, plurals)
        for names, words, aliases, own, written, other in sides
        for name in sorted(names)
        if unmentioned([name], words, aliases, own, plurals=plurals)
    }
    return tuple(sorted(kinds))


def _kind_of(name: str, words: set[str] | frozenset[str], own: Collection[str],
             written: str, other: str, plurals: bool) -> str:  # fmt: skip
    if name in NUMBER_WORDS:
        return "a number word"
    if any(first and token == name for token, _, first in name_words(written)[1]):
        return "a headline's first word"
    glued = other.replace(" ", "")  # the other folded headline, its spaces dropped
    if spelt_otherwise(name, words, own, plurals=plurals) or (
        name in glued and name not in other.split()
    ):
        return "joined / apart spelling"
    return "a name"


@dataclass(frozen=True, slots=True)
class Composition:
    stories: int
    pieces: int
    by_reason: dict[str, Counter[str]]  # reason -> size class -> pieces
    name_kinds: Counter[str]  # single-article pieces the name gate opened, by kind of word

    @property
    def per_story(self) -> float:
        return self.pieces / self.stories


def composition(stories: Sequence[str], labels: Sequence[str],
                opened: Sequence[Opening | None]) -> Composition:  # fmt: skip
    sizes = pieces(stories, labels)
    by_reason: defaultdict[str, Counter[str]] = defaultdict(Counter)
    kinds: Counter[str] = Counter()
    for story, label, opening in zip(stories, labels, opened, strict=True):
        if opening is None:
            continue
        size = sizes[(story, label)]
        size_class = next(name for top, name in _SIZES if size <= top)
        by_reason[opening.reason][size_class] += 1
        if size == 1:
            for kind in opening.name_kinds or ():
                kinds[kind] += 1
    return Composition(len(set(labels)), len(sizes), dict(by_reason), kinds)


def table(found: Composition) -> str:
    """The pieces per label by why their opener stayed apart, as a Markdown table."""
    names = [name for _, name in _SIZES]
    lines = [f"{found.stories:,} labels, {found.pieces:,} pieces: "
             f"{found.per_story:.2f} clusters per true story", "",
             "| why the piece's first article stayed apart | " + " | ".join(names)
             + " | per story |", "| --- |" + " ---: |" * (len(names) + 1)]  # fmt: skip
    ordered = sorted(found.by_reason.items(), key=lambda item: -sum(item[1].values()))
    for reason, counts in ordered:
        cells = " | ".join(f"{counts[name]:,}" for name in names)
        lines.append(f"| {reason} | {cells} | {sum(counts.values()) / found.stories:.2f} |")
    lines += [
        "",
        "single-article pieces the name gate kept apart, by the word read as a name:",
        ", ".join(f"{kind} {count:,}" for kind, count in found.name_kinds.most_common()),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = slice_parser("python -m bench.dedup_clusters", __doc__).parse_args(argv)
    rows = embedded_rows(args)
    if rows is not None:
        print(table(composition(*openings(rows, story_index_for(DedupSettings())))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
