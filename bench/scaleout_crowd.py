"""Crowders for ``bench.scaleout --crowd``: processes doing a daemon's kind of work
(feedparser over the farm's feeds, a reading of each item) flat out, each in a CPU group
of its own like a daemon's, so one daemon can be measured beside two crowders, with no
other daemon's articles to learn: a noisy stand-in for the machine's contention (decision
0092: the CPU it spent more than alone ranged −8 to +30 % over six rounds).

    python -m bench.scaleout_crowd   # prints "ready" once its work is set up, then works
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import feedparser

from bench.cpu_quota import CpuGroup
from bench.feedfarm import feed_body
from bench.scaleout_daemons import ROOT, STOP_GUARD
from monitor.stories.queries import read_text

FEEDS = 8  # farm feeds parsed in turn: a few hundred KB, like a daemon's working set


def work() -> None:
    """Parse the feeds and read their items, forever."""
    bodies = [feed_body(feed, 1) for feed in range(FEEDS)]
    print("ready", flush=True)
    while True:
        for body in bodies:
            for entry in feedparser.parse(body).entries:
                read_text(entry.get("title", ""), entry.get("summary", ""), "en")


@contextmanager
def crowding(count: int, cpus: float | None) -> Iterator[None]:
    """``count`` crowders running (each confined to ``cpus``, when given) while inside."""
    started = [_start(cpus) for _ in range(count)]
    try:
        for process, _ in started:
            if process.stdout is None or process.stdout.readline().strip() != b"ready":
                raise RuntimeError("a crowder did not start")
        yield
    finally:
        for process, _ in started:
            process.terminate()
        for process, group in started:
            process.wait(timeout=STOP_GUARD)
            if process.stdout:
                process.stdout.close()
            if group:
                group.remove()


def _start(cpus: float | None) -> tuple[subprocess.Popen[bytes], CpuGroup | None]:
    command = [sys.executable, "-m", "bench.scaleout_crowd"]
    group = CpuGroup(cpus) if cpus else None
    if group:  # as a daemon joins its group: the shell moves in, then execs the crowder
        command = ["sh", "-c", f'echo $$ > "{group.procs}" && exec "$@"', "sh", *command]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=ROOT)
    return process, group


if __name__ == "__main__":
    work()
