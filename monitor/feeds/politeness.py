"""Per-host politeness: at most N requests in flight to one host, spaced at least S apart.

A site serving a hundred of the user's feeds sees them one or two at a time, never as a
burst. Hosts are independent lanes: a slow host delays only its own feeds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Lane:
    semaphore: asyncio.Semaphore
    next_start: float = 0.0  # monotonic time before which no request may start


@dataclass
class HostGate:
    """``async with gate.slot(host):`` waits for the host's turn; ``clock``/``sleep`` are
    injectable so tests can assert the spacing without waiting for it."""

    concurrency: int = 2
    spacing: float = 0.5
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _lanes: dict[str, _Lane] = field(default_factory=dict)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        # One small lane per configured host, kept for the process's life: hosts come
        # from the config (redirect targets are not gated), so they are bounded.
        lane = self._lanes.get(host)
        if lane is None:
            lane = self._lanes[host] = _Lane(asyncio.Semaphore(self.concurrency))
        async with lane.semaphore:
            await self._wait_turn(lane)
            yield

    async def _wait_turn(self, lane: _Lane) -> None:
        now = self.clock()
        start = max(now, lane.next_start)
        lane.next_start = start + self.spacing  # reserved before sleeping: waiters queue up
        if start > now:
            await self.sleep(start - now)
