"""An outcome the store refuses to record is kept and recorded later, never sent again
meanwhile. The store is real; it refuses its delivery writes through a wrapper at
``record_outcomes`` (the seam every outcome write of the dispatcher goes through), as a
full disk would make it (the full disk itself: tests/monitor/daemon/test_full_disk.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

import notifiers
from monitor.alerting.dispatch import Dispatcher
from monitor.alerting.retries import MAX_BACKOFF
from monitor.observability import Redactor
from monitor.records.models import DedupDecision, Verdict
from monitor.store import DeliveryUpdate, NotWritableCause, StoreNotWritableError, ThreadRef
from monitor.store.interface import Store
from tests.support.one_alert import ALERT, ARTICLE, NOW, ScriptedChannel
from tests.support.stores import STORE_BACKENDS, opened_store


class RefusingOutbox:
    """The store, but its delivery writes refused while ``refusing`` is set."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.refusing = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def _refuse(self) -> None:
        if self.refusing:
            raise StoreNotWritableError(NotWritableCause.DISK_FULL, "test.db", "disk is full")

    async def record_outcomes(
        self, updates: Sequence[DeliveryUpdate], threads: Sequence[ThreadRef] = ()
    ) -> None:
        self._refuse()
        await self.store.record_outcomes(updates, threads)


@pytest.fixture(name="store", params=STORE_BACKENDS)
async def _store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with opened_store(request.param, tmp_path) as store:
        await store.record_article(ARTICLE, DedupDecision(Verdict.NEW_STORY, "s1"), [ALERT])
        yield store


def _dispatcher(outbox: RefusingOutbox, channel: ScriptedChannel, clock: list[Any]) -> Dispatcher:
    return Dispatcher(
        outbox,
        {channel.name: channel},
        max_attempts=3,
        redact=Redactor([]),
        clock=lambda: clock[0],
    )


async def test_a_send_whose_outcome_cannot_be_recorded_is_not_sent_again(store: Store) -> None:
    outbox, channel, clock = RefusingOutbox(store), ScriptedChannel("hook", []), [NOW]
    dispatcher = _dispatcher(outbox, channel, clock)
    with capture_logs() as logs:
        for _ in range(3):  # the store still says pending: each sweep would send it again
            await dispatcher.sweep()
            clock[0] += MAX_BACKOFF
    assert [alert.alert_id for alert in channel.sent] == ["al1"]
    assert await store.delivery_counts() == {"pending": 1}
    (unrecorded,) = [entry for entry in logs if entry["event"] == "delivery_outcome_unrecorded"]
    assert unrecorded["outcome"] == "sent" and "disk is full" in unrecorded["error"]

    outbox.refusing = False  # space is back: the next sweep records it first
    with capture_logs() as logs:
        await dispatcher.sweep()
    assert await store.delivery_counts() == {"sent": 1}
    assert len(channel.sent) == 1
    assert len(dispatcher.unrecorded) == 0
    assert {"event": "delivery_outcomes_recorded", "outcomes": 1, "waiting": 0,
            "log_level": "info"} in logs  # fmt: skip


async def test_a_retry_that_cannot_be_recorded_waits_for_its_backoff(store: Store) -> None:
    """The failed send's retry time is kept too: no sweep resends before it is recorded."""
    failure = notifiers.NotifyError("503", retryable=True)
    outbox, channel, clock = RefusingOutbox(store), ScriptedChannel("hook", [failure]), [NOW]
    dispatcher = _dispatcher(outbox, channel, clock)
    await dispatcher.sweep()  # fails; "retry later" is not recorded
    await dispatcher.sweep()
    assert channel.sent == [] and channel.failures == []
    outbox.refusing = False
    await dispatcher.sweep()  # records the retry; it is not due yet
    assert channel.sent == []
    (due,) = await store.due_deliveries(NOW + MAX_BACKOFF, 10)
    assert due.delivery.attempts == 1
    clock[0] = NOW + MAX_BACKOFF
    await dispatcher.sweep()
    assert [alert.alert_id for alert in channel.sent] == ["al1"]
    assert await store.delivery_counts() == {"sent": 1}
