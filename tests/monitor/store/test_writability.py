"""A store that refuses writes (a full disk, a read-only file or session) says so with one
error type and one rate-limited line, and says when it takes writes again. The full disk
is real: a small tmpfs filled by a ballast file (tests/support/full_disk.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from structlog.testing import capture_logs

from monitor.records import FeedState, Silence
from monitor.records.models import DedupDecision, Verdict
from monitor.store import (
    NotWritableCause,
    SchemaTooOldError,
    SqliteStore,
    StoreNotWritableError,
)
from monitor.store.postgres.store import PostgresStore
from monitor.store.sql.dialect import SQLITE
from monitor.store.writability import Writability, postgres_not_writable, sqlite_not_writable
from tests.support.full_disk import SmallDisk, small_disk
from tests.support.one_alert import ALERT, ARTICLE, NOW
from tests.support.stores import STORE_BACKENDS, new_store, store_location

DISK_FULL, READ_ONLY = NotWritableCause.DISK_FULL, NotWritableCause.READ_ONLY
NEW_STORY = DedupDecision(Verdict.NEW_STORY, "s1")


def _sqlite_error(code: int) -> sqlite3.Error:
    err = sqlite3.OperationalError("the driver's message")
    err.sqlite_errorcode = code  # what SQLite sets on the errors it raises
    return err


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (_sqlite_error(sqlite3.SQLITE_FULL), DISK_FULL),
        (_sqlite_error(sqlite3.SQLITE_READONLY), READ_ONLY),
        (_sqlite_error(sqlite3.SQLITE_READONLY_DBMOVED), READ_ONLY),  # extended code
        (_sqlite_error(sqlite3.SQLITE_BUSY), None),
        (_sqlite_error(sqlite3.SQLITE_CONSTRAINT_UNIQUE), None),
        (sqlite3.OperationalError("no code"), None),
    ],
)
def test_sqlite_errors_that_mean_not_writable(
    error: sqlite3.Error, cause: NotWritableCause | None
) -> None:
    problem = sqlite_not_writable(error, "/var/lib/wirewatch/ww.db")
    assert (problem.cause if problem else None) == cause
    if problem is not None:
        assert problem.location == "/var/lib/wirewatch/ww.db"
        assert problem.detail == "the driver's message"


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (psycopg.errors.DiskFull("could not extend file"), DISK_FULL),  # SQLSTATE 53100
        (psycopg.errors.ReadOnlySqlTransaction("read-only transaction"), READ_ONLY),  # 25006
        (psycopg.errors.UniqueViolation("duplicate key"), None),
        (psycopg.OperationalError("connection refused"), None),
    ],
)
def test_postgres_errors_that_mean_not_writable(
    error: Exception, cause: NotWritableCause | None
) -> None:
    problem = postgres_not_writable(error, "db.example:5432/news", "cleaned message")
    assert (problem.cause if problem else None) == cause


def test_one_line_a_while_however_many_writes_fail() -> None:
    now = [100.0]
    writability = Writability("ww.db", clock=lambda: now[0], report_every=60)
    problem = StoreNotWritableError(DISK_FULL, "ww.db", "database or disk is full")
    with capture_logs() as logs:
        for step in (0, 1, 1, 1, 56, 1):  # five failures within a minute, one after
            now[0] += step
            writability.failed(problem)
        writability.recovered()
        writability.recovered()  # said once
    assert logs == [
        {"event": "store_not_writable", "cause": "disk_full", "location": "ww.db",
         "error": "database or disk is full", "failed_writes": 1, "log_level": "error"},
        {"event": "store_not_writable", "cause": "disk_full", "location": "ww.db",
         "error": "database or disk is full", "failed_writes": 5, "log_level": "error"},
        {"event": "store_writable", "location": "ww.db", "failed_writes": 6,
         "log_level": "info"},
    ]  # fmt: skip
    assert writability.problem is None


@pytest.fixture(name="disk")
def _disk(tmp_path: Path) -> Iterator[SmallDisk]:
    with small_disk(tmp_path / "disk") as disk:
        yield disk


async def test_a_full_disk_refuses_writes_until_space_returns(disk: SmallDisk) -> None:
    path = str(disk.path / "ww.db")
    store = SqliteStore(path)
    await store.open()
    try:
        assert await store.write_check() is None  # healthy: nothing written to find out
        disk.fill()
        with capture_logs() as logs:
            with pytest.raises(StoreNotWritableError) as refused:  # a transaction, rolled back
                await store.record_article(ARTICLE, NEW_STORY, [ALERT])
            with pytest.raises(StoreNotWritableError):  # group-committed feed state
                await store.save_feed_state(FeedState(url="http://one/feed"))
            with pytest.raises(StoreNotWritableError):  # a single statement
                await store.add_silence(Silence("r", NOW, NOW + timedelta(hours=1), rule="iran"))
            problem = await store.write_check()
        assert refused.value.cause == DISK_FULL and refused.value.location == path
        assert "database or disk is full" in str(refused.value)
        assert problem is not None and problem.cause == DISK_FULL
        assert [entry["event"] for entry in logs] == ["store_not_writable"]  # one line
        assert await store.count_articles_since(NOW - timedelta(days=1)) == 0  # reads work

        disk.free()
        with capture_logs() as logs:
            assert await store.write_check() is None
        assert [(entry["event"], entry["failed_writes"]) for entry in logs] == [
            ("store_writable", 4)
        ]
        await store.record_article(ARTICLE, NEW_STORY, [ALERT])
        assert await store.delivery_counts() == {"pending": 1}
    finally:
        await store.close()


@pytest.mark.parametrize("backend", STORE_BACKENDS)
async def test_a_read_only_store_refuses_writes_as_read_only(backend: str, tmp_path: Path) -> None:
    async with store_location(backend, tmp_path) as location:
        writer = new_store(backend, location)
        await writer.open()  # creates and migrates
        await writer.close()
        store = _read_only(backend, location)
        await store.open()
        try:
            assert await store.silences() == []
            with pytest.raises(StoreNotWritableError) as refused:
                await store.add_silence(Silence("r", NOW, NOW + timedelta(hours=1), rule="iran"))
        finally:
            await store.close()
    assert refused.value.cause == READ_ONLY


@pytest.mark.parametrize("backend", STORE_BACKENDS)
async def test_read_only_on_an_old_schema_says_to_migrate(backend: str, tmp_path: Path) -> None:
    """Nothing is migrated (that is a write); the message says what to run."""
    async with store_location(backend, tmp_path) as location:
        if backend == "sqlite":
            _sqlite_at_version(location, 5)
        store = _read_only(backend, location)
        with pytest.raises(SchemaTooOldError, match=r"wirewatch db migrate"):
            await store.open()
        await store.close()
        if backend == "sqlite":
            with sqlite3.connect(location) as db:
                assert db.execute("PRAGMA user_version").fetchone()[0] == 5


def _read_only(backend: str, location: str) -> SqliteStore | PostgresStore:
    if backend == "sqlite":
        return SqliteStore(location, read_only=True)
    return PostgresStore(location, min_size=1, max_size=2, read_only=True)


def _sqlite_at_version(path: str, version: int) -> None:
    with sqlite3.connect(path) as db:
        for number, script in SQLITE.migrations():
            if number <= version:
                db.executescript(script)
        db.execute(f"PRAGMA user_version = {version}")
