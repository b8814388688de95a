"""The report of ``bench.delivery``: what each run measured and the section it writes to
docs/BENCHMARKS.md (the drains by concurrency, and the drain under ingest)."""

from __future__ import annotations

import argparse
import os
import platform
from dataclasses import dataclass

from bench.sections import markdown_table
from monitor.config.alerting import DEFAULT_CONCURRENCY

TARGET = 200.0  # deliveries/s to a fast loopback webhook (issue 20, point 2)
INGEST_RATE, ALERT_EVERY = 800, 5  # the overload stand-in: articles/s, one alert in five
COLUMNS = ("backend", "receiver answers after", "concurrency", "alerts", "wall",
           "deliveries/s", "× one at a time", "CPU (dispatcher)", "CPU per delivery",
           "CPU / wall")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Run:
    backend: str
    delay: int  # ms the receiver waits before each answer
    concurrency: int
    alerts: int
    wall: float
    cpu: float

    @property
    def rate(self) -> float:
        return self.alerts / self.wall


@dataclass(frozen=True, slots=True)
class Overload:
    backend: str
    delivered: int
    wall: float
    lowest: float  # deliveries in the slowest whole second that began with a backlog
    ingested: int
    backlogged: int  # whole seconds that began with at least TARGET deliveries pending


def render(args: argparse.Namespace, runs: list[Run], overloads: list[Overload]) -> str:
    baseline = {(run.backend, run.delay): run.rate for run in runs if run.concurrency == 1}
    rows = [
        [run.backend, f"{run.delay} ms", str(run.concurrency), f"{run.alerts:,}",
         f"{run.wall:.2f} s", f"{run.rate:,.0f}",
         _times(run.rate, baseline.get((run.backend, run.delay))), f"{run.cpu:.2f} s",
         f"{run.cpu / run.alerts * 1e3:.2f} ms", f"{run.cpu / run.wall:.0%}"]
        for run in runs
    ]  # fmt: skip
    table = markdown_table(COLUMNS, rows, "lrrrrrrrrr")
    return "\n".join([_intro(args), *table, _overload(args, overloads)])


def _times(rate: float, baseline: float | None) -> str:
    return f"{rate / baseline:.1f}×" if baseline else "–"


def _intro(args: argparse.Namespace) -> str:
    levels = ",".join(map(str, args.levels))
    return f"""## Delivery: one fast loopback webhook, by concurrency

    python -m bench.delivery --alerts {args.alerts} --levels {levels} \\
        --delays {",".join(map(str, args.delays))} --backends {",".join(args.backends)} \\
        --overload-seconds {args.overload_seconds}

A webhook receiver in its own process (`bench/delivery_receiver.py`) answers every POST
with 200 at once (0 ms: the fast loopback webhook of the target), or after a delay that
stands for a service across a network (each request waits in its own thread). For each
delay, backend and concurrency, a fresh store holds {args.alerts:,}
pending alerts (one story each) for the real webhook notifier; the dispatcher drains them
with `[alerting.routes.hook] concurrency` at that level, its outcomes written in batches
(one transaction each), logging a JSON line per delivery at info level as a daemon does.
**Concurrency 1 is the one-at-a-time path: the same-run baseline.** Every alert reached
the receiver exactly once (distinct Idempotency-Keys) and the store reads every delivery
as sent, or the run stops without writing. Target:
≥ {TARGET:.0f} deliveries/s. Default concurrency: {DEFAULT_CONCURRENCY}.
Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()};
load average {os.getloadavg()[0]:.1f} when written (the machine may have been shared).
"CPU / wall" is the share of one core the dispatcher's process got: well under 100 %
with a fast receiver means it waited for the store, the receiver, or a busy machine.
"""


def _overload(args: argparse.Namespace, overloads: list[Overload]) -> str:
    if not overloads:
        return ""
    rows = [
        [o.backend, f"{o.ingested:,}", f"{o.ingested / args.overload_seconds:,.0f}",
         f"{o.delivered:,}", f"{o.wall:.1f} s", f"{o.delivered / o.wall:,.0f}",
         str(o.backlogged), f"{o.lowest:,.0f}"]
        for o in overloads
    ]  # fmt: skip
    columns = ("backend", "articles ingested meanwhile", "articles/s reached",
               "alerts delivered", "wall", "deliveries/s (mean)",
               "seconds with a backlog", "deliveries in the slowest of them")  # fmt: skip
    return f"""
**Under ingest** (concurrency {DEFAULT_CONCURRENCY}): the {args.alerts:,}-alert backlog
drains while an ingest stand-in in the same event loop writes {INGEST_RATE} articles/s
(one in {ALERT_EVERY} with an alert for the webhook) for {args.overload_seconds} s;
the drain ends when nothing is pending. The slowest second is the slowest of the whole
seconds that began with at least {TARGET:.0f} deliveries pending (a backlog to drain; once
it is gone, deliveries follow the alerts arriving, {INGEST_RATE // ALERT_EVERY}/s).
A stand-in: the store calls of the daemon's ingest for each batch (`known_guids`,
`find_articles`, `record_articles`) and their share of its event loop, not
`bench.ingest`'s fetch, parse, grouping and matching.

{chr(10).join(markdown_table(columns, rows, "lrrrrrrr"))}
"""
