"""Group commit of feed state, shared by both stores (decision 0010).

States saved within ``GROUP_WINDOW`` of the first one share one transaction, and each
:meth:`FeedStateWriter.save` still returns only once its state is committed: a poll cycle
of thousands of feeds costs a few hundred transactions instead of one each. Batches are
written one after another, so of two saves of one feed the later one wins.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from monitor.records import FeedState

GROUP_WINDOW = 0.02  # seconds a feed-state save waits for others to share its commit


class FeedStateWriter:
    """Gathers feed-state saves and hands each batch to ``write`` as one transaction."""

    def __init__(self, write: Callable[[list[FeedState]], Awaitable[None]]) -> None:
        self._write_states = write
        self._pending: dict[str, FeedState] = {}
        self._committed: asyncio.Future[None] | None = None  # the batch being gathered
        self._in_order = asyncio.Lock()  # one batch at a time: a later save wins
        self._writes: set[asyncio.Task[None]] = set()

    async def save(self, state: FeedState) -> None:
        self._pending[state.url] = state
        if self._committed is None:
            loop = asyncio.get_running_loop()
            self._committed = loop.create_future()
            loop.call_later(GROUP_WINDOW, self._start_write)
        await asyncio.shield(self._committed)

    def _start_write(self) -> None:
        states, committed = list(self._pending.values()), self._committed
        self._pending, self._committed = {}, None
        assert committed is not None
        task = asyncio.create_task(self._write(states, committed))
        self._writes.add(task)  # referenced until done, or the loop may drop it
        task.add_done_callback(self._writes.discard)

    async def _write(self, states: list[FeedState], committed: asyncio.Future[None]) -> None:
        try:
            async with self._in_order:
                await self._write_states(states)
        except Exception as exc:
            committed.set_exception(exc)
        else:
            committed.set_result(None)
