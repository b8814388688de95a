"""The XML fast path against feedparser over the whole feed corpus.

    python -m bench.parse_equivalence [--tarball PATH] [--workers 2] [--output docs/BENCHMARKS.md]

Every file of ``../shared/data/feeds-corpus/feeds.tar.gz`` (gzip files unpacked first, as
the fetcher would) goes through ``monitor.feeds.fast_xml.fast_parse``; where it takes the
document, its :class:`ParsedFeed` (format, title, ttl, hub, self URL, warning and every
entry's guid, title, link, summary, content, date, tags and author) is compared with
``parse_with_feedparser``'s for the same bytes. Reports the files that took the fast path,
how many are identical, and every one that differs, field by field, plus the time both
paths took on the files the fast path took. Exit status 1 when any file differs.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import sys
import tarfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, fields
from pathlib import Path

from bench.sections import write_section
from monitor.feeds.fast_xml import fast_parse
from monitor.feeds.parser import ParseError, _looks_like_json, parse_with_feedparser
from monitor.records import ParsedFeed

ROOT = Path(__file__).resolve().parents[1]
TARBALL = ROOT.parent / "shared" / "data" / "feeds-corpus" / "feeds.tar.gz"
MAX_UNPACKED = 15 * 1024 * 1024  # the daemon's default body cap
REPEATS = 3  # timing runs per path on each fast-path file (the best counts)


@dataclass(frozen=True, slots=True)
class Outcome:
    path: str
    kind: str  # "json", "declined", "identical", "differs"
    detail: str = ""
    fast_seconds: float = 0.0
    feedparser_seconds: float = 0.0


def corpus_files(tarball: Path) -> Iterator[tuple[str, bytes]]:
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive:
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is not None:
                yield member.name, handle.read()


def unpacked(body: bytes) -> bytes:
    if body[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(body)[:MAX_UNPACKED]
        except (OSError, EOFError):
            return body
    return body


def compare(path: str, body: bytes) -> Outcome:
    """One file: declined, JSON (not this path), identical or differing (and how)."""
    body = unpacked(body)
    url = f"https://corpus.invalid/{path}"
    if _looks_like_json(body, None):
        return Outcome(path, "json")
    fast = fast_parse(body, None, url, 1000)
    if fast is None:
        return Outcome(path, "declined")
    try:
        reference: ParsedFeed | str = parse_with_feedparser(body, None, url, 1000)
    except ParseError as err:
        reference = f"feedparser rejects it: {err}"
    difference = describe(fast, reference)
    fast_time, reference_time = timings(body, url)
    kind = "differs" if difference else "identical"
    return Outcome(path, kind, difference, fast_time, reference_time)


def timings(body: bytes, url: str) -> tuple[float, float]:
    def best(parse: object) -> float:
        runs = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            parse(body, None, url, 1000)  # type: ignore[operator]
            runs.append(time.perf_counter() - started)
        return min(runs)

    return best(fast_parse), best(parse_with_feedparser)


def describe(fast: ParsedFeed, reference: ParsedFeed | str) -> str:
    """The first difference between the two results, or "" when they are equal."""
    if isinstance(reference, str):
        return reference
    for item in fields(ParsedFeed):
        if item.name == "entries":
            continue
        mine, theirs = getattr(fast, item.name), getattr(reference, item.name)
        if mine != theirs:
            return f"feed {item.name}: fast {mine!r:.80} vs feedparser {theirs!r:.80}"
    if len(fast.entries) != len(reference.entries):
        return f"entries: fast {len(fast.entries)} vs feedparser {len(reference.entries)}"
    for number, (mine, theirs) in enumerate(zip(fast.entries, reference.entries, strict=True)):
        for item in fields(mine):
            a, b = getattr(mine, item.name), getattr(theirs, item.name)
            if a != b:
                return f"entry {number} {item.name}: fast {a!r:.80} vs feedparser {b!r:.80}"
    return ""


def run(tarball: Path, workers: int) -> list[Outcome]:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(compare, path, body) for path, body in corpus_files(tarball)]
        return [future.result() for future in futures]


def render(outcomes: list[Outcome], tarball: Path, elapsed: float, load: float) -> str:
    kinds = Counter(outcome.kind for outcome in outcomes)
    xml = len(outcomes) - kinds["json"]
    taken = kinds["identical"] + kinds["differs"]
    fast = sum(o.fast_seconds for o in outcomes)
    reference = sum(o.feedparser_seconds for o in outcomes)
    lines = [
        "## Parsing: the XML fast path against feedparser, whole corpus",
        "",
        "    python -m bench.parse_equivalence",
        "",
        f"Every file of `{tarball.name}` (`../shared/data/feeds-corpus/`, {len(outcomes):,} "
        "files) through `monitor.feeds.fast_xml.fast_parse`; each document it takes is "
        "compared, as the `ParsedFeed` the daemon gets (format, title, ttl, hub, self URL, "
        "warning, and every entry's guid, title, link, summary, content, date, tags, author), "
        "with `parse_with_feedparser` on the same bytes. Declined documents go to feedparser "
        f"in the daemon. Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {load:.1f} at the start (other work "
        f"slows both paths alike). Whole run: {elapsed:.0f} s.",
        "",
        "| files | JSON Feed (own parser) | XML | fast path took | identical | differing "
        "| declined (feedparser) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {len(outcomes):,} | {kinds['json']:,} | {xml:,} | {taken:,} | "
        f"{kinds['identical']:,} | {kinds['differs']:,} | {kinds['declined']:,} |",
        "",
        f"On the {taken:,} documents the fast path took, parsing took {fast:.2f} s on the fast "
        f"path and {reference:.2f} s through feedparser (best of {REPEATS} each, same run): "
        f"**{reference / fast if fast else 0:.1f}× faster**.",
    ]
    differing = [o for o in outcomes if o.kind == "differs"]
    if differing:
        lines += ["", "Differences:", ""]
        lines += [f"- `{o.path}`: {o.detail}" for o in differing]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tarball", type=Path, default=TARBALL)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    if not args.tarball.exists():
        print(f"corpus not found at {args.tarball}; nothing measured", file=sys.stderr)
        return 2
    load, started = os.getloadavg()[0], time.perf_counter()
    outcomes = run(args.tarball, args.workers)
    markdown = render(outcomes, args.tarball, time.perf_counter() - started, load)
    print(markdown)
    write_section(args.output, "parse_equivalence", markdown)
    return 1 if any(o.kind == "differs" for o in outcomes) else 0


if __name__ == "__main__":
    raise SystemExit(main())
