"""Outcomes the store could not record, kept until it can.

When a notifier took a message and the store then refuses to record it as sent (a full
disk), the delivery would still read as due, and every sweep would send it again. So a
batch of outcome writes that fails is kept here: a delivery with a kept outcome is
left alone by every pass (:meth:`UnrecordedOutcomes.without`), and each pass of a
notifier's drain first writes what is kept for that notifier
(:meth:`UnrecordedOutcomes.flush`, in one transaction). Per notifier, because each
notifier drains on its own: only its own drain writes its kept outcomes, never while
another of its passes reads its due deliveries, so no pass can read a delivery as due
just before its kept outcome lands and send it again.

Kept in memory only: if the daemon stops before the store takes them, those deliveries
are still pending in the store and go out again at the next start, with the same
idempotency key (at least once, docs/alerting.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import structlog

from monitor.store import DeliveryContext, DeliveryUpdate, Outbox, ThreadRef

log = structlog.get_logger("monitor.alerting.unrecorded")


@dataclass(frozen=True, slots=True)
class OutcomeWrite:
    """One write of a notifier's outcomes: a delivery update, or the first message of a
    thread (which settles no delivery)."""

    notifier: str
    write: DeliveryUpdate | ThreadRef

    @property
    def delivery_ids(self) -> tuple[int, ...]:
        return self.write.delivery_ids if isinstance(self.write, DeliveryUpdate) else ()

    @property
    def what(self) -> str:
        return str(self.write.state) if isinstance(self.write, DeliveryUpdate) else "thread"


async def record(store: Outbox, writes: Sequence[OutcomeWrite]) -> None:
    """``writes`` in one transaction of the store's: all or none."""
    updates = [kept.write for kept in writes if isinstance(kept.write, DeliveryUpdate)]
    threads = [kept.write for kept in writes if isinstance(kept.write, ThreadRef)]
    await store.record_outcomes(updates, threads)


class UnrecordedOutcomes:
    """Outcome writes the store refused, in the order they were made."""

    def __init__(self) -> None:
        self._kept: list[OutcomeWrite] = []
        self._ids: set[int] = set()

    def __len__(self) -> int:
        return len(self._kept)

    def without(self, contexts: Iterable[DeliveryContext]) -> list[DeliveryContext]:
        """``contexts`` but those whose outcome is waiting to be recorded."""
        return [c for c in contexts if c.delivery.delivery_id not in self._ids]

    def keep(self, writes: Sequence[OutcomeWrite], err: Exception) -> None:
        """``writes`` were refused: keep them; their deliveries are not sent meanwhile."""
        self._kept.extend(writes)
        for kept in writes:
            self._ids.update(kept.delivery_ids)
            log.warning(
                "delivery_outcome_unrecorded", notifier=kept.notifier,
                delivery_ids=list(kept.delivery_ids), outcome=kept.what,
                error=f"{type(err).__name__}: {err}",
            )  # fmt: skip

    async def flush(self, store: Outbox, notifier: str) -> None:
        """Write what is kept for ``notifier`` in one transaction, or keep it all."""
        mine = [kept for kept in self._kept if kept.notifier == notifier]
        if not mine:
            return
        try:
            await record(store, mine)
        except Exception:  # still refused: reported by the store; the next pass retries
            log.debug("delivery_outcomes_waiting", outcomes=len(self._kept))
            return
        self._kept = [kept for kept in self._kept if kept.notifier != notifier]
        for kept in mine:
            self._ids.difference_update(kept.delivery_ids)
        log.info("delivery_outcomes_recorded", outcomes=len(mine), waiting=len(self._kept))
