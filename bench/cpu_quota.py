"""A CPU quota per benchmarked daemon: one child cgroup each, so that a daemon more is
like a machine more (its parse workers, forked later, stay in its group).

cgroup v2 (``cpu.max``) when the unified hierarchy has the cpu controller, else the v1
cpu controller (``cpu.cfs_quota_us``). Needs write access to the hierarchy (root); the
daemon's shell moves itself in, then execs the daemon, so nothing it forks escapes
(:meth:`CpuGroup.command`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

V2 = Path("/sys/fs/cgroup")
V1 = Path("/sys/fs/cgroup/cpu")
PERIOD_US = 100_000


def hierarchy() -> tuple[Path, bool]:
    """Where to make groups, and whether it is cgroup v2."""
    controllers = V2 / "cgroup.controllers"
    if controllers.exists() and "cpu" in controllers.read_text().split():
        return V2, True
    if (V1 / "cpu.cfs_quota_us").exists():
        return V1, False
    raise RuntimeError("no writable cgroup cpu controller (v2 cpu.max or v1 cpu.cfs_quota_us)")


class Throttling(NamedTuple):
    """A CPU group's ``cpu.stat`` counters (so far, or between two readings): quota periods
    run, periods in which it was throttled (its quota spent before the period ended), and
    seconds its tasks waited throttled."""

    periods: int = 0
    throttled: int = 0
    seconds: float = 0.0

    def since(self, earlier: Throttling) -> Throttling:
        """What changed since ``earlier``."""
        return Throttling(self.periods - earlier.periods, self.throttled - earlier.throttled,
                          self.seconds - earlier.seconds)  # fmt: skip


class CpuGroup:
    """A child cgroup limited to ``cpus`` CPUs (0.4: 40 ms of every 100 ms)."""

    def __init__(self, cpus: float) -> None:
        root, self.v2 = hierarchy()
        self.path = root / f"wirewatch-bench-{uuid.uuid4().hex[:8]}"
        self.path.mkdir()
        quota = max(1000, int(cpus * PERIOD_US))
        if self.v2:
            (self.path / "cpu.max").write_text(f"{quota} {PERIOD_US}")
        else:
            (self.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))

    def throttling(self) -> Throttling:
        """The group's throttling so far; zeros once it is removed."""
        try:
            lines = (self.path / "cpu.stat").read_text().split("\n")
        except OSError:
            return Throttling()
        stat = dict(line.split() for line in lines if line.strip())
        if self.v2:
            waited = int(stat.get("throttled_usec", 0)) / 1e6
        else:
            waited = int(stat.get("throttled_time", 0)) / 1e9
        return Throttling(int(stat.get("nr_periods", 0)), int(stat.get("nr_throttled", 0)), waited)

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` started inside this group: a shell moves itself in, then execs ``argv``,
        so everything it forks later stays in (a failed move ends the shell, said on its
        stderr, before ``argv`` runs)."""
        return ["sh", "-c", f'echo $$ > "{self.procs}" && exec "$@"', "sh", *argv]

    @property
    def procs(self) -> Path:
        """Write a pid here to move that process (and what it forks later) in."""
        return self.path / "cgroup.procs"

    def remove(self) -> None:
        """Once every process in it has exited (the kernel may lag a moment behind)."""
        for _ in range(100):
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)  # a benchmark's clean-up, not synchronisation in a test
        self.path.rmdir()
