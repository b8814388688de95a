"""Retention in SQLite: pruning in small batches, space and statistics.

:class:`SqliteRetention` is mixed into ``SqliteStore``; every batch is one short
``BEGIN IMMEDIATE`` transaction on the store's single database thread, so polls and
dispatch queue behind one batch at most, never behind a whole run. Which rows go is
shared with PostgreSQL (``monitor.store.sql.pruning``).
"""

# ruff: noqa: S608 - SQL here is built from constant fragments, never from input

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from monitor.store.outbox import STATES
from monitor.store.records import DatabaseStats, PruneCutoffs
from monitor.store.retention import PRUNE_KINDS
from monitor.store.sql import rows
from monitor.store.sql import statements as sql
from monitor.store.sql.dialect import SQLITE
from monitor.store.sql.pruning import candidates, counted
from monitor.store.sqlite.driver import transaction

T = TypeVar("T")

# ISO 8601 UTC strings compare in time order; no stored time is less than "".
_KEEP_ALL = ""
_AUTO_VACUUM = {0: "none", 1: "full", 2: "incremental"}
_KEYS = {"alerts": "x.rowid", "articles": "a.rowid, a.article_id, a.story_id",
         "stories": "s.rowid", "tombstones": "t.article_id"}  # fmt: skip


def _delete(table: str, key: str, kind: str) -> str:
    batch = candidates(kind, _KEYS, planned=False)
    return f"DELETE FROM {table} WHERE {key} IN ({batch} LIMIT :limit)"


_DELETE = {
    "alerts": _delete("alerts", "rowid", "alerts"),
    "stories": _delete("stories", "rowid", "stories"),
    "tombstones": _delete("pruned_articles", "article_id", "tombstones"),
}
_ARTICLE_BATCH = candidates("articles", _KEYS, planned=False) + " LIMIT :limit"
_TOMBSTONE = """
INSERT OR REPLACE INTO pruned_articles (article_id, story_id, pruned_at) VALUES (?, ?, ?)
"""


def _bounds(cutoffs: PruneCutoffs, limit: int = -1) -> dict[str, Any]:
    def bound(cutoff: datetime | None) -> str:
        return SQLITE.time(cutoff) if cutoff else _KEEP_ALL

    return {
        "articles": bound(cutoffs.articles),
        "stories": bound(cutoffs.stories),
        "alerts": bound(cutoffs.alerts),
        "tombstones": bound(cutoffs.tombstones),
        "limit": limit,
    }


def prune_batch(
    db: sqlite3.Connection, kind: str, cutoffs: PruneCutoffs, limit: int, now: datetime
) -> int:
    """One transaction deleting up to ``limit`` rows of ``kind``; how many went."""
    if kind not in PRUNE_KINDS:
        raise ValueError(f"unknown kind to prune: {kind!r}")
    with transaction(db):
        if kind != "articles":  # deliveries, outlets, names and threads go by ON DELETE CASCADE
            return int(db.execute(_DELETE[kind], _bounds(cutoffs, limit)).rowcount)
        found = db.execute(_ARTICLE_BATCH, _bounds(cutoffs, limit)).fetchall()
        stamp = SQLITE.time(now)
        db.executemany(_TOMBSTONE, [(row[1], row[2], stamp) for row in found])
        db.executemany("DELETE FROM articles WHERE rowid = ?", [(row[0],) for row in found])
        return len(found)


def count_prunable(db: sqlite3.Connection, cutoffs: PruneCutoffs) -> dict[str, int]:
    bounds = _bounds(cutoffs)
    return {kind: _number(db, counted(kind, _KEYS), bounds) for kind in PRUNE_KINDS}


def reclaim_space(db: sqlite3.Connection, max_pages: int) -> int:
    """Free pages back to the file system (``auto_vacuum = INCREMENTAL`` files only)."""
    before = _pragma(db, "freelist_count")
    if max_pages <= 0 or before == 0 or _pragma(db, "auto_vacuum") != 2:
        return 0
    # executescript steps the pragma to the end; execute() would free a single page.
    db.executescript(f"PRAGMA incremental_vacuum({int(max_pages)});")
    return before - _pragma(db, "freelist_count")


def vacuum(db: sqlite3.Connection) -> None:
    """Switch the file to incremental auto-vacuum and rebuild it (the switch needs one)."""
    db.execute("PRAGMA auto_vacuum = INCREMENTAL")
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()  # the file shrinks now


def _pragma(db: sqlite3.Connection, name: str) -> int:
    return _number(db, f"PRAGMA {name}")


def _number(db: sqlite3.Connection, statement: str, values: Any = ()) -> int:
    return int(db.execute(statement, values).fetchone()[0])


def database_stats(db: sqlite3.Connection, path: str) -> DatabaseStats:
    span = db.execute(sql.ARTICLE_SPAN).fetchone()
    return DatabaseStats(
        backend="sqlite",
        location=path,
        schema_version=_pragma(db, "user_version"),
        size_bytes=_file_size(path),
        wal_bytes=_file_size(path + "-wal"),
        page_size=_pragma(db, "page_size"),
        page_count=_pragma(db, "page_count"),
        free_pages=_pragma(db, "freelist_count"),
        auto_vacuum=_AUTO_VACUUM.get(_pragma(db, "auto_vacuum"), "unknown"),
        rows={table: _number(db, f"SELECT count(*) FROM {table}") for table in sql.TABLES},
        alerts_by_state=_grouped(db, sql.ALERTS_BY_STATE, ("pending", "done")),
        deliveries_by_state=_grouped(db, sql.DELIVERY_COUNTS, STATES),
        oldest_article=rows.moment(span["oldest"]),
        newest_article=rows.moment(span["newest"]),
    )


def _grouped(db: sqlite3.Connection, statement: str, states: Sequence[str]) -> dict[str, int]:
    counts = dict.fromkeys(states, 0)
    counts.update({str(state): int(n) for state, n in db.execute(statement)})
    return counts


def _file_size(path: str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:  # ":memory:", or no WAL right now
        return 0


class SqliteRetention:
    """The retention and statistics methods of ``SqliteStore``."""

    path: str

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError  # provided by SqliteStore: its one database thread

    async def prune_batch(self, kind: str, cutoffs: PruneCutoffs, limit: int, now: datetime) -> int:
        return await self._run(lambda db: prune_batch(db, kind, cutoffs, limit, now))

    async def count_prunable(self, cutoffs: PruneCutoffs) -> dict[str, int]:
        return await self._run(lambda db: count_prunable(db, cutoffs))

    async def reclaim_space(self, max_pages: int) -> int:
        return await self._run(lambda db: reclaim_space(db, max_pages))

    async def vacuum(self) -> None:
        await self._run(vacuum)

    async def database_stats(self) -> DatabaseStats:
        return await self._run(lambda db: database_stats(db, self.path))
