"""Feed polls shared by several daemons on one PostgreSQL database: the claim loop.

APScheduler 3 keeps its jobs in one process, so with a shared store no daemon schedules
a job per feed. Each one runs :meth:`ClaimLoop.tick` every ``[store] claim_interval``
seconds (and as a poll finishes): it leases due feeds with ``FOR UPDATE SKIP LOCKED``,
polls them through the daemon's usual poll, and releases each lease together with the
feed's next poll time. A lease expires by the database's clock, so the feeds of a daemon
that died are claimed by another once their leases lapse
(docs/decisions/0017-leases.md).
"""

from __future__ import annotations

import asyncio
import math
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import TypeVar

import structlog

from monitor.config import FeedSettings
from monitor.records import FeedState
from monitor.store import FeedLeases, FeedSet, StoreNotWritableError

log = structlog.get_logger("monitor.daemon.leases")

Poll = Callable[[FeedSettings], Awaitable[object]]
NextPoll = Callable[[FeedSettings, object], datetime | None]
Claimed = Callable[[FeedState, datetime], None]
T = TypeVar("T")


def instance_name(configured: str = "") -> str:
    """``[daemon] instance``, else host-pid-random: unique even for two daemons in one
    container image started with the same PID."""
    return configured or f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


async def run_exclusively(store: object, name: str, work: Callable[[], Awaitable[T]]) -> T | None:
    """``work()``, unless another daemon sharing ``store`` is running the job ``name``
    (then None at once): housekeeping such as retention runs on one daemon at a time."""
    if not isinstance(store, FeedLeases):  # a store of its own: nobody to wait for
        return await work()
    async with store.exclusive(name) as ours:
        if not ours:
            log.info("housekeeping_skipped", job=name, reason="another daemon is running it")
            return None
        return await work()


class ClaimLoop:
    """Claims due feeds for one daemon and polls them; :meth:`stop` before shutdown."""

    def __init__(
        self,
        leases: FeedLeases,
        owner: str,
        poll: Poll,
        next_poll: NextPoll,
        *,
        lease_seconds: float,
        batch: int,
        on_claimed: Claimed | None = None,
    ) -> None:
        self.leases, self.owner = leases, owner
        self._poll, self._next_poll, self._on_claimed = poll, next_poll, on_claimed
        self.lease_seconds, self.batch = lease_seconds, batch
        self.renew_after = lease_seconds / 3  # a poll running this long has its lease extended
        self.feeds: dict[str, FeedSettings] = {}
        self._claimable = FeedSet(())  # ``feeds`` as claims name them, rebuilt on a change
        self._unpublished: set[str] = set()
        self._running: dict[str, float] = {}  # URL → loop time its lease was last set
        self._tasks: set[asyncio.Task[None]] = set()
        self._claiming = asyncio.Lock()
        self._claim_again = False  # a tick was asked for while one was claiming
        self.stopped = False

    def update(self, feeds: Iterable[FeedSettings]) -> None:
        """Feeds added or changed (a reload): polled with these settings from now on."""
        for feed in feeds:
            self.feeds[feed.url] = feed
            self._unpublished.add(feed.url)
        self._claimable = FeedSet(self.feeds)

    def forget(self, urls: Iterable[str]) -> None:
        """Feeds no longer configured: never claimed again by this daemon."""
        for url in urls:
            self.feeds.pop(url, None)
            self._unpublished.discard(url)
        self._claimable = FeedSet(self.feeds)

    @property
    def polling(self) -> frozenset[str]:
        return frozenset(self._running)

    async def tick(self) -> int:
        """Renew long polls' leases, then claim and start up to the free batch room; the
        number of polls started. A tick asked for while one is claiming is not doubled but
        folded into it: that one claims again for the room freed meanwhile (else a slot
        freed during a claim would idle until the next ``claim_interval``)."""
        if self.stopped:
            return 0
        if self._claiming.locked():
            self._claim_again = True
            return 0
        async with self._claiming:
            if self._unpublished:
                await self.leases.publish_feeds(sorted(self._unpublished))
                self._unpublished.clear()
            await self._renew()
            self._claim_again = False
            started = await self._claim()
            while self._claim_again and not self.stopped:
                self._claim_again = False
                started += await self._claim()
            return started

    async def _claim(self) -> int:
        room = self.batch - len(self._running)
        if room <= 0 or not self.feeds:
            return 0
        claimed = await self.leases.claim_due(self.owner, room, self.lease_seconds, self._claimable)
        return sum(self._start(state, at) for state, at in claimed)

    def _start(self, state: FeedState, claimed_at: datetime) -> bool:
        feed = self.feeds.get(state.url)
        if feed is None or self.stopped:  # dropped by a reload, or stopping, meanwhile
            self._spawn(self._release(state.url, None))
            return False
        if self._on_claimed is not None:
            self._on_claimed(state, claimed_at)
        self._running[state.url] = asyncio.get_running_loop().time()
        self._spawn(self._run(feed))
        return True

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)  # referenced until done, or the loop may drop it
        task.add_done_callback(self._tasks.discard)

    async def _run(self, feed: FeedSettings) -> None:
        outcome: object = None
        try:
            outcome = await self._poll(feed)
        finally:
            when = self._next_poll(feed, outcome) if outcome is not None else None
            self._running.pop(feed.url, None)
            await self._release(feed.url, when)
        if not self.stopped:  # a free slot: claim the next due feed now
            self._spawn(self.claim_now())

    async def _release(self, url: str, next_poll: datetime | None) -> None:
        try:
            if not await self.leases.release(self.owner, url, next_poll):
                log.warning("feed_lease_lost", feed_url=url, instance=self.owner)
        except StoreNotWritableError:  # said by the store; the lease lapses, as below
            pass
        except Exception:  # the lease lapses; another daemon polls the feed then
            log.exception("feed_lease_release_failed", feed_url=url)

    def claim_soon(self) -> None:
        """:meth:`claim_now` in a task of its own, waited for by :meth:`wait_idle`: a
        claim stuck behind a database lock never holds its caller (the daemon's start,
        which must reach its wait for the stop signal)."""
        self._spawn(self.claim_now())

    async def claim_now(self) -> None:
        """:meth:`tick`, its failure logged (the next tick tries again)."""
        try:
            await self.tick()
        except StoreNotWritableError:  # a claim is a write: said by the store, tried again
            pass
        except Exception:
            log.exception("feed_claim_failed", instance=self.owner)

    async def _renew(self) -> None:
        """Leases of polls running past ``renew_after`` seconds are extended."""
        now = asyncio.get_running_loop().time()
        due = [url for url, at in self._running.items() if now - at >= self.renew_after]
        if not due:
            return
        held = await self.leases.renew_leases(self.owner, due, self.lease_seconds)
        for url in due:
            self._running[url] = now if url in held else math.inf  # lost: not asked again
            if url not in held:
                log.warning("feed_lease_lost", feed_url=url, instance=self.owner)

    def stop(self) -> None:
        """No claims from now on; running polls finish (the daemon's drain waits for them)."""
        self.stopped = True

    async def wait_idle(self) -> None:
        """Until every poll started and every lease release has finished (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
