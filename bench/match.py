"""Throughput of the compiled rule matcher as rules grow, against one regex per term.

    python -m bench.match [--rules 10,100,1000,10000] [--articles 5000] [--repeat 5]
                          [--baseline-seconds 4] [--data ../shared/data] [--today REF]
                          [--output docs/BENCHMARKS.md]

For each rule count it builds synthetic rules (``bench.match_corpus``: about ten
invented terms each) and ~80-word articles, then times
``rules.compile_rules(ruleset).match(fields)`` over every article: field
preparation (markup check, folding), the automaton pass, rule evaluation and the
explanation (hits with offsets) of each match. The naive baseline, one compiled
regular expression per term searched in each field while walking each rule's
condition, runs in the same process on a sample of the same articles (it is far
too slow for all of them at the larger sizes), and both must fire the same rules
on that sample. The same rule counts are then timed over Arabic, Russian and
mixed-script corpora (``bench.match_scripts``: real text from ``--data`` where it has
some), and English is timed once more beside the code of commit ``--today`` (the code
before language-aware matching; ``--today none`` skips it). Prints the figures and
rewrites the ``match`` section of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import rules
from bench.match_corpus import Article, make_articles, make_ruleset, with_diacritics
from bench.match_languages import (
    TODAY,
    CorpusResult,
    CorpusSize,
    Today,
    measure_corpus,
    measure_today,
)
from bench.match_report import render
from bench.match_scripts import DEFAULT_DATA, corpora
from bench.pipeline import environment
from bench.sections import write_section
from rules import Condition, Group, Near, Ref, RuleSet, Terms
from rules.model import leaves

DEFAULT_RULES = (10, 100, 1_000, 10_000)
TARGET_TERMS = 10_000  # the targets are stated at this many terms


class RegexBaseline:
    """One compiled, case-insensitive, word-bounded regex per term; rules walked in order."""

    def __init__(self, ruleset: RuleSet) -> None:
        self._ruleset = ruleset
        self._patterns: dict[Ref | Terms, tuple[re.Pattern[str], ...]] = {}
        for rule in ruleset.enabled_rules:
            for leaf in leaves(rule.condition):
                terms = leaf.terms if isinstance(leaf, Terms) else ruleset.terms_of(leaf.name)
                self._patterns[leaf] = tuple(map(_pattern, terms))

    def match(self, fields: Mapping[str, str]) -> tuple[str, ...]:
        texts = [fields[name] for name in ("title", "summary", "content") if name in fields]
        return tuple(
            rule.name for rule in self._ruleset.enabled_rules if self._holds(rule.condition, texts)
        )

    def _holds(self, condition: Condition, texts: list[str]) -> bool:
        if isinstance(condition, Group):
            results = (self._holds(item, texts) for item in condition.items)
            if condition.op == "all":
                return all(results)
            return any(results) if condition.op == "any" else not any(results)
        if isinstance(condition, Near):
            raise NotImplementedError("the synthetic rules have no proximity")
        patterns = self._patterns[condition]
        return any(pattern.search(text) for pattern in patterns for text in texts)


def _pattern(term: str) -> re.Pattern[str]:
    prefix = term.endswith("*")
    words = term.rstrip("*").split()
    body = r"\s+".join(map(re.escape, words))
    return re.compile(rf"\b{body}" + (r"\w*" if prefix else r"\b"), re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SizeResult:
    rules: int
    terms: int
    compile_seconds: float
    articles: int
    seconds: float  # best of the repeats, all articles
    baseline_articles: int
    baseline_seconds: float
    agreeing: int  # sample articles where both fire the same rules
    fired: int  # articles (of all) on which some rule fired

    @property
    def rate(self) -> float:
        return self.articles / self.seconds

    @property
    def baseline_rate(self) -> float:
        return self.baseline_articles / self.baseline_seconds


@dataclass(frozen=True, slots=True)
class Results:
    sizes: list[SizeResult]
    extras: dict[str, float]  # articles/s of variants at the target size
    repeat: int
    baseline_budget: float
    environment: dict[str, str]
    elapsed: float
    languages: list[CorpusResult]  # English first, as timed in this section's corpus
    today: Today | None
    load: str  # the 1-minute load average at the start and end of the run


def best_of(repeat: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def time_matcher(matcher: rules.Matcher, articles: Sequence[Article], repeat: int) -> float:
    fields = [article.fields for article in articles]
    return best_of(repeat, lambda: [matcher.match(one) for one in fields])


def time_baseline(
    baseline: RegexBaseline, articles: Sequence[Article], budget: float
) -> tuple[int, float, list[tuple[str, ...]]]:
    """As many articles as ``budget`` seconds allow (at least five): count, seconds, rules."""
    fired: list[tuple[str, ...]] = []
    started = time.perf_counter()
    for article in articles:
        fired.append(baseline.match(article.fields))
        if len(fired) >= 5 and time.perf_counter() - started > budget:
            break
    return len(fired), time.perf_counter() - started, fired


def measure_size(count: int, articles: int, repeat: int, budget: float) -> SizeResult:
    ruleset = make_ruleset(count)
    started = time.perf_counter()
    matcher = rules.compile_rules(ruleset)
    compile_seconds = time.perf_counter() - started
    corpus = make_articles(ruleset, articles)
    seconds = time_matcher(matcher, corpus, repeat)
    sampled, baseline_seconds, baseline_fired = time_baseline(
        RegexBaseline(ruleset), corpus, budget
    )
    ours = [tuple(m.rule for m in matcher.match(a.fields)) for a in corpus]
    return SizeResult(
        rules=count,
        terms=sum(len(ruleset.terms_of(name)) for name in (*ruleset.entities, *ruleset.keywords)),
        compile_seconds=compile_seconds,
        articles=articles,
        seconds=seconds,
        baseline_articles=sampled,
        baseline_seconds=baseline_seconds,
        agreeing=sum(a == b for a, b in zip(ours, baseline_fired, strict=False)),
        fired=sum(bool(names) for names in ours),
    )


def measure_variants(count: int, articles: int, repeat: int) -> dict[str, float]:
    """Articles/s at one size for text that takes the slow paths, and when every article fires."""
    ruleset = make_ruleset(count)
    matcher = rules.compile_rules(ruleset)
    corpus = make_articles(ruleset, articles)
    every = make_articles(ruleset, articles, firing_share=1.0)
    accented = [with_diacritics(article) for article in corpus]
    return {
        "every article fires": articles / time_matcher(matcher, every, repeat),
        "accented text (non-ASCII path)": articles / time_matcher(matcher, accented, repeat),
    }


@dataclass(frozen=True, slots=True)
class Plan:
    """What one run measures."""

    sizes: Sequence[int]
    articles: int
    repeat: int
    budget: float
    data: Path = DEFAULT_DATA
    today: str | None = TODAY  # None: English of an earlier commit is not timed


def run(plan: Plan, progress: Callable[[str], None] = lambda _: None) -> Results:
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    results = []
    for count in plan.sizes:
        result = measure_size(count, plan.articles, plan.repeat, plan.budget)
        results.append(result)
        progress(f"{count:>6} rules, {result.terms:>7} terms: {result.rate:>9,.0f} articles/s; "
                 f"regex {result.baseline_rate:,.1f}/s on {result.baseline_articles}")  # fmt: skip
    target = min(plan.sizes, key=lambda count: abs(count * 10 - TARGET_TERMS))
    extras = measure_variants(target, plan.articles, plan.repeat)
    languages = [_english(results)] + [
        _measured(corpus_result, progress)
        for corpus_result in (
            measure_corpus(corpus, plan.sizes, plan.articles, plan.repeat, time_matcher)
            for corpus in corpora(plan.data)[1:]
        )
    ]
    today = None
    if plan.today:
        today = measure_today(plan.today, target, plan.articles, plan.repeat, time_matcher)
        then = f"{today.then:,.0f}" if today.then is not None else today.note
        progress(f"English at {target} rules: {today.now:,.0f} articles/s; "
                 f"at {plan.today[:10]}: {then}")  # fmt: skip
    elapsed = time.perf_counter() - started
    load = f"{load_before:.1f}, {os.getloadavg()[0]:.1f}"
    return Results(results, extras, plan.repeat, plan.budget, environment(), elapsed,
                   languages, today, load)  # fmt: skip


def _english(sizes: Sequence[SizeResult]) -> CorpusResult:
    return CorpusResult("English", "the corpus above", [
        CorpusSize(size.rules, size.terms, size.compile_seconds, size.rate, size.fired)
        for size in sizes
    ])  # fmt: skip


def _measured(result: CorpusResult, progress: Callable[[str], None]) -> CorpusResult:
    for size in result.sizes:
        progress(f"{result.name:>8} {size.rules:>6} rules, {size.terms:>7} terms: "
                 f"{size.rate:>9,.0f} articles/s")  # fmt: skip
    return result


def _sizes(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.match",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rules", type=_sizes, default=list(DEFAULT_RULES), help="10,100,...")
    parser.add_argument("--articles", type=int, default=5_000, help="articles per size (5000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per size; best kept")
    parser.add_argument(
        "--baseline-seconds", type=float, default=4.0, help="time budget of the baseline per size"
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="real text (shared data)")
    parser.add_argument("--today", default=TODAY, help="commit whose English to time; 'none'")
    parser.add_argument("--output", type=Path, default=Path("docs/BENCHMARKS.md"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.rules or min(args.rules) < 1 or args.articles < 10 or args.repeat < 1:
        print("--rules must be positive counts, --articles at least 10", file=sys.stderr)
        return 2
    today = None if args.today.lower() in ("", "none") else args.today
    plan = Plan(args.rules, args.articles, args.repeat, args.baseline_seconds, args.data, today)
    results = run(plan, progress=lambda line: print(line, flush=True))
    write_section(args.output, "match", render(results))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
