"""Each notifier drains on its own: a hanging receiver beside a healthy one, and a
reconfiguration beside a hanging send. Real loopback receivers; the hanging one answers
only when the test releases it at the end, so nothing here depends on timing."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

import notifiers
from monitor.config.alerting import RouteSettings
from monitor.observability import Redactor
from monitor.store import DeliveryUpdate, ThreadRef
from monitor.store.interface import Store
from tests.support.daemon_process import HANG_GUARD
from tests.support.desk import Desk, webhook
from tests.support.loop_turns import run_ready_tasks
from tests.support.receiver import HttpReceiver, ReceivedRequest, Response

QUEUED = ("s1", "s2", "s3", "s4", "s5", "s6")


class ClosingWebhook(notifiers.WebhookNotifier):
    """The real webhook notifier, telling when it was closed."""

    closed = False

    async def aclose(self) -> None:
        self.closed = True


def _stories(requests: list[ReceivedRequest]) -> list[str]:
    return [request.json()["story_id"] for request in requests]


def _closing(url: str, http: httpx.AsyncClient, name: str) -> ClosingWebhook:
    config = notifiers.WebhookConfig(url=url, timeout=120)
    return ClosingWebhook(name, config, http=http)


async def test_a_hanging_receiver_holds_back_no_other_notifier(
    store: Store, http: httpx.AsyncClient
) -> None:
    """Six alerts queued for a receiver that hangs (all six sends in flight at once, within
    the default concurrency); a new alert for both notifiers reaches the healthy one
    while the hanging one still holds every request."""
    gate = threading.Event()
    with HttpReceiver(default=Response(gate=gate)) as slow, HttpReceiver() as fast:
        desk = Desk(store, {
            "slow": webhook(slow.url(), http, name="slow", timeout=120),
            "fast": webhook(fast.url(), http, name="fast"),
        })  # fmt: skip
        for story in QUEUED:
            await desk.alert(story, notifiers=("slow",))
        draining = asyncio.create_task(desk.sweep())
        await asyncio.to_thread(slow.wait_for, len(QUEUED))  # its sends hang
        await desk.alert("s7")  # for both notifiers

        beside = await asyncio.wait_for(desk.sweep(), HANG_GUARD)

        assert (beside, _stories(fast.requests)) == ({"sent": 1}, ["s7"])
        assert len(slow.requests) == len(QUEUED) and not draining.done()  # still hanging
        gate.set()
        assert await draining == {"sent": 7}  # its queue, then s7 right after it
        received = _stories(slow.requests)
    assert sorted(received) == [*QUEUED, "s7"]  # each once
    assert await desk.states() == {"sent": 8}


async def test_a_reconfiguration_beside_a_hanging_send_waits_for_it_and_loses_nothing(
    store: Store, http: httpx.AsyncClient
) -> None:
    """While the hanging notifier's send is in flight, the config drops that notifier and
    moves the other to a new address. Neither step waits for the send; the send finishes,
    is recorded once and its channel closed after it; what is left of the dropped
    notifier's queue is dead-lettered, as for any notifier no longer configured. The
    hanging notifier sends one at a time (concurrency 1), so s2 is still queued."""
    gate = threading.Event()
    with (
        HttpReceiver(default=Response(gate=gate)) as slow,
        HttpReceiver() as old_fast,
        HttpReceiver() as new_fast,
    ):
        slow_hook, fast_hook = (
            _closing(slow.url(), http, "slow"),
            _closing(old_fast.url(), http, "fast"),
        )
        one_at_a_time = {"slow": RouteSettings(concurrency=1)}
        desk = Desk(store, {"slow": slow_hook, "fast": fast_hook}, routes=one_at_a_time)
        for story in ("s1", "s2"):
            await desk.alert(story, notifiers=("slow",))
        draining = asyncio.create_task(desk.sweep())
        await asyncio.to_thread(slow.wait_for, 1)  # s1 hangs
        assert desk.dispatcher is not None

        moved = webhook(new_fast.url(), http, name="fast")
        desk.dispatcher.reconfigure({"fast": moved}, max_attempts=4, redact=Redactor([]), routes={})
        await asyncio.wait_for(desk.dispatcher.retire([slow_hook, fast_hook]), HANG_GUARD)
        await desk.alert("s3", notifiers=("fast",))
        assert await asyncio.wait_for(desk.sweep(), HANG_GUARD) == {"sent": 1}

        assert (fast_hook.closed, slow_hook.closed) == (True, False)  # slow's send goes on
        gate.set()
        assert await draining == {"sent": 1, "dead": 1}
        assert slow_hook.closed
        assert _stories(slow.requests) == ["s1"]
    assert (_stories(new_fast.requests), old_fast.requests) == (["s3"], [])
    assert await desk.states() == {"sent": 2, "dead": 1}


class FailingClose(notifiers.WebhookNotifier):
    """The real webhook notifier, whose closing fails."""

    async def aclose(self) -> None:
        raise RuntimeError("close failed")


class HeldWrites:
    """The store, holding each outcome write until the test releases it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.writing = asyncio.Event()
        self.release = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def record_outcomes(
        self, updates: Sequence[DeliveryUpdate], threads: Sequence[ThreadRef] = ()
    ) -> None:
        self.writing.set()
        await self.release.wait()
        await self.store.record_outcomes(updates, threads)


async def test_a_failed_pass_still_ends_after_its_outcomes_are_recorded(
    store: Store, http: httpx.AsyncClient
) -> None:
    """A retired notifier's aclose fails right after its send: the pass fails, but only
    once the send is recorded, so the next pass cannot read it as due and send it again."""
    gate = threading.Event()
    with HttpReceiver(default=Response(gate=gate)) as receiver:
        config = notifiers.WebhookConfig(url=receiver.url(), timeout=120)
        hook = FailingClose("hook", config, http=http)
        outbox = HeldWrites(store)
        desk = Desk(outbox, {"hook": hook})
        await desk.alert("s1")
        sweeping = asyncio.create_task(desk.sweep())
        await asyncio.to_thread(receiver.wait_for, 1)
        assert desk.dispatcher is not None
        desk.dispatcher.reconfigure({}, max_attempts=4, redact=Redactor([]), routes={})
        await desk.dispatcher.retire([hook])  # closed once its send is recorded
        gate.set()
        await asyncio.wait_for(outbox.writing.wait(), HANG_GUARD)  # the send's outcome
        await run_ready_tasks()
        assert not sweeping.done()  # the failed pass waits for its outcome
        outbox.release.set()
        with pytest.raises(RuntimeError, match="close failed"):
            await asyncio.wait_for(sweeping, HANG_GUARD)
    assert await desk.states() == {"sent": 1}
    assert len(receiver.requests) == 1
