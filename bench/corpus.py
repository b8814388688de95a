"""Parser robustness over a corpus of real-world and test-suite feeds.

    python -m bench.corpus [--tarball PATH] [--manifest PATH] [--output docs/BENCHMARKS.md]

Runs the daemon's parser path (``parse_feed`` → ``normalise_entry`` for every entry, the
work between a fetched body and dedup) over every file of
``../shared/data/feeds-corpus/feeds.tar.gz`` (see its ``SOURCE.md``), each file in a worker
process with a deadline, and reports crashes (any exception other than ``ParseError``),
hangs (no answer within the deadline), per-file parse time (max, p99) and the files that
yielded entries, split by what the corpus's ``MANIFEST.tsv`` says the file is. A gzip
file is unpacked first, as the fetcher would decode ``Content-Encoding: gzip``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import multiprocessing
import os
import platform
import sys
import tarfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, TimeoutError
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.sections import write_section
from monitor.feeds.normalise import normalise_entry
from monitor.feeds.parser import ParseError, parse_feed

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "feeds-corpus"
DEADLINE = 30.0  # seconds for one file before it counts as a hang
SLOW = 2.0  # the bound for one file
MAX_UNPACKED = 15 * 1024 * 1024  # the daemon's default body cap
FETCHED_AT = datetime(2026, 1, 1, tzinfo=UTC)
# Files SOURCE.md names as broken on purpose or as captured (beyond labelled test dirs).
MALFORMED_PATHS = (
    "/encoding/bozo_", "invalid/invalid.json", "universal/invalid.json", "empty_feed.xml",
    "unknown_feed.xml", "illegal_char", "saxerror.xml", "illegally-nested", "notafeed.html",
    "unrecognized.rss", "rss_2.0_invalid_1", "malformed_rss_namespaced", "3d13901a267083a8",
    "490dc9839ac777be", "705749c3b1bd02d8", "7ef13a42fa7e177a", "9e0834333e854116",
    "b0e71155ca8a590c",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class FileResult:
    path: str
    outcome: str  # "feed", "rejected", "crash"
    entries: int
    seconds: float
    detail: str = ""
    warned: bool = False


@dataclass
class Report:
    results: list[FileResult] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)  # path → manifest group
    elapsed: float = 0.0


def parse_path(path: str, body: bytes, content_type: str | None) -> FileResult:
    """One file through parse → normalise, timed; never raises."""
    started = time.perf_counter()
    if body[:2] == b"\x1f\x8b":
        with contextlib.suppress(OSError, EOFError):
            body = gzip.decompress(body)[:MAX_UNPACKED]
    try:
        parsed = parse_feed(body, content_type=content_type, url=f"https://corpus.invalid/{path}")
        for entry in parsed.entries:
            normalise_entry(entry, feed_url="corpus", feed_name="corpus", fetched_at=FETCHED_AT)
    except ParseError as err:
        return FileResult(path, "rejected", 0, time.perf_counter() - started, str(err)[:120])
    except Exception as err:  # a crash: the number that must be 0
        detail = f"{type(err).__name__}: {err}"[:200]
        return FileResult(path, "crash", 0, time.perf_counter() - started, detail)
    elapsed = time.perf_counter() - started
    return FileResult(path, "feed", len(parsed.entries), elapsed, warned=bool(parsed.warning))


def manifest_rows(manifest: Path | None) -> dict[str, dict[str, str]]:
    if manifest is None or not manifest.exists():
        return {}
    with manifest.open(encoding="utf-8", newline="") as handle:
        return {row["archive_path"]: row for row in csv.DictReader(handle, delimiter="\t")}


def group_of(row: dict[str, str] | None) -> str:
    """What the corpus says the file is: malformed on purpose, invalid, or a valid feed."""
    if row is None:
        return "unlisted"
    if row.get("role", "input") != "input":
        return "not a feed (expected outputs)"
    label = row.get("source_label", "").lower()
    path = row["archive_path"].lower()
    if label.startswith(("illformed", "entities")) or "xml-level malformed" in label:
        return "malformed on purpose"
    if any(mark in path for mark in MALFORMED_PATHS):
        return "malformed on purpose"
    if "invalid feed" in label:
        return "invalid by spec (validator tests)"
    return "other (valid, or unlabelled real captures)"


def content_type_of(row: dict[str, str] | None) -> str | None:
    for line in (row or {}).get("http_headers", "").split("|"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-type":
            return value.strip()
    return None


def corpus_files(tarball: Path) -> Iterator[tuple[str, bytes]]:
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive:
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is not None:
                yield member.name, handle.read()


def run(tarball: Path, manifest: Path | None, workers: int) -> Report:
    rows = manifest_rows(manifest)
    report = Report()
    started = time.perf_counter()
    context = multiprocessing.get_context("forkserver")  # never fork a threaded process
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    pending: list[tuple[str, Future[FileResult]]] = []
    for path, body in corpus_files(tarball):
        report.kinds[path] = group_of(rows.get(path))
        pending.append((path, pool.submit(parse_path, path, body, content_type_of(rows.get(path)))))
    for path, future in pending:
        try:
            report.results.append(future.result(timeout=DEADLINE))
        except TimeoutError:
            report.hangs.append(path)
    pool.shutdown(wait=not report.hangs, cancel_futures=True)
    report.elapsed = time.perf_counter() - started
    return report


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def render(report: Report, tarball: Path) -> str:
    results = report.results
    times = [r.seconds for r in results]
    outcomes = Counter(r.outcome for r in results)
    crashes = [r for r in results if r.outcome == "crash"]
    slow = sorted(results, key=lambda r: r.seconds, reverse=True)[:5]
    with_entries = sum(1 for r in results if r.entries)
    lines = [
        "## Parser robustness: real-world and test-suite feeds",
        "",
        "    python -m bench.corpus",
        "",
        f"Every file of `{tarball.name}` ({len(results) + len(report.hangs):,} files; see "
        "`../shared/data/feeds-corpus/SOURCE.md`) through `parse_feed` → `normalise_entry`, "
        f"one worker process per core, {DEADLINE:g} s deadline per file. Machine: "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Run took {report.elapsed:.0f} s.",
        "",
        "| measure | value |",
        "| --- | ---: |",
        f"| **crashes** (exceptions other than ParseError) | **{len(crashes)}** |",
        f"| **hangs** (no answer within {DEADLINE:g} s) | **{len(report.hangs)}** |",
        f"| files read as feeds | {outcomes['feed']:,} |",
        f"| … of which with at least one entry | {with_entries:,} |",
        f"| … of which processed with a bozo warning | {sum(r.warned for r in results):,} |",
        f"| files rejected as not a feed (ParseError) | {outcomes['rejected']:,} |",
        f"| entries parsed and normalised | {sum(r.entries for r in results):,} |",
        f"| per-file time, max | {max(times, default=0) * 1000:.1f} ms |",
        f"| per-file time, p99 | {percentile(times, 0.99) * 1000:.1f} ms |",
        f"| per-file time, median | {percentile(times, 0.5) * 1000:.2f} ms |",
        f"| files above {SLOW:g} s | {sum(t > SLOW for t in times)} |",
        "",
        *_group_table(report),
        "",
        "Slowest files: " + ", ".join(f"`{r.path}` {r.seconds * 1000:.0f} ms" for r in slow) + ".",
    ]
    lines += [f"- crash: `{r.path}`: {r.detail}" for r in crashes]
    lines += [f"- hang: `{path}`" for path in report.hangs]
    return "\n".join(lines)


def _group_table(report: Report) -> list[str]:
    groups: dict[str, Counter[str]] = {}
    for result in report.results:
        counts = groups.setdefault(report.kinds.get(result.path, "unlisted"), Counter())
        counts[result.outcome] += 1
        counts["with entries"] += bool(result.entries)
    rows = [
        "| what the manifest says | files | read as feeds | with entries | rejected | crashes |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, c in sorted(groups.items()):
        total = c["feed"] + c["rejected"] + c["crash"]
        rows.append(
            f"| {name} | {total:,} | {c['feed']:,} | {c['with entries']:,} | "
            f"{c['rejected']:,} | {c['crash']} |"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, default=DATA / "feeds.tar.gz")
    parser.add_argument("--manifest", type=Path, default=DATA / "MANIFEST.tsv")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    if not args.tarball.exists():
        print(f"corpus not found: {args.tarball} (see the project's shared data)", file=sys.stderr)
        return 1
    report = run(args.tarball, args.manifest, args.workers)
    markdown = render(report, args.tarball)
    print(markdown)
    write_section(args.output, "corpus", markdown)
    crashed = any(r.outcome == "crash" for r in report.results)
    return 1 if crashed or report.hangs else 0


if __name__ == "__main__":
    raise SystemExit(main())
