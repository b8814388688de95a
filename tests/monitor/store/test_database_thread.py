"""The SQLite store's one database thread: calls in order, answers and errors, cancels."""

from __future__ import annotations

import asyncio
import functools
import threading

import pytest

from monitor.store.cancelled import CancelledWriteError
from monitor.store.sqlite.thread import DatabaseThread


async def test_calls_run_on_one_thread_in_the_order_asked() -> None:
    thread, ran = DatabaseThread("test-db"), []

    def note(n: int) -> int:
        ran.append((n, threading.current_thread().name))
        return n * n

    answers = await asyncio.gather(*(thread.call(functools.partial(note, n)) for n in range(20)))
    thread.close()
    assert answers == [n * n for n in range(20)]
    assert ran == [(n, "test-db") for n in range(20)]


async def test_an_error_is_raised_to_its_caller_and_the_thread_goes_on() -> None:
    thread = DatabaseThread("test-db")

    def fail() -> None:
        raise ValueError("broken")

    with pytest.raises(ValueError, match="broken"):
        await thread.call(fail)
    assert await thread.call(lambda: 7) == 7
    thread.close()


async def test_a_call_cancelled_before_the_thread_reached_it_is_not_run() -> None:
    thread, release, ran = DatabaseThread("test-db"), threading.Event(), []
    blocking = asyncio.ensure_future(thread.call(release.wait))
    waiting = asyncio.ensure_future(thread.call(lambda: ran.append("late")))
    await asyncio.sleep(0)  # both queued
    waiting.cancel()
    release.set()
    await blocking
    assert await thread.call(lambda: "after") == "after"  # the cancelled one came before
    thread.close()
    assert ran == []


async def test_close_waits_for_the_calls_asked_before_it() -> None:
    thread, ran = DatabaseThread("test-db"), []
    pending = asyncio.ensure_future(thread.call(lambda: ran.append(1)))
    await asyncio.sleep(0)
    thread.close()
    assert ran == [1]
    await pending
    with pytest.raises(RuntimeError, match="closed"):
        await thread.call(lambda: None)


async def test_a_call_running_when_its_caller_is_cancelled_says_how_it_ended() -> None:
    """A write the thread already runs commits whatever its caller does: the caller is
    told it ran and what it returned (decision 0081), not a bare "cancelled"."""
    thread, started, release = DatabaseThread("test-db"), threading.Event(), threading.Event()

    def write() -> str:
        started.set()
        release.wait()
        return "committed"

    heard: list[object] = []

    async def caller() -> None:
        try:
            await thread.call(write)
        except CancelledWriteError as cancelled:
            heard.append((cancelled.committed, cancelled.outcome))
            raise

    calling = asyncio.ensure_future(caller())
    await asyncio.to_thread(started.wait)  # the thread is inside the call
    calling.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await calling
    thread.close()
    assert heard == [(True, "committed")]


async def test_a_running_call_that_fails_after_its_caller_is_cancelled_is_a_plain_cancel() -> None:
    thread, started, release = DatabaseThread("test-db"), threading.Event(), threading.Event()

    def write() -> None:
        started.set()
        release.wait()
        raise ValueError("rolled back")

    calling = asyncio.ensure_future(thread.call(write))
    await asyncio.to_thread(started.wait)
    calling.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError) as raised:
        await calling
    thread.close()
    assert not isinstance(raised.value, CancelledWriteError)  # nothing was stored
