"""SQLite side of the outbox: the reads and writes dispatch makes that differ from
PostgreSQL's, which claims deliveries for one daemon among several (decision 0017).

Here one daemon owns the file, so due and held deliveries are simply read, each set in
one call on the store's database thread. The rest of the outbox is shared
(``monitor.store.sql.base``).
"""

# ruff: noqa: S608 - SQL here is built from constant fragments, never from input

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from monitor.store.records import DeliveryContext
from monitor.store.sql import rows
from monitor.store.sql import statements as sql
from monitor.store.sql.dialect import SQLITE

T = TypeVar("T")

_DUE = (
    sql.DELIVERY_CONTEXT
    + f"""
WHERE d.state = 'pending' AND d.next_attempt_at <= ?
  AND NOT EXISTS (
    SELECT 1 FROM alerts pa JOIN deliveries pd ON pd.alert_id = pa.alert_id
    WHERE pa.story_id = al.story_id AND pa.rule = al.rule AND pa.created_at < al.created_at
      AND pd.notifier = d.notifier AND pd.state = 'pending' AND pd.next_attempt_at > ?)
ORDER BY {sql.DUE_ORDER}
LIMIT ?
"""
)
_BATCH_MEMBERS = sql.DELIVERY_CONTEXT + "WHERE d.batch_id = ? AND d.state = 'pending'"
_HELD = (
    sql.DELIVERY_CONTEXT
    + f"""
WHERE d.notifier = ? AND d.state = 'pending' AND d.hold = ? AND d.batch_id IS NULL
ORDER BY {sql.HELD_ORDER}
"""
)
_UPDATE_DELIVERY = """
UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?, hold = ?,
                      updated_at = ?
WHERE delivery_id = ?
"""


def _due(db: sqlite3.Connection, now: datetime, limit: int) -> list[DeliveryContext]:
    found = db.execute(_DUE, (SQLITE.time(now), SQLITE.time(now), limit)).fetchall()
    seen = {row["delivery_id"] for row in found}
    for batch_id in dict.fromkeys(row["batch_id"] for row in found if row["batch_id"]):
        members = db.execute(_BATCH_MEMBERS, (batch_id,)).fetchall()
        found += [row for row in members if row["delivery_id"] not in seen]
        seen.update(row["delivery_id"] for row in members)
    return [rows.delivery_context(row) for row in found]


class SqliteOutbox:
    """The outbox methods of ``SqliteStore`` that PostgreSQL does its own way."""

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError  # provided by SqliteStore: its one database thread

    async def due_deliveries(self, now: datetime, limit: int) -> list[DeliveryContext]:
        return await self._run(lambda db: _due(db, now, limit))

    async def held_deliveries(self, notifier: str, hold: str) -> list[DeliveryContext]:
        found = await self._run(lambda db: db.execute(_HELD, (notifier, hold)).fetchall())
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
        stamp, when = SQLITE.time(datetime.now(UTC)), SQLITE.time(next_attempt_at)
        values = [(state, attempts, when, error, hold, stamp, id_) for id_ in delivery_ids]
        await self._run(lambda db: db.executemany(_UPDATE_DELIVERY, values))
