"""The markdown section of ``bench.scaleout``: one row per measured cycle."""

from __future__ import annotations

import argparse
import os
import platform
from dataclasses import dataclass
from statistics import median


@dataclass
class Cycle:
    setup: str
    daemons: int
    wall: float
    cpu: list[float]  # over the cycle (SQLite's ``run --once``: over its life)
    connections: int | None
    database_cpu: float | None = None
    code: str = "this"
    life: list[float] | None = None  # over the daemons' lives, start-up included
    tail: list[float] | None = None  # each daemon's idle seconds at the cycle's tail
    retried: int | None = None  # store writes the daemons retried (None: not logged)


@dataclass
class Row:
    """The cycles of one store, code and daemon count: medians, with their spread."""

    cycles: list[Cycle]

    @property
    def first(self) -> Cycle:
        return self.cycles[0]

    def rate(self, feeds: int) -> float:
        return median(feeds / c.wall for c in self.cycles)

    def rates(self, feeds: int) -> tuple[float, float]:
        rates = [feeds / c.wall for c in self.cycles]
        return min(rates), max(rates)

    def daemons_cpu(self) -> float:
        return median(sum(c.cpu) for c in self.cycles)

    def per_daemon(self) -> list[float]:
        return [median(c.cpu[i] for c in self.cycles) for i in range(self.first.daemons)]

    def database_cpu(self) -> float | None:
        spent = [c.database_cpu for c in self.cycles if c.database_cpu is not None]
        return median(spent) if spent else None

    def tail(self) -> list[float] | None:
        """Idle seconds at the tail, the longest first: each rank's median over the cycles."""
        tails = [sorted(c.tail, reverse=True) for c in self.cycles if c.tail]
        return [median(t[i] for t in tails) for i in range(len(tails[0]))] if tails else None

    def retried(self) -> int | None:
        """Store writes retried over all the cycles (as rare as they are, a median says
        little); None when the daemons did not log them."""
        counts = [c.retried for c in self.cycles]
        return None if None in counts else sum(c or 0 for c in counts)


def rows_of(results: list[Cycle]) -> list[Row]:
    """Cycles grouped by store, code and daemon count, in the order first measured."""
    groups: dict[tuple[str, str, int], list[Cycle]] = {}
    for cycle in results:
        groups.setdefault((cycle.setup, cycle.code, cycle.daemons), []).append(cycle)
    return [Row(cycles) for cycles in groups.values()]


def _seconds(values: list[float]) -> str:
    return f"{' + '.join(f'{v:.1f}' for v in values)} s"


def _row(args: argparse.Namespace, r: Row, one: dict[str, Row]) -> str:
    c, rate = r.first, r.rate(args.feeds)
    low, high = r.rates(args.feeds)
    database = r.database_cpu()
    total = median(sum(x.cpu) + (x.database_cpu or 0.0) for x in r.cycles)
    base = one.get(c.code) if c.setup == "PostgreSQL" else None
    efficiency = "—" if base is None else f"{rate / (c.daemons * base.rate(args.feeds)):.2f}"
    growth = "—" if base is None else f"{r.daemons_cpu() / base.daemons_cpu():.2f}"
    tail = r.tail()
    return (
        f"| {c.setup} | {c.code} | {c.daemons} | {len(r.cycles)} | "
        f"{median(x.wall for x in r.cycles):.1f} s | {rate:,.1f} ({low:,.1f}–{high:,.1f}) | "
        f"{_seconds(r.per_daemon())} | {r.daemons_cpu():.1f} s | {growth} | "
        f"{'—' if c.life is None else _seconds(c.life)} | "
        f"{'—' if database is None else f'{database:.1f} s'} | "
        f"{1000 * total / args.feeds:.1f} s | {efficiency} | "
        f"{'—' if tail is None else _seconds(tail)} | "
        f"{'—' if c.connections is None else c.connections} | "
        f"{'—' if r.retried() is None else r.retried()} |"
    )


_HEADER = (
    "| store | code | n | cycles | wall | feeds/s (min–max) | CPU per daemon | daemons' CPU "
    "| × one | with start-up | PG backends | CPU/1k feeds | eff. | tail idle | conn "
    "| writes retried |\n"
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
    "| ---: | ---: | ---: | ---: |"
)


def _schemas(args: argparse.Namespace) -> str:
    if args.shared_schema and args.baseline:
        return (
            "Both codes ran on one fresh schema, warmed once by the baseline's code: first "
            "the baseline's cycles, then this code's (which migrated it first)."
        )
    return "Each code's PostgreSQL cycles ran on a fresh schema of its own."


def render(args: argparse.Namespace, results: list[Cycle], elapsed: float) -> str:
    rows = rows_of(results)
    one = {r.first.code: r for r in rows if r.first.setup == "PostgreSQL" and r.first.daemons == 1}
    quota = "no CPU confinement: the farm, the daemons and PostgreSQL share the cores"
    if args.cpu_per_daemon:
        quota = (f"each daemon (with its parse workers) confined to {args.cpu_per_daemon} CPU "
                 "in its own cgroup, the farm and PostgreSQL unconfined")  # fmt: skip
    flags = f" --cycles {args.cycles}"
    flags += f" --cpu-per-daemon {args.cpu_per_daemon}" if args.cpu_per_daemon else ""
    flags += f" --baseline {args.baseline}" if args.baseline else ""
    flags += " --postgres-only" if args.postgres_only else ""
    flags += " --shared-schema" if args.shared_schema else ""
    return f"""## Scale-out: poll cycles with 1, 2 and 3 daemons on PostgreSQL

    python -m bench.scaleout --feeds {args.feeds} --hosts {args.hosts}{flags}

A loopback farm (`bench/scaleout_farm.py`, its own process) serves {args.feeds:,} RSS feeds
of 30–60 KB from {args.hosts} loopback addresses with ETags. Each store was warmed by one
full cycle (not confined); in each measured cycle a fifth of the feeds changed (two new
items each) and the rest answer 304. On SQLite one `wirewatch run --once` process polls
every feed (as fast as politeness allows; `run` itself spreads a restart's overdue feeds
over up to one interval on purpose); its CPU is over its whole life, start-up included. On
PostgreSQL real `wirewatch run` processes (default politeness and claim batch, claims every
0.5 s while idle, parse workers one per core but one, each) start while every feed is
parked (due in a day); once all answer `/readyz` (story index warmed) and idle, every feed
is made due at once and they share the feeds through leases (docs/decisions/0017-leases.md);
once every feed was requested and every daemon idles again (no work for 1.5 s), the next
cycle starts the same way, {args.cycles} cycles per code and daemon count with the same
daemons. {_schemas(args)} Nothing analysed a schema by hand (the local server's autovacuum
may or may not have run; the code must not depend on it).

Wall time is from the farm's first to its last feed request of a cycle; feeds/s is the
median over the cycles (their lowest and highest in brackets), and so is every other
figure. "CPU per daemon" is each daemon's own plus its parse workers' over the cycle
(from its start to the moment the daemon idles again, so the last polls' parsing and
storing are in); "daemons' CPU" is their sum, "× one" that sum over the same code's
one-daemon sum (1.00: adding daemons costs no CPU); "with start-up" is each daemon's CPU
over its life up to the end of the first cycle; "PG backends" is the CPU of this run's
connections' backends over the cycle (from /proc); CPU per 1,000 feeds sums daemons and
backends. Efficiency is the median feeds/s over n × the same code's median one-daemon
feeds/s. "Tail idle" is, for each daemon, the longest first, how long it did no work
(CPU read every 0.2 s, work from 0.1 CPU) before the last daemon finished: the cycle's
tail, when the others had nothing left to claim. "Writes retried" is the store writes the
daemons retried over all the cycles (`store_write_retried` in their logs, so only with
`--logs`; a retry redoes the write after another daemon published meanwhile, decision
0056). "baseline" rows are commit
`{args.baseline or "—"}`, measured in the same run.

Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()};
{quota}. Load average {args.load[0]:.1f} before the run, {os.getloadavg()[0]:.1f} after it.
Whole run: {elapsed:.0f} s.

{_HEADER}
{chr(10).join(_row(args, r, one) for r in rows)}"""
