"""Crowders for ``bench.scaleout --crowd``: processes doing a daemon's kind of work
(feedparser over the farm's feeds, a reading of each item) flat out, each in a CPU group
of its own like a daemon's, so one daemon can be measured beside two crowders, with no
other daemon's articles to learn: a noisy stand-in for the machine's contention (decision
0092: the CPU it spent more than alone ranged −8 to +30 % over six rounds).

    python -m bench.scaleout_crowd   # prints "ready" once its work is set up, then works,
                                     # and "worked" once after its first pass
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import IO

import feedparser

from bench.cpu_quota import CpuGroup
from bench.feedfarm import feed_body
from bench.scaleout_daemons import HANG_GUARD, ROOT, STOP_GUARD, cpu_seconds
from bench.scaleout_machine import Reading
from monitor.stories.queries import read_text

FEEDS = 8  # farm feeds parsed in turn: a few hundred KB, like a daemon's working set


def work() -> None:
    """Parse the feeds and read their items, forever."""
    bodies = [feed_body(feed, 1) for feed in range(FEEDS)]
    print("ready", flush=True)
    passes = 0
    while True:
        for body in bodies:
            for entry in feedparser.parse(body).entries:
                read_text(entry.get("title", ""), entry.get("summary", ""), "en")
        passes += 1
        if passes == 1:  # says it works, for a test; then nothing more on the pipe
            print("worked", flush=True)


@dataclass
class Crowder:
    """One started crowder: its process, its stderr (a file) and its CPU group."""

    process: subprocess.Popen[bytes]
    stderr: IO[bytes]
    group: CpuGroup | None

    def expect(self, line: str, guard: float) -> None:
        """Until the crowder prints ``line``; if it ends, prints something else or
        ``guard`` seconds pass first, an error saying which, with its stderr (a failed CPU
        group join is said there)."""
        said = read_line(self.process, guard)
        if said == f"{line}\n".encode():
            return
        if said is None:
            why = f"printed nothing in {guard:.0f} s"
        elif said:
            why = f"printed {said!r}"
        else:
            why = f"exited with status {self.process.wait(timeout=STOP_GUARD)}"
        self.stderr.seek(0)
        stderr = self.stderr.read().decode(errors="replace")[-2000:]
        raise RuntimeError(f"a crowder did not print {line!r} ({why}); its stderr: {stderr}")


@dataclass
class Crowd:
    """The crowders running over one cycle (none when the setup has no crowders)."""

    crowders: list[Crowder] = field(default_factory=list)

    def read(self) -> Reading:
        """Their counters now: ``busy`` is the crowders' own CPU seconds so far (not the
        machine's), ``throttling`` their groups'; no CPU wait."""
        spent = sum(cpu_seconds(crowder.process.pid) for crowder in self.crowders)
        groups = [crowder.group.throttling() for crowder in self.crowders if crowder.group]
        return Reading(time.monotonic(), spent, None, tuple(groups))


@contextmanager
def crowding(count: int, cpus: float | None, guard: float = HANG_GUARD) -> Iterator[Crowd]:
    """``count`` crowders running (each confined to ``cpus``, when given) while inside,
    each one started (it printed "ready") within ``guard`` seconds."""
    crowd = Crowd()
    with ExitStack() as files:
        try:
            for _ in range(count):
                stderr = files.enter_context(tempfile.TemporaryFile())
                crowd.crowders.append(_start(cpus, stderr))
            for crowder in crowd.crowders:
                crowder.expect("ready", guard)
            yield crowd
        finally:
            _stop(crowd.crowders)


def _start(cpus: float | None, stderr: IO[bytes]) -> Crowder:
    command = [sys.executable, "-m", "bench.scaleout_crowd"]
    group = CpuGroup(cpus) if cpus else None
    try:
        process = subprocess.Popen(group.command(command) if group else command,
                                   stdout=subprocess.PIPE, stderr=stderr, cwd=ROOT)  # fmt: skip
    except BaseException:
        if group:
            group.remove()
        raise
    return Crowder(process, stderr, group)


def _stop(crowders: list[Crowder]) -> None:
    for crowder in crowders:
        crowder.process.terminate()
    for crowder in crowders:
        crowder.process.wait(timeout=STOP_GUARD)
        if crowder.process.stdout:
            crowder.process.stdout.close()
        if crowder.group:
            crowder.group.remove()


def read_line(process: subprocess.Popen[bytes], guard: float) -> bytes | None:
    """The process's next line on stdout with its newline (as ``readline``: what is left
    of it, maybe b"", once the process closed its stdout, that is ended), or None if
    ``guard`` seconds passed first. Read a byte at a time, straight from the pipe, so that
    nothing past the line is taken from it."""
    assert process.stdout is not None
    pipe = process.stdout.fileno()
    deadline = time.monotonic() + guard
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([pipe], [], [], left)[0]:
            return None
        byte = os.read(pipe, 1)
        if not byte:
            break
        line += byte
    return line


if __name__ == "__main__":
    work()
