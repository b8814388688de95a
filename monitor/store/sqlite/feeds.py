"""SQLite side of feed state and WebSub subscriptions.

Functions taking a connection run on the store's database thread (``SqliteStore._run``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import astuple, fields
from datetime import UTC, datetime
from typing import Any

from monitor.records import FeedState, WebSubSubscription

_FEED_COLUMNS = tuple(f.name for f in fields(FeedState))
_FEED_TIMES = frozenset({"last_polled", "last_success", "failing_since", "next_poll"})
_WEBSUB_COLUMNS = tuple(f.name for f in fields(WebSubSubscription))
_WEBSUB_TIMES = frozenset({"requested_at", "expires_at"})
_GUID_CHUNK = 500


def _to_sql(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def _upsert(table: str, columns: tuple[str, ...], key: str) -> str:
    # Built once at import from dataclass field names, never from input.
    updates = ", ".join(f"{column} = excluded.{column}" for column in columns if column != key)
    placeholders = ", ".join("?" * len(columns))
    insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}) "  # noqa: S608
    return insert + f"ON CONFLICT ({key}) DO UPDATE SET {updates}"


_UPSERT_FEED = _upsert("feeds", _FEED_COLUMNS, "url")
_UPSERT_WEBSUB = _upsert("websub", _WEBSUB_COLUMNS, "feed_url")


def _from_row(row: sqlite3.Row, columns: tuple[str, ...], times: frozenset[str]) -> dict[str, Any]:
    values = {column: row[column] for column in columns}
    for column in times:
        values[column] = datetime.fromisoformat(values[column]) if values[column] else None
    return values


def feed_state_from_row(row: sqlite3.Row) -> FeedState:
    values = _from_row(row, _FEED_COLUMNS, _FEED_TIMES)
    values["failure_alerted"] = bool(values["failure_alerted"])
    return FeedState(**values)


def read_feed_state(db: sqlite3.Connection, url: str) -> FeedState | None:
    row = db.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
    return feed_state_from_row(row) if row else None


def read_feed_states(db: sqlite3.Connection) -> list[FeedState]:
    return [feed_state_from_row(row) for row in db.execute("SELECT * FROM feeds ORDER BY url")]


def write_feed_states(db: sqlite3.Connection, states: Sequence[FeedState]) -> None:
    """Every state in one transaction."""
    rows = [tuple(_to_sql(value) for value in astuple(state)) for state in states]
    db.execute("BEGIN IMMEDIATE")
    try:
        db.executemany(_UPSERT_FEED, rows)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def read_subscriptions(db: sqlite3.Connection) -> list[WebSubSubscription]:
    rows = db.execute("SELECT * FROM websub ORDER BY feed_url").fetchall()
    return [WebSubSubscription(**_from_row(row, _WEBSUB_COLUMNS, _WEBSUB_TIMES)) for row in rows]


def write_subscription(db: sqlite3.Connection, subscription: WebSubSubscription) -> None:
    db.execute(_UPSERT_WEBSUB, tuple(_to_sql(value) for value in astuple(subscription)))


def known_guids(db: sqlite3.Connection, feed_url: str, guids: Sequence[str]) -> set[str]:
    """The subset of ``guids`` stored for the feed, asked in chunks (SQLite's host
    parameter limit), through the (feed_url, guid) unique index."""
    found: set[str] = set()
    for start in range(0, len(guids), _GUID_CHUNK):
        chunk = list(guids[start : start + _GUID_CHUNK])
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT guid FROM articles WHERE feed_url = ? AND guid IN ({marks})"  # noqa: S608
        found.update(row[0] for row in db.execute(sql, (feed_url, *chunk)))
    return found
