"""The daemon's footprint, read from ``/proc`` at each scrape.

prometheus_client's ``ProcessCollector`` reports the daemon's own process (``process_*``);
the parse workers are separate processes, each tens of megabytes, so their count and their
resident memory, summed, are exported beside it. Where ``/proc`` is missing (not Linux),
the memory reads as 0, as ``ProcessCollector`` then reports nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from prometheus_client import ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["OwnProcessCollector", "Pids", "WorkerCollector", "resident_bytes"]

Pids = Callable[[], Iterable[int]]


class OwnProcessCollector(ProcessCollector):
    """``process_*`` of this process. The library dates the process from the boot time in
    ``/proc/stat`` and exports nothing when that file is hidden, as it is under systemd's
    ``ProcSubset=pid`` (deploy/wirewatch.service): there the boot time comes from the
    boot clock instead."""

    def _boot_time(self) -> float:
        try:
            return float(super()._boot_time())  # type: ignore[no-untyped-call]  # untyped upstream
        except OSError:
            return time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)


def resident_bytes(pid: int) -> int:
    """The process's resident set size, 0 if it is gone or ``/proc`` does not exist."""
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):  # exited between listing and reading
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


class WorkerCollector(Collector):
    """``wirewatch_parse_workers`` and their summed resident memory; ``pids`` is swapped
    in once the pool exists (none until then, and none when parsing in a thread)."""

    def __init__(self) -> None:
        self.pids: Pids = tuple

    def describe(self) -> Iterable[Metric]:
        return list(self._families(()))

    def collect(self) -> Iterable[Metric]:
        return list(self._families(tuple(self.pids()), filled=True))

    def _families(self, pids: tuple[int, ...], *, filled: bool = False) -> Iterator[Metric]:
        count = GaugeMetricFamily("wirewatch_parse_workers", "Parse worker processes running")
        memory = GaugeMetricFamily(
            "wirewatch_parse_workers_resident_memory_bytes",
            "Resident memory of the parse worker processes, summed",
        )
        if filled:
            count.add_metric([], len(pids))
            memory.add_metric([], sum(map(resident_bytes, pids)))
        yield from (count, memory)
