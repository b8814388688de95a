"""Sends to one notifier side by side: up to the route's concurrency, never out of order
within a story, a Retry-After holding the rest back, outcomes recorded in batches.

Real loopback receivers whose answers the test releases (a gate); what is in flight is
counted where the dispatcher calls the notifier (the real webhook notifier, noting when
each send starts and ends), after letting the loop run every ready task, so a fourth send
or an overtaking update starting a moment later is seen, without timing. The batch test
counts the store's transactions at ``record_outcomes`` (the seam every outcome write goes
through)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import httpx

import notifiers
from monitor.config.alerting import QuietHours, RouteSettings, UpdateSettings
from monitor.store import DeliveryUpdate, ThreadRef
from monitor.store.interface import Store
from tests.support.daemon_process import HANG_GUARD
from tests.support.desk import Desk, webhook
from tests.support.loop_turns import run_ready_tasks
from tests.support.receiver import HttpReceiver, ReceivedRequest, Response
from tests.support.stories import NOW

STORIES = tuple(f"s{n}" for n in range(1, 9))


def _stories(requests: list[ReceivedRequest]) -> list[str]:
    return [request.json()["story_id"] for request in requests]


class TrackedWebhook(notifiers.WebhookNotifier):
    """The real webhook notifier, noting each send's start and end as the dispatcher
    sees them: ``(event, story_id, alert_id)``, and the most sends ever in flight."""

    def __init__(self, url: str, http: httpx.AsyncClient) -> None:
        config = notifiers.WebhookConfig(url=url, timeout=120)
        super().__init__("hook", config, http=http)
        self.events: list[tuple[str, str, str]] = []
        self.in_flight = self.peak = 0
        self._changed = asyncio.Condition()

    async def send(self, alert: notifiers.Alert) -> notifiers.Sent | None:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await self._note("start", alert)
        try:
            return await super().send(alert)
        finally:
            self.in_flight -= 1
            await self._note("end", alert)

    async def until(self, check: Callable[[], bool]) -> None:
        async with self._changed:
            await self._changed.wait_for(check)

    def of(self, story: str) -> list[tuple[str, str]]:
        return [(event, alert_id) for event, s, alert_id in self.events if s == story]

    async def _note(self, event: str, alert: notifiers.Alert) -> None:
        async with self._changed:
            self.events.append((event, alert.story_id, alert.alert_id))
            self._changed.notify_all()


async def test_an_update_never_overtakes_its_first_alert_held_by_a_slow_receiver(
    store: Store, http: httpx.AsyncClient
) -> None:
    """s1's first alert hangs at the receiver; the other stories go out beside it, and
    s1's two updates wait for it, then follow in order, none starting before the one
    before it ended."""
    gate = threading.Event()
    slow_first = {"held": False}

    def answer(request: ReceivedRequest) -> Response:
        if request.json()["story_id"] == "s1" and not slow_first["held"]:
            slow_first["held"] = True
            return Response(gate=gate)
        return Response()

    with HttpReceiver(default=answer) as receiver:
        hook = TrackedWebhook(receiver.url(), http)
        desk = Desk(store, {"hook": hook}, updates=UpdateSettings(outlets=(2, 3)))
        for story, outlet in [("s1", 1), ("s2", 1), ("s3", 1), ("s4", 1), ("s1", 2), ("s1", 3)]:
            desk.now += timedelta(seconds=1)  # raised one after another
            await desk.alert(story, outlet=outlet)
        sweeping = asyncio.create_task(desk.sweep())

        def others_ended() -> bool:
            return {s for e, s, _ in hook.events if e == "end"} >= {"s2", "s3", "s4"}

        await asyncio.wait_for(hook.until(others_ended), HANG_GUARD)  # slots are free
        await run_ready_tasks()
        assert [event for event, _ in hook.of("s1")] == ["start"]  # no update went ahead
        gate.set()
        assert await asyncio.wait_for(sweeping, HANG_GUARD) == {"sent": 6}
        received = [r.json() for r in receiver.requests if r.json()["story_id"] == "s1"]
    raised = await store.list_alerts(NOW - timedelta(days=1))
    in_order = [listed.alert.alert_id for listed in reversed(raised)]
    s1 = [alert_id for alert_id in in_order if alert_id in {a["alert_id"] for a in received}]
    assert hook.of("s1") == [(event, alert_id) for alert_id in s1 for event in ("start", "end")]
    assert [a["event"] for a in received] == ["new", "update", "update"]
    assert await desk.states() == {"sent": 6}


async def test_sends_go_out_side_by_side_up_to_the_route_concurrency(
    store: Store, http: httpx.AsyncClient
) -> None:
    """Every answer held: with concurrency 3, three sends are in flight and no fourth
    starts until one ends; released, all eight go out once."""
    gate = threading.Event()
    with HttpReceiver(default=Response(gate=gate)) as receiver:
        routes = {"hook": RouteSettings(concurrency=3)}
        hook = TrackedWebhook(receiver.url(), http)
        desk = Desk(store, {"hook": hook}, routes=routes)
        for story in STORIES:
            await desk.alert(story)
        sweeping = asyncio.create_task(desk.sweep())
        await asyncio.to_thread(receiver.wait_for, 3)  # three held at the receiver
        await run_ready_tasks()
        in_flight = hook.peak
        gate.set()
        assert await asyncio.wait_for(sweeping, HANG_GUARD) == {"sent": len(STORIES)}
        received = sorted(_stories(receiver.requests))
    assert (in_flight, hook.peak) == (3, 3)
    assert received == sorted(STORIES)


async def test_a_retry_after_holds_back_the_rest_of_the_pass(
    store: Store, http: httpx.AsyncClient
) -> None:
    """The receiver answers 429 with Retry-After: 120 to the first send; the others are
    not sent at it meanwhile but held (no attempt spent) until then, and then go out."""
    with HttpReceiver() as receiver:
        receiver.enqueue(Response(429, {"Retry-After": "120"}, b"slow down"))
        routes = {"hook": RouteSettings(concurrency=1)}
        desk = Desk(store, {"hook": webhook(receiver.url(), http)}, routes=routes)
        for story in STORIES[:3]:
            await desk.alert(story)
        assert await desk.sweep() == {"retry": 1, "deferred": 2}
        assert len(receiver.requests) == 1
        assert await desk.sweep_when_due() == {"sent": 3}
        received = sorted(_stories(receiver.requests[1:]))
    assert received == list(STORIES[:3])


class CountingOutbox:
    """The store, counting the transactions that record outcomes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.transactions: list[int] = []  # outcome writes in each

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def record_outcomes(
        self, updates: Sequence[DeliveryUpdate], threads: Sequence[ThreadRef] = ()
    ) -> None:
        self.transactions.append(len(updates) + len(threads))
        await self.store.record_outcomes(updates, threads)


class HeldChannel:
    """A notifier whose sends all wait for one release (the dispatcher's seam)."""

    name = "held"

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.waiting = 0
        self.started = asyncio.Event()

    async def send(self, alert: notifiers.Alert) -> None:
        self.waiting += 1
        if self.waiting == len(STORIES):
            self.started.set()
        await self.release.wait()

    async def aclose(self) -> None:
        return None


async def test_sends_that_end_together_are_recorded_in_one_transaction(store: Store) -> None:
    outbox, channel = CountingOutbox(store), HeldChannel()
    desk = Desk(outbox, {"held": channel})
    for story in STORIES:
        await desk.alert(story)
    sweeping = asyncio.create_task(desk.sweep())
    await asyncio.wait_for(channel.started.wait(), HANG_GUARD)  # all eight in flight
    channel.release.set()
    assert await asyncio.wait_for(sweeping, HANG_GUARD) == {"sent": len(STORIES)}
    assert outbox.transactions == [len(STORIES)]
    assert await store.delivery_counts() == {"sent": len(STORIES)}


async def test_a_pass_that_holds_many_deliveries_records_them_in_one_transaction(
    store: Store,
) -> None:
    outbox, channel = CountingOutbox(store), HeldChannel()
    quiet = QuietHours(start="00:00", end="23:59", timezone="UTC", unless_severity=None)
    routes = {"held": RouteSettings(quiet_hours=quiet)}
    desk = Desk(outbox, {"held": channel}, routes=routes)
    for story in STORIES:
        await desk.alert(story)
    assert await desk.sweep() == {"deferred": len(STORIES)}
    assert outbox.transactions == [len(STORIES)]
