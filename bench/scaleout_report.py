"""The markdown section of ``bench.scaleout``: one row per measured cycle."""

from __future__ import annotations

import argparse
import os
import platform
from dataclasses import dataclass


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


def _row(args: argparse.Namespace, r: Cycle, one: dict[str, float]) -> str:
    rate = args.feeds / r.wall
    total = sum(r.cpu) + (r.database_cpu or 0.0)
    efficiency = f"{rate / (r.daemons * one[r.code]):.2f}" if r.setup == "PostgreSQL" else "—"
    database = "—" if r.database_cpu is None else f"{r.database_cpu:.1f} s"
    life = "—" if r.life is None else f"{' + '.join(f'{c:.1f}' for c in r.life)} s"
    return (
        f"| {r.setup} | {r.code} | {r.daemons} | {r.wall:.1f} s | {rate:,.1f} | "
        f"{' + '.join(f'{c:.1f}' for c in r.cpu)} s | {life} | {database} | "
        f"{1000 * total / args.feeds:.1f} s | {efficiency} | "
        f"{'—' if r.connections is None else r.connections} |"
    )


_HEADER = (
    "| store | code | n | wall | feeds/s | CPU per daemon | with start-up | PG backends "
    "| CPU/1k feeds | eff. | conn |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: "
    "| ---: | ---: | ---: |"
)


def _schemas(args: argparse.Namespace) -> str:
    if args.shared_schema and args.baseline:
        return (
            "Both codes ran on one fresh schema, warmed once by the baseline's code: first "
            "the baseline's cycles, then this code's (which migrated it first)."
        )
    return "Each code's PostgreSQL cycles ran on a fresh schema of its own."


def render(args: argparse.Namespace, results: list[Cycle], elapsed: float) -> str:
    one = {r.code: args.feeds / r.wall for r in results
           if r.setup == "PostgreSQL" and r.daemons == 1}  # fmt: skip
    rows = [_row(args, r, one) for r in results]
    quota = "no CPU confinement: the farm, the daemons and PostgreSQL share the cores"
    if args.cpu_per_daemon:
        quota = (f"each daemon (with its parse workers) confined to {args.cpu_per_daemon} CPU "
                 "in its own cgroup, the farm and PostgreSQL unconfined")  # fmt: skip
    flags = f" --cpu-per-daemon {args.cpu_per_daemon}" if args.cpu_per_daemon else ""
    flags += f" --baseline {args.baseline}" if args.baseline else ""
    flags += " --postgres-only" if args.postgres_only else ""
    flags += " --shared-schema" if args.shared_schema else ""
    return f"""## Scale-out: one poll cycle with 1, 2 and 3 daemons on PostgreSQL

    python -m bench.scaleout --feeds {args.feeds} --hosts {args.hosts}{flags}

A loopback farm (`bench/scaleout_farm.py`, its own process) serves {args.feeds:,} RSS feeds
of 30–60 KB from {args.hosts} loopback addresses with ETags. Each store was warmed by one
full cycle (not confined); in each measured cycle a fifth of the feeds changed (two new
items each) and the rest answer 304. On SQLite one `wirewatch run --once` process polls
every feed (as fast as politeness allows; `run` itself spreads a restart's overdue feeds
over up to one interval on purpose); its CPU is over its whole life, start-up included. On
PostgreSQL real `wirewatch run` processes (default politeness and claim batch, claims every
0.5 s while idle, parse workers one per core but one, each) start while every feed is
parked (due in a day); once all answer `/readyz` (story index warmed) and idle, every feed is made
due at once and they share the feeds through leases (docs/decisions/0017-leases.md).
{_schemas(args)} Nothing analysed a schema by hand (the local server's autovacuum may or
may not have run; the code must not depend on it). Wall time is
from the farm's first to its last feed request of the cycle. "CPU per daemon" is each
daemon's own plus its parse workers' over the cycle (from then to the cycle's end);
"with start-up" is the same over its whole life; "PG backends" is the CPU of this run's
connections' backends over the cycle (from /proc); CPU per 1,000 feeds sums the cycle's CPU
of daemons and backends. Efficiency is feeds/s over n × the same code's one-daemon
feeds/s. "baseline" rows are commit `{args.baseline or "—"}`, measured in the same run.

Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()};
{quota}. Load average {args.load[0]:.1f} before the run, {os.getloadavg()[0]:.1f} after it.
Whole run: {elapsed:.0f} s.

{_HEADER}
{chr(10).join(rows)}"""
