"""PostgreSQL side of the outbox: alerts, deliveries, batches, threads and silences.

:class:`PostgresOutbox` is mixed into ``PostgresStore``; each method takes one pooled
connection for one statement or one short transaction. :func:`insert_alert` and
:func:`story_alert_state` run inside the store's article transaction. Semantics and
ordering are those of ``monitor.store.sqlite.outbox``; alert terms are jsonb.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from monitor.config import SEVERITY_RANK
from monitor.records import AlertRecord, Delivery, RuleHistory, Silence, StoryAlertState
from monitor.store.outbox import DELIVERY_CONTEXT, AlertListing
from monitor.store.postgres.claims import CLAIM_STILL_OURS, RELEASE_CLAIM, Claimant, contexts_of
from monitor.store.postgres.schema import Connection, Pool
from monitor.store.records import DeliveryContext

Row = dict[str, Any]


async def insert_alert(conn: Connection, alert: AlertRecord) -> bool:
    """Insert the alert and its deliveries unless (story, rule, event) exists already."""
    values = (alert.alert_id, alert.story_id, alert.article_id, alert.rule, alert.severity,
              Jsonb(list(alert.terms)), alert.event, alert.created_at, alert.outlets,
              alert.reason)  # fmt: skip
    created = (await conn.execute(_INSERT_ALERT, values)).rowcount > 0
    if created and alert.notifiers:
        rows = [
            (alert.alert_id, name, alert.created_at, alert.created_at) for name in alert.notifiers
        ]
        async with conn.cursor() as cursor:
            await cursor.executemany(_INSERT_DELIVERY, rows)
    return created


async def story_alert_state(conn: Connection, story_id: str) -> StoryAlertState:
    """The story's outlet count and what its earlier alerts reported, rule by rule."""
    sql = "SELECT count(*) AS n FROM story_outlets WHERE story_id = %s"
    counted = await (await conn.execute(sql, (story_id,))).fetchone()
    by_rule: dict[str, list[Row]] = {}
    for row in await (await conn.execute(_HISTORY, (story_id,))).fetchall():
        by_rule.setdefault(row["rule"], []).append(row)
    history = {rule: _history(items) for rule, items in by_rule.items()}
    return StoryAlertState(story_id, int(counted["n"]) if counted else 0, history)


def _history(rows: list[Row]) -> RuleHistory:
    return RuleHistory(
        events=frozenset(row["event"] for row in rows),
        outlets=max(row["outlets"] for row in rows),
        severity=max((row["severity"] for row in rows), key=lambda s: SEVERITY_RANK.get(s, -1)),
        terms=frozenset(term.casefold() for row in rows for term in row["terms"]),
    )


def _delivery(row: Row) -> Delivery:
    return Delivery(
        delivery_id=row["delivery_id"],
        alert_id=row["alert_id"],
        notifier=row["notifier"],
        state=row["state"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        batch_id=row["batch_id"],
        hold=row["hold"],
    )


def _alert(row: Row, notifiers: tuple[str, ...]) -> AlertRecord:
    return AlertRecord(
        alert_id=row["alert_id"],
        story_id=row["story_id"],
        article_id=row["article_id"],
        rule=row["rule"],
        severity=row["severity"],
        terms=tuple(row["terms"]),
        notifiers=notifiers,
        created_at=row["created_at"],
        event=row["event"],
        outlets=row["alert_outlets"],
        reason=row["reason"],
    )


def delivery_context(row: Row) -> DeliveryContext:
    return DeliveryContext(
        _delivery(row),
        _alert(row, (row["notifier"],)),
        row["title"],
        row["link"],
        row["summary"],
        row["feed_name"],
        row["published"],
        row["first_seen"],
        row["outlets"],
        row["thread"],
    )


async def _due(
    conn: Connection, now: datetime, limit: int, claimant: Claimant
) -> list[DeliveryContext]:
    """Due deliveries and their batches' members, claimed for this daemon (0017)."""
    claimed = await claimant.due(conn, now, limit)
    rows = await contexts_of(conn, DELIVERY_CONTEXT, claimed, _DUE_ORDER)
    seen = {row["delivery_id"] for row in rows}
    for batch_id in dict.fromkeys(row["batch_id"] for row in rows if row["batch_id"]):
        ids = await claimant.members(conn, batch_id)
        members = await contexts_of(conn, DELIVERY_CONTEXT, ids, "d.delivery_id")
        rows += [row for row in members if row["delivery_id"] not in seen]
        seen.update(row["delivery_id"] for row in members)
    return [delivery_context(row) for row in rows]


def _silence(row: Row) -> Silence:
    return Silence(**{name: row[name] for name in Silence.__slots__})


async def _list_alerts(
    conn: Connection, since: datetime, state: str | None, limit: int
) -> list[AlertListing]:
    rows = await (await conn.execute(_LIST_ALERTS, (since, state, state, limit))).fetchall()
    listings = []
    for row in rows:
        found = await conn.execute(_ALERT_DELIVERIES, (row["alert_id"],))
        deliveries = [_delivery(item) for item in await found.fetchall()]
        notifiers = tuple(item.notifier for item in deliveries)
        listings.append(AlertListing(_alert(row, notifiers), row["title"], tuple(deliveries)))
    return listings


class PostgresOutbox:
    """The :class:`monitor.alerting.outbox.Outbox` methods of ``PostgresStore``."""

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

    async def _rows(self, sql: str, values: Sequence[Any] = ()) -> list[Row]:
        async with self._connection() as conn:
            return await (await conn.execute(sql, values)).fetchall()

    async def _execute(self, sql: str, values: Sequence[Any]) -> int:
        async with self._connection() as conn:
            return (await conn.execute(sql, values)).rowcount

    async def due_deliveries(self, now: datetime, limit: int) -> list[DeliveryContext]:
        # One snapshot for the due rows and their batches' members.
        async with self._connection() as conn, conn.transaction():
            return await _due(conn, now, limit, self.claimant)

    async def held_deliveries(self, notifier: str, hold: str) -> list[DeliveryContext]:
        async with self._connection() as conn, conn.transaction():
            ids = await self.claimant.held(conn, notifier, hold)
            rows = await contexts_of(conn, DELIVERY_CONTEXT, ids, _HELD_ORDER)
        return [delivery_context(row) for row in rows]

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
        await self._execute(_UPDATE_DELIVERIES, (*values, self.claimant.owner))

    async def claim_batch(self, batch_id: str, delivery_ids: Sequence[int]) -> None:
        await self._execute(_CLAIM, (batch_id, list(delivery_ids)))

    async def save_thread(self, story_id: str, rule: str, notifier: str, ref: str) -> None:
        await self._execute(_SAVE_THREAD, (story_id, rule, notifier, ref))

    async def delivery_counts(self) -> dict[str, int]:
        rows = await self._rows("SELECT state, count(*) AS n FROM deliveries GROUP BY state")
        return {row["state"]: row["n"] for row in rows}

    async def oldest_pending(self) -> datetime | None:
        """When the oldest alert still waiting for a delivery was raised (for metrics)."""
        (row,) = await self._rows(_OLDEST_PENDING)
        return row["oldest"]  # type: ignore[no-any-return]

    async def add_silence(self, silence: Silence) -> Silence:
        values = (silence.rule, silence.story_id, silence.notifier, silence.reason,
                  silence.created_at, silence.expires_at)  # fmt: skip
        (row,) = await self._rows(_ADD_SILENCE, values)
        fields = {name: getattr(silence, name) for name in Silence.__slots__}
        return Silence(**{**fields, "silence_id": row["silence_id"]})

    async def silences(self, active_at: datetime | None = None) -> list[Silence]:
        return [_silence(row) for row in await self._rows(_SILENCES, (active_at,) * 3)]

    async def remove_silence(self, silence_id: int) -> bool:
        return await self._execute("DELETE FROM silences WHERE silence_id = %s", (silence_id,)) > 0

    async def list_alerts(
        self, since: datetime, state: str | None = None, limit: int = 500
    ) -> list[AlertListing]:
        async with self._connection() as conn, conn.transaction():
            return await _list_alerts(conn, since, state, limit)


_INSERT_ALERT = """
INSERT INTO alerts (alert_id, story_id, article_id, rule, severity, terms, event, created_at,
                    outlets, reason)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT DO NOTHING
"""
_INSERT_DELIVERY = """
INSERT INTO deliveries (alert_id, notifier, next_attempt_at, updated_at) VALUES (%s, %s, %s, %s)
ON CONFLICT DO NOTHING
"""
_OLDEST_PENDING = """
SELECT min(al.created_at) AS oldest FROM deliveries d JOIN alerts al USING (alert_id)
WHERE d.state = 'pending'
"""
_HISTORY = "SELECT rule, event, severity, terms, outlets FROM alerts WHERE story_id = %s"
_DUE_ORDER = "d.next_attempt_at, al.created_at, d.delivery_id"
_HELD_ORDER = "al.created_at, d.delivery_id"
# updated_at is the database's clock: with several daemons, one clock orders the rows.
_UPDATE_DELIVERIES = f"""
UPDATE deliveries SET state = %s, attempts = %s, next_attempt_at = %s, last_error = %s,
                      hold = %s, updated_at = now(){RELEASE_CLAIM}
WHERE delivery_id = ANY(%s){CLAIM_STILL_OURS}"""  # noqa: S608 (constant fragments)
_CLAIM = "UPDATE deliveries SET batch_id = %s WHERE delivery_id = ANY(%s) AND batch_id IS NULL"
_SAVE_THREAD = """
INSERT INTO threads (story_id, rule, notifier, ref) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING
"""
_ADD_SILENCE = """
INSERT INTO silences (rule, story_id, notifier, reason, created_at, expires_at)
VALUES (%s, %s, %s, %s, %s, %s)
RETURNING silence_id
"""
_SILENCES = """
SELECT * FROM silences
WHERE %s::timestamptz IS NULL OR (created_at <= %s AND expires_at > %s)
ORDER BY expires_at, silence_id
"""
_LIST_ALERTS = """
SELECT al.*, al.outlets AS alert_outlets, a.title
FROM alerts al JOIN articles a ON a.article_id = al.article_id
WHERE al.created_at >= %s
  AND (%s::text IS NULL OR EXISTS (
    SELECT 1 FROM deliveries d WHERE d.alert_id = al.alert_id AND d.state = %s))
ORDER BY al.created_at DESC, al.alert_id COLLATE "C"
LIMIT %s
"""
_ALERT_DELIVERIES = 'SELECT * FROM deliveries WHERE alert_id = %s ORDER BY notifier COLLATE "C"'
