"""The factory that picks and opens the configured backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from monitor.config import StoreSettings
from monitor.store.interface import Store


def open_store(settings: StoreSettings, *, read_only: bool = False) -> Store:
    """The configured backend (not yet opened): SQLite, or PostgreSQL when ``url`` is set.
    ``read_only`` (commands that only read): no migrations, no writes, so it works on a
    full disk or a read-only file; the schema must be this code's."""
    # Imported here: a SQLite daemon never loads the PostgreSQL driver (~60 ms, several MB).
    if settings.backend == "postgresql" and settings.url is not None:
        from monitor.store.postgres.store import PostgresStore  # noqa: PLC0415

        return PostgresStore(
            settings.url.get_secret_value(),
            min_size=settings.pool_min_size,
            max_size=settings.pool_max_size,
            timeout=settings.connect_timeout,
            read_only=read_only,
        )
    from monitor.store.sqlite.store import SqliteStore  # noqa: PLC0415

    return SqliteStore(settings.path, busy_timeout_ms=settings.busy_timeout_ms, read_only=read_only)


@asynccontextmanager
async def opened_store(settings: StoreSettings, *, read_only: bool = False) -> AsyncIterator[Store]:
    """The configured backend, open for the block and closed after it (for commands)."""
    store = open_store(settings, read_only=read_only)
    await store.open()
    try:
        yield store
    finally:
        await store.close()
