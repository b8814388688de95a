"""SQLite side of the outbox: alerts, deliveries, batches, threads and silences.

:class:`SqliteOutbox` is mixed into ``SqliteStore`` and runs every query through
its single database thread. The functions taking a connection run inside the
store's article transaction (:func:`insert_alert`, :func:`story_alert_state`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from monitor.config import SEVERITY_RANK
from monitor.records import AlertRecord, Delivery, RuleHistory, Silence, StoryAlertState
from monitor.store.outbox import DELIVERY_CONTEXT, AlertListing
from monitor.store.records import DeliveryContext

T = TypeVar("T")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def insert_alert(db: sqlite3.Connection, alert: AlertRecord) -> bool:
    """Insert the alert and its deliveries unless (story, rule, event) exists already."""
    terms = json.dumps(list(alert.terms))
    created = db.execute(
        _INSERT_ALERT,
        (alert.alert_id, alert.story_id, alert.article_id, alert.rule, alert.severity, terms,
         alert.event, _iso(alert.created_at), alert.outlets, alert.reason),
    ).rowcount  # fmt: skip
    for notifier in alert.notifiers if created else ():
        stamp = _iso(alert.created_at)
        db.execute(_INSERT_DELIVERY, (alert.alert_id, notifier, stamp, stamp))
    return bool(created)


def story_alert_state(db: sqlite3.Connection, story_id: str) -> StoryAlertState:
    """The story's outlet count and what its earlier alerts reported, rule by rule."""
    outlets = db.execute("SELECT count(*) FROM story_outlets WHERE story_id = ?", (story_id,))
    rows = db.execute(_HISTORY, (story_id,)).fetchall()
    by_rule: dict[str, list[sqlite3.Row]] = {}
    for row in rows:
        by_rule.setdefault(row["rule"], []).append(row)
    history = {rule: _history(items) for rule, items in by_rule.items()}
    return StoryAlertState(story_id, int(outlets.fetchone()[0]), history)


def _history(rows: list[sqlite3.Row]) -> RuleHistory:
    return RuleHistory(
        events=frozenset(row["event"] for row in rows),
        outlets=max(row["outlets"] for row in rows),
        severity=max((row["severity"] for row in rows), key=lambda s: SEVERITY_RANK.get(s, -1)),
        terms=frozenset(term.casefold() for row in rows for term in json.loads(row["terms"])),
    )


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        delivery_id=row["delivery_id"],
        alert_id=row["alert_id"],
        notifier=row["notifier"],
        state=row["state"],
        attempts=row["attempts"],
        next_attempt_at=datetime.fromisoformat(row["next_attempt_at"]),
        last_error=row["last_error"],
        batch_id=row["batch_id"],
        hold=row["hold"],
    )


def _alert(row: sqlite3.Row, notifiers: tuple[str, ...]) -> AlertRecord:
    return AlertRecord(
        alert_id=row["alert_id"],
        story_id=row["story_id"],
        article_id=row["article_id"],
        rule=row["rule"],
        severity=row["severity"],
        terms=tuple(json.loads(row["terms"])),
        notifiers=notifiers,
        created_at=datetime.fromisoformat(row["created_at"]),
        event=row["event"],
        outlets=row["alert_outlets"],
        reason=row["reason"],
    )


def delivery_context(row: sqlite3.Row) -> DeliveryContext:
    return DeliveryContext(
        _delivery(row),
        _alert(row, (row["notifier"],)),
        row["title"],
        row["link"],
        row["summary"],
        row["feed_name"],
        _dt(row["published"]),
        datetime.fromisoformat(row["first_seen"]),
        row["outlets"],
        row["thread"],
    )


def _due(db: sqlite3.Connection, now: datetime, limit: int) -> list[DeliveryContext]:
    rows = db.execute(_DUE, (_iso(now), _iso(now), limit)).fetchall()
    seen = {row["delivery_id"] for row in rows}
    for batch_id in dict.fromkeys(row["batch_id"] for row in rows if row["batch_id"]):
        members = db.execute(_BATCH_MEMBERS, (batch_id,)).fetchall()
        rows += [row for row in members if row["delivery_id"] not in seen]
        seen.update(row["delivery_id"] for row in members)
    return [delivery_context(row) for row in rows]


def _silence(row: sqlite3.Row) -> Silence:
    return Silence(
        reason=row["reason"],
        created_at=datetime.fromisoformat(row["created_at"]),
        expires_at=datetime.fromisoformat(row["expires_at"]),
        rule=row["rule"],
        story_id=row["story_id"],
        notifier=row["notifier"],
        silence_id=row["silence_id"],
    )


def _list_alerts(
    db: sqlite3.Connection, since: datetime, state: str | None, limit: int
) -> list[AlertListing]:
    rows = db.execute(_LIST_ALERTS, (_iso(since), state, state, limit)).fetchall()
    listings = []
    for row in rows:
        deliveries = db.execute(_ALERT_DELIVERIES, (row["alert_id"],)).fetchall()
        notifiers = tuple(item["notifier"] for item in deliveries)
        listings.append(
            AlertListing(_alert(row, notifiers), row["title"], tuple(map(_delivery, deliveries)))
        )
    return listings


class SqliteOutbox:
    """The :class:`monitor.alerting.outbox.Outbox` methods of ``SqliteStore``."""

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError  # provided by SqliteStore: its one database thread

    async def _execute(self, sql: str, values: Sequence[Any]) -> int:
        return await self._run(lambda db: db.execute(sql, tuple(values)).rowcount)

    async def due_deliveries(self, now: datetime, limit: int) -> list[DeliveryContext]:
        return await self._run(lambda db: _due(db, now, limit))

    async def held_deliveries(self, notifier: str, hold: str) -> list[DeliveryContext]:
        rows = await self._run(lambda db: db.execute(_HELD, (notifier, hold)).fetchall())
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
        stamp = _iso(datetime.now(UTC))
        values = [
            (state, attempts, _iso(next_attempt_at), error, hold, stamp, delivery_id)
            for delivery_id in delivery_ids
        ]
        await self._run(lambda db: db.executemany(_UPDATE_DELIVERY, values))

    async def claim_batch(self, batch_id: str, delivery_ids: Sequence[int]) -> None:
        values = [(batch_id, delivery_id) for delivery_id in delivery_ids]
        await self._run(lambda db: db.executemany(_CLAIM, values))

    async def save_thread(self, story_id: str, rule: str, notifier: str, ref: str) -> None:
        await self._execute(_SAVE_THREAD, (story_id, rule, notifier, ref))

    async def delivery_counts(self) -> dict[str, int]:
        sql = "SELECT state, count(*) FROM deliveries GROUP BY state"
        rows = await self._run(lambda db: db.execute(sql).fetchall())
        return {row[0]: row[1] for row in rows}

    async def oldest_pending(self) -> datetime | None:
        """When the oldest alert still waiting for a delivery was raised (for metrics)."""
        row = await self._run(lambda db: db.execute(_OLDEST_PENDING).fetchone())
        return _dt(row[0]) if row else None

    async def add_silence(self, silence: Silence) -> Silence:
        values = (silence.rule, silence.story_id, silence.notifier, silence.reason,
                  _iso(silence.created_at), _iso(silence.expires_at))  # fmt: skip
        new_id = await self._run(lambda db: db.execute(_ADD_SILENCE, values).lastrowid)
        return Silence(**{**_fields(silence), "silence_id": new_id})

    async def silences(self, active_at: datetime | None = None) -> list[Silence]:
        moment = _iso(active_at) if active_at else None
        rows = await self._run(lambda db: db.execute(_SILENCES, (moment,) * 3).fetchall())
        return [_silence(row) for row in rows]

    async def remove_silence(self, silence_id: int) -> bool:
        sql = "DELETE FROM silences WHERE silence_id = ?"
        return await self._execute(sql, (silence_id,)) > 0

    async def list_alerts(
        self, since: datetime, state: str | None = None, limit: int = 500
    ) -> list[AlertListing]:
        return await self._run(lambda db: _list_alerts(db, since, state, limit))


def _fields(silence: Silence) -> dict[str, Any]:
    return {name: getattr(silence, name) for name in Silence.__slots__}


_INSERT_ALERT = """
INSERT OR IGNORE INTO alerts (alert_id, story_id, article_id, rule, severity, terms, event,
                              created_at, outlets, reason)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_INSERT_DELIVERY = """
INSERT OR IGNORE INTO deliveries (alert_id, notifier, next_attempt_at, updated_at)
VALUES (?, ?, ?, ?)
"""
_OLDEST_PENDING = """
SELECT min(al.created_at) FROM deliveries d JOIN alerts al USING (alert_id)
WHERE d.state = 'pending'
"""
_HISTORY = "SELECT rule, event, severity, terms, outlets FROM alerts WHERE story_id = ?"
_DUE_FILTER = """
WHERE d.state = 'pending' AND d.next_attempt_at <= ?
  AND NOT EXISTS (
    SELECT 1 FROM alerts pa JOIN deliveries pd ON pd.alert_id = pa.alert_id
    WHERE pa.story_id = al.story_id AND pa.rule = al.rule AND pa.created_at < al.created_at
      AND pd.notifier = d.notifier AND pd.state = 'pending' AND pd.next_attempt_at > ?)
ORDER BY d.next_attempt_at, al.created_at, d.delivery_id
LIMIT ?
"""
_DUE = DELIVERY_CONTEXT + _DUE_FILTER
_BATCH_MEMBERS = DELIVERY_CONTEXT + "WHERE d.batch_id = ? AND d.state = 'pending'"
_HELD_FILTER = """
WHERE d.notifier = ? AND d.state = 'pending' AND d.hold = ? AND d.batch_id IS NULL
ORDER BY al.created_at, d.delivery_id
"""
_HELD = DELIVERY_CONTEXT + _HELD_FILTER
_UPDATE_DELIVERY = """
UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?, hold = ?,
                      updated_at = ?
WHERE delivery_id = ?
"""
_CLAIM = "UPDATE deliveries SET batch_id = ? WHERE delivery_id = ? AND batch_id IS NULL"
_SAVE_THREAD = "INSERT OR IGNORE INTO threads (story_id, rule, notifier, ref) VALUES (?, ?, ?, ?)"
_ADD_SILENCE = """
INSERT INTO silences (rule, story_id, notifier, reason, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?)
"""
_SILENCES = """
SELECT * FROM silences
WHERE ? IS NULL OR (created_at <= ? AND expires_at > ?)
ORDER BY expires_at, silence_id
"""
_LIST_ALERTS = """
SELECT al.*, al.outlets AS alert_outlets, a.title
FROM alerts al JOIN articles a ON a.article_id = al.article_id
WHERE al.created_at >= ?
  AND (? IS NULL OR EXISTS (
    SELECT 1 FROM deliveries d WHERE d.alert_id = al.alert_id AND d.state = ?))
ORDER BY al.created_at DESC, al.alert_id
LIMIT ?
"""
_ALERT_DELIVERIES = "SELECT * FROM deliveries WHERE alert_id = ? ORDER BY notifier"
