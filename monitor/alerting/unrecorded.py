"""Outcomes the store could not record, kept until it can.

When a notifier took a message and the store then refuses to record it as sent (a full
disk), the delivery would still read as due, and every sweep would send it again. So a
write of a delivery's outcome that fails is kept here: a delivery with a kept outcome is
left alone by every pass (:meth:`UnrecordedOutcomes.without`), and each pass of a
notifier's drain first writes what is kept for that notifier
(:meth:`UnrecordedOutcomes.flush`), oldest first. Per notifier, because each notifier
drains on its own: only its own drain writes its kept outcomes, never while another of
its passes reads its due deliveries, so no pass can read a delivery as due just before
its kept outcome lands and send it again.

Kept in memory only: if the daemon stops before the store takes them, those deliveries
are still pending in the store and go out again at the next start, with the same
idempotency key (at least once, docs/alerting.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog

from monitor.records import DeliveryState
from monitor.store import DeliveryContext, Outbox

log = structlog.get_logger("monitor.alerting.unrecorded")


@dataclass(frozen=True, slots=True)
class _Update:
    notifier: str
    delivery_ids: tuple[int, ...]
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    error: str | None
    hold: str | None
    first_attempt_at: datetime | None

    @property
    def what(self) -> str:
        return self.state

    async def __call__(self, store: Outbox) -> None:
        await store.update_deliveries(
            self.delivery_ids, state=self.state, attempts=self.attempts,
            next_attempt_at=self.next_attempt_at, error=self.error, hold=self.hold,
            first_attempt_at=self.first_attempt_at,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Thread:
    """The first message of (story, rule) on a notifier: settles no delivery."""

    story_id: str
    rule: str
    notifier: str
    ref: str
    delivery_ids: tuple[int, ...] = ()
    what: str = "thread"

    async def __call__(self, store: Outbox) -> None:
        await store.save_thread(self.story_id, self.rule, self.notifier, self.ref)


_Write = _Update | _Thread  # each: the deliveries it settles, what it records, the write


class UnrecordedOutcomes:
    """Outcome writes that failed, in the order they were made."""

    def __init__(self) -> None:
        self._kept: list[_Write] = []
        self._ids: set[int] = set()

    def __len__(self) -> int:
        return len(self._kept)

    def without(self, contexts: Iterable[DeliveryContext]) -> list[DeliveryContext]:
        """``contexts`` but those whose outcome is waiting to be recorded."""
        return [c for c in contexts if c.delivery.delivery_id not in self._ids]

    async def update(
        self,
        store: Outbox,
        delivery_ids: Sequence[int],
        *,
        notifier: str,
        state: DeliveryState,
        attempts: int,
        next_attempt_at: datetime,
        error: str | None,
        hold: str | None = None,
        first_attempt_at: datetime | None = None,
    ) -> None:
        """``store.update_deliveries`` of ``notifier``'s deliveries; kept for later if the
        store refuses it."""
        update = _Update(
            notifier, tuple(delivery_ids), state, attempts, next_attempt_at, error, hold,
            first_attempt_at,
        )  # fmt: skip
        await self._try(store, update)

    async def save_thread(
        self, store: Outbox, story_id: str, rule: str, notifier: str, ref: str
    ) -> None:
        """``store.save_thread``; kept for later if the store refuses it."""
        await self._try(store, _Thread(story_id, rule, notifier, ref))

    async def flush(self, store: Outbox, notifier: str) -> None:
        """Write what is kept for ``notifier``, oldest first, until the store refuses one
        (the rest wait)."""
        written = 0
        for kept in [kept for kept in self._kept if kept.notifier == notifier]:
            try:
                await kept(store)
            except Exception:  # still refused: reported by the store; the next pass retries
                log.debug("delivery_outcomes_waiting", outcomes=len(self._kept))
                break
            self._kept.remove(kept)
            self._ids.difference_update(kept.delivery_ids)
            written += 1
        if written:
            log.info("delivery_outcomes_recorded", outcomes=written, waiting=len(self._kept))

    async def _try(self, store: Outbox, kept: _Write) -> None:
        try:
            await kept(store)
        except Exception as err:  # whatever the store's trouble, the send must not repeat
            self._kept.append(kept)
            self._ids.update(kept.delivery_ids)
            log.warning(
                "delivery_outcome_unrecorded", delivery_ids=list(kept.delivery_ids),
                outcome=kept.what, error=f"{type(err).__name__}: {err}",
            )  # fmt: skip
