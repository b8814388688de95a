"""The one thread a SQLite store's connection is used from, in the order calls were asked.

A ``ThreadPoolExecutor(max_workers=1)`` did this before. Its ``submit`` takes two Python
locks and a condition-backed semaphore on the event loop's thread, and its answer comes
back through a second, thread-safe future chained to the loop's: about 24 µs of the
loop's CPU per call, 2.5 times this thread's 9.5 µs, and a poll cycle makes some
twelve thousand store calls (docs/decisions/0072-poll-loop-costs.md). Here a call is
queued on a :class:`queue.SimpleQueue` (a C-level put) and its answer is set on the
loop's own future by ``call_soon_threadsafe``.

As with the executor, a call whose caller was cancelled before the thread reached it is
not run. One already running finishes, and its caller waits for it: a write committed
while its caller was cancelled is told stored, with its outcome, to a caller that asks
(:func:`~monitor.store.cancelled.write_ending`, decision 0081).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from monitor.store.cancelled import answered_after_cancel

T = TypeVar("T")


class _Call:
    """A queued call: where to answer, what to run, and whether the thread started it."""

    __slots__ = ("answer", "fn", "late", "loop", "outcome", "started")

    def __init__(
        self, loop: asyncio.AbstractEventLoop, answer: asyncio.Future[Any], fn: Callable[[], Any]
    ) -> None:
        self.loop, self.answer, self.fn = loop, answer, fn
        self.started = False
        self.outcome: tuple[Any, BaseException | None] | None = None  # its caller cancelled
        self.late: asyncio.Future[Any] | None = None  # where that caller waits for it


class DatabaseThread:
    """``await thread.call(fn)`` runs ``fn`` on this object's one thread, calls in order.

    The thread starts with the first call and ends at :meth:`close` (once every call
    asked before has run)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()  # None: end
        self._starting = threading.Lock()  # a call starts, or its caller gives it up
        self._thread: threading.Thread | None = None
        self._closed = False

    async def call(self, fn: Callable[[], T]) -> T:
        if self._closed:
            raise RuntimeError(f"{self._name}: the database thread is closed")
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
            self._thread.start()
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[T] = loop.create_future()
        call = _Call(loop, answer, fn)
        self._calls.put(call)
        try:
            return await answer
        except asyncio.CancelledError:
            with self._starting:
                started = call.started
            if started:  # it runs to its end: that is what the caller hears
                await _finished(call)
            raise  # never run

    def close(self) -> None:
        """Wait for the calls asked so far, then end the thread."""
        self._closed = True
        if self._thread is not None:
            self._calls.put(None)
            self._thread.join()
            self._thread = None

    def _serve(self) -> None:
        while (call := self._calls.get()) is not None:
            with self._starting:
                if call.answer.cancelled():  # its caller is gone: not run
                    continue
                call.started = True
            try:
                result = call.fn()
            except BaseException as exc:  # handed to the caller, whatever it is
                _answer_soon(call, None, exc)
            else:
                _answer_soon(call, result, None)


async def _finished(call: _Call) -> NoReturn:
    """A started call whose caller was cancelled: its end, then what it means."""
    if not call.answer.cancelled():  # answered in the loop turn its caller was cancelled in
        await answered_after_cancel(call.answer, None)
    late: asyncio.Future[Any] = call.loop.create_future()
    call.late = late
    if call.outcome is not None:  # it ended before its caller heard of the cancel
        _set(late, *call.outcome)
    await answered_after_cancel(late, None)  # the thread always answers


def _answer_soon(call: _Call, result: Any, error: BaseException | None) -> None:
    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
        call.loop.call_soon_threadsafe(_settle, call, result, error)


def _settle(call: _Call, result: Any, error: BaseException | None) -> None:
    if not call.answer.done():
        _set(call.answer, result, error)
        return
    call.outcome = (result, error)  # its caller was cancelled while it ran
    if call.late is not None:
        _set(call.late, result, error)


def _set(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
