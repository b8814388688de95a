"""Start-up: time to ``/healthz`` and ``/readyz`` and resident memory, by windowed articles.

    python -m bench.startup [--sizes 0,200000,400000] [--feeds 10000] [--no-write]

For each size a SQLite store is seeded directly with that many articles inside the 48 h
dedup window (synthetic headlines, four reports a story each worded apart, so every
article is an entry of the index; no embeddings: the lexical index, which the ≤ 1 KB
target is for), and ``wirewatch run`` is started as a
real process with 10,000 feeds configured (on a closed loopback port: nothing is polled
before ``/readyz``, and the run ends there). Two starts a size, same store:

- **baseline**, the full warm-up: no snapshot yet, the window read from the store (as
  every start was before snapshots; from 50,000 articles in a child process that writes
  the snapshot the daemon loads, decision 0069); stopped with SIGTERM, which writes the
  snapshot;
- **snapshot**: the next start loads it.

Each reports seconds from the process's start to the first ``/healthz`` 200 and the
first ``/readyz`` 200, the daemon's RSS then (``/proc``, VmRSS), and the RSS over the
empty store's run of the same path divided by the windowed articles (the memory a
windowed article costs in the running daemon). The baseline's shutdown (snapshot
written) is timed too. Writes the "Start-up" section of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.sections import markdown_table, write_section
from bench.startup_data import HEADLINES, REAL, SYNTHETIC, real_headlines, synthetic_headlines
from monitor.store.sql.dialect import SQLITE
from monitor.stories.dedup import story_id_for

_ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = _ROOT / "docs" / "BENCHMARKS.md"
_PROBE_EVERY = 0.02  # seconds between probes: the resolution of the times reported
_GUARD = 1800.0  # a start that takes longer has hung (minutes at 400,000 on a loaded machine)
_PORT = 9  # discard: closed on loopback, so no feed is ever fetched

_COLUMNS = ("windowed articles", "start", "/healthz", "/readyz", "index", "parse workers", "RSS",
            "per article")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Start:
    healthz: float  # seconds from the process's start
    readyz: float
    rss: int  # bytes, at the first ready answer
    warm_seconds: float = 0.0  # the daemon's own count: index loaded or warmed (its log)
    source: str = ""  # "snapshot", "child" (a cold start warmed in a child) or "store"
    workers: float = 0.0  # seconds from the process's start to the parse workers started


@dataclass(frozen=True, slots=True)
class SizeRun:
    articles: int
    baseline: Start
    snapshot: Start
    shutdown: float  # the baseline's SIGTERM to exit, the snapshot written meanwhile
    snapshot_bytes: int
    snapshot_seconds: float  # writing it (captured on the loop, written in a thread)


def seed(path: Path, headlines: Iterable[tuple[str, str]], articles: int, now: datetime) -> None:
    """``articles`` stored inside the window, as the daemon stores them: a story a key, the
    first article of each its first."""
    subprocess.run([sys.executable, "-m", "monitor", "db", "migrate", "--config",
                    str(path.with_suffix(".toml"))], check=True, capture_output=True)  # fmt: skip
    db = sqlite3.connect(path)
    span = timedelta(hours=47).total_seconds()
    stories: dict[str, tuple[str, ...]] = {}
    rows = []
    for number, (title, key) in enumerate(headlines):
        fetched = SQLITE.time(now - timedelta(seconds=span * (1 - number / max(articles, 1))))
        article_id = f"a{number:07d}"
        if key not in stories:
            stories[key] = (story_id_for(article_id), article_id, title, fetched, fetched)
        story = stories[key][0]
        rows.append((article_id, story, f"http://127.0.0.1:{_PORT}/f{number % 10_000}",
                     f"feed {number % 10_000}", article_id, f"http://example.test/{article_id}",
                     title, "", fetched, fetched, "en"))  # fmt: skip
    db.executemany("INSERT INTO stories (story_id, first_article_id, title, first_seen,"
                   " last_seen) VALUES (?, ?, ?, ?, ?)", stories.values())  # fmt: skip
    db.executemany("INSERT INTO articles (article_id, story_id, feed_url, feed_name, guid, link,"
                   " title, summary, published, fetched_at, language)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)  # fmt: skip
    db.commit()
    db.close()


def write_config(path: Path, feeds: int, listen: int) -> None:
    lines = [
        "[store]", f'path = "{path.with_suffix(".db")}"', "",
        "[listener]", 'host = "127.0.0.1"', f"port = {listen}", "",
        "[log]", 'format = "json"', 'level = "warning"',
        'levels = {"monitor.stories.warmup" = "info", "monitor.feeds.parse_pool" = "info"}', "",
        "[dedup]", "semantic = false", "",
        "[retention]", "enabled = false", "",
    ]  # fmt: skip
    for number in range(feeds):
        lines += ["[[feeds]]", f'name = "feed {number}"',
                  f'url = "http://127.0.0.1:{_PORT}/f{number}"', "interval = 3600", ""]  # fmt: skip
    path.write_text("\n".join(lines), encoding="utf-8")


def _answers(port: int, route: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{route}", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _logged(log: Path, event: str) -> dict[str, object]:
    """The last line of ``event`` in a daemon's JSON log ({} when none)."""
    found: dict[str, object] = {}
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if f'"{event}"' in line:
            with contextlib.suppress(ValueError):
                found = json.loads(line)
    return found


def compiled(pycache: Path) -> dict[str, str]:
    """The environment a daemon starts in: wirewatch's modules compiled to bytecode
    beforehand (into ``pycache``, never beside the sources), as an installed wheel and the
    Docker image have them (pip compiles at install). A checkout run with
    ``PYTHONDONTWRITEBYTECODE`` would otherwise compile every module before the bind, on
    every start: a cost no deployment pays. The prefix holds the bytecode of every module,
    the standard library's and the dependencies' too, so one untimed import of what a
    start loads fills it for those (else the first measured start alone compiles them)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    packages = [str(_ROOT / name) for name in ("monitor", "rules", "notifiers")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], env=env, check=True)
    imports = "import monitor.cli.main, monitor.cli.run, monitor.daemon"
    subprocess.run([sys.executable, "-c", imports], env=env, check=True)
    return env


def _logged_at(log: Path, event: str) -> float:
    """When the last ``event`` was logged (Unix seconds; 0 when never)."""
    stamp = str(_logged(log, event).get("timestamp", ""))
    return datetime.fromisoformat(stamp).timestamp() if stamp else 0.0


def start(
    config: Path, port: int, log: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], Start]:
    """A daemon started and probed until ready; the caller stops it."""
    began, began_at = time.perf_counter(), time.time()
    with log.open("wb") as errors:
        command = [sys.executable, "-m", "monitor", "run", "--config", str(config)]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, env=env)
    healthz = readyz = 0.0
    while not readyz:
        if process.poll() is not None or time.perf_counter() - began > _GUARD:
            process.kill()
            raise RuntimeError(f"the daemon exited or hung before /readyz ({config})")
        elapsed = time.perf_counter() - began
        if not healthz and _answers(port, "/healthz"):
            healthz = elapsed
        if healthz and _answers(port, "/readyz"):
            readyz = time.perf_counter() - began
        time.sleep(_PROBE_EVERY)
    rss = _rss(process.pid)
    warmed = _logged(log, "story_index_warmed")
    seconds = float(str(warmed.get("seconds", 0.0)))
    workers = _logged_at(log, "parse_workers_started") - began_at
    return process, Start(healthz, readyz, rss, seconds, str(warmed.get("source", "")), workers)


def stop(process: subprocess.Popen[bytes]) -> float:
    began = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=_GUARD)
    return time.perf_counter() - began


def measure(
    articles: int, feeds: int, workdir: Path, port: int, real: Path | None, env: dict[str, str]
) -> SizeRun:
    config = workdir / f"w{articles}.toml"
    write_config(config, feeds, port)
    database = config.with_suffix(".db")
    headlines = real_headlines(real, articles) if real else synthetic_headlines(articles)
    seed(database, headlines, articles, datetime.now(UTC))
    log = workdir / f"w{articles}.log"
    process, baseline = start(config, port, log, env)
    shutdown = stop(process)
    written = float(str(_logged(log, "story_snapshot_written").get("seconds", 0.0)))
    snapshot_file = Path(str(database) + ".stories")
    size = snapshot_file.stat().st_size if snapshot_file.exists() else 0
    process, loaded = start(config, port, log, env)
    stop(process)
    return SizeRun(articles, baseline, loaded, shutdown, size, written)


def _per_article(run: Start, empty: Start, articles: int) -> str:
    return f"{(run.rss - empty.rss) / articles:,.0f} B" if articles else "—"


def _busy(load: str) -> bool:
    return float(load.split(",", maxsplit=1)[0]) > (os.cpu_count() or 1)


def report(runs: list[SizeRun], feeds: int, load: str, real: bool, took: float) -> str:
    empty = runs[0]
    rows = []
    for run in runs:
        for label, start_ in (("full warm-up (baseline)", run.baseline),
                              ("snapshot", run.snapshot)):  # fmt: skip
            zero = empty.baseline if start_ is run.baseline else empty.snapshot
            rows.append((f"{run.articles:,}", label, f"{start_.healthz:.2f} s",
                         f"{start_.readyz:.2f} s", f"{start_.warm_seconds:.2f} s ({start_.source})",
                         f"{start_.workers:.2f} s",
                         f"{start_.rss / 2**20:,.0f} MiB",
                         _per_article(start_, zero, run.articles)))  # fmt: skip
    shutdowns = ", ".join(
        f"{run.articles:,}: {run.snapshot_seconds:.1f} s, {run.snapshot_bytes / 2**20:,.1f} MiB"
        for run in runs
    )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    return "\n".join(
        [
            "## Start-up: time to /healthz and /readyz, memory per windowed article",
            "",
            f"Generated by `python -m bench.startup` on {when} UTC; this run took {took:.0f} s.",
            "",
            "    python -m bench.startup [--sizes 0,200000,400000] [--feeds 10000] [--synthetic]",
            "",
            f"`wirewatch run` with {feeds:,} feeds configured, "
            "a SQLite store seeded with N articles inside the 48 h window ("
            + (REAL if real else SYNTHETIC)
            + "; lexical index only, no embeddings). Per size, same store, same run: the "
            "baseline start warms the index from the store (no snapshot yet; from 50,000 "
            "articles a child process warms it and writes the snapshot the daemon loads, "
            "*index* says `child`, decision 0069); SIGTERM writes "
            "the snapshot; the next start loads it. wirewatch's modules are compiled to "
            "bytecode first, as an installed wheel and the Docker image have them (a checkout "
            "run with PYTHONDONTWRITEBYTECODE compiles them on every start instead). "
            "Times from process start; RSS at the "
            "first `/readyz` 200; per article = RSS over the 0-article start of the same path "
            f"/ N. Load average when run: {load}"
            + (" (a busy machine: the times are indicative only)." if _busy(load) else "."),
            "",
            *markdown_table(_COLUMNS, rows, "rlrrrrrr"),
            "",
            "*index* is the daemon's own count (its `story_index_warmed` log line): loading the "
            "snapshot and replaying, or reading the window from the store and warming. "
            "*parse workers*: from the process's start to its parse workers started "
            "(`parse_workers_started`); `/readyz` waits for them too (decision 0062), so on a "
            "quick snapshot load they, not the index, can set the time to ready.",
            "",
            f"The snapshot written at the baseline's shutdown (its time, its size): {shutdowns}. "
            "The semantic part of the index (headline vectors and their graph) is not in this "
            "run; `bench.dedup_scale` measures it.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="0,200000,400000")
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=18_931)
    parser.add_argument("--no-write", action="store_true", help="print, leave BENCHMARKS.md")
    parser.add_argument("--synthetic", action="store_true", help="synthetic headlines only")
    parser.add_argument("--headlines", type=Path, default=HEADLINES, help="newsCorpora.tsv.gz")
    args = parser.parse_args()
    real = not args.synthetic and args.headlines.is_file()
    if not real and not args.synthetic:
        print(f"{args.headlines} is absent: synthetic headlines instead", flush=True)
    sizes = [int(size) for size in args.sizes.split(",")]
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wirewatch-startup-") as workdir:
        env = compiled(Path(workdir) / "pycache")
        runs = []
        for articles in sizes:
            source = args.headlines if real else None
            run = measure(articles, args.feeds, Path(workdir), args.port, source, env)
            print(run, flush=True)
            runs.append(run)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    markdown = report(runs, args.feeds, load, real, time.perf_counter() - began)
    print(markdown)
    if not args.no_write:
        write_section(BENCHMARKS, "startup", markdown)


if __name__ == "__main__":
    main()
