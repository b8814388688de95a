"""PostgreSQL side of the outbox: deliveries claimed by one daemon at a time.

A sweep takes its due deliveries with ``FOR UPDATE SKIP LOCKED`` and stamps them with
its daemon's name and a claim expiry (the database's clock); another daemon's sweep
skips them until that claim lapses, so each delivery is sent by one daemon, and one
claimed by a daemon that died is sent by another once its claim expires. The same
daemon may take its own claims again (its sweeps run one at a time). The
Idempotency-Key of a message does not change, so a receiver drops a resend after a
takeover (docs/decisions/0017-leases.md). The rest of the outbox is shared with SQLite
(``monitor.store.sql.base``).
"""

# ruff: noqa: S608 - SQL here is built from constant fragments, never from input

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg

from monitor.store.postgres.schema import Connection, Pool, describe, without_secrets
from monitor.store.sql import statements as sql
from monitor.store.sql.base import SqlStore
from monitor.store.sql.rows import Row
from monitor.store.sql.steps import Steps, changed, rows_of
from monitor.store.writability import postgres_not_writable

# Unclaimed, claimed by this daemon, or claimed by one whose claim lapsed.
_CLAIMABLE = "(d.claimed_by = :owner OR d.claim_expires IS NULL OR d.claim_expires <= now())"


def _claim(picked: str) -> str:
    """Stamp with this daemon's claim the deliveries ``picked`` (what follows ``FROM
    deliveries d``) selects, skipping rows another sweep has locked; return their ids."""
    return f"""
WITH picked AS (
    SELECT d.delivery_id FROM deliveries d {picked}
    FOR UPDATE OF d SKIP LOCKED
)
UPDATE deliveries SET claimed_by = :owner,
                      claim_expires = now() + make_interval(secs => :seconds)
FROM picked WHERE deliveries.delivery_id = picked.delivery_id
RETURNING deliveries.delivery_id
"""


def _due(condition: str) -> str:
    return f"""JOIN alerts al USING (alert_id) WHERE {condition} AND {_CLAIMABLE}
    ORDER BY {sql.DUE_ORDER} LIMIT :limit"""


# What each pick claims, and the order its contexts come in.
_CLAIMS = {
    "due": (_claim(_due(sql.DUE)), sql.DUE_ORDER),
    "due_on": (_claim(_due(sql.DUE_ON)), sql.DUE_ORDER),
    "members": (_claim(f"WHERE {sql.MEMBERS} AND {_CLAIMABLE}"), "d.delivery_id"),
    "held": (_claim(f"WHERE {sql.HELD} AND {_CLAIMABLE}"), sql.HELD_ORDER),
}
# What a sweep writes back (sent, retry, dead, held) ends the claim; it is refused when
# another daemon holds an unexpired claim (it took the delivery over and sends it).
# updated_at is the database's clock: with several daemons, one clock orders the rows.
_UPDATE_DELIVERIES = """
UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?,
                      hold = ?, first_attempt_at = coalesce(first_attempt_at, ?),
                      updated_at = now(), claimed_by = NULL, claim_expires = NULL
WHERE delivery_id = ANY(?)
  AND (claimed_by = ? OR claim_expires IS NULL OR claim_expires <= now())
"""


class PostgresOutbox(SqlStore):
    """The outbox methods of ``PostgresStore`` that claim deliveries for one daemon."""

    _pool: Pool | None = None  # set by PostgresStore.open
    _url: str  # set by PostgresStore: may hold a password, never logged
    # The daemon named in the deliveries it claims, and how long a claim holds (claim_as).
    claim_owner = ""
    claim_seconds = 120.0

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        """A pooled connection for the block; a full disk or a read-only database raised
        as StoreNotWritableError (and reported), other errors as they are."""
        assert self._pool is not None, "store is not open"
        try:
            async with self._pool.connection() as conn:
                yield conn
        except psycopg.Error as err:
            detail = " ".join(without_secrets(str(err), self._url).split())
            problem = postgres_not_writable(err, describe(self._url), detail)
            if problem is None:
                raise
            self.writability.failed(problem)
            raise problem from err

    def _pick(self, which: str, values: dict[str, Any]) -> Steps[list[Row]]:
        """Claim them: the delivery contexts of what ``which`` claims, in its order."""
        statement, order = _CLAIMS[which]
        values = {**values, "owner": self.claim_owner, "seconds": self.claim_seconds}
        stamped = yield from rows_of(statement, values)
        ids = [row["delivery_id"] for row in stamped]
        contexts = f"{sql.DELIVERY_CONTEXT} WHERE d.delivery_id = ANY(?) ORDER BY {order}"
        return (yield from rows_of(contexts, (ids,)))

    def _updates(self, delivery_ids: list[int], values: tuple[Any, ...]) -> Steps[int]:
        return changed(_UPDATE_DELIVERIES, (*values, delivery_ids, self.claim_owner))
