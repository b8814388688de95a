"""PostgreSQL side of feed state and WebSub subscriptions.

Functions taking a connection are called by ``PostgresStore`` with one pooled
connection; saves of feed state reach ``write_feed_states`` group-committed
(monitor.store.group_commit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, fields
from typing import Any

from monitor.records import FeedState, WebSubSubscription
from monitor.store.postgres.schema import Connection

_FEED_COLUMNS = tuple(f.name for f in fields(FeedState))
_WEBSUB_COLUMNS = tuple(f.name for f in fields(WebSubSubscription))


def _upsert(table: str, columns: tuple[str, ...], key: str) -> str:
    # Built once at import from dataclass field names, never from input. Quoted: "interval"
    # is a keyword in PostgreSQL.
    quoted = [f'"{column}"' for column in columns]
    updates = ", ".join(f"{name} = excluded.{name}" for name in quoted if name != f'"{key}"')
    placeholders = ", ".join(["%s"] * len(columns))
    insert = f"INSERT INTO {table} ({', '.join(quoted)}) VALUES ({placeholders}) "  # noqa: S608
    return insert + f"ON CONFLICT ({key}) DO UPDATE SET {updates}"


_UPSERT_FEED = _upsert("feeds", _FEED_COLUMNS, "url")
_UPSERT_WEBSUB = _upsert("websub", _WEBSUB_COLUMNS, "feed_url")
_FEED_LIST = ", ".join(f'"{column}"' for column in _FEED_COLUMNS)
_SELECT_FEEDS = f"SELECT {_FEED_LIST} FROM feeds"  # noqa: S608
_SELECT_WEBSUB = f"SELECT {', '.join(_WEBSUB_COLUMNS)} FROM websub"  # noqa: S608


def _feed_state(row: dict[str, Any]) -> FeedState:
    return FeedState(**row)


async def read_feed_state(conn: Connection, url: str) -> FeedState | None:
    row = await (await conn.execute(_SELECT_FEEDS + " WHERE url = %s", (url,))).fetchone()
    return _feed_state(row) if row else None


async def read_feed_states(conn: Connection) -> list[FeedState]:
    # COLLATE "C": byte order, as SQLite sorts, whatever the database's collation.
    rows = await (await conn.execute(_SELECT_FEEDS + ' ORDER BY url COLLATE "C"')).fetchall()
    return [_feed_state(row) for row in rows]


async def write_feed_states(conn: Connection, states: Sequence[FeedState]) -> None:
    """Every state in one transaction, in URL order: two daemons saving overlapping
    batches lock rows in the same order, so they wait for each other, never deadlock."""
    rows = [astuple(state) for state in sorted(states, key=lambda state: state.url)]
    async with conn.transaction(), conn.cursor() as cursor:
        await cursor.executemany(_UPSERT_FEED, rows)


async def read_subscriptions(conn: Connection) -> list[WebSubSubscription]:
    sql = _SELECT_WEBSUB + ' ORDER BY feed_url COLLATE "C"'
    return [WebSubSubscription(**row) for row in await (await conn.execute(sql)).fetchall()]


async def write_subscription(conn: Connection, subscription: WebSubSubscription) -> None:
    await conn.execute(_UPSERT_WEBSUB, astuple(subscription))


async def known_guids(conn: Connection, feed_url: str, guids: Sequence[str]) -> set[str]:
    """The subset of ``guids`` stored for the feed: one array parameter, no chunking."""
    sql = "SELECT guid FROM articles WHERE feed_url = %s AND guid = ANY(%s)"
    rows = await (await conn.execute(sql, (feed_url, list(guids)))).fetchall()
    return {row["guid"] for row in rows}
