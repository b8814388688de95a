"""A parse pool whose workers' warmer stands for a model load that outlasts any test, and
what they say on a pipe as it runs: a stop during start-up is tested by these events,
never by how long it took."""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import threading
from multiprocessing.connection import Connection

from monitor.feeds import ParsePool
from tests.support.processes import COLD_START_GUARD, HANG_GUARD

__all__ = ["loading_pool", "slow_model_load", "workers_loading"]


def slow_model_load(said: Connection) -> None:
    """Run as a pool worker's warmer: it sends ("loading", pid) on ``said`` as it begins,
    and ("loaded", pid) only after the hang guard, so a shutdown that waited for it is
    seen, and fails, without hanging."""
    said.send(("loading", os.getpid()))
    threading.Event().wait(HANG_GUARD)
    said.send(("loaded", os.getpid()))


def loading_pool(workers: int) -> tuple[ParsePool, Connection]:
    """A pool whose workers load that model, and the pipe they say so on."""
    said, say = multiprocessing.get_context("forkserver").Pipe(duplex=False)
    return ParsePool(workers, [functools.partial(slow_model_load, say)]), said


async def workers_loading(said: Connection, workers: int) -> list[int]:
    """Once ``workers`` workers are inside the model load: their pids."""
    return [await asyncio.to_thread(_loading, said) for _ in range(workers)]


def _loading(said: Connection) -> int:
    assert said.poll(COLD_START_GUARD), "no worker reached its warmer"  # a fork server starts
    step, pid = said.recv()
    assert step == "loading"
    return int(pid)
