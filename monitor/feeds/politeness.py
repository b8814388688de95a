"""Per-host politeness: at most N requests in flight to one host, spaced at least S apart.

A site serving a hundred of the user's feeds sees them one or two at a time, never as a
burst. Hosts are independent lanes: a slow host delays only its own feeds.

Within a host, slow requests do not starve the prompt ones (decision 0025). A request still
in flight after ``slow_after`` seconds gives its slot back and takes one of the host's
``slow_limit`` slow places instead; when those are all taken, it is ended there and then
(a timeout: its feed backs off). A feed whose last request was slow asks for a slow place
from the start (after a restart too: :meth:`HostGate.recall_slow`, from its stored state),
and a feed whose last request was prompt is served before feeds not yet known: ten
hanging feeds on a host keep at most ``slow_limit`` requests open there once they are
known, and its healthy feeds keep the ``concurrency`` slots.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum


class Pace(StrEnum):
    """What a host's lane knows of a feed from its last request, and so where it waits."""

    UNKNOWN = "unknown"  # not fetched here yet nor stored as slow: a slot, after prompt feeds
    PROMPT = "prompt"  # answered within ``slow_after``: a slot, first in line
    SLOW = "slow"  # still in flight after ``slow_after``: a slow place


class Place(StrEnum):
    """Which of its host's places a request holds."""

    SLOT = "slot"  # one of the host's ``concurrency`` slots
    SLOW = "slow"  # one of its ``slow_limit`` places for slow requests
    CUT = "cut"  # found slow with every slow place taken: ended (holds its slot until out)


class _Places:
    """A counting semaphore whose waiters are served prompt feeds first, and whose places
    can be taken without waiting (by a request found slow)."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._queues: dict[bool, deque[asyncio.Future[None]]] = {True: deque(), False: deque()}

    def try_take(self) -> bool:
        if self._free == 0 or self._waiting():
            return False
        self._free -= 1
        return True

    async def take(self, *, first: bool = False) -> None:
        if self.try_take():
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queues[first].append(granted)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self.give()  # handed over as the waiter was cancelled: pass it on
            elif granted in self._queues[first]:  # else ``give`` dropped it already
                self._queues[first].remove(granted)
            raise

    def give(self) -> None:
        for queue in (self._queues[True], self._queues[False]):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self._free += 1

    def _waiting(self) -> bool:
        return any(not w.done() for queue in self._queues.values() for w in queue)


@dataclass(slots=True)
class _Lane:
    slots: _Places
    slow: _Places
    next_start: float = 0.0  # monotonic time before which no request may start
    paces: dict[str, Pace] = field(default_factory=dict)  # by feed: its last request's


@dataclass(eq=False, slots=True)
class Turn:
    """One request's place at its host, from :meth:`HostGate.slot`."""

    host: str
    key: str
    place: Place
    lingered: bool = False  # still in flight after ``slow_after``
    _deadline: asyncio.Timeout | None = None  # the request's; moved to now to end it
    _watcher: asyncio.Task[None] | None = None

    @property
    def cut(self) -> bool:
        return self.place is Place.CUT


@dataclass
class HostGate:
    """``async with gate.slot(host, key) as turn:`` waits for the host's turn; once the
    request is under way, ``gate.watch(turn, deadline)`` lets it leave its slot when slow.
    ``clock``/``sleep`` are injectable so tests can assert the spacing without waiting for
    it, and say when ``slow_after`` has passed. ``slow_after = 0``: requests hold their
    slot to the end, however long they take, and wait in the order they came."""

    concurrency: int = 2
    spacing: float = 0.5
    slow_after: float = 0.0
    slow_limit: int = 2
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _lanes: dict[str, _Lane] = field(default_factory=dict)

    @asynccontextmanager
    async def slot(self, host: str, key: str = "") -> AsyncIterator[Turn]:
        """Hold one of ``host``'s places; ``key`` (the feed) says how its last request went."""
        lane = self._lane(host)
        turn = await self._take(lane, host, key)
        try:
            await self._wait_turn(lane)
            yield turn
        finally:
            if turn._watcher is not None:
                turn._watcher.cancel()
            (lane.slow if turn.place is Place.SLOW else lane.slots).give()
            if key and self.slow_after > 0:
                lane.paces[key] = Pace.SLOW if turn.lingered else Pace.PROMPT

    def recall_slow(self, host: str, key: str) -> None:
        """``key``'s last request was slow before this process knew it (its stored state):
        it waits for a slow place from the start, unless this process has learnt since."""
        if self.slow_after > 0:
            self._lane(host).paces.setdefault(key, Pace.SLOW)

    def watch(self, turn: Turn, deadline: asyncio.Timeout) -> None:
        """The request is under way now (waits for the global bound are not slowness);
        past ``slow_after`` it moves to a slow place, or ``deadline`` ends it."""
        if self.slow_after > 0:
            turn._deadline = deadline
            turn._watcher = asyncio.create_task(self._linger(self._lanes[turn.host], turn))

    def _lane(self, host: str) -> _Lane:
        # One small lane per configured host, kept for the process's life: hosts come
        # from the config (redirect targets are not gated), so they are bounded.
        lane = self._lanes.get(host)
        if lane is None:
            lane = self._lanes[host] = _Lane(_Places(self.concurrency), _Places(self.slow_limit))
        return lane

    @staticmethod
    async def _take(lane: _Lane, host: str, key: str) -> Turn:
        pace = lane.paces.get(key, Pace.UNKNOWN)
        if pace is Pace.SLOW:
            await lane.slow.take()
            return Turn(host, key, Place.SLOW)
        await lane.slots.take(first=pace is Pace.PROMPT)
        return Turn(host, key, Place.SLOT)

    async def _wait_turn(self, lane: _Lane) -> None:
        now = self.clock()
        start = max(now, lane.next_start)
        lane.next_start = start + self.spacing  # reserved before sleeping: waiters queue up
        if start > now:
            await self.sleep(start - now)

    async def _linger(self, lane: _Lane, turn: Turn) -> None:
        await self.sleep(self.slow_after)
        turn.lingered = True
        if turn.place is not Place.SLOT:
            return
        if lane.slow.try_take():
            lane.slots.give()
            turn.place = Place.SLOW
        else:
            turn.place = Place.CUT
            assert turn._deadline is not None
            turn._deadline.reschedule(asyncio.get_running_loop().time())
