"""Story grouping on real headlines: quality against baselines, and cost at scale.

    python -m bench.dedup_eval [--rows 12000] [--scale 10000,100000,400000]
                               [--data ../shared/data] [--output docs/BENCHMARKS.md]

1. B-cubed precision/recall and clusters per true story on the first ``--rows`` rows of
   the news-story-clusters 14-day slice, for exact-title dedup, rapidfuzz
   ``token_sort_ratio >= 90`` single-link, and ``monitor.stories.index.StoryIndex``, in
   one run. Story ids that share an identical normalised headline are merged first
   (the aggregator files some identical headlines under two stories).
2. Precision of StoryIndex's "same story" decision on the MRPC human-labelled pairs.
3. Median cost per article (find + add) and memory per windowed article with 10k, 100k
   and 400k real headlines of the full file in the window.

Each headline (and MRPC sentence) is given to the index with the language the daemon's
identifier reads in it (``monitor.ingest.language.identify``, no feed hint: "" when it is
not clear), as ingest gives ``Article.language``.

The data is read in place and never copied; only counts leave this module.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import math
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bench import dedup_report
from bench.dedup_mrpc import MRPC, mrpc_scores
from bench.dedup_report import (
    DELEAKED,
    FORWARD,
    FUZZ_CUTOFF,
    NO_MERGE,
    NO_NAMES,
    NO_NEIGHBOURS,
    NO_STEER,
    OURS,
    WORDS_ONLY,
)
from bench.dedup_scale import TRACED_ARTICLES, scale, scaled_rows, traced_bytes
from bench.embeddings import timed_vectors, vectors_of
from bench.pipeline import environment
from bench.sections import write_section
from bench.surge_stream import spread_times
from monitor.config.settings import DedupSettings
from monitor.ingest.language import identify
from monitor.stories.dedup import story_index_for
from monitor.stories.headlines import normalise_headline

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SLICE = "news-story-clusters/newsCorpora_first14days_stories.tsv"
FULL = "news-story-clusters/newsCorpora.tsv.gz"
BIG_STORY = 10  # headlines: a story many outlets report
PAIRS_ONLY = "StoryIndex, pairs only at bar 0.5 (before story wholes)"
ONE_BAR_AGES = "StoryIndex, one bar 0.52 at any age"
ONE_BAR = f"{ONE_BAR_AGES} (before recent reports)"
# The bars of any age before decision 0059 (related, semantic): the same-run baseline.
ANY_AGE = {"related_similarity_later": 0.4, "semantic_similarity_later": 0.52,
           "semantic_similarity": 0.52}  # fmt: skip
SEMANTIC_BARS = (0.46, 0.47, 0.49, 0.50)  # the recent one-language bar's trade-off
SPREAD_SEED = 0  # the de-leaked times' draw: the same in every run
HELD_OUT = 12_000  # rows after the tuned ones, scored apart: settings were not tuned on them


@dataclass(frozen=True, slots=True)
class Row:
    title: str
    story: str
    seen: datetime
    language: str  # as the daemon identifies it from the headline ("" when unclear)
    vector: bytes = b""  # its sentence embedding, as the parse workers compute it


@dataclass(frozen=True, slots=True)
class Clustering:
    method: str
    precision: float
    recall: float
    clusters: int
    per_story: float  # predicted clusters a true story is split into, on average
    seconds: float
    big_per_story: float  # the same over true stories of BIG_STORY headlines or more


# -- data ------------------------------------------------------------------------------


def read_slice(path: Path, rows: int) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        chosen = islice(reader, rows)
        return [_row(item["TITLE"], item["STORY"], item["TIMESTAMP"]) for item in chosen]


def _row(title: str, story: str, stamp: str) -> Row:
    seen = datetime.fromtimestamp(int(stamp) / 1000, tz=UTC)
    return Row(title, story, seen, identify(title))


def full_titles(path: Path) -> Iterator[Row]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            yield _row(fields[1], fields[5], fields[7])


def merged_labels(rows: Sequence[Row]) -> list[str]:
    """Story ids, with ids that share an identical normalised headline made one."""
    parent: dict[str, str] = {}

    def root(label: str) -> str:
        while parent.setdefault(label, label) != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    first_label: dict[str, str] = {}
    for row in rows:
        known = first_label.setdefault(normalise_headline(row.title), row.story)
        parent[root(row.story)] = root(known)
    return [root(row.story) for row in rows]


# -- scoring ---------------------------------------------------------------------------


def bcubed(predicted: Sequence[str], truth: Sequence[str]) -> tuple[float, float, float]:
    """B-cubed precision and recall, and predicted clusters per true story."""
    size_p = Counter(predicted)
    size_t = Counter(truth)
    both = pieces(predicted, truth)
    count = len(truth)
    pairs = list(zip(predicted, truth, strict=True))
    precision = sum(both[pair] / size_p[pair[0]] for pair in pairs) / count
    recall = sum(both[pair] / size_t[pair[1]] for pair in pairs) / count
    return precision, recall, len(both) / len(size_t)


def pieces(predicted: Sequence[str], truth: Sequence[str]) -> Counter[tuple[str, str]]:
    """The pieces true stories are split into, (predicted story, true story) pairs that
    hold an article, with their sizes: how many over the true stories is "clusters per
    true story"."""
    return Counter(zip(predicted, truth, strict=True))


def _scored(method: str, predicted: list[str], truth: list[str], seconds: float) -> Clustering:
    precision, recall, splits = bcubed(predicted, truth)
    big = big_story_splits(predicted, truth)
    return Clustering(method, precision, recall, len(set(predicted)), splits, seconds, big)


def big_story_splits(predicted: Sequence[str], truth: Sequence[str]) -> float:
    """Predicted clusters per true story of ``BIG_STORY`` or more headlines: the alerts a
    rule matching every article of such a story sends (one per story it is split into;
    outlet updates are off by default)."""
    sizes = Counter(truth)
    pieces: dict[str, set[str]] = {}
    for mine, real in zip(predicted, truth, strict=True):
        if sizes[real] >= BIG_STORY:
            pieces.setdefault(real, set()).add(mine)
    return sum(map(len, pieces.values())) / len(pieces) if pieces else 0.0


def exact_titles(rows: Sequence[Row]) -> list[str]:
    return [row.title for row in rows]


def fuzzy_single_link(rows: Sequence[Row]) -> list[str]:
    """Connected components of the pairs with token_sort_ratio >= 90 (rapidfuzz's own
    preprocessing: lower case, non-alphanumerics dropped)."""
    titles = [utils.default_process(row.title) for row in rows]
    parent = list(range(len(titles)))

    def root(item: int) -> int:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for number, title in enumerate(titles):
        later = titles[number + 1 :]
        found = process.extract(title, later, scorer=fuzz.token_sort_ratio,
                                score_cutoff=FUZZ_CUTOFF, limit=None)  # fmt: skip
        for _, _, offset in found:
            parent[root(number + 1 + offset)] = root(number)
    return [str(root(item)) for item in range(len(titles))]


def story_index(
    rows: Sequence[Row],
    settings: DedupSettings,
    *,
    timeless: bool = False,
    words: bool = False,
    wholes: bool = True,
    names: bool = True,
    steer: bool = True,
    merge: bool = True,
    forward: bool = False,
    neighbours: bool = True,
) -> list[str]:
    """Each headline looked up, then added, in ID order, as the daemon would see them
    (``words``: without the headlines' vectors, as before the semantic tier; ``wholes``
    False: each story judged by its single headlines, as before decision 0046; ``names``
    False: no easing for a rare shared name, as before decision 0067; ``steer`` False: no
    joining a split story's older piece, as before decision 0070; ``merge`` False: a bridge
    steers but merges nothing, as 0070 first built it; ``neighbours`` False: no join by
    several close members of one story, as before decision 0082). Each row's story is the
    one it is stored in at the end, merges re-pointing it (``forward``: the one it joined
    on arrival, what an alert already sent told)."""
    index = story_index_for(settings)
    index.wholes = wholes
    index.name_easing = index.name_easing if names else 0.0
    index.one_event = index.one_event if steer else math.inf
    index.merge_bar = index.merge_bar if steer and merge else math.inf
    index.late_bar = index.late_bar if steer and merge else math.inf
    index.neighbours = neighbours
    moment = rows[0].seen
    assigned = []
    into: dict[str, str] = {}  # absorbed story → the story it was merged into
    for number, row in enumerate(rows):
        seen, vector = moment if timeless else row.seen, b"" if words else row.vector
        found = index.find(row.title, seen, language=row.language, vector=vector)
        story_id = found.story_id if found is not None else str(number)
        absorbed = found.absorbed if found is not None else ()
        into.update(dict.fromkeys(absorbed, story_id))
        index.add(story_id, story_id, row.title, seen, language=row.language, vector=vector,
                  absorbed=absorbed)  # fmt: skip
        assigned.append(story_id)
    return assigned if forward else [survivor(story_id, into) for story_id in assigned]


def survivor(story_id: str, into: dict[str, str]) -> str:
    """The story ``story_id``'s articles are stored in after every merge."""
    while story_id in into:
        story_id = into[story_id]
    return story_id


def clusterings(
    rows: Sequence[Row], settings: DedupSettings, *, held_out: bool = False
) -> list[Clustering]:
    """Each method's clustering of ``rows`` (``held_out``: the baselines and ours only)."""
    truth = merged_labels(rows)
    before = settings.model_copy(update={**ANY_AGE, "semantic_similarity": 0.5,
                                         "semantic_similarity_later": 0.5})  # fmt: skip
    one_bar = settings.model_copy(update=ANY_AGE)
    methods = [
        ("exact title", exact_titles),
        (f"token_sort_ratio >= {FUZZ_CUTOFF}, single-link", fuzzy_single_link),
        (WORDS_ONLY, lambda r: story_index(r, settings, words=True)),
        (PAIRS_ONLY, lambda r: story_index(r, before, wholes=False)),
        (ONE_BAR, lambda r: story_index(r, one_bar)),
        (OURS, lambda r: story_index(r, settings)),
    ]
    honest = [
        (DELEAKED, lambda r: spread_index(r, settings)),
        (NO_NAMES, lambda r: spread_index(r, settings, names=False)),
        (NO_MERGE, lambda r: spread_index(r, settings, merge=False)),
        (NO_NEIGHBOURS, lambda r: spread_index(r, settings, neighbours=False)),
        (NO_STEER, lambda r: spread_index(r, settings, steer=False)),
        (FORWARD, lambda r: spread_index(r, settings, forward=True)),
    ]
    if held_out:
        del methods[1]  # single-link compares every pair: minutes, and no news
        methods += honest
    else:
        methods += [
            ("StoryIndex, timestamps ignored", lambda r: story_index(r, settings, timeless=True)),
            *honest,
            (f"{ONE_BAR_AGES}, de-leaked times", lambda r: spread_index(r, one_bar)),
        ]
        for bar in SEMANTIC_BARS:
            other = settings.model_copy(update={"semantic_similarity": bar})
            methods.append((f"StoryIndex, recent one-language bar {bar:g}", _with(other)))
    results = []
    for name, method in methods:
        started = time.perf_counter()
        predicted = method(rows)
        results.append(_scored(name, predicted, truth, time.perf_counter() - started))
    return results


def spread_index(rows: Sequence[Row], settings: DedupSettings, **switches: bool) -> list[str]:
    """``story_index`` with each row's time spread after its story's stamp, as bench.surge
    spreads them, taken in that time order: the slice's stamp is the crawl time of a whole
    story, so "minutes apart" would otherwise mean "same label" (decision 0059); the
    ``switches`` are ``story_index``'s."""
    times = spread_times([(row.story, row.seen) for row in rows], SPREAD_SEED)
    order = sorted(range(len(rows)), key=lambda number: (times[number], number))
    spread = [replace(rows[number], seen=times[number]) for number in order]
    found = story_index(spread, settings, **switches)
    predicted = [""] * len(rows)
    for position, number in enumerate(order):
        predicted[number] = found[position]
    return predicted


def _with(settings: DedupSettings) -> Callable[[Sequence[Row]], list[str]]:
    return lambda rows: story_index(rows, settings)


# -- command ---------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dedup_eval",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=12_000, help="slice rows scored (12000)")
    parser.add_argument("--held-out", type=int, default=HELD_OUT,
                        help="rows after --rows scored apart, or 0 (12000)")  # fmt: skip
    parser.add_argument("--scale", default="10000,100000,400000", help="window sizes, or ''")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--output", type=Path, default=Path("docs/BENCHMARKS.md"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    settings = DedupSettings()
    data: Path = args.data
    if not (data / SLICE).is_file():
        write_section(args.output, "dedup", dedup_report.absent(data))
        print(f"{data / SLICE} is absent; wrote a note to {args.output}")
        return 0
    # Scale first, in a fresh process: resident memory then grows only with the index.
    windows = [int(size) for size in args.scale.split(",") if size]
    scaled = (
        scaled_rows(data / FULL, windows, full_titles)
        if windows and (data / FULL).is_file()
        else []
    )
    points = scale(scaled, windows, settings) if scaled else []
    for point in points:
        print(f"window {point.window:>7,}: median {point.median_us:,.0f} µs/article "
              f"(lookup {point.lookup_median_us:,.0f}), "
              f"{point.bytes_per_article:,.0f} bytes/article")  # fmt: skip
    traced = traced_bytes(scaled[:TRACED_ARTICLES], settings) if points else None
    del scaled
    rows = read_slice(data / SLICE, args.rows)
    vectors, cost = timed_vectors([row.title for row in rows])
    rows = [replace(row, vector=vector) for row, vector in zip(rows, vectors, strict=True)]
    languages = dedup_report.language_counts(row.language for row in rows)
    print("headline languages: " + dedup_report.languages_line(languages))
    quality = clusterings(rows, settings)
    _print_rows(quality)
    held = held_out_rows(data / SLICE, args.rows, args.held_out)
    held_quality = clusterings(held, settings, held_out=True) if held else []
    _print_rows(held_quality)
    mrpc = [data / name for name in MRPC if (data / name).is_file()]
    pairs = mrpc_scores(mrpc, settings) if mrpc else []
    report = dedup_report.Report(
        rows=len(rows), stories=len({r.story for r in rows}),
        merged_stories=len(set(merged_labels(rows))), languages=languages, settings=settings,
        quality=quality, held_out=held_quality,
        held_out_rows=len(held), held_out_stories=len(set(merged_labels(held))) if held else 0,
        pairs=pairs, scale=points, traced=traced, embedding=cost, environment=environment(),
        seconds=time.perf_counter() - started,
    )  # fmt: skip
    write_section(args.output, "dedup", dedup_report.render(report))
    print(f"wrote {args.output}")
    return 0


def held_out_rows(path: Path, after: int, count: int) -> list[Row]:
    """The ``count`` slice rows after the first ``after``, with their vectors."""
    rows = read_slice(path, after + count)[after:] if count else []
    vectors = vectors_of([row.title for row in rows])
    return [replace(row, vector=vector) for row, vector in zip(rows, vectors, strict=True)]


def _print_rows(quality: Sequence[Clustering]) -> None:
    for item in quality:
        print(f"{item.method:<40} P {item.precision:.4f}  R {item.recall:.4f}  "
              f"clusters/story {item.per_story:.1f}  ({item.seconds:.1f} s)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
