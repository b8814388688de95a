"""Poll-cycle throughput with 1, 2 and 3 daemons on one PostgreSQL database, against one
daemon on SQLite in the same run.

    python -m bench.scaleout [--feeds 2000] [--hosts 500] [--cpu-per-daemon 0.4]
                             [--baseline GIT-REF] [--output PATH] [--no-write]

Needs ``WIREWATCH_BENCH_POSTGRES_URL`` (else ``WIREWATCH_TEST_POSTGRES_URL``); without
either it says so and exits 0. Everything runs on this machine over loopback: the feed farm
(``bench.scaleout_farm``, its own process, ETags, a fifth of the feeds changed per cycle),
real ``wirewatch run`` processes, and the database (its own schema, dropped after).

Each store is warmed first: one daemon polls every feed once (cycle 0, all new), so the
measured cycles are steady state: validators stored, a fifth of the feeds changed since.
Then for each setup every feed is made due at once (``next_poll`` in the past), the farm
moves to a new cycle, the daemons start, and the cycle's wall time is from the farm's first
to its last feed request once every feed was requested. CPU per daemon (its parse workers
included) and the database connections open at the end of the cycle are recorded, with
the CPU of those connections' PostgreSQL backends (from /proc, read before the daemons stop).

``--cpu-per-daemon C`` runs each daemon (and the parse workers it forks) in its own cgroup
limited to C CPUs (``bench.cpu_quota``), so a daemon more is like a machine more; the farm
and PostgreSQL stay unconfined. ``--baseline REF`` measures the PostgreSQL cycles of that
commit too, in the same run (a temporary git worktree, its own fresh schema): each schema is
new and never analysed by hand, as on a server without autovacuum.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

import psycopg
from psycopg import sql

from bench import scaleout_farm
from bench.cpu_quota import CpuGroup
from bench.sections import write_section

ROOT = Path(__file__).resolve().parents[1]
HANG_GUARD = 600.0  # seconds for one cycle; only reached when something is broken
CONFIG = """
[daemon]
instance = "{instance}"
jitter = 0
default_interval = 3600
[store]
{store}
[listener]
enabled = false
[log]
level = "warning"
format = "json"
"""


@dataclass
class Cycle:
    setup: str
    daemons: int
    wall: float
    cpu: list[float]
    connections: int | None
    database_cpu: float | None = None
    code: str = "this"


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


def write_config(directory: Path, name: str, store: str, urls: list[str]) -> Path:
    feeds = "".join(f'[[feeds]]\nname = "Farm {i}"\nurl = "{url}"\n' for i, url in enumerate(urls))
    path = directory / f"{name}.toml"
    path.write_text(CONFIG.format(instance=name, store=store) + feeds, encoding="utf-8")
    return path


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its reaped children (parse workers), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / os.sysconf("SC_CLK_TCK")


def children_cpu(pid: int) -> float:
    """CPU of a daemon's live parse workers (not yet reaped, so not in its cutime)."""
    total = 0.0
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        for kid in child.read_text().split():
            total += cpu_seconds(int(kid))
    return total


@dataclass
class Setup:
    """How daemons are started: which code (a tree), and the CPU each may use."""

    tree: Path = ROOT
    cpus: float | None = None
    code: str = "this"

    def popen(self, command: list[str], log: IO[bytes], group: CpuGroup | None) -> Any:
        env = {**os.environ, "PYTHONPATH": str(self.tree)}
        if group:  # the shell joins the group, then becomes the daemon: all it forks stays in
            command = ["sh", "-c", f'echo $$ > "{group.procs}" && exec "$@"', "sh", *command]
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, cwd=self.tree,
                                env=env)  # fmt: skip


def run_cycle(base: str, feeds: int, configs: list[Path], database: Any, setup: Setup) -> Cycle:
    """Start one daemon per config, wait until the farm saw every feed, stop them."""
    next_cycle(base)
    with ExitStack() as files:
        logs = [files.enter_context(tempfile.TemporaryFile()) for _ in configs]
        groups = [CpuGroup(setup.cpus) if setup.cpus else None for _ in configs]
        try:
            cycle = _cycle(base, feeds, configs, logs, database, setup, groups)
        finally:
            for group in groups:
                if group:
                    group.remove()
        cycle.code = setup.code
        return cycle


def _cycle(
    base: str, feeds: int, configs: list[Path], logs: list[IO[bytes]], database: Any,
    setup: Setup, groups: list[CpuGroup | None],
) -> Cycle:  # fmt: skip
    command = [sys.executable, "-m", "monitor", "run", "--config"]
    daemons = [setup.popen([*command, str(config)], log, group)
               for config, log, group in zip(configs, logs, groups, strict=True)]  # fmt: skip
    try:
        stats = wait_for_cycle(base, feeds, daemons)
        cpu = [cpu_seconds(d.pid) + children_cpu(d.pid) for d in daemons]
        connections, database_cpu = database()
    finally:
        for daemon in daemons:
            daemon.send_signal(signal.SIGTERM)
        for daemon, log in zip(daemons, logs, strict=True):
            if daemon.wait(timeout=120) != 0:
                log.seek(0)
                print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)
    wall = stats["last"] - stats["first"]
    return Cycle("", len(configs), wall, cpu, connections, database_cpu)


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
    return Cycle("", 1, stats["last"] - stats["first"], [cpu], None)


def wait_for_cycle(base: str, feeds: int, daemons: list[subprocess.Popen[bytes]]) -> Any:
    deadline = time.monotonic() + HANG_GUARD
    while (stats := farm_get(base, "/_stats"))["feeds"] < feeds:
        if time.monotonic() > deadline or any(d.poll() is not None for d in daemons):
            raise RuntimeError(f"cycle stalled at {stats['feeds']} of {feeds} feeds")
        time.sleep(0.5)  # a benchmark's progress check, not synchronisation in a test
    return stats


def make_due_postgres(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE feeds SET next_poll = now() - interval '1 hour'")


def postgres_connections(url: str) -> tuple[int, float]:
    """This run's connections (but this one) and their backends' CPU seconds so far."""
    query = "SELECT pid FROM pg_stat_activity WHERE application_name = current_setting("
    query += "'application_name') AND pid <> pg_backend_pid()"
    with psycopg.connect(url, autocommit=True) as conn:
        pids = [int(row[0]) for row in conn.execute(query).fetchall()]
    return len(pids), sum(_backend_cpu(pid) for pid in pids)


def _backend_cpu(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except OSError:  # the server runs elsewhere, or the backend just ended
        return 0.0


def measure(args: argparse.Namespace, url: str, directory: Path) -> list[Cycle]:
    farm, urls = start_farm(args.feeds, args.hosts)
    base = urls[0].split("/feed/", maxsplit=1)[0]
    results: list[Cycle] = []
    try:
        this = Setup(cpus=args.cpu_per_daemon)
        db = directory / "scaleout.db"
        sqlite_config = write_config(directory, "sqlite", f'path = "{db}"', urls)
        run_once_cycle(base, args.feeds, sqlite_config, Setup())  # warm-up, unconfined
        results.append(_named(run_once_cycle(base, args.feeds, sqlite_config, this), "SQLite"))
        with baseline_tree(args.baseline) as tree:
            setups = [this] if tree is None else [Setup(tree, this.cpus, "baseline"), this]
            for setup in setups:
                results += measure_postgres(base, args.feeds, url, directory, urls, setup)
    finally:
        farm.terminate()
        farm.join()
    return results


def measure_postgres(
    base: str, feeds: int, url: str, directory: Path, urls: list[str], setup: Setup
) -> list[Cycle]:
    """Warm-up, then 1, 2 and 3 daemons, on a fresh schema never analysed by hand."""
    results = []
    with fresh_schema(url) as schema_url:
        store = f'url = "{schema_url}"'
        configs = [write_config(directory, f"pg-{n}", store, urls) for n in range(3)]
        warm = Setup(setup.tree, None, setup.code)  # filling the store is not measured
        run_cycle(base, feeds, configs[:1], lambda: (None, None), warm)
        for count in (1, 2, 3):
            make_due_postgres(schema_url)
            cycle = run_cycle(base, feeds, configs[:count],
                              lambda: postgres_connections(schema_url), setup)  # fmt: skip
            results.append(_named(cycle, "PostgreSQL"))
            print(json.dumps(results[-1].__dict__), flush=True)
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


def _row(args: argparse.Namespace, r: Cycle, one: dict[str, float]) -> str:
    rate = args.feeds / r.wall
    total = sum(r.cpu) + (r.database_cpu or 0.0)
    efficiency = f"{rate / (r.daemons * one[r.code]):.2f}" if r.setup == "PostgreSQL" else "—"
    database = "—" if r.database_cpu is None else f"{r.database_cpu:.1f} s"
    return (
        f"| {r.setup} | {r.code} | {r.daemons} | {r.wall:.1f} s | {rate:,.1f} | "
        f"{' + '.join(f'{c:.1f}' for c in r.cpu)} s | {database} | "
        f"{1000 * total / args.feeds:.1f} s | {efficiency} | "
        f"{'—' if r.connections is None else r.connections} |"
    )


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
    return f"""## Scale-out: one poll cycle with 1, 2 and 3 daemons on PostgreSQL

    python -m bench.scaleout --feeds {args.feeds} --hosts {args.hosts}{flags}

A loopback farm (`bench/scaleout_farm.py`, its own process) serves {args.feeds:,} RSS feeds
of 30–60 KB from {args.hosts} loopback addresses with ETags. Each store was warmed by one
full cycle (not confined); in each measured cycle a fifth of the feeds changed (two new
items each) and the rest answer 304. On SQLite one `wirewatch run --once` process polls
every feed (as fast as politeness allows; `run` itself spreads a restart's overdue feeds
over up to one interval on purpose). On PostgreSQL every feed is made due at once and real
`wirewatch run` processes (default politeness and claim settings, parse workers one per core
but one, each) share the feeds through leases (docs/decisions/0017-leases.md). Each code's
PostgreSQL cycles run on a fresh schema that nothing analysed by hand (the local server's
autovacuum may or may not have run; the code must not depend on it). Wall time is from the
farm's first to its last feed request of the cycle; CPU is each daemon's own plus its parse
workers' over its whole life (start-up included), and the database's is that of the backends
of this run's connections open at the end of the cycle (from /proc); CPU per 1,000 feeds
sums both. Efficiency is feeds/s over n × the same code's one-daemon feeds/s. "baseline"
rows are commit `{args.baseline or "—"}`, measured in the same run.

Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()};
{quota}. Load average {args.load[0]:.1f} before the run, {os.getloadavg()[0]:.1f} after it.
Whole run: {elapsed:.0f} s.

| store | code | n | wall | feeds/s | CPU per daemon | PG backends | CPU/1k feeds | eff. | conn |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(rows)}"""


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
