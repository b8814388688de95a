"""The daemon's parse processes: a small pool of forkserver workers, one pipe each, built on
``multiprocessing``'s public API alone (docs/decisions/0071-bounded-shutdown.md).

Each worker has a *slot*: a daemon thread that takes the next task from the pool's
queue, sends it down the worker's own pipe and waits for its answer or the worker's end.
So a worker that dies (the OOM killer, a crash in lxml, ``kill -9``) costs the one parse
it ran (``BrokenProcessPool``, logged ``parse_worker_died``), never the others': its
slot forks a fresh worker for its next task (``parse_pool_replaced``). At most one
worker is replaced per :data:`REPLACE_INTERVAL`: one that dies in every generation (the
OOM killer, say) would otherwise fork and warm a fresh one for every task. In between,
that slot's tasks fail at once (``parse_pool_replacement_deferred``, logged once per dead
worker).

A worker blocks reading its pipe and holds no write end of it, yet the fork server and
resource tracker stay up while a worker holds their pipes; so each worker is also handed
the read end of a *lifeline*, a pipe whose only write end stays in the daemon and is never
written: the kernel closes it however the daemon ends (``kill -9`` included), the
worker's read sees end-of-file and the worker exits (docs/decisions/0022).

The daemon starts every worker during its start-up (:meth:`ParsePool.start_workers`),
beside the story index's warm-up: the fork server's imports and each worker's *warmers*
(the headline-embedding model) cost seconds of CPU that feeds would otherwise wait for.
Modules named in ``preload`` load those models once in the fork server, so the warmers
find them loaded in every worker (docs/decisions/0080). Each worker reports on a *ready*
pipe once its warmers have run, so "started" is observed, not guessed (docs/decisions/0062).

The daemon's stop (``shutdown(cancel_futures=True)``) never waits without bound: workers
still warming are killed at once (``parse_workers_ended_unready``), and a worker still in
a parse :data:`STOP_GRACE` seconds later is killed too (``parse_workers_killed_at_stop``).
Workers ignore SIGINT: Ctrl-C in a terminal signals the whole process group, and the
daemon stops the pool itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, ParamSpec, TypeVar

import structlog

from monitor.feeds.parse_worker import ORPHANED_EXIT_STATUS, Warmer, work
from monitor.observability import process_ended

__all__ = ["ORPHANED_EXIT_STATUS", "REPLACE_INTERVAL", "STOP_GRACE", "ParsePool"]

REPLACE_INTERVAL = 30.0  # seconds: at least this long between two worker replacements
STOP_GRACE = 5.0  # seconds a stop waits for parses in flight before killing their workers
_PRELOAD = ["monitor.feeds.parse_new", "monitor.feeds.parse_worker"]  # parser, normalise, ...

log = structlog.get_logger("monitor.feeds.parse_pool")

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(slots=True)
class _Task:
    future: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


@dataclass(slots=True)
class _Slot:
    """One worker's place: its process and pipe (None until forked, or once it died)."""

    number: int
    process: BaseProcess | None = None
    pipe: Connection | None = None
    lost: str = ""  # why its last worker ended ("" : none has)
    deferred: bool = False  # that replacement's deferral logged
    thread: threading.Thread = field(init=False)


class ParsePool(Executor):
    """``workers`` forkserver processes for :func:`monitor.feeds.parser.parse_feed`, each
    replaced when it dies."""

    def __init__(
        self,
        workers: int,
        warmers: Sequence[Warmer] = (),
        *,
        preload: Sequence[str] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        context = multiprocessing.get_context("forkserver")
        # The fork server imports the parser once, and ``preload`` (modules that load the
        # warmers' models as they are imported): every worker forked from it starts warm.
        # The server is one per process, started by the first pool: its list is the one used.
        context.set_forkserver_preload([*_PRELOAD, *preload])
        self._context, self.workers, self._warmers = context, workers, tuple(warmers)
        self._clock = clock
        # Pipe fds are close-on-exec and the fork server gets only the fds it is passed:
        # the lifeline's write end stays in this process alone.
        self._lifeline, self._lifeline_end = context.Pipe(duplex=False)
        self._ready, self._ready_end = context.Pipe(duplex=False)  # pids, once warm
        self.ready_pids: set[int] = set()  # workers that have run their warmers
        self._reports_lock = threading.Lock()
        self._lock = threading.Lock()  # the slots' processes, replacements, closing
        self._server_lock = threading.Lock()
        self._server_up = False
        self._tasks: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()
        self.replacements = 0  # workers replaced since the start
        self._replaced_at: float | None = None  # by the clock, at the last replacement
        self._closed = False
        self.started = False  # start_workers has seen every first worker ready (or ended)
        self._slots = [_Slot(number) for number in range(workers)]
        for slot in self._slots:
            slot.thread = threading.Thread(
                target=self._serve, args=(slot,), name=f"parse_slot_{slot.number}", daemon=True
            )
            slot.thread.start()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new parses after the pool's shutdown")
            self._tasks.put(_Task(future, fn, args, kwargs))
        return future

    def worker_pids(self) -> tuple[int, ...]:
        """The worker processes running now (forked on demand, up to ``workers``)."""
        with self._lock:
            processes = [slot.process for slot in self._slots if slot.process is not None]
        return tuple(sorted(p.pid for p in processes if p.pid is not None and p.is_alive()))

    # -- a slot's thread ---------------------------------------------------------------

    def _serve(self, slot: _Slot) -> None:
        """Run tasks from the queue in this slot's worker until the stop's ``None``."""
        while (task := self._tasks.get()) is not None:
            if task.future.set_running_or_notify_cancel():
                self._run(slot, task)
        self._retire(slot)

    def _run(self, slot: _Slot, task: _Task) -> None:
        try:
            process, pipe = self._worker(slot)
        except BrokenProcessPool as err:
            task.future.set_exception(err)
            return
        try:
            pipe.send((task.fn, task.args, task.kwargs))
        except OSError:  # it died before the task reached it
            task.future.set_exception(self._died(slot, process))
            return
        except Exception as err:  # the task itself cannot be pickled: its own error
            task.future.set_exception(err)
            return
        self._settle(slot, process, pipe, task.future)

    def _settle(
        self, slot: _Slot, process: BaseProcess, pipe: Connection, future: Future[Any]
    ) -> None:
        """The worker's answer to ``future``, or its death."""
        wait([pipe, process.sentinel])
        try:
            done, value = pipe.recv()
        except (EOFError, OSError):
            future.set_exception(self._died(slot, process))
            return
        except Exception as err:  # an answer that cannot be unpickled here
            future.set_exception(err)
            return
        if done:
            future.set_result(value)
        else:
            future.set_exception(value)

    def _worker(self, slot: _Slot) -> tuple[BaseProcess, Connection]:
        """This slot's worker, forked now when it has none (a replacement when one died)."""
        if slot.process is not None and slot.pipe is not None:
            return slot.process, slot.pipe
        self._start_fork_server()  # its imports take seconds: outside the lock
        with self._lock:
            if self._closed:
                raise BrokenProcessPool("the parse pool is shut down")
            if slot.process is not None and slot.pipe is not None:  # start_workers forked it
                return slot.process, slot.pipe
            if slot.lost:
                self._replace(slot)
            return self._fork(slot)

    def _replace(self, slot: _Slot) -> None:
        """Count and log a replacement, unless the last was under REPLACE_INTERVAL ago:
        then BrokenProcessPool at once (logged once per dead worker)."""
        now = self._clock()
        wait_for = 0.0 if self._replaced_at is None else self._replaced_at + REPLACE_INTERVAL - now
        if wait_for > 0:
            if not slot.deferred:
                slot.deferred = True
                log.error("parse_pool_replacement_deferred", reason=slot.lost,
                          replacements=self.replacements,
                          retry_in_seconds=round(wait_for, 1))  # fmt: skip
            raise BrokenProcessPool(f"parse worker died, replaced again in {wait_for:.0f} s")
        self.replacements += 1
        self._replaced_at = now
        log.error("parse_pool_replaced", reason=slot.lost, replacements=self.replacements)
        slot.lost, slot.deferred = "", False

    def _fork(self, slot: _Slot) -> tuple[BaseProcess, Connection]:
        """A worker forked from the warm server (milliseconds), with a pipe of its own."""
        ours, theirs = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=work,
            args=(theirs, self._lifeline, self._ready_end, self._warmers),
            name=f"parse_worker_{slot.number}",
            daemon=True,  # at the interpreter's exit, terminated, not joined for ever
        )
        process.start()
        theirs.close()  # the worker's end lives in the worker alone: its death is EOF here
        slot.process, slot.pipe = process, ours
        return process, ours

    def _died(self, slot: _Slot, process: BaseProcess) -> BrokenProcessPool:
        process.join(STOP_GRACE)  # it has ended (EOF): only its exit status is read
        why = f"parse worker {process.pid} ended ({process_ended(process.exitcode)})"
        with self._lock:
            if slot.process is process:
                if slot.pipe is not None:
                    slot.pipe.close()
                slot.process, slot.pipe, slot.lost = None, None, why
            stopping = self._closed
        if not stopping:  # else killed by the stop itself, which says so
            log.error("parse_worker_died", pid=process.pid, exit_code=process.exitcode)
        return BrokenProcessPool(why)

    def _retire(self, slot: _Slot) -> None:
        """The stop: the worker asked to exit, and reaped."""
        with self._lock:
            process, pipe = slot.process, slot.pipe
        if process is None or pipe is None:
            return
        with contextlib.suppress(OSError):
            pipe.send(None)
        process.join(STOP_GRACE)
        if process.is_alive():  # it never read the stop (its warmers, say)
            process.kill()
            process.join()
        pipe.close()

    def _start_fork_server(self) -> None:
        """The fork server up and past its imports: a process forked from it has been
        through them (starting the server alone returns before its imports are done)."""
        with self._server_lock:
            if self._server_up:
                return
            throwaway = self._context.Process(target=os.getpid, name="parse_pool_fork_server")
            throwaway.start()
            throwaway.join()
            self._server_up = True

    # -- start -------------------------------------------------------------------------

    async def start_workers(self) -> None:
        """Fork every worker now and return once each has run its warmers (or ended): the
        first parse then finds them warm. Forking waits for the fork server's imports, so
        it runs in a daemon thread: a cancelled start never holds the process's exit."""
        loop = asyncio.get_running_loop()
        spawned: asyncio.Future[list[BaseProcess]] = loop.create_future()
        threading.Thread(
            target=self._fork_all, args=(loop, spawned), name="parse_pool_start", daemon=True
        ).start()
        processes = await spawned
        while not self._all_reported(processes) and not self._closed:
            await self._readable(processes)
            self._read_reports()
        self.started = True
        log.info("parse_workers_started", workers=len(self.ready_pids))

    def _fork_all(
        self, loop: asyncio.AbstractEventLoop, spawned: asyncio.Future[list[BaseProcess]]
    ) -> None:
        result: list[BaseProcess] | BaseException
        try:
            self._start_fork_server()
            with self._lock:
                if not self._closed:
                    for slot in self._slots:
                        if slot.process is None and not slot.lost:
                            self._fork(slot)
                result = [s.process for s in self._slots if s.process is not None]
        except BaseException as err:  # handed to the awaiting task
            result = err
        with contextlib.suppress(RuntimeError):  # the loop has ended: nobody waits
            loop.call_soon_threadsafe(_settle, spawned, result)

    def _all_reported(self, processes: list[BaseProcess]) -> bool:
        return all(p.pid in self.ready_pids or not p.is_alive() for p in processes)

    async def _readable(self, processes: list[BaseProcess]) -> None:
        """Until a worker reports or ends (its sentinel becomes readable)."""
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[list[BaseProcess]] = loop.create_future()
        with self._reports_lock:  # a shutdown closes the pipe under it
            ready = [] if self._ready.closed else [self._ready.fileno()]
        fds = [*ready, *(p.sentinel for p in processes)]
        for fd in fds:
            loop.add_reader(fd, _settle, woken, [])
        try:
            await woken
        finally:
            for fd in fds:
                loop.remove_reader(fd)

    def _read_reports(self) -> None:
        with self._reports_lock:  # the start's loop and a shutdown's thread may both read
            while not self._ready.closed and self._ready.poll():
                self.ready_pids.add(self._ready.recv())

    # -- stop --------------------------------------------------------------------------

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """No new tasks; ``cancel_futures`` (the daemon's stop) drops the queued ones, kills
        workers still warming at once and those still parsing after :data:`STOP_GRACE`."""
        with self._lock:
            first = not self._closed
            self._closed = True
        if first:
            if cancel_futures:
                self._cancel_queued()
                self._end_unready()
            for _ in self._slots:
                self._tasks.put(None)
        if not wait:
            return
        if cancel_futures:
            self._end_stuck()
        for slot in self._slots:  # each ends within a grace once its worker is gone
            slot.thread.join(STOP_GRACE if cancel_futures else None)
        with self._reports_lock:
            for end in (self._lifeline, self._lifeline_end, self._ready, self._ready_end):
                end.close()

    def _cancel_queued(self) -> None:
        with contextlib.suppress(queue.Empty):
            while True:
                if (task := self._tasks.get_nowait()) is not None:
                    task.future.cancel()

    def _end_unready(self) -> None:
        """SIGKILL every worker still running its warmers (loading the embedding model can
        take seconds): such a worker has taken no task, as the warmers run first."""
        self._read_reports()
        with self._lock:
            processes = [s.process for s in self._slots if s.process is not None]
        unready = [p for p in processes if p.pid not in self.ready_pids and p.is_alive()]
        for process in unready:
            process.kill()
        if unready:
            log.info("parse_workers_ended_unready", workers=len(unready))

    def _end_stuck(self) -> None:
        """Workers still in a parse once the grace is over are killed (the parse fails)."""
        deadline = time.monotonic() + STOP_GRACE
        for slot in self._slots:
            slot.thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            stuck = [s.process for s in self._slots if s.thread.is_alive() and s.process]
        for process in stuck:
            process.kill()
        if stuck:
            log.warning("parse_workers_killed_at_stop", workers=len(stuck),
                        pids=sorted(p.pid for p in stuck if p.pid is not None))  # fmt: skip


def _settle(future: asyncio.Future[T], result: T | BaseException) -> None:
    if future.done():  # cancelled: the start was abandoned
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
