"""How well the bundled vocabulary packs find conflict in real headlines, before and after.

    python -m bench.packs [--data ../shared/data] [--labels bench/packs_labels.csv]
                          [--output docs/BENCHMARKS.md]
    python -m bench.packs --draw SEED     # print a stratified sample to label (stdout only)

Every bundled pack runs over all 422,937 headlines of news-story-clusters, as it was
(``bench/packs_baseline/``) and as it is (``rules.packs``), in one run. For
``conflict-escalation``, recall and precision are estimated on the hand-labelled
stratified samples of ``bench/packs_labels.csv`` (see ``bench.packs_frame``), the
conflict headlines it misses are counted by word, and the headlines the change adds
are counted by term. The data is read in place and never copied; only counts and row
ids leave this module.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from bench import packs_report
from bench.packs_forms import unlisted_forms, word_counts
from bench.packs_frame import STRATA, TUNING_SEED, draw_sample, group_by_stratum, stratum
from bench.packs_measure import (
    Firings,
    Headline,
    corpus_change,
    fire,
    missed_words,
    pack_lists,
    pack_matcher,
    read_labels,
    score_sample,
)
from bench.pipeline import environment
from bench.sections import write_section
from rules.packs import bundled

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parents[1] / "shared" / "data"
FULL = "news-story-clusters/newsCorpora.tsv.gz"
LABELS = HERE / "packs_labels.csv"
BASELINE = HERE / "packs_baseline"
CONFLICT_PACK = "conflict-escalation"
SAMPLE_ORDER = ("tuning", "held-out")  # the headline figure is the last one's


def read_headlines(path: Path) -> Iterator[Headline]:
    """Row id and title of every row of the gzipped, tab-separated file."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            fields = line.split("\t", 2)
            yield Headline(int(fields[0]), fields[1])


def baseline_packs(folder: Path = BASELINE) -> dict[str, str]:
    """The packs as they were before they were measured: name -> TOML text."""
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.toml"))}


def measure_packs(
    headlines: Sequence[Headline], before: Mapping[str, str], after: Mapping[str, str]
) -> dict[str, tuple[Firings, Firings]]:
    """Each pack's firings over every headline, before and after."""
    firings: dict[str, tuple[Firings, Firings]] = {}
    for name in after:
        started = time.perf_counter()
        pair = (
            fire(pack_matcher(name, before.get(name, "")), headlines),
            fire(pack_matcher(name, after[name]), headlines),
        )
        print(
            f"{name}: fires on {len(pair[0]):,} → {len(pair[1]):,} headlines "
            f"({time.perf_counter() - started:.1f} s)",
            flush=True,
        )
        firings[name] = pair
    return firings


def build_report(
    data: Path, labels_path: Path, headlines: Sequence[Headline], started: float
) -> packs_report.Report:
    before, after = baseline_packs(), dict(bundled())
    firings = measure_packs(headlines, before, after)
    titles = {headline.row_id: headline.title for headline in headlines}
    strata_of = {row_id: stratum(title) for row_id, title in titles.items()}
    counted = Counter(strata_of.values())
    sizes = {number: counted[number] for number in STRATA}
    labels = read_labels(labels_path)
    conflict = firings[CONFLICT_PACK]
    samples = [
        score_sample(name, labels[name], strata_of, sizes, conflict)
        for name in SAMPLE_ORDER
        if name in labels
    ]
    corpus = {
        name: corpus_change(len(headlines), pack_lists(after[name]), *pair)
        for name, pair in firings.items()
    }
    missed = (
        missed_words(titles, labels.values(), conflict[0]),
        missed_words(titles, labels.values(), conflict[1]),
    )
    counts = word_counts(titles.values())
    forms = {name: unlisted_forms(text, counts) for name, text in after.items()}
    return packs_report.Report(
        environment=environment(),
        seconds=time.perf_counter() - started,
        data=data,
        headlines=len(headlines),
        strata_sizes=sizes,
        samples=samples,
        corpus=corpus,
        missed=missed,
        forms=forms,
        conflict_pack=CONFLICT_PACK,
    )


def print_sample(headlines: Sequence[Headline], seed: int, exclude_seed: int | None) -> None:
    """A stratified sample, as ``id<TAB>stratum<TAB>title`` lines, for labelling by hand."""
    groups = group_by_stratum((headline.row_id, headline.title) for headline in headlines)
    exclude = () if exclude_seed is None else _ids(draw_sample(groups, exclude_seed))
    titles = {headline.row_id: headline.title for headline in headlines}
    for number, ids in draw_sample(groups, seed, exclude).items():
        for row_id in ids:
            print(f"{row_id}\t{number}\t{titles[row_id]}")


def _ids(sample: Mapping[int, Sequence[int]]) -> set[int]:
    return {row_id for ids in sample.values() for row_id in ids}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.packs",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--output", type=Path, default=Path("docs/BENCHMARKS.md"))
    parser.add_argument("--draw", type=int, metavar="SEED", help="print a sample to label")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    data: Path = args.data
    if not (data / FULL).is_file():
        if args.draw is None:
            write_section(args.output, "packs", packs_report.absent(data))
        print(f"{data / FULL} is absent; nothing measured", file=sys.stderr)
        return 0
    headlines = list(read_headlines(data / FULL))
    if args.draw is not None:
        print_sample(headlines, args.draw, None if args.draw == TUNING_SEED else TUNING_SEED)
        return 0
    report = build_report(data, args.labels, headlines, started)
    write_section(args.output, "packs", packs_report.render(report))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
