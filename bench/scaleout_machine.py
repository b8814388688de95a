"""How crowded the machine was over one ``bench.scaleout`` cycle, beside the daemons' own
CPU: whether a daemon more measured scaling out or the test machine's saturation.

Three readings, each before and after the cycle: the CPU the whole machine spent (from
``/proc/stat``), the time some runnable task waited for a core (the kernel's pressure
stall information, ``/proc/pressure/cpu`` "some"; a task throttled by its group's quota
is not runnable, so that wait is not in it), and each daemon's CPU group's throttling
(``bench.cpu_quota``: periods in which it spent its quota before the period ended, and
the seconds its tasks waited for the next one). A daemon's CPU per feed rises with
contention (more switches, colder caches) without its code doing more: these say how
much contention there was.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.cpu_quota import CpuGroup, Throttling

PRESSURE = Path("/proc/pressure/cpu")


@dataclass(frozen=True)
class Reading:
    """The machine's counters at one moment (``waited`` None: no pressure information)."""

    at: float
    busy: float
    waited: float | None
    throttling: tuple[Throttling, ...]


@dataclass(frozen=True)
class Contention:
    """Between two readings: seconds, the machine's busy CPU seconds, seconds some task
    waited for a core, and per CPU group its throttling."""

    span: float
    busy: float
    waited: float | None
    throttling: tuple[Throttling, ...]

    def busy_share(self) -> float:
        """How much of all the machine's cores was busy over the span (1.0: saturated)."""
        return self.busy / (self.span * (os.cpu_count() or 1))

    def throttled_share(self) -> float | None:
        """Of all the groups' periods, the share in which a group was throttled."""
        periods = sum(group.periods for group in self.throttling)
        return sum(group.throttled for group in self.throttling) / periods if periods else None


def machine_cpu() -> float:
    """CPU seconds the whole machine was busy so far (user, system, interrupts; not idle,
    I/O wait or time the hypervisor took), from /proc/stat."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = ticks[:7]
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def cpu_waited() -> float | None:
    """Seconds so far in which some runnable task waited for a core (None: no PSI)."""
    try:
        some = PRESSURE.read_text().split("\n")[0]
    except OSError:
        return None
    return int(some.split("total=")[1]) / 1e6


def read(groups: Sequence[CpuGroup | None]) -> Reading:
    """The machine's counters now: its busy CPU, the CPU wait so far, and each of
    ``groups``' throttling (zeros for None: an unconfined daemon, never throttled)."""
    throttling = tuple(group.throttling() if group else Throttling() for group in groups)
    return Reading(time.monotonic(), machine_cpu(), cpu_waited(), throttling)


def between(before: Reading, after: Reading) -> Contention:
    """What changed from ``before`` to ``after`` (the wait unknown if either lacks it)."""
    waited = None
    if before.waited is not None and after.waited is not None:
        waited = after.waited - before.waited
    throttling = tuple(b.since(a) for a, b in zip(before.throttling, after.throttling, strict=True))
    return Contention(after.at - before.at, after.busy - before.busy, waited, throttling)
