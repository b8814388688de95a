"""``wirewatch db migrate``: bring the configured store's schema up to date, on either backend.

The daemon migrates when it opens the store; this runs the same step on its own, as a
deployment step before daemons start, and says which version it moved from and to.
On PostgreSQL the step holds the migration lock (``monitor.store.postgres.schema``), so it is
safe while other daemons start; on SQLite it is the daemon's own ``open``.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from monitor.config import StoreSettings
from monitor.store.factory import opened_store


async def migrate_store(settings: StoreSettings) -> tuple[int, int]:
    """Apply pending migrations; return the schema version (before, after)."""
    before = _sqlite_version(settings.path) if settings.backend == "sqlite" else None
    async with opened_store(settings) as store:
        after = await store.schema_version()
    if before is None:  # PostgreSQL: the store read it under the migration lock
        before = getattr(store, "migrated", (0, 0))[0]
    return int(before or 0), after


def _sqlite_version(path: str) -> int:
    """The file's schema version, read without writing; 0 for a file not made yet."""
    if path == ":memory:" or not Path(path).exists():
        return 0
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


def render_migration(before: int, after: int) -> str:
    if before == after:
        return f"schema is up to date (version {after})"
    return f"schema migrated from version {before} to {after}"
