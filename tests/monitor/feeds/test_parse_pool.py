"""The parse pool's start of its workers: the fork server's slow start holds no lock the
event loop's submit or shutdown takes, and the executor internals it relies on exist; a
worker killed by a signal costs the parse it ran, never the later ones."""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest
from structlog.testing import capture_logs

from monitor.feeds import ParsePool
from monitor.feeds.parse_pool import REPLACE_INTERVAL, WorkerProcesses
from tests.support.loading_workers import loading_pool, workers_loading
from tests.support.processes import HANG_GUARD, sigkill_self


class _HeldForkServer(WorkerProcesses):
    """A pool whose fork server start waits until the test lets it go."""

    def __init__(self) -> None:
        super().__init__(1)
        self.entered = threading.Event()
        self.release = threading.Event()

    def _start_fork_server(self) -> None:
        self.entered.set()
        assert self.release.wait(HANG_GUARD)
        super()._start_fork_server()


async def _held_start(pool: _HeldForkServer) -> asyncio.Task[None]:
    starting = asyncio.create_task(pool.start_workers())
    assert await asyncio.to_thread(pool.entered.wait, HANG_GUARD)
    return starting


async def test_the_fork_server_start_holds_the_executor_lock_free() -> None:
    pool = _HeldForkServer()
    try:
        starting = await _held_start(pool)
        # submit and shutdown take this lock: free, neither would wait for the start.
        assert pool._shutdown_lock.acquire(blocking=False)
        pool._shutdown_lock.release()
        pool.release.set()
        await asyncio.wait_for(starting, HANG_GUARD)
        assert pool.started
        assert set(pool.worker_pids()) == pool.ready_pids != set()
    finally:
        pool.release.set()
        pool.shutdown()


async def test_a_shutdown_during_the_fork_server_start_returns_and_starts_no_worker() -> None:
    pool = _HeldForkServer()
    try:
        starting = await _held_start(pool)
        # In a thread, so a regression fails on the hang guard instead of hanging the loop.
        await asyncio.wait_for(asyncio.to_thread(pool.shutdown), HANG_GUARD)
        pool.release.set()
        await asyncio.wait_for(starting, HANG_GUARD)
    finally:
        pool.release.set()
    assert pool.ready_pids == set()
    assert pool.worker_pids() == ()


async def test_a_shutdown_ends_workers_still_loading_the_model_without_waiting() -> None:
    pool, said = loading_pool(2)
    starting = asyncio.create_task(pool.start_workers())
    warming = await workers_loading(said, 2)
    with capture_logs() as logs:
        await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
    assert not said.poll()  # no worker finished loading: the shutdown did not wait for it
    await asyncio.wait_for(starting, HANG_GUARD)  # every worker it waited for has ended
    assert pool.ready_pids == set()
    assert [pid for pid in warming if _alive(pid)] == []
    ended = [e["workers"] for e in logs if e["event"] == "parse_workers_ended_unready"]
    assert ended == [2]


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie not yet reaped by the fork server counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def test_a_killed_worker_is_replaced_and_the_next_parses_run() -> None:
    pool = ParsePool(1)
    try:
        await pool.start_workers()
        [victim] = pool.worker_pids()
        # The executor marks itself broken before it fails the futures in flight: the
        # next submit finds it broken, with no wait for the manager thread.
        with pytest.raises(BrokenProcessPool):
            await asyncio.wait_for(asyncio.wrap_future(pool.submit(sigkill_self)), HANG_GUARD)
        first = await asyncio.wait_for(asyncio.wrap_future(pool.submit(os.getpid)), HANG_GUARD)
        second = await asyncio.wait_for(asyncio.wrap_future(pool.submit(os.getpid)), HANG_GUARD)
        assert first == second != victim
        assert pool.worker_pids() == (first,)
        assert pool.replacements == 1
    finally:
        pool.shutdown()


async def _break(pool: ParsePool) -> None:
    """A worker of ``pool`` dies as the OOM killer ends one; the pool is broken after."""
    with pytest.raises(BrokenProcessPool):
        await asyncio.wait_for(asyncio.wrap_future(pool.submit(sigkill_self)), HANG_GUARD)


async def _pid(pool: ParsePool) -> int:
    return await asyncio.wait_for(asyncio.wrap_future(pool.submit(os.getpid)), HANG_GUARD)


async def test_a_pool_is_replaced_at_most_once_per_interval_and_parses_fail_fast_between() -> None:
    now = [1000.0]
    pool = ParsePool(1, clock=lambda: now[0])
    try:
        await _break(pool)
        await _pid(pool)  # the first replacement is at once
        await _break(pool)  # its workers die too: as each generation would, loading a model
        now[0] += REPLACE_INTERVAL - 1
        with capture_logs() as logs:
            for _ in range(3):
                with pytest.raises(BrokenProcessPool, match="replaced again in 1 s"):
                    pool.submit(os.getpid)  # refused at once: no generation forked
        assert pool.replacements == 1
        [deferred] = [
            entry for entry in logs if entry["event"] == "parse_pool_replacement_deferred"
        ]
        assert (deferred["replacements"], deferred["retry_in_seconds"]) == (1, 1.0)
        now[0] += 1
        assert await _pid(pool) in pool.worker_pids()  # due again: replaced
        assert pool.replacements == 2
    finally:
        pool.shutdown()


async def test_a_shut_down_pool_is_not_replaced() -> None:
    pool = ParsePool(1)
    with pytest.raises(BrokenProcessPool):
        await asyncio.wait_for(asyncio.wrap_future(pool.submit(sigkill_self)), HANG_GUARD)
    pool.shutdown()
    with pytest.raises(BrokenProcessPool):
        pool.submit(os.getpid)
    assert pool.replacements == 0


INTERNALS = ["_spawn_process", "_start_executor_manager_thread", "_processes", "_shutdown_lock"]
INTERNALS += ["_shutdown_thread", "_broken"]


@pytest.mark.parametrize("name", INTERNALS)
def test_the_executor_internals_the_pool_uses_exist(name: str) -> None:
    """WorkerProcesses.start_workers spawns through these private parts of the standard library's
    executor (docs/decisions/0062): a Python release without them must fail here."""
    executor = ProcessPoolExecutor(1)
    try:
        assert hasattr(executor, name), f"ProcessPoolExecutor.{name} is gone"
    finally:
        executor.shutdown()
