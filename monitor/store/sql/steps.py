"""Work of several statements, written once for a synchronous and an asynchronous driver.

SQLite runs such work on its one thread with the blocking ``sqlite3`` module; PostgreSQL
runs it over an async psycopg connection. So it is written as a generator: it yields
each statement (a :class:`Query`, in SQLite's form) and is sent back the answer. Each
backend has a small driver that runs the queries and sends the answers in.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from monitor.store.sql.rows import Row

T = TypeVar("T")
Values = Sequence[Any] | Mapping[str, Any]
# Yields queries, is sent their answers (rows, a row count, or None), returns a T.
Steps = Generator["Query", Any, T]


@dataclass(frozen=True, slots=True)
class Query:
    """One statement for the driver; ``answer`` says what it sends back."""

    statement: str
    values: Values = ()
    # "rows": the rows; "count": rows changed; "many": run once per item of ``values``;
    # "none": nothing, so a driver may send it on and read its outcome later (PostgreSQL's
    # pipeline: an error it raises then surfaces at the next answer read, or the commit);
    # "later": a handle :func:`answer_of` reads the rows from (a driver may send what
    # follows before reading them); "read": the rows of the handle in ``values[0]``.
    answer: Literal["rows", "count", "many", "none", "later", "read"] = "rows"


def rows_of(statement: str, values: Values = ()) -> Steps[list[Row]]:
    found: list[Row] = yield Query(statement, values)
    return found


def first_of(statement: str, values: Values = ()) -> Steps[Row | None]:
    found = yield from rows_of(statement, values)
    return found[0] if found else None


def changed(statement: str, values: Values = ()) -> Steps[int]:
    count: int = yield Query(statement, values, answer="count")
    return count


def written(statement: str, values: Values = ()) -> Steps[None]:
    """A write whose row count nobody reads: it costs no round trip of its own."""
    yield Query(statement, values, answer="none")


def asked(statement: str, values: Values = ()) -> Steps[Any]:
    """A read sent now, its rows read later with :func:`answer_of`: in PostgreSQL's
    pipeline, reads asked one after another cost one round trip together. A driver that
    answers at once (SQLite) hands back the rows themselves."""
    handle = yield Query(statement, values, answer="later")
    return handle


def answer_of(handle: Any) -> Steps[list[Row]]:
    """The rows of a read :func:`asked` for."""
    if isinstance(handle, list):  # answered already
        return handle
    found: list[Row] = yield Query("", (handle,), answer="read")
    return found


def each(statement: str, values: Sequence[Values]) -> Steps[None]:
    if values:
        yield Query(statement, values, answer="many")


def all_of(parts: Iterable[Steps[T]]) -> Steps[list[T]]:
    """Each part in turn (each sees what the ones before it wrote); what each returned."""
    results = []
    for part in parts:
        results.append((yield from part))
    return results
