"""The daemon's parse processes: a forkserver pool whose workers live no longer than it.

A worker blocks reading its task queue, and holds both ends of that queue itself, so the
daemon's death alone never wakes it; the fork server and resource tracker in turn stay up
while a worker holds their pipes. So each worker is handed the read end of a *lifeline*,
a pipe whose only write end stays in the daemon and is never written: the kernel closes
it however the daemon ends (``kill -9`` included), the worker's read sees end-of-file and
the worker exits, and the fork server and tracker follow (docs/decisions/0022).

The daemon starts every worker during its start-up (:meth:`ParsePool.start_workers`),
beside the story index's warm-up, not on the first parse inside its first poll: the fork
server's imports and each worker's *warmers* (the headline-embedding model) cost seconds
of CPU that feeds would otherwise wait for. Each worker reports on a *ready* pipe once
its initialiser has run, so "started" is observed, not guessed (docs/decisions/0062).

A worker that dies (killed by the kernel's OOM killer, a crash in lxml, ``kill -9``) breaks
a Python process pool for good: every later submit raises ``BrokenProcessPool``. So
:class:`ParsePool`, the executor the daemon's parts hold, is a facade over a
:class:`WorkerProcesses` pool, and the first submit that finds it broken swaps in a fresh
one (``parse_pool_replaced``); the parses in flight when the worker died fail as before.
At most one pool is replaced per :data:`REPLACE_INTERVAL`: a worker that dies in every
generation (the OOM killer, as each loads the embedding model) would otherwise fork and
warm a fresh generation on every submit. In between, submits to the broken pool fail at
once (``parse_pool_replacement_deferred``, logged once per broken pool).

Workers also ignore SIGINT. Ctrl-C in a terminal signals the whole process group; the
daemon then stops the pool itself, and a worker interrupted while waiting for work would
only print a ``KeyboardInterrupt`` traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from typing import ParamSpec, TypeVar

import structlog

__all__ = ["ORPHANED_EXIT_STATUS", "REPLACE_INTERVAL", "ParsePool"]

ORPHANED_EXIT_STATUS = 3  # a worker whose daemon is gone; nobody is left to read it
REPLACE_INTERVAL = 30.0  # seconds: at least this long between two replacements of a pool
_PRELOAD = ["monitor.feeds.parse_new"]  # the parser, normalise and their imports

log = structlog.get_logger("monitor.feeds.parse_pool")

Warmer = Callable[[], object]  # a module-level function a worker runs once at its start
P = ParamSpec("P")
T = TypeVar("T")


class ParsePool(Executor):
    """``workers`` forkserver processes for :func:`monitor.feeds.parser.parse_feed`, replaced
    by fresh ones when a worker's death has broken them."""

    def __init__(
        self,
        workers: int,
        warmers: Sequence[Warmer] = (),
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.workers = workers
        self._warmers = tuple(warmers)
        self._clock = clock
        self._lock = threading.Lock()  # one replacement per broken pool
        self._pool = WorkerProcesses(workers, self._warmers)
        self.replacements = 0  # pools replaced since the start
        self._replaced_at: float | None = None  # by the clock, at the last replacement
        self._deferred: WorkerProcesses | None = None  # the broken pool last refused
        self._closed = False  # shut down: a broken pool stays broken
        self.started = False  # start_workers has seen every first worker ready (or ended)

    @property
    def ready_pids(self) -> set[int]:
        """Workers that have run their initialiser, as start_workers saw them (a
        replacement's workers start on demand, unwatched)."""
        return self._pool.ready_pids

    async def start_workers(self) -> None:
        """Start every worker now (see :meth:`WorkerProcesses.start_workers`)."""
        await self._pool.start_workers()
        self.started = True

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        pool = self._pool
        try:
            return pool.submit(fn, *args, **kwargs)
        except BrokenProcessPool as err:
            return self._replace(pool, err).submit(fn, *args, **kwargs)

    def _replace(self, broken: WorkerProcesses, reason: BrokenProcessPool) -> WorkerProcesses:
        """A fresh pool in place of ``broken`` (unless another submit has replaced it). Its
        workers start on demand, forked from the warm fork server (milliseconds); each
        runs the warmers in its own process. The broken pool is closed in a thread: its
        manager thread may still be ending its workers."""
        with self._lock:
            if self._pool is broken and not self._closed:
                self._defer_unless_due(broken, reason)
                self._pool = WorkerProcesses(self.workers, self._warmers)
                self.replacements += 1
                self._replaced_at = self._clock()
                log.error("parse_pool_replaced", reason=str(reason), replacements=self.replacements)
                threading.Thread(
                    target=broken.shutdown, name="parse_pool_retire", daemon=True
                ).start()
            return self._pool

    def _defer_unless_due(self, broken: WorkerProcesses, reason: BrokenProcessPool) -> None:
        """Raise ``BrokenProcessPool`` (the parse fails at once) while the last replacement
        is less than :data:`REPLACE_INTERVAL` old; logged once per broken pool."""
        if self._replaced_at is None:
            return
        wait = self._replaced_at + REPLACE_INTERVAL - self._clock()
        if wait <= 0:
            return
        if self._deferred is not broken:
            self._deferred = broken
            log.error("parse_pool_replacement_deferred", reason=str(reason),
                      replacements=self.replacements, retry_in_seconds=round(wait, 1))  # fmt: skip
        raise BrokenProcessPool(f"parse pool broken, replaced again in {wait:.0f} s") from reason

    def worker_pids(self) -> tuple[int, ...]:
        """The current pool's worker processes (started on demand, up to ``workers``)."""
        return self._pool.worker_pids()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:  # no replacement after this
            self._closed = True
            self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


class WorkerProcesses(ProcessPoolExecutor):
    """One generation of the parse pool's processes; broken for good once one dies."""

    def __init__(self, workers: int, warmers: Sequence[Warmer] = ()) -> None:
        context = multiprocessing.get_context("forkserver")
        self._context = context
        # The fork server imports the parser once; every worker forked from it starts warm.
        context.set_forkserver_preload(_PRELOAD)
        # Pipe fds are close-on-exec and the fork server gets only the fds it is passed:
        # the write end stays in this process alone.
        self._lifeline, self._lifeline_end = context.Pipe(duplex=False)
        # Each worker sends its pid here once its initialiser is done.
        self._ready, self._ready_end = context.Pipe(duplex=False)
        self.ready_pids: set[int] = set()  # workers that have run their initialiser
        self._reports_lock = threading.Lock()
        self._spawned: dict[int, multiprocessing.process.BaseProcess] = {}  # by start_workers
        self.workers = workers
        self.started = False  # start_workers has seen every worker ready (or ended)
        super().__init__(
            max_workers=workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(self._lifeline, self._ready_end, tuple(warmers)),
        )

    async def start_workers(self) -> None:
        """Start every worker now and return once each has run its initialiser (or ended):
        the first parse then finds them warm. Spawning waits for the fork server's imports,
        so it runs in a daemon thread: a cancelled start never holds the process's exit."""
        loop = asyncio.get_running_loop()
        spawned: asyncio.Future[None] = loop.create_future()
        threading.Thread(
            target=self._spawn_all, args=(loop, spawned), name="parse_pool_start", daemon=True
        ).start()
        await spawned
        while not self._all_reported() and not self._shutdown_thread:
            await self._readable()
            self._read_reports()
        self.started = True
        log.info("parse_workers_started", workers=len(self.ready_pids))

    def _spawn_all(self, loop: asyncio.AbstractEventLoop, spawned: asyncio.Future[None]) -> None:
        error: BaseException | None = None
        try:
            # The seconds of the fork server's start (its imports) pass outside the lock
            # submit and shutdown take: a shutdown from the event loop never waits for them.
            self._start_fork_server()
            with self._shutdown_lock:  # a fork from a warm server per worker: milliseconds
                if not self._shutdown_thread and not self._broken:
                    for _ in range(len(self._processes), self.workers):
                        # What submit does, one worker per task; typeshed omits it.
                        self._spawn_process()  # type: ignore[attr-defined]
                    self._start_executor_manager_thread()  # it watches them die
                    # Our own copy: the executor's manager thread changes its dict.
                    self._spawned = dict(self._processes)
        except BaseException as err:  # handed to the awaiting task
            error = err
        with contextlib.suppress(RuntimeError):  # the loop has ended: nobody waits
            loop.call_soon_threadsafe(_settle, spawned, error)

    def _start_fork_server(self) -> None:
        """The fork server up and past its imports: a process forked from it has been
        through them (starting the server alone returns before its imports are done)."""
        throwaway = self._context.Process(target=os.getpid, name="parse_pool_fork_server")
        throwaway.start()
        throwaway.join()

    def _all_reported(self) -> bool:
        """Every worker spawned by start_workers has reported ready or ended."""
        return all(
            pid in self.ready_pids or not process.is_alive()
            for pid, process in self._spawned.items()
        )

    async def _readable(self) -> None:
        """Until a worker reports or ends (its sentinel becomes readable)."""
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()
        with self._reports_lock:  # a shutdown's thread closes the pipe under it
            ready = [] if self._ready.closed else [self._ready.fileno()]
        fds = [*ready, *(p.sentinel for p in self._spawned.values())]
        for fd in fds:
            loop.add_reader(fd, _settle, woken, None)
        try:
            await woken
        finally:
            for fd in fds:
                loop.remove_reader(fd)

    def _read_reports(self) -> None:
        with self._reports_lock:  # the start's loop and a shutdown's thread may both read
            while not self._ready.closed and self._ready.poll():
                self.ready_pids.add(self._ready.recv())

    def _end_unready(self) -> None:
        """SIGKILL every worker still in its initialiser (loading the embedding model can
        take seconds): a shutdown that drops the work left never waits for it. Such a worker
        has taken no task, as the initialiser runs first. Its death breaks the executor,
        which fails the tasks still queued and ends the other workers, mid-task too: what
        a shutdown with ``cancel_futures`` gives up anyway. A worker that reports ready
        just after the reports were read is ended too."""
        self._read_reports()
        with self._shutdown_lock:  # the spawning forks under it: none is left half-made
            processes = dict(self._processes or {})
        unready = sorted(pid for pid, p in processes.items() if pid not in self.ready_pids)
        for pid in unready:
            processes[pid].kill()  # nothing to clean up in a worker that is only warming
        if unready:
            log.info("parse_workers_ended_unready", workers=len(unready))

    def worker_pids(self) -> tuple[int, ...]:
        """The worker processes running now (started on demand, up to ``workers``)."""
        # ProcessPoolExecutor keeps them by pid and offers no public view.
        return tuple(sorted(self._processes or ()))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:  # the daemon's stop: the work left is dropped, so no wait for
            self._end_unready()  # initialisers either (the executor's own shutdown would)
        super().shutdown(wait=wait, cancel_futures=cancel_futures)
        if wait:  # every worker has exited; without wait they may still be finishing tasks
            with self._reports_lock:
                for end in (self._lifeline, self._lifeline_end, self._ready, self._ready_end):
                    end.close()


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():  # cancelled: the start was abandoned
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


def _start_worker(lifeline: Connection, ready: Connection, warmers: tuple[Warmer, ...]) -> None:
    """First thing in each worker: leave Ctrl-C to the daemon, and exit with it; then the
    warmers, then say so on ``ready``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch = threading.Thread(
        target=_exit_when_orphaned, args=(lifeline,), name="lifeline", daemon=True
    )
    watch.start()
    for warm in warmers:
        warm()
    ready.send(os.getpid())  # a few bytes: one atomic write, whatever the other workers do


def _exit_when_orphaned(lifeline: Connection) -> None:
    lifeline.poll(None)  # nothing is ever sent: readable means end-of-file
    os._exit(ORPHANED_EXIT_STATUS)  # mid-parse too: its result has nowhere to go
