"""Each notifier's drain: its due deliveries sent beside, never behind, other notifiers'.

A drain *run* is a task making passes over one notifier's due deliveries (the
dispatcher's pass) until no further pass is asked for. A notifier has at most one run at
a time, and a pass sends side by side only what it read (``monitor.alerting.lanes``), so
one delivery is never in two sends at once;
notifiers run side by side, so a slow or hanging receiver holds back its own deliveries
only. Starting a drain that is running asks it for another pass instead (``again``):
what came due meanwhile goes out right after the send in flight.

With timers on (the running daemon) a drain also wakes itself when its next delivery
comes due (a retry, the end of a hold), as the store's
:class:`~monitor.store.NotifierQueue` says after each run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, ItemsView
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

import notifiers
from monitor.alerting.passes import DispatchSummary
from monitor.alerting.routing import RateLimiter
from monitor.store import Outbox, StoreNotWritableError

log = structlog.get_logger("monitor.alerting.drains")

Run = asyncio.Task[DispatchSummary]
PassRunner = Callable[[str, DispatchSummary], Awaitable[None]]


@dataclass(slots=True)
class Drain:
    """One notifier's drain, kept across runs (its rate limit across reloads, too, unless
    its route changed)."""

    limiter: RateLimiter | None = None
    run: Run | None = None
    again: bool = False  # another pass is wanted after the one in progress
    timer: asyncio.TimerHandle | None = None
    sending: list[notifiers.Notifier] = field(default_factory=list)  # channels of sends in flight

    @property
    def busy(self) -> bool:
        return self.run is not None and not self.run.done()


class Drains:
    """Every notifier's drain, by name; starts runs, wakes them, waits for them."""

    def __init__(
        self,
        store: Outbox,
        run_pass: PassRunner,
        *,
        after_run: Callable[[], Awaitable[None]],
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._run_pass = run_pass
        self._after_run = after_run
        self._clock = clock
        self._drains: dict[str, Drain] = {}
        self._timers = False

    def __getitem__(self, name: str) -> Drain:
        return self._drains.setdefault(name, Drain())

    def items(self) -> ItemsView[str, Drain]:
        return self._drains.items()

    def sending_on(self, channel: notifiers.Notifier) -> bool:
        return any(one is channel for drain in self._drains.values() for one in drain.sending)

    async def start_due(self, *, timers: bool = False) -> list[Run]:
        """A run for each notifier with deliveries due now (a running drain is asked for
        another pass instead); the runs started. ``timers`` turns wake-ups on for good:
        the other notifiers' drains wake when their next delivery comes due."""
        self._timers = self._timers or timers
        started: list[Run] = []
        for name, queue in (await self._store.notifier_queues(self._clock())).items():
            if queue.due:
                run = self.start(name)
                started += [run] if run is not None else []
            elif self._timers and queue.upcoming is not None:
                self._arm(name, queue.upcoming)
        return started

    def start(self, name: str) -> Run | None:
        """A new run of ``name``'s drain, or None when one is running (it passes again)."""
        drain = self[name]
        drain.again = True
        if drain.busy:
            return None
        drain.run = asyncio.create_task(self._run(name, drain), name=f"drain {name}")
        drain.run.add_done_callback(_retrieve)
        return drain.run

    async def wait_idle(self) -> None:
        """Until no drain runs, runs started meanwhile included."""
        while runs := self._running():
            await asyncio.wait(runs)

    async def aclose(self) -> None:
        """No more wake-ups; a run still going is cancelled (what it has not sent stays
        pending, for the next start)."""
        self._timers = False
        for drain in self._drains.values():
            if drain.timer is not None:
                drain.timer.cancel()
        runs = self._running()
        for run in runs:
            run.cancel()
        await asyncio.gather(*runs, return_exceptions=True)

    def _running(self) -> list[Run]:
        return [
            drain.run
            for drain in self._drains.values()
            if drain.run is not None and not drain.run.done()
        ]

    async def _run(self, name: str, drain: Drain) -> DispatchSummary:
        summary = DispatchSummary()
        try:
            while drain.again:  # asked again while the run was finishing: it carries on
                started = await self._passes(name, drain, summary)
                await self._after_run()
                if self._timers:
                    await self._rearm(name, started)
        except StoreNotWritableError:  # said by the store; the next run tries again
            raise
        except Exception:
            log.exception("drain_failed", notifier=name)
            raise
        return summary

    async def _passes(self, name: str, drain: Drain, summary: DispatchSummary) -> datetime:
        """Passes while another is asked for; when the last one started."""
        started = self._clock()
        while drain.again:
            drain.again, started = False, self._clock()
            await self._run_pass(name, summary)
        return started

    async def _rearm(self, name: str, since: datetime) -> None:
        """Wake when the earliest delivery not due at the last pass's start comes due."""
        queue = (await self._store.notifier_queues(since, name)).get(name)
        if queue is not None and queue.upcoming is not None:
            self._arm(name, queue.upcoming)

    def _arm(self, name: str, moment: datetime) -> None:
        drain = self[name]
        if drain.timer is not None:
            drain.timer.cancel()
        delay = max((moment - self._clock()).total_seconds(), 0.0)
        drain.timer = asyncio.get_running_loop().call_later(delay, self._woken, name)

    def _woken(self, name: str) -> None:
        self[name].timer = None
        if self._timers:
            self.start(name)


def _retrieve(run: asyncio.Task[Any]) -> None:
    """A run nobody awaits (started by a kick or a timer) that failed was logged already."""
    if not run.cancelled():
        run.exception()
