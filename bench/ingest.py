"""Sustained ingest of new articles, fetch to stored alert, with and without the embedding.

    python -m bench.ingest [--feeds 500] [--items 20] [--cycles 1] [--hosts 250]
                           [--headlines both|real|synthetic] [--semantic both|on|off]
                           [--parse-workers -1]
                           [--data ../shared/data]
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

The outbox: every alert the watch rules raise goes to a loopback webhook receiver
(``bench.delivery_receiver``, its own process), sent while the cycles run: a webhook
notifier named ``console`` stands in for the console notifier every example rule names.
After every measured cycle the store's outbox is read (alerts, deliveries sent, still
pending): with ``--cycles`` above one it shows whether the outbox stays flat cycle after
cycle, and the benchmark stops without writing if a delivery is left pending or the
receiver did not get each sent one.

Three workloads (``--headlines``, all by default, each with semantic on and off, or one
of them: ``--semantic``): *real*, the issue's target, serves consecutive real headlines
of the news-story-clusters slice (read in place from ``--data``, with their real
near-duplicates and reworded reports; no leads: the data set has headlines only), matched
against the example config's rules (which fire on none of them) and, as *real, watched*,
against ``bench/ingest_watch.toml``: rules on the names and places that run through the
slice, which fire on about 7 % of its headlines, with the example config's follow-ups
when a story's outlets reach 3 and 10, so the outbox and the deliveries run at the real
headlines' rate; and *synthetic*, the invented Zipf headlines with leads, a stress case
for grouping (every headline shares common invented words with hundreds of others).
When the data set is absent, the report says so and measures the synthetic workload
alone. The report is written by ``bench.ingest_report``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any

from bench.dedup_eval import DEFAULT_DATA, SLICE
from bench.delivery import receiver, receiver_stats
from bench.ingest_report import (
    DAEMON,
    REAL,
    SEMANTIC,
    SYNTHETIC,
    WATCH_RULES,
    WATCHED,
    Runs,
    per,
    render,
    stored,
)
from bench.poll import EXAMPLE_CONFIG, ROOT, cpu_seconds, start_farm
from bench.sections import write_section

WATCH_UPDATES = "[alerting.updates]\noutlets = [3, 10]\n"  # the example config's follow-ups
WORKLOADS = (REAL, WATCHED, SYNTHETIC)
CHOSEN = {
    "both": WORKLOADS,
    "real": (REAL, WATCHED),
    "watched": (WATCHED,),
    "synthetic": (SYNTHETIC,),
}  # "both": real and synthetic headlines, as before


def write_config(
    directory: Path,
    urls: list[str],
    semantic: bool,
    workload: str = "",
    workers: int = -1,
    hook: str = "",
) -> Path:
    label = workload.replace(", ", "-")
    name = f"{label}-" * bool(label) + ("semantic" if semantic else "lexical")
    settings = {**DAEMON, "parse_workers": workers}
    daemon = "".join(f"{key} = {value}\n" for key, value in settings.items())
    feeds = "".join(
        f'[[feeds]]\nname = "Farm {i}"\nurl = "{url}"\nfull_text = "never"\n'
        for i, url in enumerate(urls)
    )
    path = directory / f"{name}.toml"
    path.write_text(
        f"[daemon]\n{daemon}"
        f'[store]\npath = "{directory / f"{name}.db"}"\n'
        f"[dedup]\nsemantic = {str(semantic).lower()}\n"
        '[listener]\nenabled = false\n[log]\nlevel = "warning"\nformat = "json"\n'
        + (f'[notifiers.console]\ntype = "webhook"\nurl = "{hook}/hook"\n' if hook else "")
        + WATCH_UPDATES * (workload == WATCHED)
        + feeds,
        encoding="utf-8",
    )
    return path


def client_run(
    config: Path,
    args: argparse.Namespace,
    farm_pid: int,
    hook: str = "",
    rules: Path = EXAMPLE_CONFIG,
) -> dict[str, Any]:
    """Warm-up and measured cycles in a fresh interpreter, matching ``rules``' watch rules;
    the farm's CPU over the run, and what the webhook receiver got."""
    if hook:
        receiver_stats(hook, reset=True)
    command = [sys.executable, "-m", "bench.ingest_client", str(config), str(rules),
               str(args.warmup), str(args.cycles)]  # fmt: skip
    if args.profile:
        command.append(str(args.profile / f"{config.stem}.prof"))
    farm_before = cpu_seconds(farm_pid)
    done = subprocess.run(command, check=False, capture_output=True, text=True, cwd=ROOT)
    if done.returncode:  # its stderr says why; check=True would hide it
        raise RuntimeError(f"bench.ingest_client failed:\n{done.stderr[-4000:]}")
    result = dict(json.loads(done.stdout.strip().splitlines()[-1]))
    result["farm_cpu"] = cpu_seconds(farm_pid) - farm_before
    result["received"] = receiver_stats(hook)["keys"] if hook else 0
    return result


def check(run: dict[str, Any], semantic: bool, expected: int) -> None:
    """Stop unless every entry was ingested and every new one stored (a real headline a
    feed repeats is its copy: seen, not stored), with an embedding exactly when on (a
    headline of nothing but decorations has none)."""
    if run["entries"] != expected or stored(run, "articles") != run["articles"]:
        raise RuntimeError(f"expected {expected} entries and their new articles stored: {run}")
    if run["articles"] < 0.95 * expected:
        raise RuntimeError(f"only {run['articles']} of {expected} entries were new: {run}")
    embedded = run["after"]["embedded"]
    wanted = run["after"]["articles"] if semantic else 0
    if (embedded < 0.99 * wanted) if semantic else embedded:
        raise RuntimeError(f"{embedded} of {run['after']['articles']} articles embedded, "
                           f"expected {wanted} (semantic = {semantic})")  # fmt: skip
    after = run["after"]
    if after["pending"] or run["received"] != after["sent"]:
        raise RuntimeError(f"outbox not drained, or the receiver got {run['received']} "
                           f"of {after['sent']} sent: {after}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=20, help="new items per feed per cycle")
    parser.add_argument("--cycles", type=int, default=1, help="measured cycles")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up cycles")
    parser.add_argument("--hosts", type=int, default=250)
    parser.add_argument("--parse-workers", type=int, default=DAEMON["parse_workers"],
                        help="[daemon] parse_workers (-1: cores but one)")  # fmt: skip
    parser.add_argument("--headlines", choices=tuple(CHOSEN), nargs="+", default=["both"],
                        help="which workloads (real: with both rule sets)")  # fmt: skip
    parser.add_argument("--semantic", choices=tuple(SEMANTIC), default="both",
                        help="[dedup] semantic on, off or both, for each workload")  # fmt: skip
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data sets")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    parser.add_argument("--profile", type=Path, help="write cProfile statistics here")
    args = parser.parse_args(argv)
    args.hosts = min(args.hosts, args.feeds)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    wanted = [workload for choice in args.headlines for workload in CHOSEN[choice]]
    args.chosen = [workload for workload in WORKLOADS if workload in wanted]
    headlines = real_headlines(args)
    args.workloads = [name for name in args.chosen if headlines or name == SYNTHETIC]
    if not args.workloads:
        parser.error(f"--headlines {' '.join(args.headlines)}: {args.data / SLICE} is absent")
    args.load = os.getloadavg()
    started = time.perf_counter()
    runs = measure(args, headlines)
    markdown = render(args, runs, time.perf_counter() - started)
    print(markdown)
    write_section(args.output, "ingest", markdown)
    return 0


def real_headlines(args: argparse.Namespace) -> list[str]:
    """The slice's headlines in file order, as many as the cycles serve; [] when not
    wanted or the data set is absent (said on stderr, and in the report)."""
    path = args.data / SLICE
    if args.chosen == [SYNTHETIC]:
        return []
    if not path.is_file():
        print(f"{path} is absent: real headlines not measured", file=sys.stderr)
        return []
    wanted = per(args) * (args.warmup + args.cycles)
    with path.open(encoding="utf-8", newline="") as lines:
        rows = [line.split("\t")[1] for line in islice(lines, 1, wanted + 1)]
    if len(rows) < wanted:
        raise SystemExit(f"{path} holds {len(rows):,} headlines; the cycles need {wanted:,}")
    return rows


def measure(args: argparse.Namespace, headlines: list[str]) -> Runs:
    with receiver() as hook:
        return _measure(args, headlines, hook)


def _measure(args: argparse.Namespace, headlines: list[str], hook: str) -> Runs:
    runs: Runs = {}
    farms = [(headlines, [name for name in args.workloads if name != SYNTHETIC]),
             ([], [name for name in args.workloads if name == SYNTHETIC])]  # fmt: skip
    for served, workloads in (farm for farm in farms if farm[1]):
        farm, urls = start_farm(args.feeds, args.hosts, fresh=args.items, headlines=served)
        try:
            with tempfile.TemporaryDirectory(prefix="ww-ingest-") as folder:
                for workload in workloads:
                    for semantic in SEMANTIC[args.semantic]:
                        run = _run(
                            Path(folder), urls, workload, semantic, args, farm.pid or 0, hook
                        )
                        runs[workload, semantic] = run
        finally:
            farm.terminate()
            farm.join()
    return runs


def _run(
    folder: Path,
    urls: list[str],
    workload: str,
    semantic: bool,
    args: argparse.Namespace,
    farm_pid: int,
    hook: str,
) -> dict[str, Any]:
    """One workload on one path, checked."""
    config = write_config(folder, urls, semantic, workload, args.parse_workers, hook)
    rules = WATCH_RULES if workload == WATCHED else EXAMPLE_CONFIG
    run = client_run(config, args, farm_pid, hook, rules)
    check(run, semantic, per(args) * args.cycles)
    print(f"{workload} semantic={semantic}: {json.dumps(run)}", flush=True)
    return run


if __name__ == "__main__":
    raise SystemExit(main())
