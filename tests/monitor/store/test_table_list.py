"""The store's table list (`wirewatch db` counts, PostgreSQL's VACUUM) names every table."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from monitor.store.sql.statements import TABLES
from monitor.store.sqlite.store import SqliteStore


async def test_every_table_the_migrations_create_is_in_the_table_list(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = SqliteStore(str(path))
    await store.open()
    await store.close()
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    created = {name for (name,) in rows} - {"schema_migrations"}
    assert created == set(TABLES)
