"""Retention in PostgreSQL: pruning in small batches, tombstones, statistics.

The twin of ``monitor.store.sqlite.retention`` (what is kept and why:
docs/decisions/0015-retention.md). Each batch is one statement in its own short
transaction; candidates are taken ``FOR UPDATE SKIP LOCKED``, so daemons sharing
the database prune side by side without waiting on each other or on the rows
a poll is writing. Space comes back through PostgreSQL's autovacuum.
"""

# ruff: noqa: S608 - SQL here is built from the constant fragments below, never from input

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

from monitor.records import article_id
from monitor.store.interface import DatabaseStats
from monitor.store.outbox import STATES
from monitor.store.postgres.schema import Connection, describe, schema_version
from monitor.store.retention import PRUNE_KINDS, PruneCutoffs

# No stored time is earlier: a kind without a cutoff is kept whole.
_KEEP_ALL = datetime.min.replace(tzinfo=UTC)
_TABLES = ("feeds", "websub", "stories", "story_outlets", "story_names", "articles",
           "pruned_articles", "alerts", "deliveries", "threads", "silences")  # fmt: skip


def _bounds(
    cutoffs: PruneCutoffs, limit: int | None = None, now: datetime | None = None
) -> dict[str, Any]:
    return {
        "articles": cutoffs.articles or _KEEP_ALL,
        "stories": cutoffs.stories or _KEEP_ALL,
        "alerts": cutoffs.alerts or _KEEP_ALL,
        "tombstones": cutoffs.tombstones or _KEEP_ALL,
        "limit": limit,
        "now": now,
    }


# An alert stays while it is young, while its story is still active, or while any of its
# deliveries is pending (held and retrying deliveries are pending too).
_ALERT_KEPT = """(x.created_at >= %(alerts)s
  OR EXISTS (SELECT 1 FROM stories xs
             WHERE xs.story_id = x.story_id AND xs.last_seen >= %(alerts)s)
  OR EXISTS (SELECT 1 FROM deliveries xd
             WHERE xd.alert_id = x.alert_id AND xd.state = 'pending'))"""
_ARTICLE_KEPT = "EXISTS (SELECT 1 FROM alerts x WHERE x.article_id = a.article_id)"
_ARTICLE_KEPT_PLANNED = f"""EXISTS (SELECT 1 FROM alerts x
  WHERE x.article_id = a.article_id AND {_ALERT_KEPT})"""
_STORY_KEPT = """(EXISTS (SELECT 1 FROM articles a WHERE a.story_id = s.story_id)
  OR EXISTS (SELECT 1 FROM alerts x WHERE x.story_id = s.story_id))"""
_STORY_KEPT_PLANNED = f"""(EXISTS (SELECT 1 FROM articles a WHERE a.story_id = s.story_id
    AND (a.fetched_at >= %(articles)s OR {_ARTICLE_KEPT_PLANNED}))
  OR EXISTS (SELECT 1 FROM alerts x WHERE x.story_id = s.story_id AND {_ALERT_KEPT}))"""


def _candidates(kind: str, *, planned: bool) -> str:
    """The keys of the rows of ``kind`` a run prunes, oldest first."""
    if kind == "alerts":
        return f"""SELECT x.alert_id FROM alerts x
            WHERE x.created_at < %(alerts)s AND NOT {_ALERT_KEPT} ORDER BY x.created_at"""
    if kind == "articles":
        kept = _ARTICLE_KEPT_PLANNED if planned else _ARTICLE_KEPT
        return f"""SELECT a.article_id FROM articles a
            WHERE a.fetched_at < %(articles)s AND NOT {kept} ORDER BY a.fetched_at"""
    if kind == "stories":
        kept = _STORY_KEPT_PLANNED if planned else _STORY_KEPT
        return f"""SELECT s.story_id FROM stories s
            WHERE s.last_seen < %(stories)s AND NOT {kept} ORDER BY s.last_seen"""
    return """SELECT t.article_id FROM pruned_articles t
        WHERE t.pruned_at < %(tombstones)s ORDER BY t.pruned_at"""


def _batch(kind: str) -> str:
    return f"{_candidates(kind, planned=False)} LIMIT %(limit)s FOR UPDATE SKIP LOCKED"


# Deliveries, outlets, names and threads go by ON DELETE CASCADE.
_DELETE = {
    "alerts": f"DELETE FROM alerts WHERE alert_id IN ({_batch('alerts')})",
    "stories": f"DELETE FROM stories WHERE story_id IN ({_batch('stories')})",
    "tombstones": f"DELETE FROM pruned_articles WHERE article_id IN ({_batch('tombstones')})",
    # A pruned article leaves its tombstone in the same statement.
    "articles": f"""
WITH gone AS (DELETE FROM articles WHERE article_id IN ({_batch("articles")})
              RETURNING article_id, story_id)
INSERT INTO pruned_articles (article_id, story_id, pruned_at)
SELECT article_id, story_id, %(now)s FROM gone
ON CONFLICT (article_id) DO UPDATE SET story_id = excluded.story_id,
                                       pruned_at = excluded.pruned_at
""",
}


async def tombstoned_guids(conn: Connection, feed_url: str, guids: Sequence[str]) -> set[str]:
    """Which of ``guids`` belong to articles of the feed that retention pruned."""
    by_id = {article_id(feed_url, guid): guid for guid in guids}
    sql = "SELECT article_id FROM pruned_articles WHERE article_id = ANY(%s)"
    rows = await (await conn.execute(sql, (list(by_id),))).fetchall()
    return {by_id[row["article_id"]] for row in rows}


class PostgresRetention:
    """The retention and statistics methods of ``PostgresStore``."""

    _url: str

    def _connection(self) -> AbstractAsyncContextManager[Connection]:
        raise NotImplementedError  # provided by PostgresOutbox: one pooled connection

    async def prune_batch(self, kind: str, cutoffs: PruneCutoffs, limit: int, now: datetime) -> int:
        if kind not in PRUNE_KINDS:
            raise ValueError(f"unknown kind to prune: {kind!r}")
        async with self._connection() as conn:
            return (await conn.execute(_DELETE[kind], _bounds(cutoffs, limit, now))).rowcount

    async def count_prunable(self, cutoffs: PruneCutoffs) -> dict[str, int]:
        counts = {}
        async with self._connection() as conn, conn.transaction():
            for kind in PRUNE_KINDS:
                sql = f"SELECT count(*) AS n FROM ({_candidates(kind, planned=True)}) c"
                row = await (await conn.execute(sql, _bounds(cutoffs))).fetchone()
                counts[kind] = int(row["n"]) if row else 0
        return counts

    async def reclaim_space(self, max_pages: int) -> int:
        return 0  # autovacuum makes freed pages reusable; nothing to hand back by hand

    async def vacuum(self) -> None:
        async with self._connection() as conn:  # autocommit: VACUUM refuses a transaction
            await conn.execute(f"VACUUM (ANALYZE) {', '.join(_TABLES)}")

    async def database_stats(self) -> DatabaseStats:
        async with self._connection() as conn, conn.transaction():
            return await _database_stats(conn, describe(self._url))


async def _database_stats(conn: Connection, location: str) -> DatabaseStats:
    sizes = await _one(conn, _SIZES, (list(_TABLES),))
    span = await _one(
        conn, "SELECT min(fetched_at) AS oldest, max(fetched_at) AS newest FROM articles"
    )
    block, size = int(sizes["block"]), int(sizes["size"] or 0)
    return DatabaseStats(
        backend="postgresql",
        location=location,
        schema_version=await schema_version(conn),
        size_bytes=size,
        wal_bytes=0,
        page_size=block,
        page_count=size // block,
        free_pages=0,
        auto_vacuum="autovacuum" if sizes["autovacuum"] == "on" else "none",
        rows={table: await _count(conn, table) for table in _TABLES},
        alerts_by_state=await _grouped(conn, _ALERTS_BY_STATE, ("pending", "done")),
        deliveries_by_state=await _grouped(conn, _DELIVERIES_BY_STATE, STATES),
        oldest_article=span["oldest"],
        newest_article=span["newest"],
    )


async def _one(conn: Connection, sql: str, values: Sequence[Any] = ()) -> dict[str, Any]:
    row = await (await conn.execute(sql, values)).fetchone()
    assert row is not None  # aggregates always return a row
    return row


async def _count(conn: Connection, table: str) -> int:
    return int((await _one(conn, f"SELECT count(*) AS n FROM {table}"))["n"])


async def _grouped(conn: Connection, sql: str, states: Sequence[str]) -> dict[str, int]:
    counts = dict.fromkeys(states, 0)
    rows = await (await conn.execute(sql)).fetchall()
    counts.update({str(row["state"]): int(row["n"]) for row in rows})
    return counts


_SIZES = """
SELECT current_setting('block_size') AS block, current_setting('autovacuum') AS autovacuum,
       (SELECT sum(pg_total_relation_size(to_regclass(name)))
        FROM unnest(%s::text[]) AS name) AS size
"""
_ALERTS_BY_STATE = """
SELECT CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = al.alert_id
                         AND d.state = 'pending') THEN 'pending' ELSE 'done' END AS state,
       count(*) AS n
FROM alerts al GROUP BY 1
"""
_ARTICLE_SPAN = "SELECT min(fetched_at) AS oldest, max(fetched_at) AS newest FROM articles"
_DELIVERIES_BY_STATE = "SELECT state, count(*) AS n FROM deliveries GROUP BY state"
