"""The one thread a SQLite store's connection is used from, in the order calls were asked.

A ``ThreadPoolExecutor(max_workers=1)`` did this before. Its ``submit`` takes two Python
locks and a condition-backed semaphore on the event loop's thread, and its answer comes
back through a second, thread-safe future chained to the loop's: about 24 µs of the
loop's CPU per call, 2.5 times this thread's 9.5 µs, and a poll cycle makes some
twelve thousand store calls (docs/decisions/0072-poll-loop-costs.md). Here a call is
queued on a :class:`queue.SimpleQueue` (a C-level put) and its answer is set on the
loop's own future by ``call_soon_threadsafe``.

As with the executor, a call whose caller was cancelled before the thread reached it is
not run; one already running finishes, and its answer is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# A queued call: where to answer, and what to run; None ends the thread.
_Call = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[], Any]] | None


class DatabaseThread:
    """``await thread.call(fn)`` runs ``fn`` on this object's one thread, calls in order.

    The thread starts with the first call and ends at :meth:`close` (once every call
    asked before has run)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._calls: queue.SimpleQueue[_Call] = queue.SimpleQueue()
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
        self._calls.put((loop, answer, fn))
        return await answer

    def close(self) -> None:
        """Wait for the calls asked so far, then end the thread."""
        self._closed = True
        if self._thread is not None:
            self._calls.put(None)
            self._thread.join()
            self._thread = None

    def _serve(self) -> None:
        while (call := self._calls.get()) is not None:
            loop, answer, fn = call
            if answer.cancelled():  # its caller is gone: as a queued executor job, not run
                continue
            try:
                result = fn()
            except BaseException as exc:  # handed to the caller, whatever it is
                _answer_soon(loop, answer, None, exc)
            else:
                _answer_soon(loop, answer, result, None)


def _answer_soon(
    loop: asyncio.AbstractEventLoop,
    answer: asyncio.Future[Any],
    result: Any,
    error: BaseException | None,
) -> None:
    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
        loop.call_soon_threadsafe(_settle, answer, result, error)


def _settle(answer: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if answer.done():  # cancelled while the call ran
        return
    if error is not None:
        answer.set_exception(error)
    else:
        answer.set_result(result)
