"""Group commit of delivery outcomes: many sends, one transaction.

Each outcome (sent, retry, dead, held, silenced, a thread's first message) is handed to
the :class:`OutcomeRecorder` without waiting for the store. One write runs at a time;
whatever comes in while it runs goes into the next, as one transaction
(``Outbox.record_outcomes``). So deliveries sent side by side are recorded together,
and a pass that defers a hundred deliveries writes them once. A pass waits for its
outcomes (:meth:`OutcomeRecorder.settled`) before it ends: the next pass reads due
deliveries only once every earlier outcome of its notifier is in the store or kept as
unrecorded (``monitor.alerting.unrecorded``), so nothing is sent twice.

What a crash loses is the outcomes of the write in progress and those waiting for it:
those deliveries are still pending and go out again with the same idempotency key, as
after a crash between a send and its record before (at least once, docs/alerting.md).
"""

from __future__ import annotations

import asyncio

from monitor.alerting.unrecorded import OutcomeWrite, UnrecordedOutcomes, record
from monitor.store import Outbox

MAX_WRITES = 500  # outcome writes in one transaction at most


class OutcomeRecorder:
    """Writes outcomes in batches, one transaction each, in the order they came."""

    def __init__(self, store: Outbox, unrecorded: UnrecordedOutcomes) -> None:
        self._store = store
        self._unrecorded = unrecorded
        self._pending: list[OutcomeWrite] = []
        self._writer: asyncio.Task[None] | None = None
        self._added = 0  # writes handed in so far
        self._done = 0  # writes recorded or kept so far
        self._progress: asyncio.Future[None] | None = None  # resolved after each batch

    def add(self, write: OutcomeWrite) -> None:
        """Record ``write`` with the next batch."""
        self._pending.append(write)
        self._added += 1
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="outcome recorder")

    async def settled(self) -> None:
        """Until every write handed in before this call is recorded (or kept)."""
        target = self._added
        while self._done < target:
            if self._progress is None:
                self._progress = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._progress)

    async def _write_all(self) -> None:
        while self._pending:
            batch = self._pending[:MAX_WRITES]
            del self._pending[:MAX_WRITES]
            try:
                await record(self._store, batch)
            except Exception as err:  # whatever the store's trouble, no send may repeat
                self._unrecorded.keep(batch, err)
            self._done += len(batch)
            progress, self._progress = self._progress, None
            if progress is not None:
                progress.set_result(None)
