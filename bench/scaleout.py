"""Poll-cycle throughput with 1, 2 and 3 daemons on one PostgreSQL database, against one
daemon on SQLite in the same run.

    python -m bench.scaleout [--feeds 2000] [--hosts 500] [--cycles 3] [--cpu-per-daemon 0.4]
                             [--baseline GIT-REF] [--output PATH] [--no-write]

Needs ``WIREWATCH_BENCH_POSTGRES_URL`` (else ``WIREWATCH_TEST_POSTGRES_URL``); without
either it says so and exits 0. Everything runs on this machine over loopback: the feed farm
(``bench.scaleout_farm``, its own process, ETags, a fifth of the feeds changed per cycle),
real ``wirewatch run`` processes, and the database (its own schema, dropped after).

Each store is warmed first: one daemon polls every feed once (cycle 0, all new), so the
measured cycles are steady state: validators stored, a fifth of the feeds changed since.
On PostgreSQL each setup's daemons then start while every feed is parked (due in a day);
once all answer ``/readyz`` and idle (``bench.scaleout_daemons``), the farm moves to a new cycle and
every feed is made due at once (``next_poll`` in the past); the cycle's wall time is from
the farm's first to its last feed request once every feed was requested. ``--cycles N``
cycles follow one another with the same daemons, each once all of them idle again, and the
report gives medians: one cycle's figures moved by a quarter between runs of the same code.
Each daemon's CPU (its parse workers included) is recorded over the cycle (until it idles
again, so its last polls' parsing and storing are in), when it last worked (its idle time
at the cycle's tail, while another daemon still worked) and over its whole life (start-up
included), with the database connections open at the end of the cycle
and the CPU their PostgreSQL backends spent over it (from /proc, read before the daemons
stop).

``--cpu-per-daemon C`` runs each daemon (and the parse workers it forks) in its own cgroup
limited to C CPUs (``bench.cpu_quota``), so a daemon more is like a machine more; the farm
and PostgreSQL stay unconfined. ``--baseline REF`` measures the PostgreSQL cycles of that
commit too, in the same run (a temporary git worktree, its own fresh schema): each schema is
new and never analysed by hand, as on a server without autovacuum. ``--shared-schema``
warms one schema once (by the baseline's code) and runs the baseline's cycles and then
this code's on it (this code migrates it first): half the warm-ups, on a loaded machine
the longest part of a run; ``--postgres-only`` leaves the SQLite row out.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
from psycopg import sql

from bench import scaleout_daemons as daemons_run
from bench import scaleout_farm
from bench.cpu_quota import CpuGroup
from bench.scaleout_daemons import HANG_GUARD, Setup
from bench.scaleout_report import Cycle, render
from bench.sections import write_section

ROOT = Path(__file__).resolve().parents[1]
# PostgreSQL daemons claim every half second while idle (default 5 s): every feed is made
# due at once, and a daemon's first claim up to 5 s after another's would be counted as
# its cycle's wall time; once busy, each finished poll claims at once anyway.
PG_CLAIMS = "claim_interval = 0.5"
CONFIG = """
[daemon]
instance = "{instance}"
jitter = 0
default_interval = 3600
[store]
{store}
[listener]
{listener}
[log]
level = "{level}"
format = "json"
"""


def start_farm(feeds: int, hosts: int) -> tuple[multiprocessing.process.BaseProcess, list[str]]:
    """The timed farm in its own process, and each feed's URL (as ``bench.poll`` does)."""
    context = multiprocessing.get_context("forkserver")
    receive, send = context.Pipe(duplex=False)
    args = (feeds, hosts, send)
    process = context.Process(target=scaleout_farm.serve, args=args, daemon=True)
    process.start()
    addresses = receive.recv()
    return process, [
        f"http://{addresses[i % hosts][0]}:{addresses[i % hosts][1]}/feed/{i}.xml"
        for i in range(feeds)
    ]


def postgres_url() -> str:
    return os.environ.get("WIREWATCH_BENCH_POSTGRES_URL") or os.environ.get(
        "WIREWATCH_TEST_POSTGRES_URL", ""
    )


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A URL whose sessions use a new schema, dropped afterwards."""
    name = f"wirewatch_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        try:
            separator = "&" if "?" in url else "?"
            # The application name tells this run's connections from others on the server.
            query = urlencode({"options": f"-csearch_path={name}", "application_name": name})
            yield f"{url}{separator}{query}"
        finally:
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


def farm_get(base: str, path: str) -> Any:
    with urllib.request.urlopen(f"{base}{path}", timeout=30) as answer:
        return json.loads(answer.read() or b"null") if path == "/_stats" else None


def write_config(
    directory: Path,
    name: str,
    store: str,
    urls: list[str],
    port: int | None = None,
    level: str = "warning",
) -> Path:
    feeds = "".join(f'[[feeds]]\nname = "Farm {i}"\nurl = "{url}"\n' for i, url in enumerate(urls))
    listener = "enabled = false" if port is None else f"port = {port}"
    path = directory / f"{name}.toml"
    text = CONFIG.format(instance=name, store=store, listener=listener, level=level)
    path.write_text(text + feeds, encoding="utf-8")
    return path


def next_cycle(base: str) -> None:
    """The farm's next cycle: a fifth of the feeds get two new items."""
    farm_get(base, f"/_cycle/{farm_get(base, '/_stats')['cycle'] + 1}")


def run_once_cycle(base: str, feeds: int, config: Path, setup: Setup) -> Cycle:
    """The single SQLite daemon's cycle: ``wirewatch run --once`` polls every feed as fast
    as politeness allows. (``run`` would spread a restart's overdue feeds over up to one
    interval on purpose, which measures that spread, not throughput.)"""
    next_cycle(base)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [sys.executable, "-m", "monitor", "run", "--once", "--config", str(config)]
    group = CpuGroup(setup.cpus) if setup.cpus else None
    try:
        with tempfile.TemporaryFile() as log:
            if setup.popen(command, log, group).wait(timeout=HANG_GUARD) != 0:
                raise RuntimeError("run --once failed")
    finally:
        if group:
            group.remove()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the daemon and its parse workers
    stats = farm_get(base, "/_stats")
    if stats["feeds"] < feeds:
        raise RuntimeError(f"run --once polled {stats['feeds']} of {feeds} feeds")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return Cycle("", 1, stats["last"] - stats["first"], [cpu], None, life=[cpu])


def run_cycles(base: str, feeds: int, configs: list[tuple[Path, int]], url: str,
               setup: Setup, cycles: int) -> list[Cycle]:  # fmt: skip
    """Daemons started on parked feeds, ready, then ``cycles`` cycles one after another:
    every feed made due, polled, and the daemons idle again before the next."""
    park_postgres(url)
    with ExitStack() as files:
        names = [f"{setup.code}-{len(configs)}-{i}" for i in range(len(configs))]
        logs = [files.enter_context(daemons_run.log_file(setup, name)) for name in names]
        daemons = daemons_run.start(configs, logs, setup, names)
        try:
            daemons_run.wait_ready(daemons)
            cycle = partial(_due_cycle, base, feeds, url, daemons)
            connections = partial(postgres_connections, url)
            logged = setup.logs is not None  # at level info: retried writes are logged
            measured = [
                daemons_run.measure(daemons, cycle, connections, logged) for _ in range(cycles)
            ]
        finally:
            daemons_run.stop(daemons)
    return [_cycle(len(configs), setup, one) for one in measured]


def _cycle(daemons: int, setup: Setup, measured: daemons_run.Measured) -> Cycle:
    wall = measured.stats["last"] - measured.stats["first"]
    return Cycle("PostgreSQL", daemons, wall, measured.cycle_cpu, measured.connections,
                 measured.database_cpu, setup.code, measured.life_cpu,
                 measured.tail_idle, measured.retried)  # fmt: skip


def warm_postgres(base: str, feeds: int, config: tuple[Path, int], setup: Setup) -> None:
    """Fill a fresh schema: one daemon polls every (new, so due) feed once; not measured."""
    next_cycle(base)
    with tempfile.TemporaryFile() as log:
        daemons = daemons_run.start([config], [log], setup, ["warm"])
        try:
            wait_for_cycle(base, feeds, [d.process for d in daemons])
        finally:
            daemons_run.stop(daemons)


def _due_cycle(base: str, feeds: int, url: str, daemons: list[daemons_run.Daemon]) -> Any:
    next_cycle(base)
    make_due_postgres(url)
    return wait_for_cycle(base, feeds, [d.process for d in daemons])


def wait_for_cycle(base: str, feeds: int, daemons: list[subprocess.Popen[bytes]]) -> Any:
    deadline = time.monotonic() + HANG_GUARD
    while (stats := farm_get(base, "/_stats"))["feeds"] < feeds:
        if time.monotonic() > deadline or any(d.poll() is not None for d in daemons):
            raise RuntimeError(f"cycle stalled at {stats['feeds']} of {feeds} feeds")
        time.sleep(0.5)  # a benchmark's progress check, not synchronisation in a test
    return stats


def park_postgres(url: str) -> None:
    """Nothing due while daemons start (the warm-up's first start finds no feeds yet)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE feeds SET next_poll = now() + interval '1 day'")


def make_due_postgres(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE feeds SET next_poll = now() - interval '1 hour'")


def postgres_connections(url: str) -> tuple[int, dict[int, float]]:
    """This run's connections (but this one) and each one's backend CPU seconds so far."""
    query = "SELECT pid FROM pg_stat_activity WHERE application_name = current_setting("
    query += "'application_name') AND pid <> pg_backend_pid()"
    with psycopg.connect(url, autocommit=True) as conn:
        pids = [int(row[0]) for row in conn.execute(query).fetchall()]
    return len(pids), {pid: _backend_cpu(pid) for pid in pids}


def _backend_cpu(pid: int) -> float:
    try:
        return daemons_run.cpu_seconds(pid)
    except OSError:  # the server runs elsewhere, or the backend just ended
        return 0.0


def measure(args: argparse.Namespace, url: str, directory: Path) -> list[Cycle]:
    farm, urls = start_farm(args.feeds, args.hosts)
    base = urls[0].split("/feed/", maxsplit=1)[0]
    results: list[Cycle] = []
    try:
        this = Setup(cpus=args.cpu_per_daemon, logs=args.logs, profile=args.profile)
        if not args.postgres_only:
            results.append(measure_sqlite(base, args.feeds, directory, urls, this))
        with baseline_tree(args.baseline) as tree:
            setups = (
                [this]
                if tree is None
                else [Setup(tree, this.cpus, "baseline", args.logs, args.profile), this]
            )
            for group in [setups] if args.shared_schema else [[setup] for setup in setups]:
                results += measure_postgres(base, args.feeds, url, directory, urls, group,
                                            args.cycles)  # fmt: skip
    finally:
        farm.terminate()
        farm.join()
    return results


def measure_sqlite(base: str, feeds: int, directory: Path, urls: list[str], setup: Setup) -> Cycle:
    db = directory / "scaleout.db"
    config = write_config(directory, "sqlite", f'path = "{db}"', urls)
    run_once_cycle(base, feeds, config, Setup())  # warm-up, unconfined
    return _named(run_once_cycle(base, feeds, config, setup), "SQLite")


def measure_postgres(
    base: str, feeds: int, url: str, directory: Path, urls: list[str], setups: list[Setup],
    cycles: int,
) -> list[Cycle]:  # fmt: skip
    """Warm-up (by the first setup's code), then 1, 2 and 3 daemons of each setup in turn,
    ``cycles`` cycles each, on one fresh schema never analysed by hand (a later code
    migrates it on top)."""
    results = []
    with fresh_schema(url) as schema_url:
        store = f'url = "{schema_url}"\n{PG_CLAIMS}'
        level = "warning" if setups[0].logs is None else "info"
        configs = []
        for n in range(3):
            port = daemons_run.free_port()
            config = write_config(directory, f"pg-{n}", store, urls, port, level)
            configs.append((config, port))
        warm = Setup(setups[0].tree, None, setups[0].code)  # filling the store is not measured
        warm_postgres(base, feeds, configs[0], warm)
        for setup, count in ((setup, count) for setup in setups for count in (1, 2, 3)):
            for cycle in run_cycles(base, feeds, configs[:count], schema_url, setup, cycles):
                results.append(cycle)
                print(json.dumps(cycle.__dict__), flush=True)
    return results


@contextmanager
def baseline_tree(ref: str | None) -> Iterator[Path | None]:
    """A temporary detached worktree of ``ref`` (None: no baseline)."""
    if not ref:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="ww-baseline-") as folder:
        tree = Path(folder) / "tree"
        git = ["git", "-C", str(ROOT), "worktree"]
        subprocess.run([*git, "add", "--detach", str(tree), ref], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        try:
            yield tree
        finally:
            subprocess.run([*git, "remove", "--force", str(tree)], check=True)


def _named(cycle: Cycle, setup: str) -> Cycle:
    cycle.setup = setup
    return cycle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument(
        "--cpu-per-daemon",
        type=float,
        default=None,
        help="CPUs each daemon may use (its own cgroup; needs root)",
    )
    parser.add_argument(
        "--baseline", default=None, help="a git commit whose PostgreSQL cycles are measured too"
    )
    parser.add_argument(
        "--cycles",
        type=int,
        default=3,
        help="cycles measured per code and daemon count (medians reported)",
    )
    parser.add_argument("--postgres-only", action="store_true", help="no SQLite row")
    parser.add_argument(
        "--shared-schema",
        action="store_true",
        help="with --baseline: one schema, warmed once by the baseline, then each code's cycles",
    )
    parser.add_argument(
        "--logs", type=Path, default=None, help="keep each daemon's log (level info) in this folder"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="record each daemon with py-spy over each cycle, into this folder",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    parser.add_argument("--no-write", action="store_true", help="print the section only")
    args = parser.parse_args(argv)
    url = postgres_url()
    if not url:
        print("bench.scaleout: set WIREWATCH_BENCH_POSTGRES_URL (or the test URL); skipped")
        return 0
    args.load = os.getloadavg()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ww-scaleout-") as folder:
        results = measure(args, url, Path(folder))
    markdown = render(args, results, time.perf_counter() - started)
    print(markdown)
    if not args.no_write:
        write_section(args.output, "scaleout", markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
