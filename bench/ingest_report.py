"""The report of ``bench.ingest``: its workloads and targets, the table of its runs, and
the paragraphs that say what was measured and how (written to docs/BENCHMARKS.md)."""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path
from typing import Any

from bench import feedfarm
from bench.dedup_eval import SLICE
from bench.sections import markdown_table

TARGET = 400.0  # articles/s with the embedding included (issue 17, point 6)
LEXICAL_TARGET = 1000.0  # articles/s with today's grouping, the outbox flat (issue 20, point 3)
DAEMON = {  # [daemon] settings that measure the ingest path, not politeness
    "parse_workers": -1,
    "jitter": 0,
    "concurrency": 64,
    "host_concurrency": 2,
    "host_spacing": 0,
}
COLUMNS = (
    "path", "new articles stored", "alerts stored", "stories (alerted)", "wall", "articles/s",
    "CPU (daemon)", "CPU (parse workers)", "daemon CPU per article", "CPU per article",
    "peak RSS (daemon)", "peak RSS (workers)",
)  # fmt: skip
REAL, WATCHED, SYNTHETIC = "real", "real, watched", "synthetic"
WATCH_RULES = Path(__file__).with_name("ingest_watch.toml")  # rules for WATCHED
SEMANTIC = {"both": (True, False), "on": (True,), "off": (False,)}


def stored(run: dict[str, Any], key: str) -> int:
    """Rows of one kind the measured cycles added to the store."""
    return int(run["after"][key] - run["before"][key])


def alerted(run: dict[str, Any]) -> str:
    """Stories that raised their first alert in the measured cycles, and their share of the
    stories the cycles opened."""
    count, opened = stored(run, "alerted"), stored(run, "stories")
    return f"{count:,}, {100 * count / opened:.1f} %" if opened else "0"


def rate(run: dict[str, Any]) -> float:
    return stored(run, "articles") / float(run["wall"])


def row(name: str, run: dict[str, Any]) -> list[str]:
    workers = run["workers"]
    return [
        name, f"{stored(run, 'articles'):,}", f"{stored(run, 'alerts'):,}",
        f"{stored(run, 'stories'):,} ({alerted(run)})", f"{run['wall']:.1f} s",
        f"**{rate(run):,.0f}**", f"{run['cpu']:.1f} s",
        f"{run['worker_cpu']:.1f} s ({workers})" if workers else "—",
        f"{1000 * run['cpu'] / stored(run, 'articles'):.2f} ms",
        f"{1000 * (run['cpu'] + run['worker_cpu']) / stored(run, 'articles'):.2f} ms",
        f"{run['rss_mb']:.0f} MB", f"{run['worker_rss_mb']:.0f} MB each" if workers else "—",
    ]  # fmt: skip


Runs = dict[tuple[str, bool], dict[str, Any]]  # by (workload, semantic)
NAMES = {True: "semantic = true (embedding + semantic tier)",
         False: "semantic = false (without the embedding)"}  # fmt: skip


def render(args: argparse.Namespace, runs: Runs, elapsed: float) -> str:
    workloads = list(dict.fromkeys(workload for workload, _ in runs))
    rows = [[workload, *row(NAMES[semantic], runs[workload, semantic])]
            for workload in workloads for semantic in SEMANTIC[args.semantic]]  # fmt: skip
    table = "\n".join(markdown_table(("headlines", *COLUMNS), rows, "llrrrrrrrrrrr"))
    names = ("feeds", "items", "cycles", "hosts")
    command = " ".join(f"--{name} {getattr(args, name)}" for name in names)
    command += f" --headlines {' '.join(args.headlines)} --semantic {args.semantic}"
    if args.parse_workers != DAEMON["parse_workers"]:
        command += f" --parse-workers {args.parse_workers}"
    profiled = " Run under cProfile (`--profile`): slower than without it." if args.profile else ""
    farm_cpu = ", ".join(f"{run['farm_cpu']:.1f} s" for run in runs.values())
    first = next(iter(runs.values()))
    return f"""## Sustained ingest: new articles, fetch to stored alert

    python -m bench.ingest {command}

{setup(args, first["workers"])}

{timing(runs)}

Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; the
farm shares the cores (it used {farm_cpu} of CPU over the daemons' lives, in the table's
order). Load average {args.load[0]:.1f} before the run, {os.getloadavg()[0]:.1f}
after it (other work on the machine slows every path). Whole run: {elapsed:.0f} s.{profiled}

{table}

{verdicts(runs, workloads)}

{outbox(runs)}"""


ROLES = {REAL: "the issue's target", WATCHED: "the issue's target, alerts flowing",
         SYNTHETIC: "the stress case"}  # fmt: skip


def verdicts(runs: Runs, workloads: list[str]) -> str:
    """The targets' lines per workload: with the embedding (issue 17) and without it, with
    today's grouping (issue 20: keeping up at 1,000 new articles/s, the outbox flat)."""
    lines = []
    for workload in workloads:
        said = []
        if (workload, True) in runs:
            on = rate(runs[workload, True])
            said.append(f"**{on:,.0f}** with the embedding (≥ {TARGET:.0f}: {_met(on, TARGET)})")
        if (workload, False) in runs:
            off, flat = rate(runs[workload, False]), _flat(runs[workload, False])
            met = _met(off, LEXICAL_TARGET) if flat else "NOT met (the outbox grew)"
            said.append(f"**{off:,.0f}** without it (≥ {LEXICAL_TARGET:,.0f}: {met})")
        lines.append(f"- {workload} headlines ({ROLES[workload]}): articles/s {'; '.join(said)}")
    return "Targets:\n" + "\n".join(lines)


def _met(value: float, target: float) -> str:
    return "met" if value >= target else "NOT met"


def _flat(run: dict[str, Any]) -> bool:
    """Nothing left pending after any measured cycle."""
    return not any(after["pending"] for after in run["per_cycle"])


def outbox(runs: Runs) -> str:
    """Alerts raised and delivered in each measured cycle, and the outbox after it."""
    rows = []
    for (workload, semantic), run in runs.items():
        before = run["before"]
        for number, after in enumerate(run["per_cycle"], start=1):
            raised, sent = after["alerts"] - before["alerts"], after["sent"] - before["sent"]
            rows.append([str(number), workload, f"semantic = {str(semantic).lower()}",
                         f"{raised:,}", f"{sent:,}", f"{after['pending']:,}"])  # fmt: skip
            before = after
    columns = ("cycle", "headlines", "path", "alerts raised", "deliveries sent", "pending after")
    table = "\n".join(markdown_table(columns, rows, "rllrrr"))
    return f"""**The outbox** (every alert, sent to a loopback webhook receiver in its own
process while the cycles run; read after each measured cycle, outside the timing). Flat
when nothing is left pending cycle after cycle:

{table}"""


def setup(args: argparse.Namespace, workers: int) -> str:
    per_cycle = args.feeds * args.items
    chosen = {**DAEMON, "parse_workers": args.parse_workers}
    settings = ", ".join(f"`{key} = {value}`" for key, value in chosen.items())
    return f"""A loopback farm (`bench/feedfarm.py` with `fresh={args.items}`, its own process)
serves {args.feeds:,} RSS feeds from {args.hosts} loopback addresses. In every cycle every feed
lists {args.items} items, all new: {per_cycle:,} new entries a cycle. {workloads(args)}
One daemon in a fresh process (`bench/ingest_client.py`) runs `Daemon.run_once` for
{args.warmup} warm-up cycle(s) (parse workers started, embedding model loaded, the story
window filled with {args.warmup * per_cycle:,} articles), then for {args.cycles} measured
cycle(s), on an empty SQLite store. This is done per workload in one run, on the same
feeds and items, with {paths(args)}. Settings that measure the ingest path
rather than politeness: {settings} ({workers} parse worker(s)), `full_text = "never"`
per feed; one notifier: a webhook to a loopback receiver, named `console`, which every
rule names."""


def paths(args: argparse.Namespace) -> str:
    return " then ".join(
        f"`[dedup] semantic = {str(on).lower()}`" for on in SEMANTIC[args.semantic]
    )


def workloads(args: argparse.Namespace) -> str:
    """What the feeds' items are, per workload measured (and why one is missing)."""
    said = []
    if REAL in args.workloads or WATCHED in args.workloads:
        said.append(f"""**Real**: consecutive headlines of the news-story-clusters 14-day slice
({args.data / SLICE}, read in place, in file order: cycle 1 the first {per(args):,}, then
the next), {args.items} consecutive ones a feed, with their real near-duplicates and
re-worded reports of one story; no lead (the data set has headlines only), so grouping
compares headlines alone. A feed repeating one of its own headlines word for word
(the same content fingerprint) has it seen, not stored: articles/s counts stored ones.
{rule_sets(args)}""")
    elif args.chosen != [SYNTHETIC]:
        said.append(f"**Real headlines not measured**: {args.data / SLICE} is absent.")
    if SYNTHETIC in args.workloads:
        said.append(f"""**Synthetic** (a stress case for grouping): each item is an invented
headline and a ~500-character lead, words of an 8,000-word invented vocabulary drawn with
Zipf-like frequencies (every headline shares common invented words with hundreds of
others, which real news does far less); one in {feedfarm.WATCH_EVERY} is a watch headline
that fires one of the example config's rules, each with a number of its own.""")
    return "\n".join(said)


def rule_sets(args: argparse.Namespace) -> str:
    said = []
    if REAL in args.workloads:
        said.append("*real*: the example config's Syria rules, which fire on none of them")
    if WATCHED in args.workloads:
        said.append(f"""*real, watched*: `bench/{WATCH_RULES.name}`, a watch set on the names and
places that run through the slice (Crimea and Russia, the missing Malaysia Airlines flight,
GM's recall, the Fed, China's economy, Turkey's Twitter ban, Snowden), which fires on
about 7 % of its headlines, with the example config's follow-ups when a story's outlets
reach 3 and 10 (`[alerting.updates] outlets = [3, 10]`): the outbox and the deliveries
at the real headlines' rate""")
    return "Matched against " + "; ".join(said) + "."


def per(args: argparse.Namespace) -> int:
    return int(args.feeds * args.items)


def timing(runs: Runs) -> str:
    return f"""**In the timing** (the sum of the measured `run_once` calls): fetch over loopback
HTTP, parse (in the parse pool), normalise, language, the headline embedding (in the parse
pool, the headlines of concurrent polls in batches of up to 128), dedup and story
grouping, rules, the SQLite transaction of articles, stories and alert rows, and the
webhook deliveries (sent as alerts are queued, the rest at the end of the round).
**Not in it**: the farm rendering each cycle's feeds (done when it is moved to the cycle,
between the calls), daemon start-up and the warm-up cycle. Articles/s = new articles
stored by the measured cycles / their wall time; CPU is over the measured cycles, per
article the daemon's and the workers' together; peak RSS is over the daemon's whole life.
{embedded(runs)}"""


def embedded(runs: Runs) -> str:
    """What the check of the stored embeddings found."""
    if not any(semantic for _, semantic in runs):
        return "No run had the embedding on (`--semantic off`): none stored an embedding."
    return f"""The semantic runs stored a 1,024-byte embedding with every article (checked: 99 % at
least, a headline of decorations alone has none), {stored_vectors(runs)}, and the others none."""


def stored_vectors(runs: Runs) -> str:
    return "; ".join(f"{run['after']['embedded']:,} of {run['after']['articles']:,} ({workload})"
                     for (workload, semantic), run in runs.items() if semantic)  # fmt: skip
