"""The markdown section of ``bench.scaleout``: one row per store, code and daemon count,
each figure the median of its cycles, with their lowest and highest where they vary.

Efficiency compares each setup's cycle with the same code's one-daemon cycle of the same
round (the same farm cycle on the same rows, measured minutes apart), then takes the median
of those ratios: from feeds/s (n daemons' feeds/s over n × one daemon's), and from CPU
(one daemon's CPU per feed over n daemons', daemons and PostgreSQL backends together:
1.00 when a daemon more costs nothing; on a machine where CPU is the limit it is the
efficiency feeds/s reaches)."""

from __future__ import annotations

import argparse
import os
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import median
from typing import Literal


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
    round: int = 1  # which round of the run (each setup's k-th cycle serves the same feeds)
    others: float | None = None  # CPU the machine's other processes spent over the cycle
    machine_busy: float | None = None  # share of all the machine's cores busy over the cycle
    cpu_wait: float | None = None  # seconds some runnable task waited for a core (PSI)
    throttled: float | None = None  # share of the daemons' quota periods they were throttled in
    throttled_time: list[float] | None = None  # each daemon's seconds waiting throttled
    crowders: int = 0  # crowd processes (``bench.scaleout_crowd``) running over the cycle
    crowders_busy: float | None = None  # share of the crowders' quota they spent over it
    crowders_throttled: float | None = None  # share of their quota periods they were throttled


# The optional per-cycle readings a row reports (each a float field of Cycle, None if not taken).
Reading = Literal[
    "others", "machine_busy", "cpu_wait", "throttled", "crowders_busy", "crowders_throttled"
]


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

    def total_cpu(self) -> list[float]:
        """Daemons' and PostgreSQL backends' CPU seconds, each cycle whose backends were read."""
        return [_total(c) for c in self.cycles if backends_read(c)]

    def read(self, reading: Reading) -> list[float]:
        """The cycles' ``reading`` (a :class:`Cycle` field), from those that took it."""
        values = (getattr(c, reading) for c in self.cycles)
        return [float(v) for v in values if v is not None]

    def by_round(self) -> dict[int, Cycle]:
        return {c.round: c for c in self.cycles}

    def retried(self) -> int | None:
        """Store writes retried over all the cycles (as rare as they are, a median says
        little); None when the daemons did not log them."""
        counts = [c.retried for c in self.cycles]
        return None if None in counts else sum(c or 0 for c in counts)


def spread(values: Sequence[float]) -> tuple[float, float, float]:
    """Median, lowest and highest."""
    return median(values), min(values), max(values)


def paired(row: Row, one: Row, ratio: Callable[[Cycle, Cycle], float]) -> list[float]:
    """``ratio(cycle, one-daemon cycle)`` for each round both rows measured."""
    ones = one.by_round()
    return [ratio(c, ones[c.round]) for c in row.cycles if c.round in ones]


def rate_efficiency(cycle: Cycle, one: Cycle) -> float:
    """n daemons' feeds/s over n × one daemon's (the same feeds, so walls)."""
    return one.wall / (cycle.daemons * cycle.wall)


def backends_read(cycle: Cycle) -> bool:
    """False for a PostgreSQL cycle whose backends' CPU the bench could not read (the server
    had no connection slot for it): figures with that CPU leave such a cycle out."""
    return cycle.setup != "PostgreSQL" or cycle.database_cpu is not None


def cpu_efficiency(cycle: Cycle, one: Cycle) -> float:
    """One daemon's CPU (daemons and backends) per feed over n daemons' (the same feeds)."""
    return _total(one) / _total(cycle)


def _total(cycle: Cycle) -> float:
    return sum(cycle.cpu) + (cycle.database_cpu or 0.0)


def rows_of(results: list[Cycle]) -> list[Row]:
    """Cycles grouped by store, code and daemon count, in the order first measured."""
    groups: dict[tuple[str, str, int, int], list[Cycle]] = {}
    for cycle in results:
        key = (cycle.setup, cycle.code, cycle.daemons, cycle.crowders)
        groups.setdefault(key, []).append(cycle)
    return [Row(cycles) for cycles in groups.values()]


def _seconds(values: list[float]) -> str:
    return f"{' + '.join(f'{v:.1f}' for v in values)} s"


def _ranged(values: Sequence[float], unit: str = "") -> str:
    middle, low, high = spread(values)
    if len(values) == 1:
        return f"{middle:,.2f}{unit}" if not unit else f"{middle:,.1f}{unit}"
    digits = 1 if unit or middle >= 10 else 2
    return f"{middle:,.{digits}f}{unit} ({low:,.{digits}f}–{high:,.{digits}f})"


def _efficiencies(r: Row, one: Row | None) -> str:
    if one is None:
        return "— | —"
    read, one_read = (Row([c for c in row.cycles if backends_read(c)]) for row in (r, one))
    rates, cpus = paired(r, one, rate_efficiency), paired(read, one_read, cpu_efficiency)
    return f"{_ranged(rates) if rates else '—'} | {_ranged(cpus) if cpus else '—'}"


def _crowded_efficiency(r: Row, crowded: Row | None) -> str:
    """Eff. CPU against the crowded one-daemon setup (``--crowd``): against one daemon
    beside two crowders, a noisy stand-in for the machine's contention (decision 0092);
    only for more than one daemon."""
    if crowded is None or r.first.daemons == 1:
        return "—"
    read, one_read = (Row([c for c in row.cycles if backends_read(c)]) for row in (r, crowded))
    cpus = paired(read, one_read, cpu_efficiency)
    return _ranged(cpus) if cpus else "—"


def _row(args: argparse.Namespace, r: Row, one: dict[str, Row], crowded: dict[str, Row]) -> str:
    c = r.first
    database = r.database_cpu()
    per_thousand = [1000 * total / args.feeds for total in r.total_cpu()]
    base = one.get(c.code) if c.setup == "PostgreSQL" else None
    growth = "—" if base is None else f"{r.daemons_cpu() / base.daemons_cpu():.2f}"
    tail = r.tail()
    return (
        f"| {c.setup} | {c.code} | {c.daemons}{f' + {c.crowders} crowders' if c.crowders else ''}"
        f" | {len(r.cycles)} | "
        f"{median(x.wall for x in r.cycles):.1f} s | "
        f"{_ranged([args.feeds / x.wall for x in r.cycles])} | "
        f"{_seconds(r.per_daemon())} | {_ranged([sum(x.cpu) for x in r.cycles], ' s')} | "
        f"{growth} | {'—' if c.life is None else _seconds(c.life)} | "
        f"{'—' if database is None else f'{database:.1f} s'} | "
        f"{_ranged(per_thousand, ' s') if per_thousand else '—'} | {_efficiencies(r, base)} | "
        f"{'—' if tail is None else _seconds(tail)} | "
        f"{'—' if c.connections is None else c.connections} | "
        f"{'—' if r.retried() is None else r.retried()} | "
        f"{_ranged(r.read('others'), ' s') if r.read('others') else '—'} | {_contention(r)} | "
        f"{_crowded_efficiency(r, crowded.get(c.code))} | {_crowders(r)} |"
    )


def _contention(r: Row) -> str:
    """Machine busy and throttled as percentages, CPU wait in seconds (— when not read)."""
    return (
        f"{_percent(r.read('machine_busy'))} | "
        f"{_ranged(r.read('cpu_wait'), ' s') if r.read('cpu_wait') else '—'} | "
        f"{_percent(r.read('throttled'))}"
    )


def _crowders(r: Row) -> str:
    """The crowders' busy and throttled shares as percentages (— without crowders)."""
    return f"{_percent(r.read('crowders_busy'))} | {_percent(r.read('crowders_throttled'))}"


def _percent(shares: list[float]) -> str:
    return _ranged([100 * share for share in shares], " %") if shares else "—"


_HEADER = (
    "| store | code | n | cycles | wall | feeds/s (min–max) | CPU per daemon | daemons' CPU "
    "| × one | with start-up | PG backends | CPU/1k feeds | eff. feeds/s | eff. CPU "
    "| tail idle | conn | writes retried | others' CPU | machine busy | CPU wait | throttled "
    "| eff. CPU, crowded one | crowders busy | crowders throttled |\n"
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def _schemas(args: argparse.Namespace) -> str:
    if args.shared_schema and args.baseline:
        return (
            "One template was warmed, by the baseline's code, and copied for every setup of "
            "both codes (this code migrated its copies first)."
        )
    return "Each code warmed a template database of its own, copied for each of its setups."


def render(args: argparse.Namespace, results: list[Cycle], elapsed: float) -> str:
    rows = rows_of(results)
    ones = [r for r in rows if r.first.setup == "PostgreSQL" and r.first.daemons == 1]
    one = {r.first.code: r for r in ones if not r.first.crowders}
    crowded = {r.first.code: r for r in ones if r.first.crowders}
    quota = "no CPU confinement: the farm, the daemons and PostgreSQL share the cores"
    if args.cpu_per_daemon:
        quota = (f"each daemon (with its parse workers) confined to {args.cpu_per_daemon} CPU "
                 "in its own cgroup, the farm and PostgreSQL unconfined")  # fmt: skip
    flags = f" --cycles {args.cycles}"
    flags += f" --cpu-per-daemon {args.cpu_per_daemon}" if args.cpu_per_daemon else ""
    flags += f" --baseline {args.baseline}" if args.baseline else ""
    flags += " --postgres-only" if args.postgres_only else ""
    flags += " --shared-schema" if args.shared_schema else ""
    flags += " --crowd" if getattr(args, "crowd", False) else ""
    return f"""## Scale-out: poll cycles with 1, 2 and 3 daemons on PostgreSQL

    python -m bench.scaleout --feeds {args.feeds} --hosts {args.hosts}{flags}

A loopback farm (`bench/scaleout_farm.py`, its own process) serves {args.feeds:,} RSS feeds
of 30–60 KB from {args.hosts} loopback addresses with ETags. Each store was warmed by one
full cycle (not confined); in each measured cycle a fifth of the feeds changed (two new
items each, the same number of items parsed in every cycle) and the rest answer 304. On
SQLite one `wirewatch run --once` process polls every feed (as fast as politeness allows;
`run` itself spreads a restart's overdue feeds over up to one interval on purpose); its
CPU is over its whole life, start-up included. On PostgreSQL every setup (a code and a
daemon count) polls its own copy of one warmed template database
(`bench/scaleout_setups.py`). {_schemas(args)} Its real `wirewatch run` processes (default
politeness and claim batch, claims every 0.5 s while idle, parse workers one per core but
one, each) start while every feed is parked (due in a day), answer `/readyz` (story index
warmed), idle, and are paused (SIGSTOP) whenever another setup is measured. {args.cycles}
rounds follow; each measures one cycle of every setup of a code, the order rotating from
round to round (1 2 3, 2 3 1, 3 1 2, …; with a baseline, its rounds first, then this
code's: twelve daemons' connections would exceed the server's limit), and in round k every
setup serves the same farm cycle to the same rows: its daemons are resumed and idle, the
server checkpoints, every feed is made due at once, the daemons share the feeds through leases
(docs/decisions/0017-leases.md) until every feed was requested and every daemon idles
again (no work for 1.5 s). Nothing analysed a database by hand (each copy's first daemon
analyses it at start, as on a fresh server; the code must not depend on autovacuum).

Wall time is from the farm's first to its last feed request of a cycle; feeds/s is the
median over the cycles (their lowest and highest in brackets), and so is every other
figure. "CPU per daemon" is each daemon's own plus its parse workers' over the cycle
(from its start to the moment the daemon idles again, so the last polls' parsing and
storing are in); "daemons' CPU" is their sum, "× one" that sum over the same code's
one-daemon sum (1.00: adding daemons costs no CPU); "with start-up" is each daemon's CPU
over its life up to the end of the first cycle; "PG backends" is the CPU of the setup's
connections' backends over the cycle (from /proc); CPU per 1,000 feeds sums daemons and
backends. Efficiency is taken per round against the same code's one-daemon cycle of that
round, then its median (lowest and highest) over the rounds: "eff. feeds/s" is n
daemons' feeds/s over n × one daemon's, "eff. CPU" one daemon's CPU per feed over n
daemons' (daemons and backends): where the CPU is the limit, the first follows the
second, and the second moves far less with the machine's other load. "Tail idle" is, for
each daemon, the longest first, how long it did no work (CPU read every 0.2 s, work from
0.1 CPU) before the last daemon finished: the cycle's tail, when the others had nothing
left to claim. "Writes retried" is the store writes the daemons retried over all the
cycles (`store_write_retried` in their logs, so only with `--logs`; a retry redoes the
write after another daemon published meanwhile, decision 0056). "Others' CPU" is what
the rest of the machine spent over the cycle (all its busy CPU from /proc/stat, less the
daemons' and backends'): the farm's share is small, so more than a few seconds means the
cycle shared the cores with other work. "Machine busy" is that busy CPU over the cycle
(from its start until the daemons idle again) as a share of all the machine's cores;
"CPU wait" the seconds in which some runnable task waited for a core (pressure stall
information, `/proc/pressure/cpu`; throttled tasks are not runnable, so not in it);
"throttled" the share of the daemons' quota periods (100 ms) in which a daemon spent its
quota before the period ended (cgroup `cpu.stat`). A daemon's CPU per feed rises with
contention (switches, colder caches) without its code doing more, so where the machine
is near saturation "eff. CPU" measures the machine as well as scaling out
(docs/decisions/0092-what-learning-others-articles-costs.md). With `--crowd`, one more
setup of each code is one daemon whose cycles run while two crowders
(`bench/scaleout_crowd.py`, each confined like a daemon) parse feeds flat out, with no
articles of theirs to learn: its "eff. CPU" is what that crowding cost one daemon in this
run, and "eff. CPU, crowded one" compares each n-daemon row against one daemon beside two
crowders, a noisy stand-in for the machine's contention (decision 0092: over six rounds
the crowding cost −8 to +30 %, so this column does not take the contention out).
"Crowders busy" is the share of the crowders' quota they spent over that row's cycles
(their CPU from /proc), "crowders throttled" the share of their quota periods in which
they spent it before the period ended (their groups' `cpu.stat`): how hard they crowded.
"baseline" rows are commit `{args.baseline or "—"}`, measured in the same run.

Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()};
{quota}. Load average {args.load[0]:.1f} before the run, {os.getloadavg()[0]:.1f} after it.
Whole run: {elapsed:.0f} s.

{_unread(results)}{_HEADER}
{chr(10).join(_row(args, r, one, crowded) for r in rows)}"""


def _unread(results: list[Cycle]) -> str:
    """A line saying how many cycles' backend CPU is missing, when any is."""
    missing = [c for c in results if not backends_read(c)]
    if not missing:
        return ""
    cycles = sum(c.setup == "PostgreSQL" for c in results)
    return (f"**PG backends not read in {len(missing)} of {cycles} PostgreSQL cycles** (the "
            "server had no connection slot for the bench: too many clients); CPU per 1,000 "
            "feeds and eff. CPU leave those cycles out.\n\n")  # fmt: skip
