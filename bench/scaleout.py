"""Poll-cycle throughput with 1, 2 and 3 daemons on PostgreSQL, against one daemon on
SQLite in the same run.

    python -m bench.scaleout [--feeds 2000] [--hosts 500] [--cycles 3] [--cpu-per-daemon 0.4]
                             [--crowd]
                             [--baseline GIT-REF] [--output PATH] [--no-write]

Needs ``WIREWATCH_BENCH_POSTGRES_URL`` (else ``WIREWATCH_TEST_POSTGRES_URL``) with the
right to create databases; without a URL it says so and exits 0. Everything runs on this
machine over loopback: the feed farm (``bench.scaleout_farm``, its own process, ETags, a
fifth of the feeds changed per cycle, the same number of items in every cycle), real
``wirewatch run`` processes, and the databases (made for the run, dropped after).

On PostgreSQL (``bench.scaleout_setups``) one template database is warmed: one daemon
polls every feed once (farm cycle 1, all new), so the measured cycles are steady state.
Each setup (a code and a daemon count: 1, 2, 3) polls its own copy of it, with its own
daemons started on parked feeds (due in a day) and paused between its cycles. Then
``--cycles N`` rounds follow; each measures one cycle of every setup in turn (the order
rotating from round to round), and in round k every setup's cycle serves the same farm
cycle (1 + k) to the same rows: its daemons are resumed and idle, the server checkpoints,
every feed is made due at once (``next_poll`` in the past) and the cycle's wall time is
from the farm's first to its last feed request once every feed was requested. The report
gives medians with their lowest and highest, and efficiency both from feeds/s and from
CPU per feed, each paired by round (``bench.scaleout_report``). Each daemon's CPU (its
parse workers included) is recorded over the cycle (until it idles again, so its last
polls' parsing and storing are in), when it last worked (its idle time at the cycle's
tail, while another daemon still worked) and over its whole life (start-up included),
with the database connections open at the end of the cycle and the CPU their PostgreSQL
backends spent over it (from /proc, read before the daemons stop).

``--logs DIR`` keeps each daemon's log (``--profile DIR`` its py-spy records) in ``DIR/run-<UTC
start>/``. A connection the server refuses for want of slots is tried again for up to two
minutes; a cycle whose backends still cannot be read is named in the report and left out
of the figures with backend CPU.

``--cpu-per-daemon C`` runs each daemon (and the parse workers it forks) in its own cgroup
limited to C CPUs (``bench.cpu_quota``), so a daemon more is like a machine more; the farm
and PostgreSQL stay unconfined. ``--baseline REF`` measures the PostgreSQL cycles of that
commit too, in the same run (a temporary git worktree), its setups interleaved with this
code's: each code warms a template of its own, never analysed by hand, as on a server
without autovacuum. ``--shared-schema`` warms one template (by the baseline's code) for
both codes' setups (this code migrates its copies first): half the warm-ups, on a loaded
machine the longest part of a run; ``--postgres-only`` leaves the SQLite row out.
``--crowd`` (only with ``--cpu-per-daemon``) adds, per code, one daemon measured while
two crowders (``bench.scaleout_crowd``, each confined like a daemon) parse feeds flat
out: the CPU a daemon loses beside them, with nothing of theirs to learn, and the
efficiency of 2 and 3 daemons against one daemon beside two crowders, a noisy stand-in
for the machine's contention (decision 0092: the crowding cost −8 to +30 % over six
rounds).
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import scaleout_daemons as daemons_run
from bench import scaleout_farm
from bench.cpu_quota import CpuGroup
from bench.scaleout_daemons import HANG_GUARD, Setup
from bench.scaleout_farm import farm_get, set_cycle
from bench.scaleout_report import Cycle, render
from bench.scaleout_setups import WARM, Farm, measure_postgres
from bench.sections import write_section

ROOT = Path(__file__).resolve().parents[1]


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


def run_once_cycle(base: str, feeds: int, config: Path, setup: Setup, cycle: int) -> Cycle:
    """The single SQLite daemon's cycle: ``wirewatch run --once`` polls every feed as fast
    as politeness allows. (``run`` would spread a restart's overdue feeds over up to one
    interval on purpose, which measures that spread, not throughput.)"""
    set_cycle(base, cycle)
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
    return Cycle("SQLite", 1, stats["last"] - stats["first"], [cpu], None, life=[cpu])


def measure(args: argparse.Namespace, url: str, directory: Path) -> list[Cycle]:
    process, urls = start_farm(args.feeds, args.hosts)
    farm = Farm(urls[0].split("/feed/", maxsplit=1)[0], urls, directory)
    results: list[Cycle] = []
    try:
        this = Setup(cpus=args.cpu_per_daemon, logs=args.logs, profile=args.profile,
                     crowd=args.crowd)  # fmt: skip
        if not args.postgres_only:
            results.append(measure_sqlite(farm, this))
        with baseline_tree(args.baseline) as tree:
            setups = (
                [this]
                if tree is None
                else [
                    Setup(tree, this.cpus, "baseline", args.logs, args.profile, args.crowd),
                    this,
                ]
            )
            results += measure_postgres(farm, url, setups, args.cycles, args.shared_schema)
    finally:
        process.terminate()
        process.join()
    return results


def measure_sqlite(farm: Farm, setup: Setup) -> Cycle:
    """Warmed by one unconfined cycle (every feed new), then one measured cycle."""
    db = farm.directory / "scaleout.db"
    config = daemons_run.write_config(farm.directory, "sqlite", f'path = "{db}"', farm.urls)
    run_once_cycle(farm.base, len(farm.urls), config, Setup(), WARM)
    return run_once_cycle(farm.base, len(farm.urls), config, setup, WARM + 1)


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


def run_folder(folder: Path | None) -> Path | None:
    """This run's own folder in ``folder`` (``--logs``, ``--profile``), named by its start
    (UTC), so that a second run given the same folder keeps the first run's files."""
    if folder is None:
        return None
    stamp = time.strftime("run-%Y%m%dT%H%M%SZ", time.gmtime())
    folder.mkdir(parents=True, exist_ok=True)
    for number in itertools.count(1):  # runs started in one second: -2, -3, ...
        mine = folder / (stamp if number == 1 else f"{stamp}-{number}")
        try:
            mine.mkdir()
        except FileExistsError:
            continue
        print(f"bench.scaleout: this run's files in {mine}", file=sys.stderr)
        return mine
    raise AssertionError("unreachable")


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
        help="rounds: cycles measured per code and daemon count, interleaved (medians reported)",
    )
    parser.add_argument("--postgres-only", action="store_true", help="no SQLite row")
    parser.add_argument(
        "--crowd",
        action="store_true",
        help="also one daemon beside two daemon-like crowders, each in a group like a daemon's "
        "(needs --cpu-per-daemon): a noisy stand-in for the machine's contention",
    )
    parser.add_argument(
        "--shared-schema",
        action="store_true",
        help="with --baseline: one template warmed once, by the baseline, copied for both codes",
    )
    parser.add_argument(
        "--logs",
        type=Path,
        default=None,
        help="keep each daemon's log (level info) in this folder, under run-<UTC start>/",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="record each daemon with py-spy over each cycle, here under run-<UTC start>/",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    parser.add_argument("--no-write", action="store_true", help="print the section only")
    args = parser.parse_args(argv)
    if args.crowd and not args.cpu_per_daemon:  # two unconfined crowders take both cores
        parser.error("--crowd needs --cpu-per-daemon: the crowders are confined like daemons")
    url = postgres_url()
    if not url:
        print("bench.scaleout: set WIREWATCH_BENCH_POSTGRES_URL (or the test URL); skipped")
        return 0
    args.logs, args.profile = run_folder(args.logs), run_folder(args.profile)
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
