"""PostgreSQL side of the outbox: due and held deliveries claimed for one daemon among
several (decision 0017), and their updates ending the claim.

:class:`PostgresOutbox` is mixed into ``PostgresStore``; each method takes one pooled
connection for one statement or one short transaction. The rest of the outbox, and
every row mapper, is shared with SQLite (``monitor.store.sql``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from monitor.store.postgres.claims import CLAIM_STILL_OURS, RELEASE_CLAIM, Claimant, contexts_of
from monitor.store.postgres.schema import Connection, Pool
from monitor.store.records import DeliveryContext
from monitor.store.sql import rows
from monitor.store.sql import statements as sql

# updated_at is the database's clock: with several daemons, one clock orders the rows.
_UPDATE_DELIVERIES = f"""
UPDATE deliveries SET state = %s, attempts = %s, next_attempt_at = %s, last_error = %s,
                      hold = %s, updated_at = now(){RELEASE_CLAIM}
WHERE delivery_id = ANY(%s){CLAIM_STILL_OURS}"""  # noqa: S608 (constant fragments)


async def _due(
    conn: Connection, now: datetime, limit: int, claimant: Claimant
) -> list[DeliveryContext]:
    """Due deliveries and their batches' members, claimed for this daemon (0017)."""
    claimed = await claimant.due(conn, now, limit)
    found = await contexts_of(conn, claimed, sql.DUE_ORDER)
    seen = {row["delivery_id"] for row in found}
    for batch_id in dict.fromkeys(row["batch_id"] for row in found if row["batch_id"]):
        members = await contexts_of(conn, await claimant.members(conn, batch_id), "d.delivery_id")
        found += [row for row in members if row["delivery_id"] not in seen]
        seen.update(row["delivery_id"] for row in members)
    return [rows.delivery_context(row) for row in found]


class PostgresOutbox:
    """The outbox methods of ``PostgresStore`` that SQLite does its own way."""

    _pool: Pool | None = None  # set by PostgresStore.open
    _claimant: Claimant | None = None

    @property
    def claimant(self) -> Claimant:
        """This store's daemon name and claim length for outbox deliveries."""
        if self._claimant is None:
            self._claimant = Claimant()
        return self._claimant

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        assert self._pool is not None, "store is not open"
        async with self._pool.connection() as conn:
            yield conn

    async def due_deliveries(self, now: datetime, limit: int) -> list[DeliveryContext]:
        # One snapshot for the due rows and their batches' members.
        async with self._connection() as conn, conn.transaction():
            return await _due(conn, now, limit, self.claimant)

    async def held_deliveries(self, notifier: str, hold: str) -> list[DeliveryContext]:
        async with self._connection() as conn, conn.transaction():
            ids = await self.claimant.held(conn, notifier, hold)
            found = await contexts_of(conn, ids, sql.HELD_ORDER)
        return [rows.delivery_context(row) for row in found]

    async def update_deliveries(
        self,
        delivery_ids: Sequence[int],
        *,
        state: str,
        attempts: int,
        next_attempt_at: datetime,
        error: str | None,
        hold: str | None = None,
    ) -> None:
        values = (state, attempts, next_attempt_at, error, hold, list(delivery_ids))
        async with self._connection() as conn:
            await conn.execute(_UPDATE_DELIVERIES, (*values, self.claimant.owner))
