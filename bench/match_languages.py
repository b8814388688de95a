"""``bench.match`` over Arabic, Russian and mixed-script text, and English as it was.

Each corpus of ``bench.match_scripts`` is timed at every rule count, as the English
one is. The English figure of an earlier commit (the code before language-aware
matching, by default) is measured in the same run: its ``rules`` package and
English corpus are taken out of git into a temporary directory, and each turn times
that code and then this code's own English, each in a fresh child process of the same
interpreter.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import rules
from bench.match_corpus import Article, make_articles, make_ruleset
from bench.match_scripts import Corpus

ROOT = Path(__file__).resolve().parents[1]
# main before issue 16 changed folding or stemming: English "today", for the target.
TODAY = "a30bcba42da11343210dc25566f488564b771347"
ROUNDS = 3  # turns of then and now
_CHILD = """
import gc, sys, time
import rules
from bench.match_corpus import make_articles, make_ruleset
count, articles, repeat = map(int, sys.argv[1:4])
ruleset = make_ruleset(count)
matcher = rules.compile_rules(ruleset)
fields = [article.fields for article in make_articles(ruleset, articles)]
best = float("inf")
for _ in range(repeat):
    gc.collect()
    started = time.perf_counter()
    for one in fields:
        matcher.match(one)
    best = min(best, time.perf_counter() - started)
print(rules.__file__)
print(articles / best)
"""


@dataclass(frozen=True, slots=True)
class CorpusSize:
    rules: int
    terms: int
    compile_seconds: float
    rate: float
    fired: int  # articles on which some rule fired


@dataclass(frozen=True, slots=True)
class CorpusResult:
    name: str
    text: str
    sizes: list[CorpusSize]


@dataclass(frozen=True, slots=True)
class Today:
    """English at one rule count: the code of commit ``ref`` and this code, side by side."""

    ref: str
    rules: int
    then: float | None  # None when either side's child failed (``note`` says which)
    now: float
    note: str = ""
    turns: tuple[tuple[float, float], ...] = ()  # (then, now) of each turn, to show the noise


TimeArticles = Callable[[rules.Matcher, Sequence[Article], int], float]


def measure_corpus(
    corpus: Corpus, sizes: Sequence[int], articles: int, repeat: int, timer: TimeArticles
) -> CorpusResult:
    """Articles/s of one corpus at each rule count."""
    results = []
    for count in sizes:
        ruleset = make_ruleset(count, language=corpus.language)
        started = time.perf_counter()
        matcher = rules.compile_rules(ruleset)
        compile_seconds = time.perf_counter() - started
        texts = make_articles(ruleset, articles, language=corpus.language)
        seconds = timer(matcher, texts, repeat)
        terms = sum(len(ruleset.terms_of(name)) for name in (*ruleset.entities, *ruleset.keywords))
        fired = sum(bool(matcher.match(article.fields)) for article in texts)
        results.append(CorpusSize(count, terms, compile_seconds, articles / seconds, fired))
    return CorpusResult(corpus.language.name, corpus.text, results)


def measure_today(
    ref: str, count: int, articles: int, repeat: int, timer: TimeArticles, rounds: int = ROUNDS
) -> Today:
    """English at ``count`` rules by the code of ``ref`` and by this code, in turns (the
    best of ``rounds`` each), so that both see the same load on a shared machine. Both
    are timed the same way, each by a fresh child process: timed in this process, which
    holds every corpus of the run, this code read 70,913 articles/s where a child read
    77,217-77,350 (one commit, one session), which looked like a slowdown it was not."""
    rates = []  # then, now, then, now, …
    for _ in range(rounds):
        for side in (ref, None):
            try:
                rates.append(_rate_at(side, count, articles, repeat))
            except _CHILD_FAILURES as err:
                return _alone(ref, count, articles, repeat, timer, _failure(side, err))
    pairs = tuple(zip(rates[::2], rates[1::2], strict=True))
    best_then, best_now = (max(side) for side in zip(*pairs, strict=True))
    return Today(ref, count, best_then, best_now, turns=pairs)


_CHILD_FAILURES = (OSError, subprocess.CalledProcessError, ValueError, tarfile.TarError)


def _failure(side: str | None, err: Exception) -> str:
    """Which child failed, and why: the commit's code or this code."""
    who = f"commit {side[:10]} could not be timed" if side else "this code's child process failed"
    return f"{who}: {str(err).strip()[:200]}"


def _alone(
    ref: str, count: int, articles: int, repeat: int, timer: TimeArticles, note: str
) -> Today:
    """This code's English timed in this process, when the turns could not be run."""
    ruleset = make_ruleset(count)
    corpus = make_articles(ruleset, articles)
    rate = articles / timer(rules.compile_rules(ruleset), corpus, repeat)
    return Today(ref, count, None, rate, note)


def _rate_at(ref: str | None, count: int, articles: int, repeat: int) -> float:
    """The English rate of commit ``ref``'s rules package (None: this code's), timed by a
    child process."""
    if ref is None:
        return _child_rate(ROOT, count, articles, repeat)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref,
         "rules", "bench/__init__.py", "bench/match_corpus.py"],
        capture_output=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-match-") as folder:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        return _child_rate(Path(folder), count, articles, repeat)


def _child_rate(folder: Path, count: int, articles: int, repeat: int) -> float:
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(count), str(articles), str(repeat)],
        cwd=folder, capture_output=True, text=True, check=True, timeout=1800,
        env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    where, rate = child.stdout.split()[-2:]
    if not where.startswith(str(folder)):
        raise ValueError(f"the child imported rules from {where}, not from {folder}")
    return float(rate)
