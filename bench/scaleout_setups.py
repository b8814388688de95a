"""The PostgreSQL side of ``bench.scaleout``: every setup (a code and a daemon count) on its
own copy of one warmed database, their cycles interleaved (a code's setups with each
other; with a baseline, one code after the other, since every daemon keeps up to ten
connections open and a server's default ``max_connections`` is 100).

A template database is warmed once (one daemon polls every feed of farm cycle
:data:`WARM`, all new) and its feeds parked (due in a day); each setup gets a copy
(``bench.scaleout_databases``) and its daemons, started together and paused (SIGSTOP)
once ready and idle. Then round k (from 1) measures one cycle of every setup, in
:func:`interleaved` order: the setup's daemons are resumed and idle again, the farm is
set to cycle ``WARM + k``, the server checkpoints, every feed is made due, and once every
feed was requested and the daemons idle (``bench.scaleout_daemons.measure``) they are
paused again. So each setup's k-th cycle starts from the same rows and serves the same
feeds as every other setup's, and what differs between setups is the number of daemons
(and the code), not the order they ran in or what ran before them on the server.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Any, LiteralString, TypeVar

import psycopg

from bench import scaleout_daemons as daemons_run
from bench.scaleout_crowd import crowding
from bench.scaleout_daemons import Daemon, Setup
from bench.scaleout_databases import Databases, connect, crowded, databases
from bench.scaleout_farm import set_cycle, wait_for_cycle
from bench.scaleout_machine import Contention, between
from bench.scaleout_report import Cycle

T = TypeVar("T")
WARM = 1  # the farm cycle that fills a template: every feed new
COUNTS = (1, 2, 3)
# PostgreSQL daemons claim every half second while idle (default 5 s): every feed is made
# due at once, and a daemon's first claim up to 5 s after another's would be counted as
# its cycle's wall time; once busy, each finished poll claims at once anyway.
PG_CLAIMS = "claim_interval = 0.5"


@dataclass
class Farm:
    """The running farm: its base URL, its feeds' URLs, and where configs go."""

    base: str
    urls: list[str]
    directory: Path


@dataclass
class Running:
    """One setup's daemons on their own database."""

    setup: Setup
    url: str
    configs: list[tuple[Path, int]]
    daemons: list[Daemon] = field(default_factory=list)
    crowders: int = 0  # processes crowding the machine over each cycle (``--crowd``)

    @property
    def name(self) -> str:
        return f"{self.setup.code}-{len(self.configs)}" + ("-crowded" if self.crowders else "")


def interleaved(setups: Sequence[T], rounds: int) -> list[tuple[int, T]]:
    """(round, setup) in the order measured. Each round measures every setup once, starting
    one further along than the last (1 2 3, 2 3 1, 3 1 2, 1 2 3 …): every setup takes
    every place in a round equally often, so a drift of the machine's speed over the run
    falls on all alike, and (from three setups) none runs two cycles back to back."""
    count = len(setups)
    return [(k + 1, setups[(k + i) % count]) for k in range(rounds) for i in range(count)]


def measure_postgres(
    farm: Farm, url: str, setups: list[Setup], cycles: int, shared: bool
) -> list[Cycle]:
    """1, 2 and 3 daemons of each code, ``cycles`` cycles each, interleaved; one template
    warmed by each code, or (``shared``) one by the first setup's code for all. One code
    after another: six daemons of ten connections each stay within a server's default
    ``max_connections`` (100), twelve would not."""
    results = []
    with databases(url) as made:
        templates = _templates(farm, made, setups, shared)
        for setup in setups:
            runs = [_copy(farm, made, templates[setup.code], setup, n) for n in COUNTS]
            if setup.crowd:  # one daemon as crowded as the most daemons crowd each other
                runs.append(_copy(farm, made, templates[setup.code], setup, 1, max(COUNTS) - 1))
            results += _rounds(farm, made, runs, cycles)
    return results


def _rounds(farm: Farm, made: Databases, runs: list[Running], cycles: int) -> list[Cycle]:
    """The setups' daemons started together, ready and paused; then the rounds."""
    results = []
    with ExitStack() as running_stack:
        for run in runs:
            running_stack.enter_context(_started(run))
        for run in runs:
            daemons_run.wait_ready(run.daemons)
            daemons_run.pause(run.daemons)
        for round_number, run in interleaved(runs, cycles):
            cycle = _measure(farm, made, run, round_number)
            results.append(cycle)
            print(json.dumps(cycle.__dict__), flush=True)
    return results


def _templates(farm: Farm, made: Databases, setups: list[Setup], shared: bool) -> dict[str, str]:
    warmers = setups[:1] if shared else setups
    names = {setup.code: _warm(farm, made, setup) for setup in warmers}
    return {setup.code: names.get(setup.code) or names[setups[0].code] for setup in setups}


def _warm(farm: Farm, made: Databases, setup: Setup) -> str:
    """A template filled by one unconfined daemon of ``setup``'s code polling every feed
    of cycle :data:`WARM` once (not measured), then every feed parked."""
    name, url = made.create(f"template_{setup.code}")
    port = daemons_run.free_port()
    config = daemons_run.write_config(farm.directory, f"warm-{setup.code}", _store(url),
                                      farm.urls, port)  # fmt: skip
    set_cycle(farm.base, WARM)
    warmer = Setup(setup.tree, None, setup.code)
    with daemons_run.log_file(setup, f"warm-{setup.code}") as log:
        daemons = daemons_run.start([(config, port)], [log], warmer, ["warm"])
        try:
            wait_for_cycle(farm.base, len(farm.urls), [d.process for d in daemons])
        finally:
            daemons_run.stop(daemons)
    _execute(url, "UPDATE feeds SET next_poll = now() + interval '1 day'")
    return name


def _copy(
    farm: Farm, made: Databases, template: str, setup: Setup, count: int, crowders: int = 0
) -> Running:
    _, url = made.create(f"{setup.code}_{count}" + ("_crowded" if crowders else ""), template)
    level = "warning" if setup.logs is None else "info"  # at info: retried writes are logged
    configs = []
    for i in range(count):
        port = daemons_run.free_port()
        name = f"pg-{setup.code}-{count}-{i}" + ("-crowded" if crowders else "")
        configs.append((daemons_run.write_config(farm.directory, name, _store(url), farm.urls,
                                                 port, level), port))  # fmt: skip
    return Running(setup, url, configs, crowders=crowders)


@contextmanager
def _started(run: Running) -> Iterator[None]:
    with ExitStack() as files:
        names = [f"{run.name}-{i}" for i in range(len(run.configs))]
        logs: list[IO[bytes]] = [
            files.enter_context(daemons_run.log_file(run.setup, name)) for name in names
        ]
        run.daemons = daemons_run.start(run.configs, logs, run.setup, names)
        try:
            yield
        finally:
            daemons_run.resume(run.daemons)
            daemons_run.stop(run.daemons)


def _measure(farm: Farm, made: Databases, run: Running, round_number: int) -> Cycle:
    daemons_run.resume(run.daemons)
    daemons_run.settle(run.daemons)
    set_cycle(farm.base, WARM + round_number)
    made.checkpoint()
    due = partial(_due_cycle, farm, run)
    connections = partial(postgres_connections, run.url)
    logged = run.setup.logs is not None
    with crowding(run.crowders, run.setup.cpus) as crowd:
        crowd_before = crowd.read()
        measured = daemons_run.measure(run.daemons, due, connections, logged)
        crowd_used = between(crowd_before, crowd.read())
    daemons_run.pause(run.daemons)
    wall = measured.stats["last"] - measured.stats["first"]
    others = measured.machine - sum(measured.cycle_cpu) - (measured.database_cpu or 0.0)
    cycle = Cycle("PostgreSQL", len(run.daemons), wall, measured.cycle_cpu, measured.connections,
                  measured.database_cpu, run.setup.code, measured.life_cpu,
                  measured.tail_idle, measured.retried, round_number, others)  # fmt: skip
    cycle.crowders = run.crowders
    if run.crowders and run.setup.cpus:
        with_crowd(cycle, crowd_used, run.setup.cpus)
    return with_contention(cycle, measured.contention)


def with_contention(cycle: Cycle, contention: Contention | None) -> Cycle:
    """The cycle with how crowded the machine was over it (``bench.scaleout_machine``)."""
    if contention is None:
        return cycle
    cycle.machine_busy = contention.busy_share()
    cycle.cpu_wait = contention.waited
    cycle.throttled = contention.throttled_share()
    cycle.throttled_time = [group.seconds for group in contention.throttling]
    return cycle


def with_crowd(cycle: Cycle, used: Contention, cpus: float) -> Cycle:
    """The cycle with how busy its crowders were over it (``used``: their CPU and their
    groups' throttling, ``bench.scaleout_crowd``): the share of their quota (``cpus``
    each) they spent, and of their quota periods in which they were throttled."""
    cycle.crowders_busy = used.busy / (used.span * cpus * cycle.crowders)
    cycle.crowders_throttled = used.throttled_share()
    return cycle


def _due_cycle(farm: Farm, run: Running) -> Any:
    _execute(run.url, "UPDATE feeds SET next_poll = now() - interval '1 hour'")
    return wait_for_cycle(farm.base, len(farm.urls), [d.process for d in run.daemons])


def _store(url: str) -> str:
    return f'url = "{url}"\n{PG_CLAIMS}'


def _execute(url: str, statement: LiteralString) -> None:
    with connect(url) as conn:
        conn.execute(statement)


def postgres_connections(url: str) -> tuple[int | None, dict[int, float]]:
    """This setup's connections (but this one) and each one's backend CPU seconds so far;
    (None, {}) when the server had no connection slot for the bench even after waiting:
    said on stderr, and the cycle's backend CPU is left out of the report, not counted 0."""
    query = "SELECT pid FROM pg_stat_activity WHERE application_name = current_setting("
    query += "'application_name') AND pid <> pg_backend_pid()"
    try:
        with connect(url) as conn:
            pids = [int(row[0]) for row in conn.execute(query).fetchall()]
    except psycopg.OperationalError as err:
        if not crowded(err):
            raise
        print("bench.scaleout: no connection slot to read this cycle's PostgreSQL backends; "
              "their CPU is left out for this cycle", file=sys.stderr)  # fmt: skip
        return None, {}
    return len(pids), {pid: _backend_cpu(pid) for pid in pids}


def _backend_cpu(pid: int) -> float:
    try:
        return daemons_run.cpu_seconds(pid)
    except OSError:  # the server runs elsewhere, or the backend just ended
        return 0.0
