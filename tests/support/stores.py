"""Both store backends for contract tests: a throwaway SQLite file or PostgreSQL schema.

    @pytest.fixture(params=STORE_BACKENDS)
    async def store(request, tmp_path):
        async with opened_store(request.param, tmp_path) as store:
            yield store

The PostgreSQL case needs ``WIREWATCH_TEST_POSTGRES_URL`` (``.ci/run`` sets it) and is
skipped only when that is unset. Each PostgreSQL test gets a schema of its own, named
at random and dropped afterwards, through ``search_path`` in the connection options:
tests never see each other's rows and the shared database is never dropped.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from monitor.store.interface import Store
from monitor.store.postgres.store import PostgresStore
from monitor.store.sql.dialect import POSTGRES, SQLITE
from monitor.store.sqlite.store import SqliteStore

__all__ = [
    "POSTGRES_URL",
    "STORE_BACKENDS",
    "new_store",
    "opened_store",
    "postgres_schema",
    "postgres_schema_sync",
    "store_location",
    "two_postgres_stores",
    "with_schema",
]

POSTGRES_URL = os.environ.get("WIREWATCH_TEST_POSTGRES_URL", "")
_NEEDS_POSTGRES = pytest.mark.skipif(
    not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"
)
STORE_BACKENDS = [
    pytest.param("sqlite"),
    pytest.param("postgres", marks=[pytest.mark.postgres, _NEEDS_POSTGRES]),
]


def with_schema(url: str, schema: str) -> str:
    """``url`` whose sessions use ``schema``: a URL stays a URL (as ``[store] url`` wants)."""
    if not url.startswith(("postgresql://", "postgres://")):
        return make_conninfo(url, options=f"-csearch_path={schema}")
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}{urlencode({'options': f'-csearch_path={schema}'})}"


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[str]:
    """A connection string whose sessions work in a fresh, empty schema (dropped after)."""
    name = f"wirewatch_test_{uuid.uuid4().hex[:16]}"
    schema = sql.Identifier(name)
    async with await psycopg.AsyncConnection.connect(POSTGRES_URL, autocommit=True) as admin:
        await admin.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
        try:
            yield with_schema(POSTGRES_URL, name)
        finally:
            await admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(schema))


@asynccontextmanager
async def two_postgres_stores(
    first_size: int = 2,
) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """Two opened stores on one fresh schema, as two daemons sharing a database see it;
    the first with at most ``first_size`` connections (1: the one a trace follows)."""
    async with postgres_schema() as url:
        first, second = PostgresStore(url, max_size=first_size), PostgresStore(url, max_size=2)
        await first.open()
        await second.open()
        try:
            yield first, second
        finally:
            await first.close()
            await second.close()


@contextmanager
def postgres_schema_sync() -> Iterator[str]:
    """:func:`postgres_schema` for tests that run commands with their own event loop."""
    name = f"wirewatch_test_{uuid.uuid4().hex[:16]}"
    schema = sql.Identifier(name)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
        try:
            yield with_schema(POSTGRES_URL, name)
        finally:
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(schema))


@asynccontextmanager
async def store_location(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """Where a store of ``backend`` lives for one test: a file path or a connection string."""
    if backend == "sqlite":
        yield str(tmp_path / "store.db")
        return
    async with postgres_schema() as url:
        yield url


def new_store(backend: str, location: str) -> Store:
    """A store (not opened) at a location from :func:`store_location`."""
    if backend == "sqlite":
        return SqliteStore(location)
    return PostgresStore(location, min_size=1, max_size=4)


@asynccontextmanager
async def opened_store(backend: str, tmp_path: Path) -> AsyncIterator[Store]:
    async with store_location(backend, tmp_path) as location:
        store = new_store(backend, location)
        await store.open()
        try:
            yield store
        finally:
            await store.close()


def database_at(backend: str, location: str, version: int, rows: Sequence[str]) -> None:
    """Leave ``location`` as a database of schema ``version`` holding ``rows`` (SQL
    inserts), as an older wirewatch left it: the migrations after it are to be tested."""
    if backend == "sqlite":
        with sqlite3.connect(location) as db:
            for number, script in SQLITE.migrations():
                if number <= version:
                    db.executescript(script)
            db.executescript(";".join(rows) + f"; PRAGMA user_version = {version};")
        return
    with psycopg.connect(location, autocommit=True) as db:
        db.execute("CREATE TABLE schema_migrations (version integer PRIMARY KEY,"
                   " applied_at timestamptz NOT NULL DEFAULT now())")  # fmt: skip
        for number, script in POSTGRES.migrations():
            if number <= version:
                db.execute(script.encode())
                db.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (number,))
        for row in rows:
            db.execute(row.encode())


@asynccontextmanager
async def migrated_store(
    backend: str, tmp_path: Path, version: int, rows: Sequence[str]
) -> AsyncIterator[Store]:
    """A store opened (so migrated to the newest schema) on a database an older wirewatch
    left at schema ``version`` holding ``rows``; checked to be at the newest schema."""
    async with store_location(backend, tmp_path) as location:
        database_at(backend, location, version, rows)
        store = new_store(backend, location)
        await store.open()
        try:
            assert await store.schema_version() == SQLITE.migrations()[-1][0]
            yield store
        finally:
            await store.close()
