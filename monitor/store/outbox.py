"""The outbox as the store keeps it: the operations dispatch needs.

Every backend implements :class:`Outbox` (``Store`` extends it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from monitor.records import AlertRecord, Delivery, DeliveryState, Feedback, Silence
from monitor.store.records import DeliveryContext, NotifierQueue

STATES = tuple(DeliveryState)


@dataclass(frozen=True, slots=True)
class DeliveryUpdate:
    """One outcome to write to ``delivery_ids`` (a unit's deliveries share it)."""

    delivery_ids: tuple[int, ...]
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    error: str | None
    hold: str | None = None
    first_attempt_at: datetime | None = None  # kept from the first write that gives one


def last_per_delivery(updates: Sequence[DeliveryUpdate]) -> list[DeliveryUpdate]:
    """What ``updates`` applied one after another leave: each delivery's last outcome
    (and the first ``first_attempt_at`` given, as the store keeps it), grouped by outcome
    so one statement writes each group, whatever order the groups then run in."""
    last: dict[int, DeliveryUpdate] = {}
    for update in updates:
        for delivery_id in update.delivery_ids:
            earlier = last.get(delivery_id)
            first = earlier.first_attempt_at if earlier else None
            last[delivery_id] = replace(
                update, delivery_ids=(), first_attempt_at=first or update.first_attempt_at
            )
    alike: dict[DeliveryUpdate, list[int]] = {}
    for delivery_id, update in last.items():
        alike.setdefault(update, []).append(delivery_id)
    return [replace(update, delivery_ids=tuple(ids)) for update, ids in alike.items()]


@dataclass(frozen=True, slots=True)
class ThreadRef:
    """The first message of (story, rule) on a notifier, as the receiver named it."""

    story_id: str
    rule: str
    notifier: str
    ref: str


@dataclass(frozen=True, slots=True)
class AlertListing:
    """One alert with its headline, every delivery of it and every verdict on it, oldest
    first (``wirewatch alerts``)."""

    alert: AlertRecord
    title: str
    deliveries: tuple[Delivery, ...]
    feedback: tuple[Feedback, ...] = ()

    @property
    def verdict(self) -> Feedback | None:
        """The verdict that counts: the latest one."""
        return self.feedback[-1] if self.feedback else None


class Outbox(Protocol):
    """Alerts waiting to be sent, and what dispatch needs to send them well."""

    async def due_deliveries(
        self, now: datetime, limit: int, notifier: str | None = None
    ) -> list[DeliveryContext]:
        """Pending deliveries due by ``now`` (on ``notifier`` only, when given), oldest
        first, with every member of a due batch.

        A delivery waits while an earlier alert of the same story and rule has a pending,
        not yet due delivery on the same notifier: updates follow their first message.
        """

    async def notifier_queues(
        self, now: datetime, notifier: str | None = None
    ) -> dict[str, NotifierQueue]:
        """Each notifier with pending deliveries (or ``notifier`` alone): whether any is due
        by ``now`` (as far as times go; an update may still wait for its first message),
        and when the earliest of the others comes due."""

    async def held_deliveries(self, notifier: str, hold: str) -> list[DeliveryContext]:
        """Pending, unbatched deliveries on ``notifier`` waiting for reason ``hold``."""

    async def update_deliveries(
        self,
        delivery_ids: Sequence[int],
        *,
        state: DeliveryState,
        attempts: int,
        next_attempt_at: datetime,
        error: str | None,
        hold: str | None = None,
        first_attempt_at: datetime | None = None,
    ) -> None:
        """Write a delivery's outcome; ``first_attempt_at`` is kept from the first write
        that gives one (the start of its retry budget)."""

    async def record_outcomes(
        self, updates: Sequence[DeliveryUpdate], threads: Sequence[ThreadRef] = ()
    ) -> None:
        """Write many outcomes and thread references in one transaction: all or none
        (the dispatcher's group commit)."""

    async def claim_batch(self, batch_id: str, delivery_ids: Sequence[int]) -> None:
        """Fix a batch's members before its first send, so retries resend the same message."""

    async def save_thread(self, story_id: str, rule: str, notifier: str, ref: str) -> None:
        """Remember the first message of (story, rule) on a notifier; later calls keep it."""

    async def delivery_counts(self) -> dict[str, int]: ...

    async def add_silence(self, silence: Silence) -> Silence: ...

    async def silences(self, active_at: datetime | None = None) -> list[Silence]:
        """Every silence, or those active at ``active_at``; soonest to expire first."""

    async def remove_silence(self, silence_id: int) -> bool: ...

    async def list_alerts(
        self, since: datetime, state: str | None = None, limit: int = 500
    ) -> list[AlertListing]:
        """Alerts raised since ``since``, newest first; with ``state``, only those having a
        delivery in that state."""

    async def alert_listing(self, alert_id: str) -> AlertListing | None:
        """One alert as :meth:`list_alerts` gives it, None when there is no such alert."""
