"""A pass's units sent side by side, never out of order within a story.

Up to a notifier's ``concurrency`` sends are in flight at once (``[alerting.routes.<name>]
concurrency``). A unit starts only once every earlier unit of the pass sharing one of
its stories has ended (sent, failed, held): an update never overtakes its first alert,
nor a later update an earlier one, and it sees what they learnt (the thread reference
of a first message, a first message now retrying). Units are added in the order they
should go out; a unit waits for its slot only after its predecessors, so a story held
back by a slow receiver never takes a slot from the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

Send = Callable[[], Awaitable[None]]


class Lanes:
    """Runs sends under a limit, each after the earlier sends of its stories."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._last: dict[str, asyncio.Task[None]] = {}  # each story's latest send
        self._runs: list[asyncio.Task[None]] = []

    def add(self, stories: Iterable[str], send: Send) -> None:
        """Run ``send`` after every send added before it for one of ``stories``."""
        stories = sorted(set(stories))
        before = {self._last[story] for story in stories if story in self._last}
        run = asyncio.create_task(self._run(before, send))
        for story in stories:
            self._last[story] = run
        self._runs.append(run)

    async def finish(self) -> None:
        """Until every send has ended; the first failure is raised then. Cancelled, it
        cancels the sends still waiting or in flight and waits for them to stop."""
        try:
            ended = await asyncio.gather(*self._runs, return_exceptions=True)
        except asyncio.CancelledError:
            for run in self._runs:
                run.cancel()
            await asyncio.gather(*self._runs, return_exceptions=True)
            raise
        for failure in ended:
            if isinstance(failure, BaseException):
                raise failure

    async def _run(self, before: set[asyncio.Task[None]], send: Send) -> None:
        if before:
            await asyncio.wait(before)
        async with self._slots:
            await send()
