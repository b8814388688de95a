"""Retention in PostgreSQL: pruning in small batches, tombstones, statistics.

Which rows go is shared with SQLite (``monitor.store.sql.pruning``; what is kept and
why: docs/decisions/0015-retention.md). Each batch is one statement in its own short
transaction; candidates are taken ``FOR UPDATE SKIP LOCKED``, so daemons sharing the
database prune side by side without waiting on each other or on the rows a poll is
writing. Space comes back through PostgreSQL's autovacuum.
"""

# ruff: noqa: S608 - SQL here is built from constant fragments, never from input

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

from monitor.store.outbox import STATES
from monitor.store.postgres.schema import Connection, describe, schema_version
from monitor.store.records import DatabaseStats, PruneCutoffs
from monitor.store.retention import PRUNE_KINDS
from monitor.store.sql import statements as sql
from monitor.store.sql.dialect import POSTGRES
from monitor.store.sql.pruning import candidates, counted

# No stored time is earlier: a kind without a cutoff is kept whole.
_KEEP_ALL = datetime.min.replace(tzinfo=UTC)
_KEYS = {"alerts": "x.alert_id", "articles": "a.article_id", "stories": "s.story_id",
         "tombstones": "t.article_id"}  # fmt: skip


def _batch(kind: str) -> str:
    return f"{candidates(kind, _KEYS, planned=False)} LIMIT :limit FOR UPDATE SKIP LOCKED"


# Deliveries, outlets, names and threads go by ON DELETE CASCADE.
_DELETE = {
    kind: POSTGRES.render(statement)
    for kind, statement in {
        "alerts": f"DELETE FROM alerts WHERE alert_id IN ({_batch('alerts')})",
        "stories": f"DELETE FROM stories WHERE story_id IN ({_batch('stories')})",
        "tombstones": f"DELETE FROM pruned_articles WHERE article_id IN ({_batch('tombstones')})",
        # A pruned article leaves its tombstone in the same statement.
        "articles": f"""
WITH gone AS (DELETE FROM articles WHERE article_id IN ({_batch("articles")})
              RETURNING article_id, story_id)
INSERT INTO pruned_articles (article_id, story_id, pruned_at)
SELECT article_id, story_id, :now FROM gone
ON CONFLICT (article_id) DO UPDATE SET story_id = excluded.story_id,
                                       pruned_at = excluded.pruned_at
""",
    }.items()
}
_COUNTED = {kind: POSTGRES.render(counted(kind, _KEYS)) for kind in PRUNE_KINDS}
_COUNT = "SELECT count(*) AS n FROM {table}"
_SIZES = """
SELECT current_setting('block_size') AS block, current_setting('autovacuum') AS autovacuum,
       (SELECT sum(pg_total_relation_size(to_regclass(name)))
        FROM unnest(%s::text[]) AS name) AS size
"""


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
        async with self._connection() as conn, conn.transaction():
            bounds = _bounds(cutoffs)
            return {kind: await _number(conn, _COUNTED[kind], bounds) for kind in PRUNE_KINDS}

    async def reclaim_space(self, max_pages: int) -> int:
        return 0  # autovacuum makes freed pages reusable; nothing to hand back by hand

    async def vacuum(self) -> None:
        async with self._connection() as conn:  # autocommit: VACUUM refuses a transaction
            await conn.execute(f"VACUUM (ANALYZE) {', '.join(sql.TABLES)}")

    async def database_stats(self) -> DatabaseStats:
        async with self._connection() as conn, conn.transaction():
            return await _database_stats(conn, describe(self._url))


async def _database_stats(conn: Connection, location: str) -> DatabaseStats:
    sizes = await _one(conn, _SIZES, (list(sql.TABLES),))
    span = await _one(conn, sql.ARTICLE_SPAN)
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
        rows={table: await _number(conn, _COUNT.format(table=table)) for table in sql.TABLES},
        alerts_by_state=await _grouped(conn, sql.ALERTS_BY_STATE, ("pending", "done")),
        deliveries_by_state=await _grouped(conn, sql.DELIVERY_COUNTS, STATES),
        oldest_article=span["oldest"],
        newest_article=span["newest"],
    )


async def _one(conn: Connection, statement: str, values: Any = ()) -> dict[str, Any]:
    row = await (await conn.execute(statement, values)).fetchone()
    assert row is not None  # aggregates always return a row
    return row


async def _number(conn: Connection, statement: str, values: Any = ()) -> int:
    return int((await _one(conn, statement, values))["n"])


async def _grouped(conn: Connection, statement: str, states: Sequence[str]) -> dict[str, int]:
    counts = dict.fromkeys(states, 0)
    found = await (await conn.execute(statement)).fetchall()
    counts.update({str(row["state"]): int(row["n"]) for row in found})
    return counts
