"""SQLite implementation of :class:`monitor.store.interface.Store`.

One connection, used only from one dedicated thread, so the event loop never
blocks on disk and SQLite never sees two threads (decision 0001). WAL lets readers
(the CLI, a status page) work while the daemon writes; every write is one short
transaction, never held across network I/O. One daemon owns the file, so due and held
deliveries are simply read (PostgreSQL claims them for one daemon among several). The
operations PostgreSQL runs alike come from :class:`monitor.store.sql.base.SqlStore`.
"""

# ruff: noqa: S608 - SQL here is built from constant fragments, never from input

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from contextlib import closing
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from monitor.store.group_commit import FeedStateWriter
from monitor.store.records import (
    DatabaseStats,
    SchemaTooNewError,
    SchemaTooOldError,
    StoreUnavailableError,
)
from monitor.store.sql import upkeep
from monitor.store.sql.base import SqlStore
from monitor.store.sql.dialect import SQLITE, Dialect
from monitor.store.sql.steps import Query, Steps, each, rows_of
from monitor.store.sqlite.thread import DatabaseThread
from monitor.store.writability import Writability, sqlite_not_writable

T = TypeVar("T")
_PRUNE_KEYS = {"alerts": "rowid", "articles": "rowid", "stories": "rowid",
               "tombstones": "article_id", "surges": "rowid"}  # fmt: skip
_DELETE_ARTICLES = (
    f"DELETE FROM articles WHERE rowid IN ({upkeep.batch('articles', _PRUNE_KEYS)})"
    " RETURNING article_id, story_id"
)
_TOMBSTONE = """
INSERT OR REPLACE INTO pruned_articles (article_id, story_id, pruned_at) VALUES (?, ?, ?)
"""
_AUTO_VACUUM = {0: "none", 1: "full", 2: "incremental"}


class SqliteStore(SqlStore):
    """The embedded store: a file path, or ``:memory:`` for a throwaway one."""

    dialect: ClassVar[Dialect] = SQLITE
    _prune_keys: ClassVar[Mapping[str, str]] = _PRUNE_KEYS
    # One thread runs every statement in the order it was asked for (monitor.ingest.batch relies
    # on it to keep feeds in arrival order without queueing for the lock early).
    answers_in_order = True

    def __init__(self, path: str, *, busy_timeout_ms: int = 5000, read_only: bool = False) -> None:
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._read_only = read_only  # for commands that only read: no writes, no migrations
        self._thread = DatabaseThread("sqlite")
        self._db: sqlite3.Connection | None = None
        self._feed_writer = FeedStateWriter(self._write_feed_states)
        self.writability = Writability(path)

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            assert self._db is not None, "store is not open"
            return work(self._db)

        return await self._on_thread(call)

    async def _on_thread(self, call: Callable[[], T]) -> T:
        """``call`` on the database thread; a full disk or a read-only file raised as
        :class:`StoreNotWritableError` (and reported), other errors as they are."""
        try:
            return await self._thread.call(call)
        except sqlite3.Error as err:
            problem = sqlite_not_writable(err, self.path)
            if problem is None:
                raise
            self.writability.failed(problem)
            raise problem from err

    async def _perform(self, steps: Steps[T], *, snapshot: bool = False, write: bool = False) -> T:
        # One call on the one thread: nothing of this process interleaves, so a snapshot
        # needs no transaction; a write takes the write lock at once (BEGIN IMMEDIATE).
        return await self._run(lambda db: _drive(db, steps, write=write))

    async def open(self) -> None:
        await self._on_thread(self._connect)

    def _connect(self) -> None:
        if self._read_only:
            self._db = _connect_read_only(self.path, self._busy_timeout_ms)
            return
        db = _connect(self.path, self._busy_timeout_ms)
        try:
            # Takes effect in a new file only (an existing one needs `wirewatch db vacuum`):
            # pages freed by retention can then be given back (decision 0015).
            db.execute("PRAGMA auto_vacuum = INCREMENTAL")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            self.migrated = _migrate(db, self.path)
        except BaseException:
            db.close()
            raise
        self._db = db

    async def close(self) -> None:
        if self._db is not None:
            await self._run(lambda db: db.close())
            self._db = None
        self._thread.close()

    async def schema_version(self) -> int:
        return await self._run(lambda db: _pragma(db, "user_version"))

    def _prune_articles(self, values: dict[str, Any]) -> Steps[int]:
        gone = yield from rows_of(_DELETE_ARTICLES, values)
        stamp = values["now"]
        yield from each(_TOMBSTONE, [(row["article_id"], row["story_id"], stamp) for row in gone])
        return len(gone)

    async def reclaim_space(self, max_pages: int) -> int:
        """Free pages back to the file system (``auto_vacuum = INCREMENTAL`` files only)."""
        return await self._run(lambda db: _reclaim_space(db, max_pages))

    async def vacuum(self) -> None:
        """Switch the file to incremental auto-vacuum and rebuild it (the switch needs one)."""
        await self._run(_vacuum)

    async def database_stats(self) -> DatabaseStats:
        return await self._run(lambda db: _database_stats(db, self.path))


def _answer(db: sqlite3.Connection, query: Query) -> Any:
    statement = SQLITE.render(query.statement)
    if query.answer == "many":
        db.executemany(statement, query.values).close()
        return None
    # Closed here, on the database thread: a cursor dropped later on the event loop's thread
    # resets its statement while this thread runs the next one ("bad parameter or other API
    # misuse").
    with closing(db.execute(statement, query.values)) as cursor:
        return cursor.rowcount if query.answer == "count" else cursor.fetchall()


def _drive(db: sqlite3.Connection, steps: Steps[T], *, write: bool) -> T:
    """Every query ``steps`` yields, answered in turn; what it returns. With ``write``, all
    inside BEGIN IMMEDIATE … COMMIT, rolled back on any error (the connection is autocommit)."""
    if write:
        db.execute("BEGIN IMMEDIATE")
    answer: Any = None
    try:
        while True:
            answer = _answer(db, steps.send(answer))
    except StopIteration as done:
        if write:
            db.execute("COMMIT")
        return done.value  # type: ignore[no-any-return]
    except BaseException:
        # SQLite rolls back by itself after some errors (SQLITE_FULL among them); a ROLLBACK
        # then would fail and hide the error that matters.
        if write and db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _connect(path: str, busy_timeout_ms: int, *, uri: bool = False) -> sqlite3.Connection:
    """Autocommit (transactions are explicit), rows by column name, waiting for locks."""
    db = sqlite3.connect(path, uri=uri, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    # SQLite's own lower() folds ASCII only; text search folds every script (Dialect.fold).
    db.create_function("unicode_lower", 1, _unicode_lower, deterministic=True)
    return db


def _unicode_lower(value: str | bytes | None) -> str | bytes | None:
    return value.lower() if isinstance(value, str) else value


def _connect_read_only(path: str, busy_timeout_ms: int) -> sqlite3.Connection:
    """A connection that cannot write, on a schema this code reads as it is. No PRAGMA
    writes, no migrations: it works on a full disk and on a read-only file. A file not
    created yet reads as an empty store (a command run before the daemon's first start)."""
    if path == ":memory:" or not Path(path).exists():
        db = _connect(":memory:", busy_timeout_ms)
        _migrate(db, path)
        return db
    db = _open_read_only(path, busy_timeout_ms)
    found, expected = _pragma(db, "user_version"), SQLITE.migrations()[-1][0]
    if found != expected:
        db.close()
        error = SchemaTooNewError if found > expected else SchemaTooOldError
        raise error(path, found, expected)
    return db


def _open_read_only(path: str, busy_timeout_ms: int) -> sqlite3.Connection:
    """``mode=ro``; where SQLite cannot make the WAL index it needs for that (a full disk,
    a read-only mount) and the write-ahead log holds nothing, the file alone is the whole
    database: it is read as immutable then. With a log that cannot be read, a clear error."""
    uri = Path(path).resolve().as_uri()
    db = _connect(uri + "?mode=ro", busy_timeout_ms, uri=True)
    try:
        _pragma(db, "user_version")  # the first read opens the WAL index
    except sqlite3.OperationalError as err:
        db.close()
        if _file_size(path + "-wal") > 0:
            raise StoreUnavailableError(f"{path}: cannot be read: {err}") from err
        return _connect(uri + "?mode=ro&immutable=1", busy_timeout_ms, uri=True)
    return db


def _migrate(db: sqlite3.Connection, path: str) -> tuple[int, int]:
    """Apply pending migrations; return (from, to) versions."""
    current, scripts = _pragma(db, "user_version"), SQLITE.migrations()
    if current > scripts[-1][0]:
        db.close()
        raise SchemaTooNewError(path, current, scripts[-1][0])
    for version, script in scripts:
        if version > current:
            # executescript commits first; the version bump rides in the same script.
            db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
    return current, scripts[-1][0]


def _pragma(db: sqlite3.Connection, name: str) -> int:
    return int(db.execute(f"PRAGMA {name}").fetchone()[0])


def _reclaim_space(db: sqlite3.Connection, max_pages: int) -> int:
    before = _pragma(db, "freelist_count")
    if max_pages <= 0 or before == 0 or _pragma(db, "auto_vacuum") != 2:
        return 0
    # executescript steps the pragma to the end; execute() would free a single page.
    db.executescript(f"PRAGMA incremental_vacuum({int(max_pages)});")
    return before - _pragma(db, "freelist_count")


def _vacuum(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA auto_vacuum = INCREMENTAL")
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()  # the file shrinks now


def _database_stats(db: sqlite3.Connection, path: str) -> DatabaseStats:
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
        **_drive(db, upkeep.contents(), write=False),
    )


def _file_size(path: str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:  # ":memory:", or no WAL right now
        return 0
