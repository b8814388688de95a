"""Stopping well: SIGINT/SIGTERM set the stop event, and one deadline is shared by every
stage of the drain (reload, dispatch, polls in flight, leases).

Nothing after the signal may wait forever: a PostgreSQL write behind a lock another
daemon holds, a notifier's socket that never closes, a parse worker stuck in one feed.
Each closing step runs under :func:`within`, which gives up on it (logged by name) when
its time is over; and :class:`ExitWatchdog`, armed by the signal, ends the process with
every thread's stack on stderr if it is somehow still alive long after (a thread the
interpreter would join at exit, say): a stuck step costs a slower stop, never a daemon
that outlives its SIGTERM (docs/decisions/0071-bounded-shutdown.md).
"""

from __future__ import annotations

import asyncio
import faulthandler
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

log = structlog.get_logger("monitor.daemon.daemon")  # the daemon's events, as before

STEP_FLOOR = 1.0  # seconds a closing step gets even once the closing deadline has passed
EXIT_GRACE = 10.0  # seconds the watchdog adds to its three shutdown_timeouts
OVERRAN_EXIT_STATUS = 1  # the watchdog's exit: the stop did not finish cleanly
T = TypeVar("T")


class Deadline:
    """A moment on the loop's clock; ``left()`` is never negative."""

    def __init__(self, seconds: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._at = self._loop.time() + seconds

    def left(self) -> float:
        return max(0.0, self._at - self._loop.time())


def install_stop_signals(stop: asyncio.Event, watchdog: ExitWatchdog | None = None) -> None:
    """SIGINT and SIGTERM set ``stop``: the daemon finishes its current work and exits
    (the ``watchdog`` armed: it ends the process if that never happens)."""
    loop = asyncio.get_running_loop()

    def stopping() -> None:
        stop.set()
        if watchdog is not None:
            watchdog.arm()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping)


async def within(step: str, work: Awaitable[T], deadline: Deadline) -> T | None:
    """``work`` awaited until ``deadline`` (at least :data:`STEP_FLOOR` seconds); past it,
    cancelled and logged (``shutdown_step_abandoned``, naming ``step``): None then. A step
    that fails is logged (``shutdown_step_failed``) and None too: one step's error (the
    store gone while the surge state is saved, say) must not skip the steps after it."""
    seconds = max(deadline.left(), STEP_FLOOR)
    try:
        return await asyncio.wait_for(work, seconds)
    except TimeoutError:
        log.error("shutdown_step_abandoned", step=step, waited_seconds=round(seconds, 1))
    except Exception as err:  # any failure: the next steps still run
        log.error("shutdown_step_failed", step=step, error=str(err), error_type=type(err).__name__)
    return None


class ExitWatchdog:
    """Ends the process ``seconds`` after :meth:`arm` unless it has exited by then: every
    thread's stack goes to stderr (what it was stuck in), then ``os._exit``. A daemon
    thread, so a process that exits in time never waits for it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._armed = threading.Event()

    def arm(self) -> None:
        """Start the countdown (again a no-op once started)."""
        if not self._armed.is_set():
            self._armed.set()
            threading.Thread(target=self._count_down, name="exit_watchdog", daemon=True).start()

    def _count_down(self) -> None:
        threading.Event().wait(self.seconds)  # nothing sets it: the countdown itself
        log.critical("shutdown_overran", seconds=self.seconds, exit_status=OVERRAN_EXIT_STATUS)
        faulthandler.dump_traceback(sys.stderr, all_threads=True)
        sys.stderr.flush()
        os._exit(OVERRAN_EXIT_STATUS)


async def stop_dispatching(dispatcher: asyncio.Task[None], deadline: Deadline) -> None:
    """End the wake-up loop (woken already); the drains it started are waited for by the
    last dispatch (:func:`finish_in_flight`): cancelling a send between a receiver's 200
    and the store's "sent" would send that alert twice."""
    try:
        await asyncio.wait_for(dispatcher, deadline.left())
    except TimeoutError:
        log.warning("dispatch_cancelled_at_shutdown")


async def finish_in_flight(
    inflight: set[asyncio.Task[object]],
    dispatch: Callable[[], Awaitable[object]],
    deadline: Deadline,
) -> int:
    """Let running polls store what they fetched and send what they queued, within the
    deadline; what is left stays pending in the outbox for the next start. The polls
    cancelled."""
    cancelled = 0
    if inflight:
        _, late = await asyncio.wait(set(inflight), timeout=deadline.left())
        for task in late:
            task.cancel()
        cancelled = len(late)
        await asyncio.gather(*late, return_exceptions=True)
    try:
        await asyncio.wait_for(dispatch(), deadline.left())
    except TimeoutError:
        log.warning("dispatch_cancelled_at_shutdown")
    return cancelled
