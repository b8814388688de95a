"""``wirewatch db migrate``: bring the configured store's schema up to date, on either backend.

The daemon migrates when it opens the store; this runs the same step on its own, as a
deployment step before daemons start, and says which version it moved from and to.
On PostgreSQL the step holds the migration lock (``monitor.store.postgres.schema``), so it is
safe while other daemons start; on SQLite it is the daemon's own ``open``.
"""

from __future__ import annotations

from monitor.config import StoreSettings
from monitor.store.factory import opened_store


async def migrate_store(settings: StoreSettings) -> tuple[int, int]:
    """Apply pending migrations; return the schema version (before, after)."""
    async with opened_store(settings) as store:
        after = await store.schema_version()
    # What the store found when it opened (on PostgreSQL, read under the migration lock).
    return getattr(store, "migrated", (0, 0))[0], after


def render_migration(before: int, after: int) -> str:
    if before == after:
        return f"schema is up to date (version {after})"
    return f"schema migrated from version {before} to {after}"
