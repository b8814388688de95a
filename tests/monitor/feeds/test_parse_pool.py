"""The parse pool's own workers: the fork server's slow start holds no lock the event
loop's submit or shutdown takes; a worker killed by a signal costs the parse it ran,
never the later ones nor another worker's; a stop never waits for a stuck parse."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from typing import TypeVar

import pytest
from structlog.testing import capture_logs

from monitor.feeds import ParsePool
from monitor.feeds.parse_pool import REPLACE_INTERVAL
from tests.support.loading_workers import loading_pool, workers_loading
from tests.support.processes import COLD_START_GUARD, HANG_GUARD, sigkill_self

T = TypeVar("T")


class _HeldForkServer(ParsePool):
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
        assert pool._lock.acquire(blocking=False)
        pool._lock.release()
        pool.release.set()
        await asyncio.wait_for(starting, COLD_START_GUARD)  # the fork server starts now
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
        with capture_logs() as logs:
            with pytest.raises(BrokenProcessPool, match=f"parse worker {victim} ended"):
                await _wrapped(pool.submit(sigkill_self))
            first = await _pid(pool)
        second = await _pid(pool)
        assert first == second != victim
        assert pool.worker_pids() == (first,)
        assert pool.replacements == 1
        died = [e for e in logs if e["event"] == "parse_worker_died"]
        assert [(e["pid"], e["exit_code"]) for e in died] == [(victim, -signal.SIGKILL)]
    finally:
        pool.shutdown()


async def test_one_workers_death_leaves_the_others_parse_running() -> None:
    """The other worker, mid-parse when its neighbour dies, still answers."""
    pool = ParsePool(2)
    try:
        await pool.start_workers()
        release_end, release = multiprocessing.get_context("forkserver").Pipe(duplex=False)
        waiting = pool.submit(_wait_for_release, release_end)
        with pytest.raises(BrokenProcessPool):
            await _wrapped(pool.submit(sigkill_self))
        release.send(True)
        assert await _wrapped(waiting) == "released"
    finally:
        pool.shutdown()


def _wait_for_release(release: Connection) -> str:
    """A parse that runs until the test lets it end."""
    assert release.poll(HANG_GUARD)
    return "released"


async def _wrapped(future: Future[T]) -> T:
    return await asyncio.wait_for(asyncio.wrap_future(future), HANG_GUARD)


async def _break(pool: ParsePool) -> None:
    """A worker of ``pool`` dies as the OOM killer ends one."""
    with pytest.raises(BrokenProcessPool):
        await _wrapped(pool.submit(sigkill_self))


async def _pid(pool: ParsePool) -> int:
    return await _wrapped(pool.submit(os.getpid))


async def test_a_worker_is_replaced_at_most_once_per_interval_and_parses_fail_fast_between() -> (
    None
):
    now = [1000.0]
    pool = ParsePool(1, clock=lambda: now[0])
    try:
        await _break(pool)
        await _pid(pool)  # the first replacement is at once
        await _break(pool)  # it dies too: as each generation would, loading a model
        now[0] += REPLACE_INTERVAL - 1
        with capture_logs() as logs:
            for _ in range(3):
                with pytest.raises(BrokenProcessPool, match="replaced again in 1 s"):
                    await _pid(pool)  # refused at once: no worker forked
        assert pool.replacements == 1
        assert pool.worker_pids() == ()
        [deferred] = [
            entry for entry in logs if entry["event"] == "parse_pool_replacement_deferred"
        ]
        assert (deferred["replacements"], deferred["retry_in_seconds"]) == (1, 1.0)
        now[0] += 1
        assert await _pid(pool) in pool.worker_pids()  # due again: replaced
        assert pool.replacements == 2
    finally:
        pool.shutdown()


async def test_a_shut_down_pool_takes_no_parse_and_forks_nothing() -> None:
    pool = ParsePool(1)
    await _break(pool)
    pool.shutdown()
    with pytest.raises(RuntimeError, match="after the pool's shutdown"):
        pool.submit(os.getpid)
    assert pool.replacements == 0
    assert pool.worker_pids() == ()


async def test_the_stop_kills_a_worker_stuck_in_a_parse_after_its_grace() -> None:
    """A parse that never ends (a pathological feed): the daemon's stop still returns,
    the worker is killed and its parse fails."""
    pool = ParsePool(1)
    await pool.start_workers()
    [stuck] = pool.worker_pids()
    started_end, started = multiprocessing.get_context("forkserver").Pipe(duplex=False)
    parse = pool.submit(_never_ends, started)
    assert await asyncio.to_thread(started_end.poll, HANG_GUARD)  # it is in the parse
    queued = pool.submit(os.getpid)
    with capture_logs() as logs:
        await asyncio.wait_for(
            asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True), HANG_GUARD
        )
    assert queued.cancelled()
    with pytest.raises(BrokenProcessPool):
        await _wrapped(parse)
    assert not _alive(stuck)
    [killed] = [e for e in logs if e["event"] == "parse_workers_killed_at_stop"]
    assert killed["pids"] == [stuck]


def _never_ends(started: Connection) -> None:
    started.send(True)
    threading.Event().wait()


async def test_a_worker_killed_by_a_real_time_signal_is_named_by_its_number() -> None:
    pool = ParsePool(1)
    try:
        with pytest.raises(BrokenProcessPool, match=f"killed by signal {signal.SIGRTMIN + 1}"):
            await _wrapped(pool.submit(_real_time_signal))
    finally:
        pool.shutdown()


def _real_time_signal() -> None:
    os.kill(os.getpid(), signal.SIGRTMIN + 1)  # default action: terminate


async def test_an_error_and_an_unpicklable_result_come_back_as_the_parses_errors() -> None:
    pool = ParsePool(1)
    try:
        with pytest.raises(ValueError, match="bad feed"):
            await _wrapped(pool.submit(_raises))
        with pytest.raises(RuntimeError, match="unpicklable answer"):
            await _wrapped(pool.submit(_unpicklable))
        assert await _pid(pool) in pool.worker_pids()  # the same worker goes on
        assert pool.replacements == 0
    finally:
        pool.shutdown()


def _raises() -> None:
    raise ValueError("bad feed")


def _unpicklable() -> object:
    return threading.Lock()
