"""Retention in SQLite: pruning in small batches, tombstones, space and statistics.

:class:`SqliteRetention` is mixed into ``SqliteStore``; every batch is one short
``BEGIN IMMEDIATE`` transaction on the store's single database thread, so polls and
dispatch queue behind one batch at most, never behind a whole run. What is kept and
why: docs/decisions/0015-retention.md.
"""

# ruff: noqa: S608 - SQL here is built from the constant fragments below, never from input

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from monitor.store.interface import DatabaseStats
from monitor.store.outbox import STATES
from monitor.store.retention import PRUNE_KINDS, PruneCutoffs

T = TypeVar("T")

# ISO 8601 UTC strings compare in time order; no stored time is less than "".
_KEEP_ALL = ""
_TABLES = ("feeds", "websub", "stories", "story_outlets", "story_names", "articles",
           "pruned_articles", "alerts", "deliveries", "threads", "silences")  # fmt: skip
_AUTO_VACUUM = {0: "none", 1: "full", 2: "incremental"}
_GUID_CHUNK = 500


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat() if moment else _KEEP_ALL


def _bounds(cutoffs: PruneCutoffs, limit: int = -1) -> dict[str, Any]:
    return {
        "articles": _iso(cutoffs.articles),
        "stories": _iso(cutoffs.stories),
        "alerts": _iso(cutoffs.alerts),
        "tombstones": _iso(cutoffs.tombstones),
        "limit": limit,
    }


# An alert stays while it is young, while its story is still active, or while any of its
# deliveries is pending (held and retrying deliveries are pending too).
_ALERT_KEPT = """(x.created_at >= :alerts
  OR EXISTS (SELECT 1 FROM stories xs
             WHERE xs.story_id = x.story_id AND xs.last_seen >= :alerts)
  OR EXISTS (SELECT 1 FROM deliveries xd
             WHERE xd.alert_id = x.alert_id AND xd.state = 'pending'))"""
# An article stays while an alert names it (the alert's message is built from it). The
# "planned" forms say what stays once this run's earlier steps are done (dry runs).
_ARTICLE_KEPT = "EXISTS (SELECT 1 FROM alerts x WHERE x.article_id = a.article_id)"
_ARTICLE_KEPT_PLANNED = f"""EXISTS (SELECT 1 FROM alerts x
  WHERE x.article_id = a.article_id AND {_ALERT_KEPT})"""
_STORY_KEPT = """(EXISTS (SELECT 1 FROM articles a WHERE a.story_id = s.story_id)
  OR EXISTS (SELECT 1 FROM alerts x WHERE x.story_id = s.story_id))"""
_STORY_KEPT_PLANNED = f"""(EXISTS (SELECT 1 FROM articles a WHERE a.story_id = s.story_id
    AND (a.fetched_at >= :articles OR {_ARTICLE_KEPT_PLANNED}))
  OR EXISTS (SELECT 1 FROM alerts x WHERE x.story_id = s.story_id AND {_ALERT_KEPT}))"""


def _candidates(kind: str, *, planned: bool) -> str:
    """The rows of ``kind`` a run prunes (their key first), oldest first."""
    if kind == "alerts":
        return f"""SELECT x.rowid FROM alerts x
            WHERE x.created_at < :alerts AND NOT {_ALERT_KEPT} ORDER BY x.created_at"""
    if kind == "articles":
        kept = _ARTICLE_KEPT_PLANNED if planned else _ARTICLE_KEPT
        return f"""SELECT a.rowid, a.article_id, a.story_id FROM articles a
            WHERE a.fetched_at < :articles AND NOT {kept} ORDER BY a.fetched_at"""
    if kind == "stories":
        kept = _STORY_KEPT_PLANNED if planned else _STORY_KEPT
        return f"""SELECT s.rowid FROM stories s
            WHERE s.last_seen < :stories AND NOT {kept} ORDER BY s.last_seen"""
    return "SELECT article_id FROM pruned_articles WHERE pruned_at < :tombstones ORDER BY pruned_at"


def _delete(table: str, key: str, kind: str) -> str:
    # Built from the constants above, never from input.
    return f"DELETE FROM {table} WHERE {key} IN ({_candidates(kind, planned=False)} LIMIT :limit)"


_DELETE = {
    "alerts": _delete("alerts", "rowid", "alerts"),
    "stories": _delete("stories", "rowid", "stories"),
    "tombstones": _delete("pruned_articles", "article_id", "tombstones"),
}
_TOMBSTONE = """
INSERT OR REPLACE INTO pruned_articles (article_id, story_id, pruned_at) VALUES (?, ?, ?)
"""


def prune_batch(
    db: sqlite3.Connection, kind: str, cutoffs: PruneCutoffs, limit: int, now: datetime
) -> int:
    """One transaction deleting up to ``limit`` rows of ``kind``; how many went."""
    if kind not in PRUNE_KINDS:
        raise ValueError(f"unknown kind to prune: {kind!r}")
    db.execute("BEGIN IMMEDIATE")
    try:
        if kind == "articles":
            pruned = _prune_articles(db, cutoffs, limit, now)
        else:  # deliveries, outlets, names and threads go by ON DELETE CASCADE
            pruned = db.execute(_DELETE[kind], _bounds(cutoffs, limit)).rowcount
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return int(pruned)


def _prune_articles(
    db: sqlite3.Connection, cutoffs: PruneCutoffs, limit: int, now: datetime
) -> int:
    sql = _candidates("articles", planned=False) + " LIMIT :limit"
    rows = db.execute(sql, _bounds(cutoffs, limit)).fetchall()
    stamp = _iso(now)
    db.executemany(_TOMBSTONE, [(row[1], row[2], stamp) for row in rows])
    db.executemany("DELETE FROM articles WHERE rowid = ?", [(row[0],) for row in rows])
    return len(rows)


def count_prunable(db: sqlite3.Connection, cutoffs: PruneCutoffs) -> dict[str, int]:
    bounds = _bounds(cutoffs)
    counts = {}
    for kind in PRUNE_KINDS:
        sql = f"SELECT count(*) FROM ({_candidates(kind, planned=True)})"
        counts[kind] = int(db.execute(sql, bounds).fetchone()[0])
    return counts


def tombstoned_guids(db: sqlite3.Connection, article_ids: dict[str, str]) -> set[str]:
    """The GUIDs (values of ``article_ids``, keyed by article id) whose article was pruned."""
    ids = list(article_ids)
    found: set[str] = set()
    for start in range(0, len(ids), _GUID_CHUNK):
        chunk = ids[start : start + _GUID_CHUNK]
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT article_id FROM pruned_articles WHERE article_id IN ({marks})"
        found.update(article_ids[row[0]] for row in db.execute(sql, chunk))
    return found


def tombstone(db: sqlite3.Connection, article_id: str) -> tuple[str, str] | None:
    """(article id, story id) of a pruned article, or None."""
    row = db.execute(
        "SELECT article_id, story_id FROM pruned_articles WHERE article_id = ?", (article_id,)
    ).fetchone()
    return (str(row[0]), str(row[1])) if row else None


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
    return int(db.execute(f"PRAGMA {name}").fetchone()[0])


def database_stats(db: sqlite3.Connection, path: str) -> DatabaseStats:
    rows = {table: _count(db, table) for table in _TABLES}
    oldest, newest = db.execute("SELECT min(fetched_at), max(fetched_at) FROM articles").fetchone()
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
        rows=rows,
        alerts_by_state=_grouped(db, _ALERTS_BY_STATE, ("pending", "done")),
        deliveries_by_state=_grouped(db, _DELIVERIES_BY_STATE, STATES),
        oldest_article=datetime.fromisoformat(oldest) if oldest else None,
        newest_article=datetime.fromisoformat(newest) if newest else None,
    )


def _count(db: sqlite3.Connection, table: str) -> int:
    return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _grouped(db: sqlite3.Connection, sql: str, states: Sequence[str]) -> dict[str, int]:
    counts = dict.fromkeys(states, 0)
    counts.update({str(state): int(n) for state, n in db.execute(sql)})
    return counts


def _file_size(path: str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:  # ":memory:", or no WAL right now
        return 0


_ALERTS_BY_STATE = """
SELECT CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = al.alert_id
                         AND d.state = 'pending') THEN 'pending' ELSE 'done' END, count(*)
FROM alerts al GROUP BY 1
"""
_DELIVERIES_BY_STATE = "SELECT state, count(*) FROM deliveries GROUP BY state"


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
