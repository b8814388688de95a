"""Throughput of normalise → dedup → match, wirewatch against a naive baseline.

    python -m bench.pipeline [--articles 10000] [--output docs/BENCHMARKS.md]

Builds a deterministic synthetic corpus (``bench.synthetic``) against the example
rules, runs both paths (``bench.paths``) over it, checks they agree, and writes
the figures as Markdown. See docs/BENCHMARKS.md for what is and is not measured.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import rules
from bench import report
from bench.clusters import ClusterResult, measure
from bench.naive import NaiveMatcher
from bench.paths import (
    CountingPath,
    Outcome,
    headline_names,
    naive_path,
    plain_counting_path,
    surge_path,
    wirewatch_path,
)
from bench.paths import Path as ArticlePath
from bench.sections import write_section
from bench.surge_gathering import gathering_seconds
from bench.synthetic import FeedItem, Vocabulary, generate_corpus
from monitor.config.settings import DedupSettings, load_config
from monitor.feeds.normalise import normalise_entry
from monitor.ingest.pipeline import article_fields
from monitor.records.models import Article, Verdict

DEFAULT_CONFIG = "config.example.toml"
# The evaluation data sits beside the checkout (``../shared/data``) when present.
DEFAULT_CLUSTERS = Path(__file__).resolve().parents[2] / "shared" / "data" / "news-story-clusters"
CLUSTER_ROWS = 3_000

PathFactory = Callable[[rules.RuleSet, DedupSettings], ArticlePath]


@dataclass(frozen=True, slots=True)
class Timing:
    """Best wall-clock seconds of each path over one corpus size."""

    articles: int
    wirewatch: float
    naive: float


@dataclass(frozen=True, slots=True)
class PathSummary:
    """One path's decisions over the full corpus, scored against the generator's truth."""

    verdicts: Counter[Verdict]
    rule_hits: Counter[str]
    folds_correct: int
    duplicates: int  # items whose event appeared earlier: the ones that should fold

    @property
    def folds(self) -> int:
        return self.verdicts[Verdict.FOLDED] + self.verdicts[Verdict.SEEN]

    @property
    def precision(self) -> float:
        return self.folds_correct / self.folds if self.folds else 1.0

    @property
    def recall(self) -> float:
        return self.folds_correct / self.duplicates if self.duplicates else 1.0


@dataclass(frozen=True, slots=True)
class Agreement:
    wirewatch: PathSummary
    naive: PathSummary
    same_story: int
    same_rules: int
    articles: int


@dataclass(frozen=True, slots=True)
class Results:
    """Everything the report shows."""

    config: str
    items: list[FeedItem]
    ruleset: rules.RuleSet
    settings: DedupSettings
    repeat: int
    surge_repeat: int  # runs of the surge timings, best kept
    timings: list[Timing]
    stages: StageTimes
    agreement: Agreement
    peak_bytes: int
    surges: SurgeCost
    clusters: ClusterResult | None
    clusters_note: str
    environment: dict[str, str]
    elapsed_seconds: float


def time_path(
    factory: PathFactory,
    ruleset: rules.RuleSet,
    settings: DedupSettings,
    items: Sequence[FeedItem],
    repeat: int,
) -> tuple[float, list[Outcome]]:
    """Best of ``repeat`` fresh runs (a new, empty path each time) and the last outcomes."""
    best, outcomes = float("inf"), []
    for _ in range(repeat):
        path = factory(ruleset, settings)
        gc.collect()
        started = time.perf_counter()
        outcomes = path.run(items)
        best = min(best, time.perf_counter() - started)
    return best, outcomes


@dataclass(frozen=True, slots=True)
class StageTimes:
    """Best seconds of the stages that can be timed alone, over the full corpus."""

    normalise: float  # shared by both paths
    trie: float  # rules.Matcher.match
    regex: float  # NaiveMatcher.match


def _best(repeat: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def time_stages(ruleset: rules.RuleSet, items: Sequence[FeedItem], repeat: int) -> StageTimes:
    """Normalisation, then each matcher over the same normalised fields."""

    def normalise() -> list[Article]:
        return [normalise_entry(item.entry, feed_url=item.feed_url, feed_name=item.feed_name,
                                fetched_at=item.fetched_at) for item in items]  # fmt: skip

    fields = [article_fields(article) for article in normalise()]
    trie, regex = rules.compile_rules(ruleset), NaiveMatcher(ruleset)
    return StageTimes(
        normalise=_best(repeat, normalise),
        trie=_best(repeat, lambda: [trie.match(one) for one in fields]),
        regex=_best(repeat, lambda: [regex.match(one) for one in fields]),
    )


def peak_memory(ruleset: rules.RuleSet, settings: DedupSettings, items: Sequence[FeedItem]) -> int:
    """Peak bytes traced while the wirewatch path runs (corpus allocated before tracing)."""
    gc.collect()
    tracemalloc.start()
    try:
        outcomes = wirewatch_path(ruleset, settings).run(items)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del outcomes
    return peak


SURGE_REPEAT = 5  # by default: the end-to-end difference is small beside run-to-run noise
# Articles the surge stage counts in one pass (``monitor.ingest.surges``: the polls ready
# together): one, as when every count holds a single article; five, a few polls of one or
# two new articles; twenty, one poll of ``bench.ingest``'s farm (20 new items a feed).
SURGE_BATCHES = (1, 5, 20)


@dataclass(frozen=True, slots=True)
class SurgeCost:
    """Best seconds of the wirewatch path without surge counting, and per articles
    counted in one pass: the path with counting and the counting itself."""

    plain: float
    with_counting: dict[int, float]
    counting: dict[int, float]
    gathering: float  # per gathered count, on a running event loop (``bench.surge_gathering``)
    alone: float  # per count of a poll let go alone, on a running event loop


def time_surges(
    ruleset: rules.RuleSet, settings: DedupSettings, items: Sequence[FeedItem], repeat: int
) -> SurgeCost:
    """The wirewatch path without and with surge counting (``SURGE_BATCHES`` articles a
    count), alternated, best of ``repeat`` runs of each, and the best time spent in the
    counting itself, timed around each call inside the run: the cost surge detection adds
    per article (names read before, as the daemon has them)."""
    names = headline_names(items)
    plain = float("inf")
    with_counting = dict.fromkeys(SURGE_BATCHES, float("inf"))
    counting = dict(with_counting)
    for _ in range(repeat):
        plain = min(plain, _run_seconds(plain_counting_path(ruleset, settings, names), items))
        for batch in SURGE_BATCHES:
            path = surge_path(ruleset, settings, names, batch)
            with_counting[batch] = min(with_counting[batch], _run_seconds(path, items))
            counting[batch] = min(counting[batch], path.counting_seconds)
    first = items[0]
    article = normalise_entry(first.entry, feed_url=first.feed_url, feed_name=first.feed_name,
                              fetched_at=first.fetched_at)  # fmt: skip
    gathering = gathering_seconds(article, repeat)
    alone = gathering_seconds(article, repeat, alone=True)
    return SurgeCost(plain, with_counting, counting, gathering, alone)


def _run_seconds(path: CountingPath, items: Sequence[FeedItem]) -> float:
    gc.collect()
    started = time.perf_counter()
    path.run(items)
    return time.perf_counter() - started


def summarise(items: Sequence[FeedItem], outcomes: Sequence[Outcome]) -> PathSummary:
    story_event: dict[str, int] = {}
    seen_events: set[int] = set()
    correct = duplicates = 0
    for item, outcome in zip(items, outcomes, strict=True):
        duplicates += item.event in seen_events
        seen_events.add(item.event)
        if outcome.verdict is Verdict.NEW_STORY:
            story_event[outcome.story_id] = item.event
        else:
            correct += story_event.get(outcome.story_id) == item.event
    verdicts = Counter(outcome.verdict for outcome in outcomes)
    hits = Counter(rule for outcome in outcomes for rule in outcome.rules)
    return PathSummary(verdicts, hits, correct, duplicates)


def compare(
    items: Sequence[FeedItem], fast: Sequence[Outcome], naive: Sequence[Outcome]
) -> Agreement:
    pairs = list(zip(fast, naive, strict=True))
    return Agreement(
        wirewatch=summarise(items, fast),
        naive=summarise(items, naive),
        same_story=sum(mine.story_id == theirs.story_id for mine, theirs in pairs),
        same_rules=sum(mine.rules == theirs.rules for mine, theirs in pairs),
        articles=len(pairs),
    )


def scaling_sizes(articles: int) -> list[int]:
    return sorted({max(1, articles // 4), max(1, articles // 2), articles})


def measure_clusters(directory: Path, settings: DedupSettings) -> tuple[ClusterResult | None, str]:
    if not (directory / "SOURCE.md").is_file():
        return None, f"`{directory}` is absent on this machine, so this section was skipped."
    return measure(directory, CLUSTER_ROWS, settings), ""


def environment() -> dict[str, str]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "cpus": str(os.cpu_count() or 1),
        "platform": platform.platform(terse=True),
        "machine": platform.machine(),
        "load": f"{os.getloadavg()[0]:.1f}",
    }


@dataclass(frozen=True, slots=True)
class _Largest:
    """The largest corpus and each path's outcomes on it, kept for the agreement check."""

    items: list[FeedItem]
    fast: list[Outcome]
    naive: list[Outcome]


def time_sizes(
    articles: int,
    ruleset: rules.RuleSet,
    settings: DedupSettings,
    repeat: int,
    progress: Callable[[str], None],
) -> tuple[list[Timing], _Largest]:
    """Both paths over a corpus of each scaling size, smallest first."""
    vocabulary = Vocabulary.from_ruleset(ruleset)
    timings: list[Timing] = []
    largest = _Largest([], [], [])
    for size in scaling_sizes(articles):
        items = generate_corpus(size, vocabulary)
        fast_seconds, fast = time_path(wirewatch_path, ruleset, settings, items, repeat)
        naive_seconds, naive = time_path(naive_path, ruleset, settings, items, repeat)
        timings.append(Timing(size, fast_seconds, naive_seconds))
        largest = _Largest(items, fast, naive)
        progress(f"{size:>6} articles: wirewatch {size / fast_seconds:,.0f}/s, "
                 f"naive {size / naive_seconds:,.0f}/s")  # fmt: skip
    return timings, largest


def run(
    articles: int,
    repeat: int,
    config_path: str,
    clusters_dir: Path,
    progress: Callable[[str], None] = lambda _: None,
    surge_repeat: int = SURGE_REPEAT,
) -> Results:
    """Every measurement; ``progress`` hears one line per step."""
    started = time.perf_counter()
    config = load_config(config_path)
    ruleset, settings = config.ruleset, config.settings.dedup
    timings, largest = time_sizes(articles, ruleset, settings, repeat, progress)
    progress("stages alone, memory, real headlines …")
    stages = time_stages(ruleset, largest.items, repeat)
    peak = peak_memory(ruleset, settings, largest.items)
    progress("surge detection's cost …")
    surge_repeat = max(repeat, surge_repeat)
    surges = time_surges(ruleset, settings, largest.items, surge_repeat)
    clusters, note = measure_clusters(clusters_dir, settings)
    return Results(
        config=config_path, items=largest.items, ruleset=ruleset, settings=settings,
        repeat=repeat, surge_repeat=surge_repeat, timings=timings, stages=stages,
        agreement=compare(largest.items, largest.fast, largest.naive), peak_bytes=peak,
        surges=surges,
        clusters=clusters, clusters_note=note, environment=environment(),
        elapsed_seconds=time.perf_counter() - started,
    )  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pipeline",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--articles", type=int, default=10_000, help="corpus size (10000)")
    parser.add_argument("--output", type=Path, default=Path("docs/BENCHMARKS.md"))
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per path; best kept")
    parser.add_argument("--surge-repeat", type=int, default=SURGE_REPEAT,
                        help="surge timing runs, at least --repeat; best kept (5)")  # fmt: skip
    parser.add_argument("--config", default=DEFAULT_CONFIG, help="rules to match against")
    parser.add_argument(
        "--clusters",
        type=Path,
        default=DEFAULT_CLUSTERS,
        help="news-story-clusters data directory, if present",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.articles < 4 or args.repeat < 1 or args.surge_repeat < 1:
        print("--articles must be at least 4, --repeat and --surge-repeat at least 1",
              file=sys.stderr)  # fmt: skip
        return 2
    results = run(args.articles, args.repeat, args.config, args.clusters,
                  progress=lambda line: print(line, flush=True),
                  surge_repeat=args.surge_repeat)  # fmt: skip
    write_section(args.output, "pipeline", report.render(results))
    print(report.headline(results))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
