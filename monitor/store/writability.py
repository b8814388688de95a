"""Whether the store takes writes: driver errors that mean "not writable", and its report.

A full disk or a read-only file makes every write fail the same way, so each backend
turns such a driver error into one :class:`~monitor.store.records.StoreNotWritableError`
(:func:`sqlite_not_writable`, :func:`postgres_not_writable`), and :class:`Writability`
reports it: one ``store_not_writable`` line naming the cause and the database, then at
most one more per ``REPORT_EVERY`` seconds while writes keep failing, instead of one
traceback per failed write. Callers catch the error and carry on; what they could not
write they keep or redo later.

Once a write has failed the store counts as not writable until a write check (one tiny
write, :meth:`monitor.store.sql.base.SqlStore.write_check`) goes through; while writes
succeed no check writes anything (docs/decisions/0021-full-disk.md).
"""

from __future__ import annotations

import errno
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import structlog

from monitor.observability import LogThrottle
from monitor.store.records import NotWritableCause, StoreNotWritableError

log = structlog.get_logger("monitor.store.writability")

REPORT_EVERY = 60.0  # seconds between two store_not_writable lines while writes fail
_SQLITE_CAUSES = {sqlite3.SQLITE_FULL: NotWritableCause.DISK_FULL,
                  sqlite3.SQLITE_READONLY: NotWritableCause.READ_ONLY}  # fmt: skip
# Errors SQLite reports when the file system refuses it (e.g. the shared-memory index
# cannot grow): whether that is a full disk or a read-only mount, the file system says.
_SQLITE_FILE_ERRORS = {sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN}
_POSTGRES_CAUSES = {"53100": NotWritableCause.DISK_FULL,  # disk_full
                    "25006": NotWritableCause.READ_ONLY}  # read_only_sql_transaction  # fmt: skip


def sqlite_not_writable(err: sqlite3.Error, path: str) -> StoreNotWritableError | None:
    """``err`` as a not-writable error when it is one (by SQLite's primary result code)."""
    code = getattr(err, "sqlite_errorcode", None)
    if code is None:
        return None
    cause = _SQLITE_CAUSES.get(code & 0xFF)
    if cause is None and code & 0xFF in _SQLITE_FILE_ERRORS:
        cause = file_system_cause(path)
    return None if cause is None else StoreNotWritableError(cause, path, str(err))


def postgres_not_writable(
    err: Exception, location: str, detail: str
) -> StoreNotWritableError | None:
    """``err`` (a psycopg error; ``detail``, its message without credentials) as a
    not-writable error when its SQLSTATE says so."""
    cause = _POSTGRES_CAUSES.get(getattr(err, "sqlstate", None) or "")
    return None if cause is None else StoreNotWritableError(cause, location, detail)


def file_system_cause(path: str) -> NotWritableCause | None:
    """Why the file system holding ``path`` takes no writes, if it takes none."""
    try:
        stats = os.statvfs(Path(path).resolve().parent)
    except OSError as err:
        return NotWritableCause.READ_ONLY if err.errno == errno.EROFS else None
    if stats.f_flag & os.ST_RDONLY:
        return NotWritableCause.READ_ONLY
    return NotWritableCause.DISK_FULL if stats.f_bavail == 0 else None


class Writability:
    """The store's write health: the failure that latched it, and its rate-limited report."""

    def __init__(
        self,
        location: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        report_every: float = REPORT_EVERY,
    ) -> None:
        self.location = location
        self.problem: StoreNotWritableError | None = None
        self._throttle = LogThrottle(report_every, clock)
        self._failed_writes = 0  # since writes last went through

    def failed(self, problem: StoreNotWritableError) -> None:
        """A write failed for ``problem``: logged unless a line went out lately."""
        self.problem = problem
        self._failed_writes += 1
        unlogged = self._throttle.due(self.location)
        if unlogged is None:
            return
        log.error(
            "store_not_writable", cause=str(problem.cause), location=problem.location,
            error=problem.detail, failed_writes=unlogged + 1,  # this one and those unlogged
        )  # fmt: skip

    def recovered(self) -> None:
        """A write went through: writable again (said once, if it was not)."""
        if self.problem is None:
            return
        log.info("store_writable", location=self.location, failed_writes=self._failed_writes)
        self.problem, self._failed_writes = None, 0
        self._throttle.forget(self.location)
