"""The daemons of one ``bench.scaleout`` PostgreSQL cycle: started, confined, made ready,
measured, stopped.

A cycle's daemons start while every feed is parked (due in a day), so nothing is polled
while they start; once each answers ``/readyz`` (its story index warmed) and then idles (a
second in which it spent under ``IDLE`` CPU seconds: start-up work queued behind readiness,
such as the vector graph's adds, is done), its CPU is read; then the feeds are made due and
the cycle runs. So each daemon's CPU is reported twice:
over the cycle alone (from ready to the cycle's last request: the steady-state cost of
polling) and over its whole life (start-up included: what a restart costs too). The
daemons' start-ups never overlap the timed cycle, and no daemon begins the cycle seconds
before another because its start-up happened to be quicker.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bench import scaleout_machine
from bench.cpu_quota import CpuGroup
from bench.scaleout_machine import Contention

ROOT = Path(__file__).resolve().parents[1]
HANG_GUARD = 1800.0  # seconds for one start-up, warm-up or cycle: a guard only (a loaded machine)
STOP_GUARD = 120.0  # seconds a daemon may take to exit after SIGTERM before it is killed
IDLE = 0.03  # CPU seconds per second below which a ready daemon counts as idle (claims only)
SAMPLE = 0.2  # seconds between two readings of the daemons' CPU during a cycle
BUSY = 0.1  # CPU seconds per second from which a daemon counts as working (quota 0.4: a quarter)
SETTLED = 1.5  # seconds without work after which a cycle's daemons count as finished
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


@dataclass
class Setup:
    """How daemons are started: which code (a tree), and the CPU each may use."""

    tree: Path = ROOT
    cpus: float | None = None
    code: str = "this"
    logs: Path | None = None  # keep each daemon's log here (at level info), else discard it
    profile: Path | None = None  # a py-spy profile of each daemon over each cycle, here
    crowd: bool = False  # also one daemon crowded as the most daemons crowd each other

    def popen(self, command: list[str], log: IO[bytes], group: CpuGroup | None) -> Any:
        env = {**os.environ, "PYTHONPATH": str(self.tree)}
        if group:
            command = group.command(command)
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, cwd=self.tree,
                                env=env)  # fmt: skip


@dataclass
class Daemon:
    """One started ``wirewatch run``: its process, listener port and CPU group."""

    process: Any
    port: int
    log: IO[bytes]
    group: CpuGroup | None
    ready_cpu: float = 0.0
    name: str = ""
    profile: Path | None = None
    cycles: int = 0  # measured so far

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid) + children_cpu(self.process.pid)

    def log_size(self) -> int:
        return os.fstat(self.log.fileno()).st_size

    def logged_since(self, offset: int, event: bytes) -> int:
        """Lines naming ``event`` the daemon logged past ``offset``. Read with ``pread``: the
        file's offset is the daemon's too (its stderr), so it must not move."""
        written = os.pread(self.log.fileno(), self.log_size() - offset, offset)
        return written.count(b'"event": "' + event + b'"')


@dataclass
class Measured:
    """One cycle: CPU per daemon over it and over its whole life, the database's, and how
    long each daemon sat idle at the cycle's tail while another still worked."""

    cycle_cpu: list[float]
    life_cpu: list[float]
    connections: int | None
    database_cpu: float | None
    stats: dict[str, Any] = field(default_factory=dict)
    tail_idle: list[float] = field(default_factory=list)
    retried: int | None = None  # store writes retried (None: logs below level info)
    machine: float = 0.0  # CPU seconds every process of the machine spent over the cycle
    contention: Contention | None = None  # the machine's busy share, CPU wait, throttling


def write_config(
    directory: Path,
    name: str,
    store: str,
    urls: list[str],
    port: int | None = None,
    level: str = "warning",
) -> Path:
    """A daemon's config polling ``urls`` (its listener on ``port``, else none)."""
    feeds = "".join(f'[[feeds]]\nname = "Farm {i}"\nurl = "{url}"\n' for i, url in enumerate(urls))
    listener = "enabled = false" if port is None else f"port = {port}"
    path = directory / f"{name}.toml"
    text = CONFIG.format(instance=name, store=store, listener=listener, level=level)
    path.write_text(text + feeds, encoding="utf-8")
    return path


def log_file(setup: Setup, name: str) -> IO[bytes]:
    """Where a daemon of ``setup`` logs: ``name``.log in its log folder, else a temporary file."""
    if setup.logs is None:
        return tempfile.TemporaryFile()
    setup.logs.mkdir(parents=True, exist_ok=True)
    return (setup.logs / f"{name}.log").open("w+b")


def free_port() -> int:
    """A loopback port free now (the daemon binds it a moment later; a bench, not a test)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its reaped children (parse workers), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / os.sysconf("SC_CLK_TCK")


def children_cpu(pid: int) -> float:
    """CPU of a daemon's live descendants (not yet reaped, so not in its cutime): its parse
    pool's fork server and the workers that server forked, grandchildren of the daemon."""
    total = 0.0
    for kid in descendants(pid):
        try:
            total += cpu_seconds(kid)
        except OSError:  # it ended meanwhile: its CPU is in its parent's cutime now
            continue
    return total


def start(
    configs: list[tuple[Path, int]], logs: Sequence[IO[bytes]], setup: Setup, names: Sequence[str]
) -> list[Daemon]:
    """One daemon per (config, listener port), each in its own CPU group when confined."""
    command = [sys.executable, "-m", "monitor", "run", "--config"]
    daemons = []
    for (config, port), log, name in zip(configs, logs, names, strict=True):
        group = CpuGroup(setup.cpus) if setup.cpus else None
        process = setup.popen([*command, str(config)], log, group)
        daemons.append(Daemon(process, port, log, group, name=name, profile=setup.profile))
    return daemons


def descendants(pid: int) -> list[int]:
    """A process's live descendants (its fork server, parse workers), children first."""
    found = []
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            kids = child.read_text().split()
        except OSError:  # that thread ended meanwhile
            continue
        for kid in kids:
            found += [int(kid), *descendants(int(kid))]
    return found


def pause(daemons: list[Daemon]) -> None:
    """Stop each daemon and its workers (SIGSTOP) while another setup is measured: an idle
    daemon still claims twice a second and runs its timers, on the same two cores."""
    for daemon in daemons:
        _signal([daemon.process.pid, *descendants(daemon.process.pid)], signal.SIGSTOP)


def resume(daemons: list[Daemon]) -> None:
    """Continue paused daemons (harmless on running ones), workers first."""
    for daemon in daemons:
        _signal([*descendants(daemon.process.pid), daemon.process.pid], signal.SIGCONT)


def _signal(pids: list[int], number: signal.Signals) -> None:
    for pid in pids:
        try:
            os.kill(pid, number)
        except ProcessLookupError:  # it ended meanwhile
            continue


def wait_ready(daemons: list[Daemon]) -> None:
    """Until every daemon answers ``/readyz`` 200 and then idles (its start-up's last work,
    such as the vector graph's queued adds, done); then each one's CPU so far is kept."""
    deadline = time.monotonic() + HANG_GUARD
    waiting = list(daemons)
    while waiting:
        if time.monotonic() > deadline or any(d.process.poll() is not None for d in daemons):
            raise RuntimeError("a daemon exited or never became ready")
        for daemon in [d for d in waiting if _ready(d.port)]:
            waiting.remove(daemon)
        time.sleep(0.2)  # a benchmark's readiness probe, not synchronisation in a test
    settle(daemons, deadline)


def settle(daemons: list[Daemon], deadline: float | None = None) -> None:
    """Until each daemon idles (as after ``/readyz``, or after being resumed: timers due
    while it was paused run now, not in the next cycle); its CPU so far is then kept."""
    deadline = deadline or time.monotonic() + HANG_GUARD
    for daemon in daemons:
        daemon.ready_cpu = _idle(daemon, deadline)


def _idle(daemon: Daemon, deadline: float) -> float:
    """The daemon's CPU once a second of it spent less than ``IDLE`` CPU seconds."""
    spent = daemon.cpu()
    while time.monotonic() < deadline:
        time.sleep(1.0)  # a benchmark's idle probe, not synchronisation in a test
        now = daemon.cpu()
        if now - spent < IDLE:
            return now
        spent = now
    raise RuntimeError("a daemon never went idle after /readyz")


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def stop(daemons: list[Daemon]) -> None:
    """SIGTERM each, wait, print the log tail of one that failed; one still running after
    ``STOP_GUARD`` seconds has its threads' stacks printed (py-spy, when installed) and is
    killed, so one hang is reported instead of ending the run; remove the CPU groups."""
    for daemon in daemons:
        daemon.process.send_signal(signal.SIGTERM)
    for daemon in daemons:
        try:
            code = daemon.process.wait(timeout=STOP_GUARD)
        except subprocess.TimeoutExpired:
            _report_hang(daemon)
            code = daemon.process.wait()
        if code != 0:
            daemon.log.seek(0)
            print(daemon.log.read().decode(errors="replace")[-3000:], file=sys.stderr)
        if daemon.group:
            daemon.group.remove()


def _report_hang(daemon: Daemon) -> None:
    print(f"daemon {daemon.process.pid} still running {STOP_GUARD:.0f} s after SIGTERM",
          file=sys.stderr)  # fmt: skip
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if Path(spy).exists():
        dump = [spy, "dump", "--pid", str(daemon.process.pid)]
        subprocess.run(dump, stdout=sys.stderr, stderr=sys.stderr, timeout=60, check=False)
    daemon.process.kill()


Database = Callable[[], tuple[int | None, dict[int, float]]]


def measure(
    daemons: list[Daemon], run: Callable[[], dict[str, Any]], database: Database, logged: bool
) -> Measured:
    """Idle daemons through one cycle (``run``, until every feed was requested) and on
    until each has finished its work and idles again: their CPU and the database's over
    that, each daemon's idle time at the tail and, when they log at level info
    (``logged``), the store writes they retried. The next cycle starts from here."""
    counted, before = database()
    groups = [daemon.group for daemon in daemons]
    machine = scaleout_machine.read(groups)
    sizes = [daemon.log_size() for daemon in daemons]
    with Sampler(daemons) as sampler, profiled(daemons):
        stats = run()
        finished = sampler.settle()
    life = [daemon.cpu() for daemon in daemons]
    contention = scaleout_machine.between(machine, scaleout_machine.read(groups))
    busy = contention.busy
    connections, after = database()
    cycle = [total - daemon.ready_cpu for total, daemon in zip(life, daemons, strict=True)]
    for daemon, total in zip(daemons, life, strict=True):
        daemon.ready_cpu = total
    tail = [max(finished) - end for end in finished]
    retried = None
    if logged:
        pairs = zip(daemons, sizes, strict=True)
        retried = sum(daemon.logged_since(size, b"store_write_retried") for daemon, size in pairs)
    if connections is None or counted is None:  # either read failed: the CPU is unknown
        return Measured(cycle, life, connections, None, stats, tail, retried, busy, contention)
    spent = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
    return Measured(cycle, life, connections, spent, stats, tail, retried, busy, contention)


class Sampler:
    """Each daemon's CPU read every ``SAMPLE`` seconds in a thread of the benchmark, so
    that when each one last worked is known: a sample in which it spent at least
    ``BUSY`` CPU seconds a second is work; claims while idle stay far below that."""

    def __init__(self, daemons: list[Daemon]) -> None:
        self.daemons = daemons
        self.busy_until = [time.monotonic()] * len(daemons)
        self._last = [daemon.cpu() for daemon in daemons]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE):  # a benchmark's sampling period
            now = time.monotonic()
            for i, daemon in enumerate(self.daemons):
                try:
                    spent = daemon.cpu()
                except OSError:  # it exited: the cycle fails on that, not here
                    continue
                if spent - self._last[i] >= BUSY * SAMPLE:
                    self.busy_until[i] = now
                self._last[i] = spent

    def settle(self) -> list[float]:
        """Once every daemon did no work for ``SETTLED`` seconds: when each last worked."""
        deadline = time.monotonic() + HANG_GUARD
        while time.monotonic() - max(self.busy_until) < SETTLED:
            if time.monotonic() > deadline:
                raise RuntimeError("the daemons never went idle after the cycle")
            time.sleep(SAMPLE)  # a benchmark's idle probe, not synchronisation in a test
        return list(self.busy_until)


@contextmanager
def profiled(daemons: list[Daemon]) -> Iterator[None]:
    """Each daemon with a ``profile`` folder recorded by ``py-spy`` (parse workers
    included, collapsed stacks, not pausing it) while inside: ``NAME-cycleN.txt``."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    spies = []
    for daemon in daemons:
        daemon.cycles += 1
        if daemon.profile is None:
            continue
        daemon.profile.mkdir(parents=True, exist_ok=True)
        out = daemon.profile / f"{daemon.name}-cycle{daemon.cycles}.txt"
        command = [spy, "record", "--pid", str(daemon.process.pid), "--subprocesses",
                   "--nonblocking", "--rate", "50", "--format", "raw", "-o", str(out)]  # fmt: skip
        spies.append(
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
    try:
        yield
    finally:
        for process in spies:
            process.send_signal(signal.SIGINT)
        for process in spies:
            process.wait(timeout=STOP_GUARD)
