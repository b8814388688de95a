"""Outbox deliveries claimed by one daemon at a time on a shared PostgreSQL database.

A sweep takes its due deliveries with ``FOR UPDATE SKIP LOCKED`` and stamps them with
its daemon's name and a claim expiry (the database's clock); another daemon's sweep
skips them until that claim lapses, so each delivery is sent by one daemon, and one
claimed by a daemon that died is sent by another once its claim expires. The same
daemon may take its own claims again (its sweeps run one at a time). The
Idempotency-Key of a message does not change, so a receiver drops a resend after a
takeover (docs/decisions/0017-leases.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from monitor.store.postgres.schema import Connection
from monitor.store.sql.statements import DELIVERY_CONTEXT, DUE_ORDER

Row = dict[str, Any]

# Unclaimed, claimed by this daemon, or claimed by one whose claim lapsed.
_CLAIMABLE = "(d.claimed_by = %(owner)s OR d.claim_expires IS NULL OR d.claim_expires <= now())"
_STAMP = """
UPDATE deliveries SET claimed_by = %(owner)s,
                      claim_expires = now() + make_interval(secs => %(seconds)s)
FROM picked WHERE deliveries.delivery_id = picked.delivery_id
RETURNING deliveries.delivery_id
"""
_DUE = f"""
WITH picked AS (
    SELECT d.delivery_id FROM deliveries d JOIN alerts al USING (alert_id)
    WHERE d.state = 'pending' AND d.next_attempt_at <= %(now)s AND {_CLAIMABLE}
      AND NOT EXISTS (
        SELECT 1 FROM alerts pa JOIN deliveries pd ON pd.alert_id = pa.alert_id
        WHERE pa.story_id = al.story_id AND pa.rule = al.rule AND pa.created_at < al.created_at
          AND pd.notifier = d.notifier AND pd.state = 'pending'
          AND pd.next_attempt_at > %(now)s)
    ORDER BY {DUE_ORDER}
    LIMIT %(limit)s
    FOR UPDATE OF d SKIP LOCKED
)
{_STAMP}"""  # noqa: S608 (constant fragments, never input)
_MEMBERS = f"""
WITH picked AS (
    SELECT d.delivery_id FROM deliveries d
    WHERE d.batch_id = %(batch)s AND d.state = 'pending' AND {_CLAIMABLE}
    FOR UPDATE SKIP LOCKED
)
{_STAMP}"""  # noqa: S608 (constant fragments, never input)
_HELD = f"""
WITH picked AS (
    SELECT d.delivery_id FROM deliveries d
    WHERE d.notifier = %(notifier)s AND d.state = 'pending' AND d.hold = %(hold)s
      AND d.batch_id IS NULL AND {_CLAIMABLE}
    FOR UPDATE SKIP LOCKED
)
{_STAMP}"""  # noqa: S608 (constant fragments, never input)
# What a sweep writes back (sent, retry, dead, held) ends the claim; it is refused when
# another daemon holds an unexpired claim (it took the delivery over and sends it).
CLAIM_STILL_OURS = " AND (claimed_by = %s OR claim_expires IS NULL OR claim_expires <= now())"
RELEASE_CLAIM = ", claimed_by = NULL, claim_expires = NULL"


class Claimant:
    """Who claims deliveries, and for how long: set by the daemon (``claim_as``)."""

    def __init__(self, owner: str = "", seconds: float = 120.0) -> None:
        self.owner, self.seconds = owner, seconds

    async def _ids(self, conn: Connection, sql: str, values: Row) -> list[int]:
        values = {**values, "owner": self.owner, "seconds": self.seconds}
        return [row["delivery_id"] for row in await (await conn.execute(sql, values)).fetchall()]

    async def due(self, conn: Connection, now: datetime, limit: int) -> list[int]:
        return await self._ids(conn, _DUE, {"now": now, "limit": limit})

    async def members(self, conn: Connection, batch_id: str) -> list[int]:
        return await self._ids(conn, _MEMBERS, {"batch": batch_id})

    async def held(self, conn: Connection, notifier: str, hold: str) -> list[int]:
        return await self._ids(conn, _HELD, {"notifier": notifier, "hold": hold})


async def contexts_of(conn: Connection, ids: Sequence[int], order: str) -> list[Row]:
    """The delivery contexts (``DELIVERY_CONTEXT`` rows) of ``ids``, in ``order``."""
    sql = f"{DELIVERY_CONTEXT} WHERE d.delivery_id = ANY(%s) ORDER BY {order}"
    return await (await conn.execute(sql, (list(ids),))).fetchall()
