"""How ``SqliteStore`` runs statements on its database thread: transactions, and the
shared multi-statement work (:mod:`monitor.store.sql.steps`) run synchronously."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from monitor.store.sql.dialect import SQLITE
from monitor.store.sql.steps import Query, Steps

T = TypeVar("T")


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error (the connection is autocommit)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def run_steps(db: sqlite3.Connection, steps: Steps[T]) -> T:
    """Every query ``steps`` yields, answered in turn; what it returns."""
    answer: Any = None
    try:
        while True:
            answer = _answer(db, steps.send(answer))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def _answer(db: sqlite3.Connection, query: Query) -> Any:
    statement = SQLITE.render(query.statement)
    if query.answer == "many":
        db.executemany(statement, query.values)
        return None
    cursor = db.execute(statement, query.values)
    return cursor.rowcount if query.answer == "count" else cursor.fetchall()
