"""How ``PostgresStore`` runs the shared statements (SQLite's form, rendered for psycopg)
and the shared multi-statement work (:mod:`monitor.store.sql.steps`) on one connection."""

from __future__ import annotations

from typing import Any, TypeVar

from monitor.store.postgres.schema import Connection
from monitor.store.sql.dialect import POSTGRES
from monitor.store.sql.steps import Query, Steps

T = TypeVar("T")


async def run_steps(conn: Connection, steps: Steps[T]) -> T:
    """Every query ``steps`` yields, answered in turn; what it returns."""
    answer: Any = None
    try:
        while True:
            answer = await _answer(conn, steps.send(answer))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def _answer(conn: Connection, query: Query) -> Any:
    statement = POSTGRES.render(query.statement)
    if query.answer == "many":
        async with conn.cursor() as cursor:
            await cursor.executemany(statement, query.values)
        return None
    cursor = await conn.execute(statement, query.values)
    return cursor.rowcount if query.answer == "count" else await cursor.fetchall()
