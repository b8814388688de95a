"""A daemon running in the test's own loop until its first poll is done: the stop event
to end it and the task running it (``before_poll`` runs as that poll starts)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from monitor.config import FeedSettings
from monitor.daemon.daemon import Daemon
from monitor.ingest import PollOutcome
from tests.support.processes import HANG_GUARD


async def run_until_first_poll(
    daemon: Daemon, before_poll: Callable[[], Awaitable[None]] | None = None
) -> tuple[asyncio.Event, asyncio.Task[None]]:
    """``daemon.run_forever`` started, returned once its first poll has finished."""
    polled = asyncio.Event()
    poll = daemon.poll

    async def first_poll(feed: FeedSettings) -> PollOutcome:
        if before_poll is not None:
            await before_poll()
        outcome = await poll(feed)
        polled.set()
        return outcome

    daemon.poll = first_poll  # type: ignore[method-assign]
    stop = asyncio.Event()
    running = asyncio.create_task(daemon.run_forever(stop))
    await asyncio.wait_for(polled.wait(), HANG_GUARD)
    return stop, running
