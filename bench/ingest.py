"""Sustained ingest of new articles, fetch to stored alert, with and without the embedding.

    python -m bench.ingest [--feeds 500] [--items 20] [--cycles 1] [--hosts 250]
                           [--output docs/BENCHMARKS.md] [--profile DIR]

A fresh loopback farm (``bench.feedfarm`` with ``fresh=ITEMS``, its own process) makes
every feed list only new items in every cycle: FEEDS × ITEMS new articles a cycle, about
7 % of them watch headlines that fire the example config's rules. In a fresh process
(``bench.ingest_client``) one daemon runs ``Daemon.run_once`` for a warm-up cycle, then
for the measured cycles, on an empty SQLite store: fetch → parse → normalise → language →
embedding → dedup → rules → article and alert rows. This is done twice in one run, with
``[dedup] semantic = true`` (headline embeddings in the parse pool, the semantic tier)
and ``false`` (the path without them), on the same feeds and items. The semantic run must
have stored a 1,024-byte embedding with every article, the other none: else the
benchmark stops without writing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import feedfarm
from bench.poll import EXAMPLE_CONFIG, ROOT, cpu_seconds, start_farm
from bench.sections import markdown_table, write_section

TARGET = 400.0  # articles/s with the embedding included (issue 17, point 6)
DAEMON = {  # [daemon] settings that measure the ingest path, not politeness
    "parse_workers": -1,
    "jitter": 0,
    "concurrency": 64,
    "host_concurrency": 2,
    "host_spacing": 0,
}
COLUMNS = (
    "path", "new articles stored", "alerts stored", "stories", "wall", "articles/s",
    "CPU (daemon)", "CPU (parse workers)", "CPU per article", "peak RSS (daemon)",
    "peak RSS (workers)",
)  # fmt: skip


def write_config(directory: Path, urls: list[str], semantic: bool) -> Path:
    name = "semantic" if semantic else "lexical"
    daemon = "".join(f"{key} = {value}\n" for key, value in DAEMON.items())
    feeds = "".join(
        f'[[feeds]]\nname = "Farm {i}"\nurl = "{url}"\nfull_text = "never"\n'
        for i, url in enumerate(urls)
    )
    path = directory / f"{name}.toml"
    path.write_text(
        f"[daemon]\n{daemon}"
        f'[store]\npath = "{directory / f"{name}.db"}"\n'
        f"[dedup]\nsemantic = {str(semantic).lower()}\n"
        '[listener]\nenabled = false\n[log]\nlevel = "warning"\nformat = "json"\n' + feeds,
        encoding="utf-8",
    )
    return path


def client_run(config: Path, args: argparse.Namespace, farm_pid: int) -> dict[str, Any]:
    """Warm-up and measured cycles in a fresh interpreter; the farm's CPU over the run."""
    command = [sys.executable, "-m", "bench.ingest_client", str(config), str(EXAMPLE_CONFIG),
               str(args.warmup), str(args.cycles)]  # fmt: skip
    if args.profile:
        command.append(str(args.profile / f"{config.stem}.prof"))
    farm_before = cpu_seconds(farm_pid)
    done = subprocess.run(command, check=False, capture_output=True, text=True, cwd=ROOT)
    if done.returncode:  # its stderr says why; check=True would hide it
        raise RuntimeError(f"bench.ingest_client failed:\n{done.stderr[-4000:]}")
    result = dict(json.loads(done.stdout.strip().splitlines()[-1]))
    result["farm_cpu"] = cpu_seconds(farm_pid) - farm_before
    return result


def stored(run: dict[str, Any], key: str) -> int:
    """Rows of one kind the measured cycles added to the store."""
    return int(run["after"][key] - run["before"][key])


def check(run: dict[str, Any], semantic: bool, expected: int) -> None:
    """Stop unless every new article was stored, with an embedding exactly when on."""
    if stored(run, "articles") != expected or run["articles"] != expected:
        raise RuntimeError(f"expected {expected} new articles stored, got {run}")
    embedded = run["after"]["embedded"]
    wanted = run["after"]["articles"] if semantic else 0
    if embedded != wanted:
        raise RuntimeError(f"{embedded} of {run['after']['articles']} articles embedded, "
                           f"expected {wanted} (semantic = {semantic})")  # fmt: skip


def rate(run: dict[str, Any]) -> float:
    return stored(run, "articles") / run["wall"]


def row(name: str, run: dict[str, Any]) -> list[str]:
    workers = run["workers"]
    return [
        name, f"{stored(run, 'articles'):,}", f"{stored(run, 'alerts'):,}",
        f"{stored(run, 'stories'):,}", f"{run['wall']:.1f} s", f"**{rate(run):,.0f}**",
        f"{run['cpu']:.1f} s", f"{run['worker_cpu']:.1f} s ({workers})" if workers else "—",
        f"{1000 * (run['cpu'] + run['worker_cpu']) / stored(run, 'articles'):.2f} ms",
        f"{run['rss_mb']:.0f} MB", f"{run['worker_rss_mb']:.0f} MB each" if workers else "—",
    ]  # fmt: skip


def render(args: argparse.Namespace, runs: dict[bool, dict[str, Any]], elapsed: float) -> str:
    on, off = runs[True], runs[False]
    met = "met" if rate(on) >= TARGET else "NOT met"
    table = "\n".join(
        markdown_table(COLUMNS, [row("semantic = true (embedding + semantic tier)", on),
                                 row("semantic = false (today's path)", off)], "lrrrrrrrrrr")
    )  # fmt: skip
    command = " ".join(
        f"--{name} {getattr(args, name)}" for name in ("feeds", "items", "cycles", "hosts")
    )
    profiled = " Run under cProfile (`--profile`): slower than without it." if args.profile else ""
    return f"""## Sustained ingest: new articles, fetch to stored alert

    python -m bench.ingest {command}

{setup(args, on["workers"])}

{timing(on)}

Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; the
farm shares the cores (it used {on["farm_cpu"]:.1f} s and {off["farm_cpu"]:.1f} s of CPU over
the two daemons' lives). Load average {args.load[0]:.1f} before the run, {os.getloadavg()[0]:.1f}
after it (other work on the machine slows both paths). Whole run: {elapsed:.0f} s.{profiled}

{table}

Target: ≥ {TARGET:.0f} articles/s with the embedding included: **{rate(on):,.0f}** — {met}
(semantic off in the same run: {rate(off):,.0f} articles/s)."""


def setup(args: argparse.Namespace, workers: int) -> str:
    per_cycle = args.feeds * args.items
    settings = ", ".join(f"`{key} = {value}`" for key, value in DAEMON.items())
    return f"""A loopback farm (`bench/feedfarm.py` with `fresh={args.items}`, its own process)
serves {args.feeds:,} RSS feeds from {args.hosts} loopback addresses. In every cycle every feed
lists {args.items} items, all new: {per_cycle:,} new articles a cycle. Each is an invented
headline and a ~500-character lead, words of an 8,000-word invented vocabulary drawn with
Zipf-like frequencies (grouping's cost depends on how many earlier reports share a word);
one in {feedfarm.WATCH_EVERY} is a watch headline that fires one of the example config's
rules, each with a number of its own so that they are not one story. One daemon in a fresh
process (`bench/ingest_client.py`) runs `Daemon.run_once` for {args.warmup} warm-up
cycle(s) (parse workers started, embedding model loaded, the story window filled with
{args.warmup * per_cycle:,} articles), then for {args.cycles} measured cycle(s), on an
empty SQLite store with the example config's watch rules. This is done twice in one run,
on the same feeds and items: `[dedup] semantic = true`, then `false`. Settings that
measure the ingest path rather than politeness: {settings} ({workers} parse worker(s)),
`full_text = "never"` per feed; no notifiers are configured."""


def timing(on: dict[str, Any]) -> str:
    return f"""**In the timing** (the sum of the measured `run_once` calls): fetch over loopback
HTTP, parse (in the parse pool), normalise, language, the headline embedding (one batched
call per feed, in the parse pool), dedup and story grouping, rules, the SQLite transaction
of articles, stories and alert rows, and the end-of-round dispatch (nothing to send).
**Not in it**: the farm rendering each cycle's feeds (done when it is moved to the cycle,
between the calls), daemon start-up and the warm-up cycle. Articles/s = new articles
stored by the measured cycles / their wall time; CPU is over the measured cycles, per
article the daemon's and the workers' together; peak RSS is over the daemon's whole life.
The semantic run stored a 1,024-byte embedding with every one of its
{on["after"]["articles"]:,} articles and the other run none (checked by the benchmark)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=20, help="new items per feed per cycle")
    parser.add_argument("--cycles", type=int, default=1, help="measured cycles")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up cycles")
    parser.add_argument("--hosts", type=int, default=250)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    parser.add_argument("--profile", type=Path, help="write cProfile statistics here")
    args = parser.parse_args(argv)
    args.hosts = min(args.hosts, args.feeds)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    args.load = os.getloadavg()
    started = time.perf_counter()
    runs = measure(args)
    markdown = render(args, runs, time.perf_counter() - started)
    print(markdown)
    write_section(args.output, "ingest", markdown)
    return 0


def measure(args: argparse.Namespace) -> dict[bool, dict[str, Any]]:
    farm, urls = start_farm(args.feeds, args.hosts, fresh=args.items)
    runs = {}
    try:
        with tempfile.TemporaryDirectory(prefix="ww-ingest-") as folder:
            for semantic in (True, False):
                config = write_config(Path(folder), urls, semantic)
                runs[semantic] = client_run(config, args, farm.pid or 0)
                check(runs[semantic], semantic, args.feeds * args.items * args.cycles)
                print(f"semantic={semantic}: {json.dumps(runs[semantic])}", flush=True)
    finally:
        farm.terminate()
        farm.join()
    return runs


if __name__ == "__main__":
    raise SystemExit(main())
