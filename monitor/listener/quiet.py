"""uvicorn's server as the listener runs it: imported when the listener starts serving,
so that importing :mod:`monitor.listener` does not import uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn


class QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers (the daemon owns SIGINT/SIGTERM) and
    without its 0.1 s polling loop: :meth:`stop_now` ends it at once."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._stop = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def main_loop(self) -> None:
        await self._stop.wait()

    def stop_now(self) -> None:
        self.should_exit = True
        self._stop.set()
