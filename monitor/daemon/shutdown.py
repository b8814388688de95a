"""Stopping well: SIGINT/SIGTERM set the stop event, and one deadline is shared by every
stage of the drain (reload, dispatch, polls in flight, leases)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger("monitor.daemon.daemon")  # the daemon's events, as before


class Deadline:
    """A moment on the loop's clock; ``left()`` is never negative."""

    def __init__(self, seconds: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._at = self._loop.time() + seconds

    def left(self) -> float:
        return max(0.0, self._at - self._loop.time())


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGINT and SIGTERM set ``stop``: the daemon finishes its current work and exits."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


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
