"""The SQLite store's one database thread: calls in order, answers and errors, cancels."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from typing import Any

import pytest

from monitor.store.cancelled import Stored, WriteEnding, write_ending
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
    told it ran and what it returned (decision 0081), beside a plain "cancelled"."""
    thread, started, release = DatabaseThread("test-db"), threading.Event(), threading.Event()
    ending = WriteEnding()
    calling = asyncio.ensure_future(_listening(thread, _held(started, release), ending))
    raised = await _cancelled_inside(calling, started, release)
    thread.close()
    assert type(raised) is asyncio.CancelledError  # asyncio's helpers know it as theirs
    assert (ending.stored, ending.outcome) == (Stored.YES, "committed")


async def test_a_running_call_under_asyncio_timeout_ends_in_a_timeout_and_says_stored() -> None:
    """Python 3.11's asyncio.timeout turns only a plain CancelledError into TimeoutError:
    the ending is told beside it, so a store call under a timeout times out."""
    thread, started, release = DatabaseThread("test-db"), threading.Event(), threading.Event()
    deadline = asyncio.timeout(None)

    async def call() -> object:
        with write_ending() as ending:
            with pytest.raises(TimeoutError):
                async with deadline:
                    await thread.call(_held(started, release))
            return ending.stored, ending.outcome

    calling = asyncio.ensure_future(call())
    await asyncio.to_thread(started.wait)
    deadline.reschedule(asyncio.get_running_loop().time())  # it runs out now
    release.set()
    assert await calling == (Stored.YES, "committed")
    thread.close()


async def test_a_call_answered_in_the_turn_its_caller_is_cancelled_says_stored() -> None:
    """The answer is set, then the cancel comes before the caller wakes: the caller hears
    "stored" (it used to wait for a second answer that never came)."""
    thread, started, release = DatabaseThread("test-db"), threading.Event(), threading.Event()
    fenced, ending = threading.Event(), WriteEnding()
    calling = asyncio.ensure_future(_listening(thread, _held(started, release), ending))
    fence = asyncio.ensure_future(thread.call(fenced.set))  # queued behind it
    await asyncio.to_thread(started.wait)
    release.set()
    assert fenced.wait(60)  # the loop is held here: the call's answer is queued on it
    asyncio.get_running_loop().call_soon(calling.cancel)  # after the answer, before the wake
    await asyncio.wait({calling}, timeout=60)  # before the fix it waited forever
    await fence
    thread.close()
    assert calling.cancelled()
    assert (ending.stored, ending.outcome) == (Stored.YES, "committed")


async def test_a_running_call_that_fails_after_its_caller_is_cancelled_is_not_stored() -> None:
    thread, started, release = DatabaseThread("test-db"), threading.Event(), threading.Event()

    def write() -> None:
        _held(started, release)()
        raise ValueError("rolled back")

    ending = WriteEnding()
    calling = asyncio.ensure_future(_listening(thread, write, ending))
    await _cancelled_inside(calling, started, release)
    thread.close()
    assert ending.stored is Stored.NO


async def test_a_task_made_inside_a_block_does_not_report_into_it() -> None:
    """A task made inside a ``write_ending`` block copies its context: its write, cancelled
    while the thread runs it, told the block "stored" with the task's outcome, though the
    block's own write was not cancelled."""
    thread, started, release = DatabaseThread("test-db"), threading.Event(), threading.Event()
    with write_ending() as ending:
        child = asyncio.ensure_future(thread.call(_held(started, release)))
        await _cancelled_inside(child, started, release)
        assert await thread.call(lambda: "own") == "own"  # the block's write, answered
    thread.close()
    assert (ending.stored, ending.outcome) == (Stored.NO, None)


async def test_a_task_with_a_block_of_its_own_hears_its_write_alone() -> None:
    thread, started, release = DatabaseThread("test-db"), threading.Event(), threading.Event()
    heard = WriteEnding()
    with write_ending() as ending:
        child = asyncio.ensure_future(_listening(thread, _held(started, release), heard))
        await _cancelled_inside(child, started, release)
    thread.close()
    assert (heard.stored, heard.outcome) == (Stored.YES, "committed")
    assert (ending.stored, ending.outcome) == (Stored.NO, None)


async def _cancelled_inside(
    calling: asyncio.Future[Any], started: threading.Event, release: threading.Event
) -> asyncio.CancelledError:
    """``calling`` cancelled once the thread is inside its call, then the call let go:
    the error its caller got."""
    await asyncio.to_thread(started.wait)
    calling.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError) as raised:
        await calling
    return raised.value


def _held(started: threading.Event, release: threading.Event) -> Callable[[], str]:
    """A write that says it started, then waits to be let go."""

    def write() -> str:
        started.set()
        release.wait()
        return "committed"

    return write


async def _listening(thread: DatabaseThread, fn: Callable[[], object], heard: WriteEnding) -> None:
    """``fn`` on ``thread``, its ending (if cancelled) copied into ``heard``."""
    with write_ending() as ending:
        try:
            await thread.call(fn)
        finally:
            heard.stored, heard.outcome = ending.stored, ending.outcome
