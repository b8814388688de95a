"""Stopping well: SIGINT/SIGTERM set the stop event, and one deadline is shared by every
stage of the drain (reload, dispatch, polls in flight, leases)."""

from __future__ import annotations

import asyncio
import signal


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
